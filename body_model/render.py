"""Photo-like synthetic renders of a body with clothes, with their LIP label map and keypoints.

Used by tests, the sample photos, parser training and the fitting round-trip benchmark: the truth
(body shape, camera, label map, keypoints) is known exactly. Clothing stands off the skin by a
garment-dependent slack (body_model.garments), so clothing pixels lie outside the bare body's
silhouette, as in real photos. Views: 'front' (the person faces the camera), 'back' (the person
turned 180 degrees, same camera), 'side' (turned a quarter turn to their right: their left side
faces the camera and they face the image's left). Labels stay the person's own left/right.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import roma
import torch

from body_model.camera import Camera, default_focal_px, distance_for_height, person_camera
from body_model.garments import Shell, body_regions, dress_body, vertex_normals
from body_model.looks import Look, Material, random_look
from body_model.model import BodyModel, BodyPose, BodyShape
from body_model.raster import rasterize

VIEW_YAW: dict[str, float] = {"front": 0.0, "back": math.pi, "side": -math.pi / 2}  # about world z
OCCLUSION_MARGIN_M = 0.12  # a joint centre lies at most this far behind its own limb's visible surface


@dataclass
class SyntheticPhoto:
    rgb: np.ndarray  # (H, W, 3) uint8
    labels: np.ndarray  # (H, W) uint8 LIP ids
    mask: np.ndarray  # (H, W) bool: the dressed person (labels > 0)
    body_mask: np.ndarray  # (H, W) bool: the bare body's silhouette (inside the dressed one)
    keypoints: np.ndarray  # (21, 3) x, y pixels and visibility: 1 seen, 0.5 hidden behind the body, 0 off-image
    camera: Camera
    view: str
    look: Look
    pose: BodyPose  # global_rotation includes the view's turn
    vertices: np.ndarray  # (V, 3) world vertices of the posed bare body


def view_rotation(view: str) -> np.ndarray:
    """(3,) axis-angle turning a front-facing body into `view` (rotation about the vertical)."""
    if view not in VIEW_YAW:
        raise ValueError(f"view must be one of {sorted(VIEW_YAW)}, got {view!r}")
    return np.array([0.0, 0.0, VIEW_YAW[view]])


def random_standing_pose(model: BodyModel, rng: np.random.Generator) -> BodyPose:
    """A relaxed standing pose near the rest A-pose: arms a little lowered or raised, elbows and legs varied."""
    names = model.pose_joint_names
    rot = np.zeros((len(names), 3))

    def set_joint(name: str, value) -> None:
        if name in names:
            rot[names.index(name)] = value

    arm = rng.uniform(-0.15, 0.35)  # > 0 lowers the arms towards the body
    set_joint("left_shoulder", [0.0, arm + rng.normal(0, 0.04), 0.0])
    set_joint("right_shoulder", [0.0, -arm + rng.normal(0, 0.04), 0.0])
    set_joint("left_elbow", [rng.normal(0, 0.08), rng.uniform(0.0, 0.15), 0.0])
    set_joint("right_elbow", [rng.normal(0, 0.08), -rng.uniform(0.0, 0.15), 0.0])
    leg = rng.uniform(-0.03, 0.08)  # > 0 spreads the legs
    set_joint("left_hip", [0.0, -leg, 0.0])
    set_joint("right_hip", [0.0, leg, 0.0])
    t = lambda a: torch.tensor(np.asarray(a), dtype=torch.float32)[None]  # noqa: E731
    return BodyPose(t(rot), t(np.zeros(3)), t(np.zeros(3)))


# ---- pixels ------------------------------------------------------------------------------------

def _lowres_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int, channels: int = 1) -> np.ndarray:
    import cv2

    h, w = shape
    small = rng.normal(0, 1, (max(2, cells * h // max(h, w)), max(2, cells * w // max(h, w)), channels))
    out = cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    return out.reshape(h, w, channels)


def _background(look: Look, camera: Camera, rng: np.random.Generator) -> np.ndarray:
    h, w = camera.height, camera.width
    c1, c2 = (np.array(c, dtype=np.float32) for c in look.background_colours)
    rows = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    if look.background == "gradient":
        img = c1 * (1 - rows) + c2 * rows + np.zeros((1, w, 1), np.float32)
        img += _lowres_noise(rng, (h, w), 4, 3) * 6
    elif look.background == "wall":
        horizon = camera.project(np.array([[0.0, 1.2, 0.0]]))[0, 1]  # floor line ~1 m behind the person
        horizon = float(np.clip(horizon, h * 0.5, h - 1))
        wall = c1 + _lowres_noise(rng, (h, w), 6, 1) * 5
        floor = c2 + _lowres_noise(rng, (h, w), 12, 1) * 10
        below = (np.arange(h)[:, None, None] > horizon).astype(np.float32)
        img = wall * (1 - below) + floor * below
        skirting = (np.abs(np.arange(h) - horizon + 4) < 4)[:, None]
        img[skirting.repeat(w, axis=1)] = 0.8 * c1 + 40
    else:
        mix = _lowres_noise(rng, (h, w), 10, 1)
        img = c1 + (c2 - c1) * (0.5 + 0.35 * np.tanh(mix)) + _lowres_noise(rng, (h, w), 30, 3) * 10
        for _ in range(int(rng.integers(1, 5))):  # furniture-like blocks
            x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
            bw, bh = int(rng.integers(w // 10, w // 3)), int(rng.integers(h // 10, h // 2))
            img[y0:y0 + bh, x0:x0 + bw] = rng.uniform(30, 230, 3)
    return np.clip(img, 0, 255).astype(np.float32)


def _pattern(mat: Material, coords: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N,) weights of colour2 for points with body-attached coordinates (N, 3)."""
    p = max(mat.period_m, 1e-3)
    if mat.pattern == "stripes":
        return (np.sin(2 * np.pi * coords[:, 2] / p) > 0.3).astype(np.float32)
    if mat.pattern == "checks":
        s = np.sin(2 * np.pi * coords[:, 2] / p) * np.sin(2 * np.pi * (coords[:, 0] + coords[:, 1]) / p)
        return (s > 0).astype(np.float32) * 0.6
    if mat.pattern == "speckle":
        return (rng.random(len(coords)) < 0.15).astype(np.float32) * 0.4
    return np.zeros(len(coords), np.float32)


@dataclass
class _Scene:
    vertices: np.ndarray
    faces: np.ndarray
    labels: np.ndarray
    material: np.ndarray  # (F,) index into materials
    texture: np.ndarray  # (V, 3)
    normals: np.ndarray  # (V, 3)


def _assemble(body_verts: np.ndarray, body_faces: np.ndarray, body_labels: np.ndarray, rest: np.ndarray,
              shells: list[Shell], names: list[str]) -> _Scene:
    verts, faces, labels, mats, tex, norms = [body_verts], [body_faces], [body_labels], [], [rest], []
    mats.append(np.full(len(body_faces), names.index("skin")))
    norms.append(vertex_normals(body_verts, body_faces))
    offset = len(body_verts)
    for shell in shells:
        verts.append(shell.vertices)
        faces.append(shell.faces + offset)
        labels.append(shell.labels)
        mats.append(np.full(len(shell.faces), names.index(shell.material)))
        tex.append(shell.texture_coords)
        norms.append(vertex_normals(shell.vertices, shell.faces))
        offset += len(shell.vertices)
    return _Scene(np.concatenate(verts), np.concatenate(faces), np.concatenate(labels), np.concatenate(mats),
                  np.concatenate(tex), np.concatenate(norms))


def render_person(model: BodyModel, shape: BodyShape, pose: BodyPose | None = None, view: str = "front",
                  image_size: tuple[int, int] = (512, 384), focal_px: float | None = None,
                  distance_m: float | None = None, look: Look | None = None,
                  rng: np.random.Generator | int | None = None) -> SyntheticPhoto:
    """Render one clothed person (batch-1 shape) as a photo with its LIP labels, masks and keypoints.

    pose: limb rotations and an extra global rotation/translation (None: the rest A-pose); the
    view's turn is added on top. focal_px: default a 26 mm-equivalent phone lens for the image
    size. distance_m: default so the person fills 72-90% of the image height. look: default drawn
    from `rng` (garments, colours, hair, background, lighting, noise); pass the same look for several
    views of one person (or use `render_views`).
    """
    import cv2

    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    height, width = image_size
    if shape.phenotypes.shape[0] != 1:
        raise ValueError("render_person renders one body: pass a batch-1 BodyShape")
    pose = pose if pose is not None else model.zero_pose()
    look = look if look is not None else random_look(rng, float(shape.phenotypes[0, 0]))

    with torch.no_grad():
        rest_out = model.rest(shape)
        local_pose = BodyPose(pose.joint_rotations, torch.zeros_like(pose.global_rotation),
                              torch.zeros_like(pose.translation))
        posed_out = model(shape, local_pose)
    rest = rest_out.vertices[0].numpy().astype(np.float64)
    posed = posed_out.vertices[0].numpy().astype(np.float64)
    kp_local = posed_out.keypoints[0].numpy().astype(np.float64)
    faces, parts = model.faces, model.vertex_parts
    regions = body_regions(rest, rest_out.keypoints[0].numpy().astype(np.float64), parts)
    skin_labels, hidden, shells = dress_body(posed, rest, faces, parts, regions, kp_local, look)

    # Global placement: the caller's rotation, then the view's turn about the vertical.
    r_view = roma.rotvec_to_rotmat(torch.tensor(view_rotation(view), dtype=torch.float64))
    r_user = roma.rotvec_to_rotmat(pose.global_rotation[0].detach().to(torch.float64))
    rot = (r_view @ r_user).numpy()
    trans = pose.translation[0].detach().numpy().astype(np.float64)
    total_rotvec = roma.rotmat_to_rotvec(torch.tensor(rot)).to(torch.float32)[None]
    world_pose = BodyPose(pose.joint_rotations.detach().clone(), total_rotvec, pose.translation.detach().clone())

    def place(p: np.ndarray) -> np.ndarray:
        return p @ rot.T + trans

    names = ["skin", "upper", "lower", "shoes", "hair"]
    materials = [look.skin, look.upper.material if look.upper else look.skin,
                 look.lower.material if look.lower else look.skin, look.shoes, look.hair_material]
    scene = _assemble(place(posed), faces[~hidden], skin_labels[~hidden], rest, [
        Shell(place(s.vertices), s.faces, s.labels, s.material, s.texture_coords) for s in shells], names)

    stature = float(rest[:, 2].max())
    focal = focal_px if focal_px is not None else default_focal_px(width, height)
    if distance_m is None:
        distance_m = distance_for_height(stature, float(rng.uniform(0.72, 0.9)) * height, focal)
    cam_height = float(rng.uniform(0.45, 0.7)) * stature + trans[2]
    aim = stature * float(rng.uniform(0.47, 0.53)) + trans[2]
    camera = person_camera(focal, width, height, distance_m, cam_height, aim_height_m=aim)

    n_body = int((~hidden).sum())
    body_faces_only = np.arange(len(scene.faces)) < n_body  # closed body: cull; open shells: keep both sides
    raster = rasterize(scene.vertices, scene.faces, camera, scene.labels, cull_backfaces=body_faces_only,
                       with_barycentric=True)
    body_raster = rasterize(place(posed), faces, camera, cull_backfaces=True)

    rgb = _background(look, camera, rng)
    pix = raster.mask
    fidx = raster.face_index[pix]
    tri = scene.faces[fidx]
    bary = raster.barycentric[pix]
    normal = (scene.normals[tri] * bary[..., None]).sum(axis=1)
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-9)
    ys, xs = np.nonzero(pix)
    view_dir = np.stack([(xs - camera.cx) / camera.focal_px, (ys - camera.cy) / camera.focal_px,
                         np.ones(len(xs))], axis=1) @ camera.rotation  # camera rays in world
    flip = (normal * view_dir).sum(axis=1) > 0
    normal[flip] *= -1
    light = np.asarray(look.light_dir, dtype=np.float64)
    light /= np.linalg.norm(light)
    shade = look.ambient + (1 - look.ambient) * np.clip(normal @ light, 0, 1)
    coords = (scene.texture[tri] * bary[..., None]).sum(axis=1)
    colour = np.zeros((len(xs), 3), np.float32)
    mat_ids = scene.material[fidx]
    for i, mat in enumerate(materials):
        sel = mat_ids == i
        if not sel.any():
            continue
        w2 = _pattern(mat, coords[sel], rng)[:, None]
        base = np.array(mat.colour, np.float32) * (1 - w2) + np.array(mat.colour2, np.float32) * w2
        grain = 1 + mat.roughness * rng.normal(0, 1, (int(sel.sum()), 1)).astype(np.float32)
        colour[sel] = base * grain
    person = colour * shade[:, None].astype(np.float32)
    # Soft contact shadow under the feet.
    feet = camera.project(np.array([place(kp_local)[15:17].mean(axis=0) * [1, 1, 0]]))[0]
    yy, xx = np.mgrid[0:height, 0:width]
    shadow = np.exp(-(((xx - feet[0]) / (0.12 * width)) ** 2 + ((yy - feet[1]) / (0.02 * height)) ** 2))
    rgb *= (1 - 0.35 * shadow[..., None]).astype(np.float32)
    rgb[ys, xs] = person
    rgb = cv2.GaussianBlur(rgb, (0, 0), look.blur_sigma) if look.blur_sigma > 0 else rgb
    rgb = rgb + rng.normal(0, look.noise_sigma, rgb.shape).astype(np.float32)
    rgb = np.clip(rgb, 0, 255).astype(np.uint8)

    keypoints = _keypoints_2d(place(kp_local), camera, body_raster.depth)
    return SyntheticPhoto(rgb=rgb, labels=raster.labels.astype(np.uint8), mask=raster.labels > 0,
                          body_mask=body_raster.mask, keypoints=keypoints, camera=camera, view=view, look=look,
                          pose=world_pose, vertices=place(posed))


def render_views(model: BodyModel, shape: BodyShape, views: tuple[str, ...] = ("front", "back"),
                 pose: BodyPose | None = None, look: Look | None = None,
                 rng: np.random.Generator | int | None = None, **options) -> dict[str, SyntheticPhoto]:
    """Several photos of one dressed person (same look and pose, one draw of `rng` each for camera/noise)."""
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    look = look if look is not None else random_look(rng, float(shape.phenotypes[0, 0]))
    return {view: render_person(model, shape, pose=pose, view=view, look=look, rng=rng, **options)
            for view in views}


def _keypoints_2d(points: np.ndarray, camera: Camera, body_depth: np.ndarray) -> np.ndarray:
    xy = camera.project(points)
    depth = camera.to_camera(points)[:, 2]
    out = np.zeros((len(points), 3), np.float32)
    out[:, :2] = xy
    h, w = body_depth.shape
    for i, ((x, y), d) in enumerate(zip(xy, depth, strict=True)):
        col, row = int(round(x)), int(round(y))
        if not (0 <= col < w and 0 <= row < h):
            continue
        surface = body_depth[max(row - 1, 0):row + 2, max(col - 1, 0):col + 2]
        out[i, 2] = 1.0 if d <= float(surface.min()) + OCCLUSION_MARGIN_M else 0.5
    return out
