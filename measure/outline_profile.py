"""Width profiles of the torso and thighs: on a rest-pose mesh, and read off a photo's person mask.

Why: a fitted body matches a photo's outline only as far as its shape space reaches (on ANSUR II
twins, fitted to their own perfect silhouettes, it still missed the waist's breadth by up to 3 cm),
and girths measured on it inherit that. The outline itself is what the photo knows for sure. A
profile is the body's width at fixed fractions of stature: breadths in a front or back photo,
depths in a side photo; the torso (hips included) at `PROFILE_LEVELS`, the mean of the two thighs
at `THIGH_LEVELS`. `mesh_profile` measures it on a rest mesh by plane sections (what the girth
models of measure.profile_girths learn from); `photo_profile` reads it off a photo's mask: the
fitted body says on which image row each level lies and how far away it is (pixels to cm), and
its own rendering says which mask pixels belong to the arms (left out). Each edge is moved in by
its garment's expected stand-off (body_model.garment_ease). A level the photo cannot show (a
skirt, hair or a bag at its edge, its row outside the photo) is missing (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from body_model.camera import Camera
from body_model.garment_ease import outline_rules
from body_model.parts import Part
from body_model.raster import rasterize
from measure.landmarks import BodyMesh

PROFILE_LEVELS: tuple[float, ...] = tuple(round(0.46 + 0.02 * i, 2) for i in range(17))  # 0.46 .. 0.78
THIGH_LEVELS: tuple[float, ...] = (0.40, 0.42, 0.44)
TORSO_PARTS: tuple[int, ...] = (int(Part.TORSO), int(Part.LEFT_THIGH), int(Part.RIGHT_THIGH))
THIGH_PARTS: tuple[int, ...] = (int(Part.LEFT_THIGH), int(Part.RIGHT_THIGH))
ARM_PARTS: tuple[int, ...] = tuple(int(p) for p in (Part.LEFT_UPPER_ARM, Part.RIGHT_UPPER_ARM, Part.LEFT_FOREARM,
                                                    Part.RIGHT_FOREARM, Part.LEFT_HAND, Part.RIGHT_HAND))
LEVEL_BAND_M = 0.01  # rest vertices this close to a level say where it lies in a photo ...
EDGE_VERTICES = 3    # ... the outermost few of them on either side, which draw the outline there
# Classes of the fitted body's own rendering, carried onto the photo's mask pixels (nearest wins).
_TORSO, _LEFT_THIGH, _RIGHT_THIGH, _ARM, _OTHER = 1, 2, 3, 4, 5


@dataclass
class WidthProfile:
    """Widths in cm: the torso at PROFILE_LEVELS, the mean of the two thighs at THIGH_LEVELS (NaN: unknown)."""

    torso_cm: np.ndarray
    thigh_cm: np.ndarray

    def values(self) -> np.ndarray:
        return np.concatenate([self.torso_cm, self.thigh_cm])

    def missing(self) -> int:
        return int(np.isnan(self.values()).sum())

    def filled_from(self, other: WidthProfile) -> WidthProfile:
        """This profile with its missing levels taken from `other`."""
        return WidthProfile(np.where(np.isnan(self.torso_cm), other.torso_cm, self.torso_cm),
                            np.where(np.isnan(self.thigh_cm), other.thigh_cm, self.thigh_cm))

    @staticmethod
    def mean(profiles: list[WidthProfile]) -> WidthProfile:
        """Level by level mean over the profiles that know the level (NaN where none does)."""
        def nanmean(rows: list[np.ndarray]) -> np.ndarray:
            stack = np.stack(rows)
            known = ~np.isnan(stack)
            total = np.where(known, stack, 0.0).sum(axis=0)
            count = known.sum(axis=0)
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

        return WidthProfile(nanmean([p.torso_cm for p in profiles]), nanmean([p.thigh_cm for p in profiles]))


def feature_names(kind: str) -> tuple[str, ...]:
    """Input names of a profile's values in a girth model: kind 'breadth' (front/back) or 'depth' (side)."""
    return tuple(f"{kind}_{f:.2f}" for f in PROFILE_LEVELS) + tuple(f"thigh_{kind}_{f:.2f}" for f in THIGH_LEVELS)


def as_features(profile: WidthProfile, kind: str) -> dict[str, float]:
    return dict(zip(feature_names(kind), map(float, profile.values()), strict=True))


# ------------------------------------------------------------------------------------------ mesh

def mesh_profile(vertices: np.ndarray, faces: np.ndarray, vertex_parts: np.ndarray) -> tuple[WidthProfile,
                                                                                                WidthProfile]:
    """(breadths, depths) of a rest body (V, 3) in metres (z up, facing -y): x and y extents of its
    horizontal sections, the torso's restricted to torso and thighs, each thigh's to itself."""
    mesh = BodyMesh(vertices, faces, vertex_parts)

    def extents(z: float, parts: tuple[int, ...]) -> np.ndarray:
        pts = mesh.horizontal(z, parts).points()
        return np.ptp(pts[:, :2], axis=0) if len(pts) >= 4 else np.full(2, np.nan)

    torso = np.array([extents(mesh.floor + f * mesh.stature, TORSO_PARTS) for f in PROFILE_LEVELS])
    thighs = np.array([np.mean([extents(mesh.floor + f * mesh.stature, (p,)) for p in THIGH_PARTS], axis=0)
                       for f in THIGH_LEVELS])
    return (WidthProfile(100.0 * torso[:, 0], 100.0 * thighs[:, 0]),
            WidthProfile(100.0 * torso[:, 1], 100.0 * thighs[:, 1]))


# ------------------------------------------------------------------------------------------ photo

def photo_profile(kind: str, mask: np.ndarray, part_labels: np.ndarray | None, clothes: str, camera: Camera,
                  posed_vertices: np.ndarray, rest_vertices: np.ndarray, faces: np.ndarray,
                  vertex_parts: np.ndarray) -> WidthProfile:
    """The person's widths in one photo of `kind` (cm): breadths in a front or back photo, depths in a
    side one, where one thigh hides the other and the thighs' depth is that of both together.

    mask: the photo's (H, W) person mask; part_labels: its LIP labels or None (no stand-off taken
    off); clothes: body_model.garment_ease.CLOTHES. camera, posed_vertices: the fitted body as the
    fit placed it in this photo (world metres); rest_vertices: the same body in its rest pose, whose
    stature fractions define the levels.
    """
    from parsing.pose import labels_on_mask

    mask = np.asarray(mask, dtype=bool)
    parts = np.asarray(vertex_parts)
    vclass = np.full(len(parts), _OTHER, np.uint8)
    vclass[parts == int(Part.TORSO)] = _TORSO
    vclass[parts == int(Part.LEFT_THIGH)] = _LEFT_THIGH
    vclass[parts == int(Part.RIGHT_THIGH)] = _RIGHT_THIGH
    vclass[np.isin(parts, ARM_PARTS)] = _ARM
    faces = np.asarray(faces)
    fclass = vclass[faces[:, 0]]
    # The torso and thighs drawn without the arms, so an arm in front of them (a side photo) hides nothing;
    # the arms count only where no torso or thigh is behind them.
    arms = fclass == _ARM
    drawn = rasterize(posed_vertices, faces[~arms], camera, face_values=fclass[~arms], cull_backfaces=True).labels
    arm_drawn = rasterize(posed_vertices, faces[arms], camera, face_values=fclass[arms], cull_backfaces=True).labels
    drawn = np.where(drawn > 0, drawn, arm_drawn).astype(np.uint8)
    classes = labels_on_mask(mask, drawn)
    labels = None if part_labels is None else np.asarray(part_labels)
    uv = camera.project(posed_vertices)
    depth = camera.to_camera(posed_vertices)[:, 2]
    rest_z = np.asarray(rest_vertices)[:, 2]
    floor, stature = float(rest_z.min()), float(np.ptp(rest_z))

    def width_at(level: float, level_parts: tuple[int, ...], wanted: tuple[int, ...]) -> float:
        near = np.nonzero(np.isin(parts, level_parts) & (np.abs(rest_z - (floor + level * stature)) < LEVEL_BAND_M))[0]
        if len(near) < 6:
            return np.nan
        # The level's row and distance are those of the vertices at its two ends across the photo (which
        # draw the outline there): seen from above or below, its nearer and farther vertices fall on other rows.
        by_u = near[np.argsort(uv[near, 0])]
        ends_v = np.concatenate([by_u[:EDGE_VERTICES], by_u[-EDGE_VERTICES:]])
        row = int(round(float(uv[ends_v, 1].mean())))
        if not 0 <= row < mask.shape[0]:
            return np.nan
        xs = np.nonzero(np.isin(classes[row], wanted))[0]
        if len(xs) < 2:
            return np.nan
        ends = np.array([xs.min(), xs.max()])
        if xs.min() == 0 or xs.max() == mask.shape[1] - 1:
            return np.nan  # cut off by the photo's border
        width_cm = (ends[1] - ends[0] + 1) * float(depth[ends_v].mean()) / camera.focal_px * 100.0
        if labels is None:
            return width_cm
        rules = outline_rules(labels[row, ends].astype(np.int64), 2, clothes)
        if np.any(rules["weight"] <= 0):
            return np.nan  # hair, a skirt, a bag ...: the body's edge is not seen there
        return width_cm - float(rules["stand_off_cm"].sum())

    torso = np.array([width_at(f, TORSO_PARTS, (_TORSO, _LEFT_THIGH, _RIGHT_THIGH)) for f in PROFILE_LEVELS])
    if kind == "side":
        thighs = [width_at(f, THIGH_PARTS, (_LEFT_THIGH, _RIGHT_THIGH)) for f in THIGH_LEVELS]
    else:
        thighs = [np.mean([width_at(f, (p,), (c,)) for p, c in ((int(Part.LEFT_THIGH), _LEFT_THIGH),
                                                                (int(Part.RIGHT_THIGH), _RIGHT_THIGH))])
                  for f in THIGH_LEVELS]
    return WidthProfile(torso, np.array(thighs))
