"""Geometry of clothes and hair around a posed body, as extra triangle shells for the rasteriser.

Tight garments (shirts, trousers, shoes, a hair cap) are copies of the body faces they cover,
pushed out along the vertex normals by the garment's slack. Skirts, dress skirts and long hair
hang free: they are tubes built from radial profiles of the body around a vertical axis, so they
bridge the gap between the legs and stand outside the body like real cloth. Which vertices a
garment covers is decided on the rest body (levels from its keypoints), so it follows any pose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from body_model.keypoints import KEYPOINT_ID
from body_model.lip_labels import LIP_ID
from body_model.looks import Garment, Look
from body_model.parts import PART_TO_LIP, Part

LEFT_ARM = (Part.LEFT_UPPER_ARM, Part.LEFT_FOREARM, Part.LEFT_HAND)
RIGHT_ARM = (Part.RIGHT_UPPER_ARM, Part.RIGHT_FOREARM, Part.RIGHT_HAND)
LEFT_LEG = (Part.LEFT_THIGH, Part.LEFT_CALF)
RIGHT_LEG = (Part.RIGHT_THIGH, Part.RIGHT_CALF)


@dataclass
class Shell:
    """Triangles added to the scene: world vertices, faces, per-face LIP label and material name."""

    vertices: np.ndarray  # (n, 3) world
    faces: np.ndarray  # (f, 3) into vertices
    labels: np.ndarray  # (f,) uint8 LIP ids
    material: str  # key into the render's material table
    texture_coords: np.ndarray  # (n, 3) body-attached coordinates for patterns


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(V, 3) area-weighted unit vertex normals (outward for counter-clockwise faces)."""
    tri = vertices[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    vn = np.zeros_like(vertices)
    for i in range(3):
        np.add.at(vn, faces[:, i], fn)
    return vn / np.maximum(np.linalg.norm(vn, axis=1, keepdims=True), 1e-12)


def _limb_coordinate(points: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Position along the polyline a-b-c: 0 at a, 1 at b, 2 at c (nearest segment wins)."""
    def along(p0, p1):
        d = p1 - p0
        s = np.clip(((points - p0) @ d) / max(float(d @ d), 1e-12), 0.0, 1.0)
        dist = np.linalg.norm(points - (p0 + s[:, None] * d), axis=1)
        return s, dist

    s1, d1 = along(a, b)
    s2, d2 = along(b, c)
    return np.where(d1 <= d2, s1, 1.0 + s2)


@dataclass
class BodyRegions:
    """Per-vertex coordinates on the rest body that garment extents refer to."""

    arm_t: np.ndarray  # (V,) 0 shoulder, 1 elbow, 2 wrist; inf off the arms
    leg_t: np.ndarray  # (V,) 0 hip joint, 1 knee, 2 ankle; inf off the legs
    z: np.ndarray  # (V,) rest height above the floor
    waist_z: float  # natural waist level
    hip_z: float  # hip joint level
    knee_z: float
    ankle_z: float
    shoulder_z: float
    ear_z: float
    stature: float


def body_regions(rest_vertices: np.ndarray, rest_keypoints: np.ndarray, parts: np.ndarray) -> BodyRegions:
    kp = {name: rest_keypoints[i] for name, i in KEYPOINT_ID.items()}
    arm_t = np.full(len(parts), np.inf)
    leg_t = np.full(len(parts), np.inf)
    for side, arm, leg in (("left", LEFT_ARM, LEFT_LEG), ("right", RIGHT_ARM, RIGHT_LEG)):
        on_arm = np.isin(parts, arm)
        arm_t[on_arm] = _limb_coordinate(rest_vertices[on_arm], kp[f"{side}_shoulder"], kp[f"{side}_elbow"],
                                         kp[f"{side}_wrist"])
        arm_t[on_arm & np.isin(parts, (arm[2],))] = 2.5  # hands are never sleeved
        on_leg = np.isin(parts, leg)
        leg_t[on_leg] = _limb_coordinate(rest_vertices[on_leg], kp[f"{side}_hip"], kp[f"{side}_knee"],
                                         kp[f"{side}_ankle"])
    hip_z = float((kp["left_hip"][2] + kp["right_hip"][2]) / 2)
    shoulder_z = float((kp["left_shoulder"][2] + kp["right_shoulder"][2]) / 2)
    return BodyRegions(
        arm_t=arm_t, leg_t=leg_t, z=rest_vertices[:, 2].copy(), waist_z=hip_z + 0.3 * (shoulder_z - hip_z),
        hip_z=hip_z, knee_z=float((kp["left_knee"][2] + kp["right_knee"][2]) / 2),
        ankle_z=float((kp["left_ankle"][2] + kp["right_ankle"][2]) / 2), shoulder_z=shoulder_z,
        ear_z=float((kp["left_ear"][2] + kp["right_ear"][2]) / 2), stature=float(rest_vertices[:, 2].max()))


def _offset_shell(posed: np.ndarray, normals: np.ndarray, faces: np.ndarray, covered: np.ndarray,
                  slack: np.ndarray | float, face_labels: np.ndarray, material: str,
                  texture_coords: np.ndarray, hidden: np.ndarray | None = None) -> Shell | None:
    """Copy of the faces whose three vertices are all covered, pushed out along the normals by `slack`.

    `hidden` (F,) bool, when given, is updated with the body faces the shell encloses.
    """
    keep = covered[faces].all(axis=1)
    if hidden is not None:
        hidden |= keep
    if not keep.any():
        return None
    used = np.unique(faces[keep])
    remap = np.full(len(posed), -1, np.int64)
    remap[used] = np.arange(len(used))
    slack_arr = np.broadcast_to(np.asarray(slack, dtype=np.float64), (len(posed),))
    verts = posed[used] + normals[used] * slack_arr[used, None]
    return Shell(verts, remap[faces[keep]], np.asarray(face_labels)[keep].astype(np.uint8), material,
                 texture_coords[used])


def shoe_shell(foot_points: np.ndarray, label: int, margin: float = 0.006) -> Shell | None:
    """A shoe: the convex hull of the foot (and ankle, for boots), a few millimetres outside it."""
    from scipy.spatial import ConvexHull, QhullError

    if len(foot_points) < 4:
        return None
    try:
        hull = ConvexHull(foot_points)
    except QhullError:
        return None
    used = np.unique(hull.simplices)
    remap = np.full(len(foot_points), -1, np.int64)
    remap[used] = np.arange(len(used))
    centre = foot_points[used].mean(axis=0)
    verts = foot_points[used]
    out = verts - centre
    verts = verts + margin * out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
    faces = remap[hull.simplices]
    return Shell(verts, faces, np.full(len(faces), label, np.uint8), "shoes", verts - centre)


def _radial_profile(points: np.ndarray, centre: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Distance from `centre` to the convex hull of 2D `points` along each angle (0 where no points)."""
    import cv2

    if len(points) < 3:
        return np.zeros(len(angles))
    hull = cv2.convexHull(points.astype(np.float32)).reshape(-1, 2).astype(np.float64) - centre
    a, b = hull, np.roll(hull, -1, axis=0)
    dirs = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (A, 2)
    e = b - a  # (E, 2)
    # Solve t * dir = a + s * e for each (angle, edge).
    den = dirs[:, None, 0] * e[None, :, 1] - dirs[:, None, 1] * e[None, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (a[None, :, 0] * e[None, :, 1] - a[None, :, 1] * e[None, :, 0]) / den
        s = (a[None, :, 0] * dirs[:, None, 1] - a[None, :, 1] * dirs[:, None, 0]) / den
    valid = np.isfinite(t) & (t > 0) & (s >= -1e-9) & (s <= 1 + 1e-9)
    return np.where(valid, t, 0.0).max(axis=1)


def _tube(radii: np.ndarray, levels: np.ndarray, angles: np.ndarray, centre: np.ndarray,
          closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (L*A, 3) and faces of a tube with radius radii[l, a] at height levels[l]."""
    n_lev, n_ang = radii.shape
    x = centre[0] + radii * np.cos(angles)[None]
    y = centre[1] + radii * np.sin(angles)[None]
    z = np.broadcast_to(levels[:, None], radii.shape)
    verts = np.stack([x, y, z], axis=-1).reshape(-1, 3)
    faces = []
    cols = n_ang if closed else n_ang - 1
    for lev in range(n_lev - 1):
        for a in range(cols):
            i00, i01 = lev * n_ang + a, lev * n_ang + (a + 1) % n_ang
            i10, i11 = i00 + n_ang, i01 + n_ang
            faces += [(i00, i10, i11), (i00, i11, i01)]
    return verts, np.array(faces, dtype=np.int64)


def skirt_shell(posed: np.ndarray, parts: np.ndarray, top_z: float, hem_z: float, slack: float, flare: float,
                label: int, material: str, n_levels: int = 14, n_angles: int = 64) -> Shell:
    """A skirt hanging from `top_z` to `hem_z`: never narrower than the widest body level above it."""
    body = np.isin(parts, (Part.TORSO,) + LEFT_LEG + RIGHT_LEG)
    pts = posed[body]
    angles = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    levels = np.linspace(top_z, hem_z, n_levels)
    band = max(abs(top_z - hem_z) / (n_levels - 1), 0.01)
    near_top = pts[np.abs(pts[:, 2] - top_z) < 0.05]
    centre = near_top[:, :2].mean(axis=0) if len(near_top) else pts[:, :2].mean(axis=0)
    radii = np.zeros((n_levels, n_angles))
    for i, z in enumerate(levels):
        sel = pts[np.abs(pts[:, 2] - z) < band]
        radii[i] = _radial_profile(sel[:, :2], centre, angles)
    radii = np.maximum.accumulate(radii, axis=0)  # cloth hangs from the widest level above
    t = np.linspace(0.0, 1.0, n_levels)[:, None]
    radii = radii * (1.0 + flare * t) + slack
    verts, faces = _tube(radii, levels, angles, centre, closed=True)
    return Shell(verts, faces, np.full(len(faces), label, np.uint8), material, verts - [centre[0], centre[1], 0])


def long_hair_shell(posed: np.ndarray, parts: np.ndarray, keypoints: np.ndarray, bottom_z: float,
                    thickness: float, material: str, n_levels: int = 10, n_angles: int = 40) -> Shell:
    """A curtain of hair behind the head and neck from ear level down to `bottom_z`."""
    ears = keypoints[[KEYPOINT_ID["left_ear"], KEYPOINT_ID["right_ear"]]]
    ear_mid = ears.mean(axis=0)
    forward = keypoints[KEYPOINT_ID["nose"], :2] - ear_mid[:2]
    forward /= max(np.linalg.norm(forward), 1e-9)
    back_angle = np.arctan2(-forward[1], -forward[0])
    angles = back_angle + np.linspace(-0.48 * np.pi, 0.48 * np.pi, n_angles)
    head = posed[np.isin(parts, (Part.HEAD, Part.HAIR))]
    centre = ear_mid[:2]
    top_z = float(ear_mid[2]) + 0.02
    head_r = _radial_profile(head[np.abs(head[:, 2] - ear_mid[2]) < 0.04][:, :2], centre, angles)
    half_width = float(np.linalg.norm(ears[0, :2] - ears[1, :2])) / 2 + thickness
    levels = np.linspace(top_z, bottom_z, n_levels)
    body = posed[np.isin(parts, (Part.TORSO, Part.HEAD, Part.HAIR))]
    radii = np.zeros((n_levels, n_angles))
    side = np.abs(np.sin(angles - back_angle))
    for i, z in enumerate(levels):
        sel = body[np.abs(body[:, 2] - z) < 0.03]
        body_r = _radial_profile(sel[:, :2], centre, angles)
        r = np.maximum(head_r, body_r) + thickness
        # Hair falls straight down behind: no wider than the head.
        radii[i] = np.minimum(r, half_width / np.maximum(side, 1e-3))
    verts, faces = _tube(radii, levels, angles, centre, closed=False)
    return Shell(verts, faces, np.full(len(faces), LIP_ID["hair"], np.uint8), material,
                 verts - [centre[0], centre[1], 0])


SKIN_TIGHT_SLACK_M = 0.003  # garments this close to the skin are compression wear, leggings, swimwear
WAISTBAND_M = 0.006  # the trousers' waistband (and the cloth folded over it) under an everyday top
SKIN_TIGHT_WAISTBAND_M = 0.002  # a leggings' elastic under a skin-tight top: the top does not billow over it


def waistband_m(upper: Garment, lower: Garment) -> float:
    """How far a top lies outside the trousers over their waistband: thin when both are skin-tight."""
    tight = max(upper.slack_m, lower.slack_m) <= SKIN_TIGHT_SLACK_M
    return SKIN_TIGHT_WAISTBAND_M if tight else WAISTBAND_M


def dress_body(posed: np.ndarray, rest: np.ndarray, faces: np.ndarray, parts: np.ndarray, regions: BodyRegions,
               keypoints: np.ndarray, look: Look) -> tuple[np.ndarray, np.ndarray, list[Shell]]:
    """LIP labels of the bare body's faces, which body faces lie under a tight garment, and the shells."""
    normals = vertex_normals(posed, faces)
    face_parts = np.where(parts[faces[:, 1]] == parts[faces[:, 2]], parts[faces[:, 1]], parts[faces[:, 0]])
    lut = np.zeros(len(Part), np.uint8)
    for part, lip in PART_TO_LIP.items():
        lut[part] = lip
    lut[Part.HAIR] = LIP_ID["face"] if look.hair == "none" else LIP_ID["hair"]
    skin_labels = lut[face_parts]
    shells: list[Shell] = []
    hidden = np.zeros(len(faces), bool)
    torso = parts == Part.TORSO
    z = regions.z

    lower, upper = look.lower, look.upper
    waist_z = regions.waist_z - 0.25 * (regions.waist_z - regions.hip_z)  # trousers sit a little low
    if lower is not None and lower.kind in ("pants", "shorts"):
        covered = (torso & (z < waist_z)) | (regions.leg_t < lower.extent)
        shells.append(_offset_shell(posed, normals, faces, covered, lower.slack_m,
                                    np.full(len(faces), LIP_ID["pants"], np.uint8), "lower", rest, hidden))
    hem_z = waist_z
    if lower is not None and lower.kind in ("skirt", "dress"):
        label = LIP_ID["dress"] if lower.kind == "dress" else LIP_ID["skirt"]
        top = regions.waist_z if lower.kind == "dress" else waist_z
        skirt_hem = regions.hip_z - lower.extent * (regions.hip_z - regions.knee_z)
        skirt_hem = max(min(skirt_hem, regions.hip_z - 0.1), regions.ankle_z + 0.05)
        shells.append(skirt_shell(posed, parts, top, skirt_hem, lower.slack_m, lower.flare, label, "lower"))
        covered = torso & (z < top + 0.02)  # the body under the skirt's waistband
        shells.append(_offset_shell(posed, normals, faces, covered, lower.slack_m * 0.5,
                                    np.full(len(faces), label, np.uint8), "lower", rest))
        hem_z = top
    if upper is not None:
        if upper.kind == "coat":
            top_hem = regions.hip_z - 0.12
            label = LIP_ID["coat"]
        elif upper.kind == "dress_top":
            top_hem = regions.waist_z - 0.01
            label = LIP_ID["dress"]
        else:
            top_hem = hem_z - 0.06
            label = LIP_ID["upper_clothes"]
        covered = (torso & (z >= top_hem)) | (regions.arm_t < upper.extent)
        slack = np.full(len(posed), upper.slack_m)
        if lower is not None:  # over the trousers' waistband the top must lie outside them
            slack[z < hem_z + 0.05] = np.maximum(upper.slack_m, lower.slack_m + waistband_m(upper, lower))
        shells.append(_offset_shell(posed, normals, faces, covered, slack, np.full(len(faces), label, np.uint8),
                                    "upper", rest, hidden))
    feet = np.isin(parts, (Part.LEFT_FOOT, Part.RIGHT_FOOT)) | (
        np.isin(parts, (Part.LEFT_CALF, Part.RIGHT_CALF)) & (z < regions.ankle_z + look.shoe_height))
    hidden |= feet[faces].all(axis=1)
    for side_parts, label in (((Part.LEFT_FOOT, Part.LEFT_CALF), LIP_ID["left_shoe"]),
                              ((Part.RIGHT_FOOT, Part.RIGHT_CALF), LIP_ID["right_shoe"])):
        shells.append(shoe_shell(posed[feet & np.isin(parts, side_parts)], label))
    if look.hair != "none":
        scalp = parts == Part.HAIR
        shells.append(_offset_shell(posed, normals, faces, scalp, look.hair_thickness_m,
                                    np.full(len(faces), LIP_ID["hair"], np.uint8), "hair", rest, hidden))
        if look.hair == "long":
            bottom = regions.ear_z - (0.1 + 0.35 * look.hair_length) * (regions.ear_z - regions.waist_z)
            shells.append(long_hair_shell(posed, parts, keypoints, bottom, look.hair_thickness_m, "hair"))
    return skin_labels, hidden, [s for s in shells if s is not None]
