"""ISO 8559-1 body measurements on a standing rest-pose mesh: `measure_body(vertices, faces, vertex_parts)`.

The mesh is in metres, z up, facing -y, in the rest A-pose of `body_model` (arms away from the
torso), with per-vertex `body_model.parts.Part` labels. Levels and landmarks come from
`measure.landmarks` (anatomy found on the mesh), tape geometry from `measure.girth`, and the
definitions (what each name means) from `measure.definitions`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from body_model.parts import Part
from measure.definitions import DEFINITIONS
from measure.girth import Section, hull_arc_length_2d, hull_girth, hull_perimeter_2d, plane_basis
from measure.landmarks import (
    HEAD,
    SIDES,
    TRUNK,
    TRUNK_AND_HEAD,
    TRUNK_AND_THIGHS,
    UPPER_BODY,
    BodyMesh,
    LandmarkError,
    Landmarks,
    find_landmarks,
    side_parts,
)


@dataclass
class Measurement:
    """One measurement in cm; `sides_cm` holds (left, right) for paired limb measures (value = their mean)."""

    name: str
    value_cm: float
    kind: str
    definition: str
    sides_cm: tuple[float, float] | None = None

    def to_dict(self) -> dict:
        out = {"value_cm": round(self.value_cm, 2), "kind": self.kind, "definition": self.definition}
        if self.sides_cm is not None:
            out["left_cm"], out["right_cm"] = (round(v, 2) for v in self.sides_cm)
        return out


@dataclass
class Measurements:
    """All measurements of one body, by name, plus the landmarks (metres, mesh frame) they were taken at."""

    values: dict[str, Measurement]
    sex: str | None = None
    landmarks: dict[str, list[float]] = field(default_factory=dict)
    levels_m: dict[str, float] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Measurement:
        return self.values[name]

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)

    def cm(self, name: str) -> float:
        return self.values[name].value_cm

    def as_cm(self) -> dict[str, float]:
        """{name: value in cm}: what size recommendation and tables need."""
        return {name: m.value_cm for name, m in self.values.items()}

    def to_dict(self) -> dict:
        return {
            "sex": self.sex,
            "measurements": {name: m.to_dict() for name, m in self.values.items()},
            "landmarks_m": self.landmarks,
            "levels_m": self.levels_m,
        }


def measure_body(vertices: np.ndarray, faces: np.ndarray, vertex_parts: np.ndarray,
                 sex: str | None = None) -> Measurements:
    """Measure a rest-pose body mesh: (V, 3) metres z-up facing -y, (F, 3) triangles, (V,) Part ids.

    `sex` ('male'/'female' or None) is only recorded: every measurement is taken on every body.
    Raises `measure.landmarks.LandmarkError` when the mesh is not a labelled standing body.
    """
    mesh = BodyMesh(vertices, faces, vertex_parts)
    lm = find_landmarks(mesh)
    values_m: dict[str, float | tuple[float, float]] = {}
    values_m.update(_trunk_girths(mesh, lm))
    values_m.update(_limb_girths(mesh, lm))
    values_m.update(_lengths(mesh, lm))
    values: dict[str, Measurement] = {}
    for name, definition in DEFINITIONS.items():
        v = values_m[name]
        if not np.all(np.isfinite(v)) or np.min(v) <= 0.0:
            raise LandmarkError(f"{name} could not be measured on this mesh (got {v}): is it a standing body "
                                "in the rest A-pose with labelled parts?")
        sides = None
        if isinstance(v, tuple):
            sides = (100.0 * v[0], 100.0 * v[1])
            value = 0.5 * (sides[0] + sides[1])
        else:
            value = 100.0 * float(v)
        values[name] = Measurement(name, value, definition.kind, definition.text, sides)
    landmarks = {k: [round(float(c), 5) for c in p] for k, p in lm.points.items()}
    levels = {k: round(float(z - mesh.floor), 5) for k, z in lm.levels.items()}
    return Measurements(values, sex, landmarks, levels)


# --- girths -------------------------------------------------------------------------------------

def _horizontal_girth(mesh: BodyMesh, z: float, parts: tuple[int, ...]) -> float:
    return hull_girth(mesh.horizontal(z, parts))


def _scan(lo: float, hi: float, n: int) -> np.ndarray:
    return np.linspace(lo, hi, n)


def _thigh_girth(mesh: BodyMesh, lm: Landmarks, side: str) -> float:
    thigh, other = side_parts(side)["thigh"], side_parts("right" if side == "left" else "left")["thigh"]
    sign = 1.0 if side == "left" else -1.0
    crotch = lm.levels["crotch"]
    best = 0.0
    for z in _scan(crotch - 0.05 * mesh.stature, crotch - 0.005, 12):
        sec = mesh.horizontal(z, TRUNK_AND_THIGHS)
        if sec.n_components == 0:
            continue
        sp = mesh.segment_parts(sec)
        counts = np.bincount(sec.component[sp == thigh], minlength=sec.n_components)
        if counts.max() == 0:
            continue
        mask = sec.component == int(np.argmax(counts))
        if np.count_nonzero(mask & (sp == other)) > 0.2 * np.count_nonzero(mask):
            # The thighs touch: one loop holds both, so keep this side of the mid-line.
            mask &= sign * (sec.segments.mean(axis=1)[:, 0] - mesh.x_mid) > 0
        best = max(best, hull_girth(sec, mask))
    return best


def _nearest_component_girth(sec: Section, origin: np.ndarray) -> float:
    if sec.n_components == 0:
        return np.nan
    centres = np.array([sec.segments[sec.component == c].reshape(-1, 3).mean(axis=0)
                        for c in range(sec.n_components)])
    c = int(np.argmin(np.linalg.norm(centres - origin, axis=1)))
    return hull_girth(sec, sec.component == c)


def _limb_girth(mesh: BodyMesh, p0: np.ndarray, p1: np.ndarray, parts: tuple[int, ...],
                ts: np.ndarray, largest: bool, normal: np.ndarray | None = None) -> float:
    """Max (or min) girth of a limb over planes perpendicular to its axis p0->p1 at fractions ts."""
    axis = p1 - p0
    n = axis / np.linalg.norm(axis) if normal is None else normal / np.linalg.norm(normal)
    girths = np.array([_nearest_component_girth(mesh.plane(p0 + t * axis, n, parts), p0 + t * axis) for t in ts])
    girths = girths[np.isfinite(girths) & (girths > 0)]
    if len(girths) == 0:
        return np.nan
    return float(girths.max() if largest else girths.min())


def _trunk_girths(mesh: BodyMesh, lm: Landmarks) -> dict[str, float | tuple[float, float]]:
    out: dict[str, float | tuple[float, float]] = {
        "chest_girth": _horizontal_girth(mesh, lm.levels["chest"], TRUNK),
        "bust_girth": _horizontal_girth(mesh, lm.levels["bust"], TRUNK),
        "underbust_girth": _horizontal_girth(mesh, lm.levels["underbust"], TRUNK),
        "waist_girth": _horizontal_girth(mesh, lm.levels["waist"], TRUNK),
        "hip_girth": _horizontal_girth(mesh, lm.levels["hip"], TRUNK_AND_THIGHS),
    }
    ring = lm.neck_ring
    out["neck_girth"] = hull_perimeter_2d(ring @ plane_basis(lm.neck_normal).T)
    h = mesh.stature
    out["head_girth"] = max(_horizontal_girth(mesh, z, HEAD) for z in _scan(mesh.top - 0.055 * h,
                                                                             mesh.top - 0.03 * h, 8))
    out["thigh_girth"] = tuple(_thigh_girth(mesh, lm, s) for s in SIDES)
    return out


def _limb_girths(mesh: BodyMesh, lm: Landmarks) -> dict[str, float | tuple[float, float]]:
    per_side: dict[str, list[float]] = {k: [] for k in ("knee_girth", "calf_girth", "ankle_girth", "upper_arm_girth",
                                                          "elbow_girth", "wrist_girth")}
    for side in SIDES:
        sp = side_parts(side)
        sh, el, wr = (lm.points[f"{k}_{side}"] for k in ("shoulder_joint", "elbow", "wrist"))
        hip, kn, an = (lm.points[f"{k}_{side}"] for k in ("hip_joint", "knee", "ankle"))
        arm_dir = (el - sh) / np.linalg.norm(el - sh) + (wr - el) / np.linalg.norm(wr - el)
        leg_dir = (kn - hip) / np.linalg.norm(kn - hip) + (an - kn) / np.linalg.norm(an - kn)
        per_side["upper_arm_girth"].append(
            _limb_girth(mesh, sh, el, (sp["upper_arm"],), np.linspace(0.4, 0.75, 5), largest=True))
        per_side["elbow_girth"].append(
            _limb_girth(mesh, el, wr, (sp["upper_arm"], sp["forearm"]), np.array([0.0]), True, arm_dir))
        per_side["wrist_girth"].append(
            _limb_girth(mesh, el, wr, (sp["forearm"], sp["hand"]), np.linspace(0.8, 1.0, 5), largest=False))
        per_side["knee_girth"].append(
            _limb_girth(mesh, kn, an, (sp["thigh"], sp["calf"]), np.array([0.0]), True, leg_dir))
        per_side["calf_girth"].append(
            _limb_girth(mesh, kn, an, (sp["calf"],), np.linspace(0.1, 0.6, 8), largest=True))
        per_side["ankle_girth"].append(
            _limb_girth(mesh, kn, an, (sp["calf"], sp["foot"]), np.linspace(0.6, 0.95, 8), largest=False))
    return {k: (v[0], v[1]) for k, v in per_side.items()}


# --- lengths ------------------------------------------------------------------------------------

def _plane_through(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    n = np.cross(b - a, c - a)
    return n / np.linalg.norm(n)


SHOULDER_GIRDLE = (Part.TORSO, Part.LEFT_UPPER_ARM, Part.RIGHT_UPPER_ARM)


def _outer_point(mesh: BodyMesh, part_a: int, part_b: int, sign: float) -> np.ndarray:
    """The most lateral vertex on the border between two parts (the outside of a joint)."""
    p = mesh.vertex_parts[mesh.faces]
    both = (p == part_a).any(axis=1) & (p == part_b).any(axis=1)
    ring = mesh.vertices[np.unique(mesh.faces[both])]
    return ring[np.argmax(sign * (ring[:, 0] - mesh.x_mid))]


def _sagittal_segments(mesh: BodyMesh, x: float, parts: tuple[int, ...]) -> np.ndarray:
    """(S, 2, 2) (y, z) segments of the vertical front-back section at x."""
    sec = mesh.plane(np.array([x, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]), parts)
    return sec.segments[:, :, 1:]


def _profile_at(seg: np.ndarray, z: float, back: bool) -> np.ndarray:
    """The back (max y) or front (min y) point where a sagittal section crosses height z."""
    z0, z1 = seg[:, 0, 1], seg[:, 1, 1]
    hit = (np.minimum(z0, z1) <= z) & (np.maximum(z0, z1) >= z) & (z0 != z1)
    if not hit.any():
        raise LandmarkError(f"the mid-line section does not reach height {z:.3f} m")
    t = (z - z0[hit]) / (z1[hit] - z0[hit])
    y = seg[hit, 0, 0] + t * (seg[hit, 1, 0] - seg[hit, 0, 0])
    return np.array([y.max() if back else y.min(), z])


def _lengths(mesh: BodyMesh, lm: Landmarks) -> dict[str, float | tuple[float, float]]:
    pts = lm.points
    out: dict[str, float | tuple[float, float]] = {
        "stature": mesh.stature,
        "inside_leg": lm.levels["crotch"] - mesh.floor,
        "biacromial_breadth": float(np.linalg.norm(pts["acromion_left"] - pts["acromion_right"])),
    }
    a_l, a_r, c7 = pts["acromion_left"], pts["acromion_right"], pts["c7"]

    # Over the back: acromion - C7 - acromion.
    # Torso and upper arms only, up to just above C7: a plane through C7 and acromions that sit far
    # forward stands almost upright and would otherwise carry the tape over the head.
    sec = mesh.plane(c7, _plane_through(a_l, a_r, c7), SHOULDER_GIRDLE)
    p3 = sec.points()
    p2 = sec.to_2d(p3[p3[:, 2] <= c7[2] + 0.01])
    al2, ar2, c72 = sec.to_2d(np.stack([a_l, a_r, c7]))
    out["shoulder_width"] = hull_arc_length_2d(p2, al2, ar2, c72 - 0.5 * (al2 + ar2))
    centre = p2.mean(axis=0)
    neck_to_acromion = {
        s: hull_arc_length_2d(p2, c72, a2, 0.5 * (c72 + a2) - centre) for s, a2 in (("left", al2), ("right", ar2))
    }

    # Across back, halfway between C7 and the armpits, between the posterior armpit folds, which lie
    # about below the acromions (ANSUR: interscye across the back ~ biacromial breadth + the back's curve).
    z = 0.5 * (lm.levels["c7"] + lm.levels["axilla"])
    xy = mesh.horizontal(z, UPPER_BODY).points()[:, :2]
    x_lo, x_hi = pts["acromion_right"][0], pts["acromion_left"][0]
    back = xy[(xy[:, 1] > mesh.y_mid) & (xy[:, 0] >= x_lo) & (xy[:, 0] <= x_hi)]
    if len(back) >= 2:
        start, end = back[np.argmin(back[:, 0])], back[np.argmax(back[:, 0])]
        out["across_back"] = hull_arc_length_2d(back, start, end, np.array([0.0, 1.0]))
    else:
        out["across_back"] = np.nan

    # Arm: acromion over the outside of the elbow to the wrist.
    arm, sleeve, outside, front_waist, shoulder = [], [], [], [], []
    waist_z = lm.levels["waist"]
    for side, sign in (("left", 1.0), ("right", -1.0)):
        sp = side_parts(side)
        acr = pts[f"acromion_{side}"]
        elbow = _outer_point(mesh, sp["upper_arm"], sp["forearm"], sign)
        wrist = _outer_point(mesh, sp["forearm"], sp["hand"], sign)
        length = float(np.linalg.norm(elbow - acr) + np.linalg.norm(wrist - elbow))
        arm.append(length)
        sleeve.append(neck_to_acromion[side] + length)
        outside.append(_outside_leg(mesh, lm, side, sign))
        snp, bust = pts[f"side_neck_{side}"], pts[f"bust_{side}"]
        seg = _sagittal_segments(mesh, float(bust[0]), TRUNK)
        waist_front = _profile_at(seg, waist_z, back=False)
        down = hull_arc_length_2d(seg.reshape(-1, 2), bust[1:], waist_front, np.array([-1.0, 0.0]))
        front_waist.append(float(np.linalg.norm(bust - snp)) + down)
        shoulder.append(_shoulder_length(mesh, lm, side, sign))
    out["arm_length"] = (arm[0], arm[1])
    out["neck_to_wrist"] = (sleeve[0], sleeve[1])
    out["outside_leg"] = (outside[0], outside[1])
    out["front_waist_length"] = (front_waist[0], front_waist[1])
    out["shoulder_length"] = (shoulder[0], shoulder[1])

    # Mid-line lengths: C7 down the back to the waist; front waist through the crotch to the back waist.
    seg = _sagittal_segments(mesh, mesh.x_sagittal, TRUNK_AND_HEAD)
    back_waist = _profile_at(seg, waist_z, back=True)
    out["back_waist_length"] = hull_arc_length_2d(seg.reshape(-1, 2), c7[1:], back_waist, np.array([1.0, 0.0]))
    seg = _sagittal_segments(mesh, mesh.x_sagittal, TRUNK_AND_THIGHS)
    front, back_pt = _profile_at(seg, waist_z, back=False), _profile_at(seg, waist_z, back=True)
    out["crotch_length"] = hull_arc_length_2d(seg.reshape(-1, 2), front, back_pt, np.array([0.0, -1.0]))
    return out


def _outside_leg(mesh: BodyMesh, lm: Landmarks, side: str, sign: float) -> float:
    """Waist at the side over the hip down the outside of the leg to the floor, in the frontal plane."""
    sp = side_parts(side)
    v = mesh.vertices_of((Part.TORSO, sp["thigh"], sp["calf"], sp["foot"]))
    v = v[sign * (v[:, 0] - mesh.x_mid) > 0]
    waist_z = lm.levels["waist"]
    v = v[v[:, 2] <= waist_z + 0.005]
    lateral = sign * (v[:, 0] - mesh.x_mid)
    bins = np.floor((v[:, 2] - mesh.floor) / 0.01).astype(np.int64)
    order = np.lexsort((-lateral, bins))
    first = np.ones(len(order), dtype=bool)
    first[1:] = bins[order][1:] != bins[order][:-1]
    prof = np.stack([lateral[order[first]], v[order[first], 2]], axis=1)
    top = prof[np.argmax(prof[:, 1])]
    bottom = np.array([prof[np.argmin(prof[:, 1])][0], mesh.floor])
    return hull_arc_length_2d(prof, top, bottom, np.array([1.0, 0.0]))


def _shoulder_length(mesh: BodyMesh, lm: Landmarks, side: str, sign: float) -> float:
    """Side neck point to acromion over the top of the shoulder (the frontal top contour, bridged)."""
    snp, acr = lm.points[f"side_neck_{side}"], lm.points[f"acromion_{side}"]
    v = mesh.vertices_of(SHOULDER_GIRDLE)  # not the head: a jaw or ear above the shoulder is no part of it
    lo, hi = sorted((snp[0], acr[0]))
    v = v[(v[:, 0] >= lo) & (v[:, 0] <= hi) & (v[:, 2] >= min(snp[2], acr[2]) - 0.02)]
    xz = v[:, [0, 2]]
    flat = hull_arc_length_2d(xz, snp[[0, 2]], acr[[0, 2]], np.array([0.0, 1.0]))
    chord_2d = float(np.linalg.norm(snp[[0, 2]] - acr[[0, 2]]))
    return flat * float(np.linalg.norm(snp - acr)) / max(chord_2d, 1e-9)


__all__ = ["Measurement", "Measurements", "measure_body"]
