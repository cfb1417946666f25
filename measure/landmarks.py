"""Anatomical levels and landmarks found on a standing body mesh by its geometry and part labels.

Nothing here uses fixed vertex ids, so any body model (Anny, SMPL-X) and any body shape works, as
long as the mesh is in metres, z up, facing -y (the person's left is +x), arms away from the torso
(A-pose) and vertices carry `body_model.parts.Part` labels.

How each landmark is found (ISO 8559-1 names):
- crotch point: lowest point of the trunk's mid-sagittal section (where the thighs meet).
- axilla (armpit) level, per side: scanning upward, the first level where the torso's horizontal
  section joins the upper arm's (its lateral extent jumps by the width of the arm).
- buttock prominence (hip level): the most posterior point of the trunk between the crotch and
  15% of stature above it.
- natural waist: the narrowest horizontal torso girth between 30% and 75% of the way from the hip
  level up to the armpits (between the lowest rib and the iliac crest).
- bust prominence: the most anterior torso point in the upper 55% of the waist-to-armpit span;
  underbust: the deepest point of the front profile behind the chord from the bust point down
  7% of stature (the breast fold).
- neck: the narrowest horizontal section of the head+torso between the armpits and the chin.
- shoulder line: the frontal top contour from the neck to the elbow. Its outer corner (farthest
  above the neck-elbow chord) is where it bends down into the arm, on the deltoid; the acromion,
  a bony point medial to it, is taken halfway between that corner and the armpit's vertical line.
- neck base: planes tilted like the line from the jugular notch up to C7 (NECK_BASE_TILT_DEG, level
  from side to side) are stepped down the neck from its narrowest section, each re-centred on the
  last ring (a neck leaning forward is followed). The ring is the outermost loop around the plane's
  centre (not a shoulder cut beside it, nor a mouth cavity inside). The base is the last ring before
  the tape grows faster than NECK_FLARE_SLOPE per unit of descent: there the skin turns out onto the
  shoulders, chest and upper back. C7 and the front neck point are where the base ring crosses the
  back and front mid-line; the side neck points are its left and right extremes.
- joint centres (shoulder, elbow, wrist, hip, knee, ankle): centroid of the border between the two
  body parts the joint separates; they give each limb's bone axis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from body_model.parts import Part
from measure.girth import Section, hull_girth, section

NECK_BASE_TILT_DEG = 30.0  # C7 is ~7-8 cm above the jugular notch across a ~13 cm deep neck (ANSUR means)
NECK_FLARE_SLOPE = 3.0  # tape growth per unit descent (~25 deg flare) where the neck ends and the trunk begins

SIDES = ("left", "right")
TRUNK = (Part.TORSO,)
TRUNK_AND_THIGHS = (Part.TORSO, Part.LEFT_THIGH, Part.RIGHT_THIGH)
TRUNK_AND_HEAD = (Part.TORSO, Part.HEAD, Part.HAIR)
HEAD = (Part.HEAD, Part.HAIR)
UPPER_BODY = (Part.TORSO, Part.HEAD, Part.HAIR, Part.LEFT_UPPER_ARM, Part.RIGHT_UPPER_ARM)


def side_parts(side: str) -> dict[str, Part]:
    """The limb parts of one side ('left' or 'right'), by role."""
    left = side == "left"
    return {
        "upper_arm": Part.LEFT_UPPER_ARM if left else Part.RIGHT_UPPER_ARM,
        "forearm": Part.LEFT_FOREARM if left else Part.RIGHT_FOREARM,
        "hand": Part.LEFT_HAND if left else Part.RIGHT_HAND,
        "thigh": Part.LEFT_THIGH if left else Part.RIGHT_THIGH,
        "calf": Part.LEFT_CALF if left else Part.RIGHT_CALF,
        "foot": Part.LEFT_FOOT if left else Part.RIGHT_FOOT,
    }


class LandmarkError(ValueError):
    """The mesh does not look like a standing body with labelled parts (the message says what is missing)."""


class BodyMesh:
    """A labelled body mesh with fast plane sections restricted to sets of parts."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, vertex_parts: np.ndarray) -> None:
        self.vertices = np.asarray(vertices, dtype=np.float64)
        self.faces = np.asarray(faces, dtype=np.int64)
        self.vertex_parts = np.asarray(vertex_parts, dtype=np.int64)
        if self.vertices.ndim != 2 or self.vertices.shape[1] != 3:
            raise LandmarkError(f"vertices must be (V, 3), got {self.vertices.shape}")
        if self.faces.ndim != 2 or self.faces.shape[1] != 3:
            raise LandmarkError(f"faces must be (F, 3) triangles, got {self.faces.shape}")
        if self.vertex_parts.shape != (len(self.vertices),):
            raise LandmarkError(f"vertex_parts must be ({len(self.vertices)},), got {self.vertex_parts.shape}")
        p = self.vertex_parts[self.faces]
        # A face takes the part most of its corners have (the middle one when all three differ).
        self.face_parts = np.where((p[:, 0] == p[:, 1]) | (p[:, 0] == p[:, 2]), p[:, 0], p[:, 1])
        fz = self.vertices[self.faces, 2]
        self.face_zmin, self.face_zmax = fz.min(axis=1), fz.max(axis=1)
        self._face_sets: dict[tuple[int, ...], np.ndarray] = {}
        for part in (Part.TORSO, Part.HEAD, Part.LEFT_UPPER_ARM, Part.RIGHT_UPPER_ARM, Part.LEFT_THIGH):
            if not np.any(self.vertex_parts == part):
                raise LandmarkError(f"no vertex is labelled {part.name}: vertex_parts must hold body_model Part ids")
        self.floor = float(self.vertices[:, 2].min())
        self.top = float(self.vertices[:, 2].max())
        self.stature = self.top - self.floor
        torso = self.vertices[self.vertex_parts == Part.TORSO]
        self.x_mid = float(np.median(torso[:, 0]))
        self.y_mid = float(np.median(torso[:, 1]))
        # Mid-sagittal cuts go 0.5 mm off the mid-line: symmetric meshes have a row of vertices on it.
        self.x_sagittal = self.x_mid + 5e-4

    def faces_of(self, parts: tuple[int, ...]) -> np.ndarray:
        key = tuple(sorted(int(p) for p in parts))
        if key not in self._face_sets:
            self._face_sets[key] = np.flatnonzero(np.isin(self.face_parts, key))
        return self._face_sets[key]

    def vertices_of(self, parts: tuple[int, ...]) -> np.ndarray:
        return self.vertices[np.isin(self.vertex_parts, [int(p) for p in parts])]

    def horizontal(self, z: float, parts: tuple[int, ...]) -> Section:
        """Horizontal section at height z (absolute, metres) of the faces of `parts`."""
        ids = self.faces_of(parts)
        ids = ids[(self.face_zmin[ids] < z) & (self.face_zmax[ids] > z)]
        return section(self.vertices, self.faces, np.array([0.0, 0.0, z]), np.array([0.0, 0.0, 1.0]), ids)

    def plane(self, origin: np.ndarray, normal: np.ndarray, parts: tuple[int, ...]) -> Section:
        return section(self.vertices, self.faces, origin, normal, self.faces_of(parts))

    def segment_parts(self, sec: Section) -> np.ndarray:
        return self.face_parts[sec.faces]

    def part_border(self, part_a: int, part_b: int) -> np.ndarray:
        """Centroid of the vertices on faces that touch both parts: the joint between two limbs."""
        p = self.vertex_parts[self.faces]
        both = (p == part_a).any(axis=1) & (p == part_b).any(axis=1)
        if not both.any():
            raise LandmarkError(f"parts {Part(part_a).name} and {Part(part_b).name} do not touch")
        return self.vertices[np.unique(self.faces[both])].mean(axis=0)


@dataclass
class Landmarks:
    """Levels (absolute z, metres) and 3D points found on one body; see the module docstring."""

    levels: dict[str, float] = field(default_factory=dict)
    points: dict[str, np.ndarray] = field(default_factory=dict)
    neck_ring: np.ndarray | None = None  # (N, 3) points of the neck-base tape path
    neck_normal: np.ndarray | None = None  # normal of the plane the neck ring lies in


def _scan(lo: float, hi: float, step: float) -> np.ndarray:
    n = max(int(np.ceil((hi - lo) / step)), 1)
    return np.linspace(lo, hi, n + 1)


def _crotch(mesh: BodyMesh) -> np.ndarray:
    sec = mesh.plane(np.array([mesh.x_sagittal, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]), TRUNK_AND_THIGHS)
    pts = sec.points()
    low = pts[pts[:, 2] < mesh.floor + 0.6 * mesh.stature]
    if len(low) == 0:
        raise LandmarkError("no trunk surface crosses the mid-sagittal plane below 60% of stature")
    return low[np.argmin(low[:, 2])]


def _torso_component(mesh: BodyMesh, sec: Section) -> np.ndarray:
    """Mask of the segments of the connected piece with the most torso segments."""
    torso = mesh.segment_parts(sec) == Part.TORSO
    counts = np.bincount(sec.component[torso], minlength=sec.n_components)
    return sec.component == int(np.argmax(counts))


def _torso_extent(mesh: BodyMesh, z: float) -> tuple[float, float]:
    """(min x, max x) of the torso's connected piece (arms included once joined) at height z."""
    sec = mesh.horizontal(z, (Part.TORSO, Part.LEFT_UPPER_ARM, Part.RIGHT_UPPER_ARM))
    if len(sec) == 0 or not np.any(mesh.segment_parts(sec) == Part.TORSO):
        return (np.nan, np.nan)
    pts = sec.points(_torso_component(mesh, sec))
    return float(pts[:, 0].min()), float(pts[:, 0].max())


def _axillae(mesh: BodyMesh, crotch_z: float) -> dict[str, tuple[float, float]]:
    """Per side: (z of the armpit, x of the torso side just below it)."""
    h = mesh.stature
    levels = _scan(crotch_z + 0.1 * h, mesh.floor + 0.9 * h, 0.008)
    ext = np.array([_torso_extent(mesh, z) for z in levels])
    out: dict[str, tuple[float, float]] = {}
    jump = 0.03
    for side, col, sign in (("left", 1, 1.0), ("right", 0, -1.0)):
        lateral = sign * ext[:, col]
        steps = np.diff(lateral)
        hits = np.flatnonzero(steps > jump)
        if len(hits) == 0:
            raise LandmarkError(f"no {side} armpit: the arm never joins the torso (is the body in an A-pose?)")
        i = int(hits[0])
        lo, hi, x_side = levels[i], levels[i + 1], ext[i, col]
        for _ in range(5):  # bisect the joining level to ~0.3 mm
            mid = 0.5 * (lo + hi)
            e = _torso_extent(mesh, mid)[col]
            if sign * e - sign * x_side > jump:
                hi = mid
            else:
                lo, x_side = mid, e
        out[side] = (lo, float(x_side))
    return out


def _search(fn, lo: float, hi: float, largest: bool, coarse: float = 0.01, fine: float = 0.002) -> float:
    """The height in [lo, hi] where fn(z) is largest (or smallest): a coarse scan, then a fine one around its best."""
    levels = _scan(lo, hi, coarse)
    best = _argbest(levels, np.array([fn(z) for z in levels]), largest)
    levels = _scan(max(lo, best - coarse), min(hi, best + coarse), fine)
    return _argbest(levels, np.array([fn(z) for z in levels]), largest)


def _argbest(levels: np.ndarray, values: np.ndarray, largest: bool) -> float:
    ok = np.isfinite(values)
    if not ok.any():
        raise LandmarkError("no body surface found in the search window")
    idx = np.flatnonzero(ok)
    best = idx[np.argmax(values[ok])] if largest else idx[np.argmin(values[ok])]
    return float(levels[best])


def _section_stat(mesh: BodyMesh, z: float, parts: tuple[int, ...], stat: str) -> float:
    sec = mesh.horizontal(z, parts)
    if len(sec) == 0:
        return np.nan
    if stat == "girth":
        return hull_girth(sec)
    pts = sec.points()
    return float(pts[:, 1].max()) if stat == "back" else float(pts[:, 1].min())


def _underbust(mesh: BodyMesh, bust_z: float, waist_z: float) -> float:
    """The breast fold: the front profile's deepest point behind the chord from the bust point down 7% of stature."""
    lo = max(bust_z - 0.07 * mesh.stature, waist_z + 0.005)
    levels = _scan(lo, bust_z, 0.004)
    front = np.array([_section_stat(mesh, z, TRUNK, "front") for z in levels])
    ok = np.isfinite(front)
    if ok.sum() < 3:
        return 0.5 * (bust_z + waist_z)
    levels, front = levels[ok], front[ok]
    chord = front[0] + (front[-1] - front[0]) * (levels - levels[0]) / (levels[-1] - levels[0])
    return float(levels[int(np.argmax(front - chord))])


def _top_contour(mesh: BodyMesh, side: str, z_lo: float, z_hi: float, x_from: float, x_to: float,
                 bin_m: float = 0.01) -> np.ndarray:
    """(N, 3) highest vertex per x-bin between x_from and x_to (the frontal shoulder line).

    A bin whose top vertex lies over 1 cm below both neighbours' is a gap in a sparse mesh
    (its top vertex is on the back or the front, not on the ridge) and is dropped.
    """
    v = mesh.vertices_of(UPPER_BODY)
    v = v[(v[:, 2] >= z_lo) & (v[:, 2] <= z_hi)]
    lo, hi = min(x_from, x_to), max(x_from, x_to)
    v = v[(v[:, 0] >= lo) & (v[:, 0] <= hi)]
    if len(v) == 0:
        raise LandmarkError(f"no {side} shoulder surface found")
    bins = np.floor(np.abs(v[:, 0] - x_from) / bin_m).astype(np.int64)  # mirror-symmetric on both sides
    order = np.lexsort((-v[:, 2], bins))
    first = np.ones(len(order), dtype=bool)
    first[1:] = bins[order][1:] != bins[order][:-1]
    top = v[order[first]]
    top = top[np.argsort(np.abs(top[:, 0] - x_from))]
    if len(top) >= 3:
        z = top[:, 2]
        neighbours = np.minimum(np.r_[z[1], z[:-1]], np.r_[z[1:], z[-2]])
        top = top[z > neighbours - 0.01]
    return top


def _corner(points: np.ndarray, a: np.ndarray, b: np.ndarray, above: bool) -> np.ndarray:
    """The contour point farthest above (or below) the chord a->b in the frontal (x, z) plane."""
    pa, pb = a[[0, 2]], b[[0, 2]]
    d = pb - pa
    normal = np.array([-d[1], d[0]]) / np.linalg.norm(d)
    if normal[1] < 0:
        normal = -normal  # points up
    xz = points[:, [0, 2]]
    t = (xz - pa) @ d / (d @ d)
    inside = (t > 0) & (t < 1)
    if not inside.any():
        raise LandmarkError("shoulder contour is empty between neck and elbow")
    dist = (xz - pa) @ normal
    dist = np.where(inside, dist if above else -dist, -np.inf)
    return points[int(np.argmax(dist))]


def neck_base_normal() -> np.ndarray:
    """Normal of the neck-base plane: level from side to side, rising NECK_BASE_TILT_DEG towards the back."""
    tilt = np.radians(NECK_BASE_TILT_DEG)
    return np.array([0.0, -np.sin(tilt), np.cos(tilt)])


@dataclass
class NeckRing:
    """One tilted section around the neck: its points (3D), the plane origin and its tape girth (metres)."""

    points: np.ndarray
    origin: np.ndarray
    girth: float


def _ring_around(mesh: BodyMesh, faces: np.ndarray, origin: np.ndarray, normal: np.ndarray) -> NeckRing | None:
    """The outermost loop of the plane section (through `origin`) that encloses `origin`: the neck's skin,
    not a shoulder or the chin cut beside it, nor an inner loop (mouth, throat) a head mesh may have.
    None when no loop goes around it (the plane misses the neck)."""
    sec = section(mesh.vertices, mesh.faces, origin, normal, faces)
    if len(sec) == 0:
        return None
    best: NeckRing | None = None
    for c in range(sec.n_components):
        mask = sec.component == c
        pts = sec.points(mask)
        xy = sec.to_2d(pts)
        if len(xy) < 6 or not (np.all(xy.min(axis=0) < 0.0) and np.all(xy.max(axis=0) > 0.0)):
            continue  # too small, or its bounding box misses the origin
        if not sec.is_closed(mask):
            continue  # an open arc (a hole in the mesh) is no ring round the neck
        try:
            hull = ConvexHull(xy)
        except QhullError:
            continue
        if np.all(hull.equations[:, 2] <= 0.0):  # the plane origin (2D zero) lies inside the hull
            girth = float(hull.area)
            if best is None or girth > best.girth:
                best = NeckRing(pts, origin, girth)
    return best


def _neck_rings(mesh: BodyMesh, neck_z: float) -> tuple[NeckRing, NeckRing]:
    """(narrowest, base) neck rings in planes tilted like the neck base (NECK_BASE_TILT_DEG).

    The narrowest ring is searched within 3% of stature of the narrowest horizontal neck. From it the
    plane steps down the neck (re-centred on each ring, so a neck leaning forward is followed) while
    the tape grows smoothly; the neck base is the last ring before the girth grows by more than
    NECK_FLARE_SLOPE per unit of descent (the skin turning out onto the shoulders, chest and upper back)
    or the loop stops going around the neck.
    """
    h = mesh.stature
    normal = neck_base_normal()
    faces = mesh.faces_of(TRUNK_AND_HEAD)
    # Faces the planes can reach: offsets from -0.13 h to +0.03 h, and a tilted plane rises or falls
    # up to ~0.1 m across a head or chest (a loop cut short by this band would read as open).
    faces = faces[(mesh.face_zmax[faces] > neck_z - 0.13 * h - 0.1) & (mesh.face_zmin[faces] < neck_z + 0.03 * h + 0.1)]
    sec = mesh.horizontal(neck_z, TRUNK_AND_HEAD)
    if len(sec) == 0:
        raise LandmarkError("no neck section found")
    centre = sec.points(_torso_component(mesh, sec) if np.any(mesh.segment_parts(sec) == Part.TORSO) else None)
    centre = centre.mean(axis=0)
    up = np.array([0.0, 0.0, 1.0])
    def narrowest_of(offsets: np.ndarray) -> NeckRing | None:
        rings = [r for t in offsets if (r := _ring_around(mesh, faces, centre + t * up, normal)) is not None]
        return min(rings, key=lambda r: r.girth) if rings else None

    coarse = narrowest_of(np.linspace(-0.03 * h, 0.03 * h, 7))
    if coarse is None:
        raise LandmarkError("no loop around the neck in any plane near the narrowest neck section")
    t0 = float(coarse.origin[2] - centre[2])
    fine = narrowest_of(t0 + np.array([-0.004 * h, 0.004 * h]))
    narrowest = coarse if fine is None or fine.girth > coarse.girth else fine
    step = 0.002 * h
    base = narrowest
    for _ in range(int(0.1 * h / step)):
        centroid = base.points.mean(axis=0)
        nxt = _ring_around(mesh, faces, centroid - step * up, normal)
        if nxt is None or nxt.girth - base.girth > NECK_FLARE_SLOPE * step or nxt.girth < base.girth - 0.5 * step:
            break
        base = nxt
    return narrowest, base


def find_landmarks(mesh: BodyMesh) -> Landmarks:
    """All levels and points listed in the module docstring."""
    h = mesh.stature
    lm = Landmarks()
    lm.levels["floor"], lm.levels["top"] = mesh.floor, mesh.top
    crotch = _crotch(mesh)
    lm.points["crotch"] = crotch
    lm.levels["crotch"] = float(crotch[2])

    # Joints from part borders (bone axes of the limbs).
    for side in SIDES:
        sp = side_parts(side)
        lm.points[f"shoulder_joint_{side}"] = mesh.part_border(Part.TORSO, sp["upper_arm"])
        lm.points[f"elbow_{side}"] = mesh.part_border(sp["upper_arm"], sp["forearm"])
        lm.points[f"wrist_{side}"] = mesh.part_border(sp["forearm"], sp["hand"])
        lm.points[f"hip_joint_{side}"] = mesh.part_border(Part.TORSO, sp["thigh"])
        lm.points[f"knee_{side}"] = mesh.part_border(sp["thigh"], sp["calf"])
        lm.points[f"ankle_{side}"] = mesh.part_border(sp["calf"], sp["foot"])

    ax = _axillae(mesh, lm.levels["crotch"])
    for side in SIDES:
        z, x = ax[side]
        lm.levels[f"axilla_{side}"] = z
        lm.points[f"axilla_{side}"] = np.array([x, mesh.y_mid, z])
    axilla = 0.5 * (ax["left"][0] + ax["right"][0])
    lm.levels["axilla"] = axilla

    # Hip: greatest buttock prominence (most posterior trunk point) above the crotch.
    lm.levels["hip"] = _search(lambda z: _section_stat(mesh, z, TRUNK_AND_THIGHS, "back"),
                               lm.levels["crotch"] + 0.005, lm.levels["crotch"] + 0.15 * h, largest=True)

    # Natural waist: narrowest torso between the hip level and the armpits.
    span = axilla - lm.levels["hip"]
    lm.levels["waist"] = _search(lambda z: _section_stat(mesh, z, TRUNK, "girth"),
                                 lm.levels["hip"] + 0.3 * span, lm.levels["hip"] + 0.75 * span, largest=False)

    # Bust prominence (most anterior) and underbust (breast fold).
    span = axilla - lm.levels["waist"]
    lm.levels["bust"] = _search(lambda z: _section_stat(mesh, z, TRUNK, "front"),
                                lm.levels["waist"] + 0.45 * span, axilla - 0.01, largest=False)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        sec = mesh.horizontal(lm.levels["bust"], TRUNK)
        pts = sec.points()
        pts = pts[sign * (pts[:, 0] - mesh.x_mid) > 0]
        lm.points[f"bust_{side}"] = pts[np.argmin(pts[:, 1])]
    lm.levels["underbust"] = _underbust(mesh, lm.levels["bust"], lm.levels["waist"])

    # Chest (under the armpits): the fullest torso girth between the bust level and just below the armpits.
    lm.levels["chest"] = _search(lambda z: _section_stat(mesh, z, TRUNK, "girth"),
                                 min(lm.levels["bust"], axilla - 0.012), axilla - 0.012, largest=True)

    # Neck: the narrowest head+torso section between the armpits and the chin.
    neck_z = _search(lambda z: _section_stat(mesh, z, TRUNK_AND_HEAD, "girth"),
                     axilla + 0.02 * h, mesh.top - 0.1 * h, largest=False)
    lm.levels["neck"] = neck_z
    neck_pts = mesh.horizontal(neck_z, TRUNK_AND_HEAD).points()

    for side, sign in (("left", 1.0), ("right", -1.0)):
        neck_side = neck_pts[np.argmax(sign * neck_pts[:, 0])]
        elbow = lm.points[f"elbow_{side}"]
        contour = _top_contour(mesh, side, axilla, neck_z, neck_side[0], elbow[0])
        elbow_top = contour[np.argmin(np.abs(contour[:, 0] - elbow[0]))]
        corner = _corner(contour, neck_side, elbow_top, above=True)
        # The outer corner of the shoulder line lies on the deltoid, lateral to the bony acromion;
        # the acromion sits between that corner and the armpit's vertical line: take the midpoint.
        x_acr = 0.5 * (corner[0] + lm.points[f"axilla_{side}"][0])
        acromion = contour[np.argmin(np.abs(contour[:, 0] - x_acr))]
        lm.points[f"shoulder_corner_{side}"] = corner
        lm.points[f"acromion_{side}"] = acromion

    # Neck base ring (tilted like the line from the jugular notch up to C7); C7, the front neck point
    # and the side neck points are where it crosses the back and front mid-line and its sides.
    narrowest, base = _neck_rings(mesh, neck_z)
    pts = base.points
    lm.neck_ring, lm.neck_normal = pts, neck_base_normal()
    lm.levels["neck_narrowest"] = float(narrowest.points[:, 2].mean())
    mid = pts[np.abs(pts[:, 0] - mesh.x_mid) < 0.015]
    mid = mid if len(mid) else pts
    # On the mid-line itself (the nearest section points may lie a little to one side).
    lm.points["c7"] = mid[np.argmax(mid[:, 1])] * np.array([0.0, 1.0, 1.0]) + np.array([mesh.x_mid, 0.0, 0.0])
    lm.points["front_neck"] = mid[np.argmin(mid[:, 1])] * np.array([0.0, 1.0, 1.0]) + np.array([mesh.x_mid, 0.0, 0.0])
    lm.levels["c7"] = float(lm.points["c7"][2])
    lm.points["side_neck_left"] = pts[np.argmax(pts[:, 0])]
    lm.points["side_neck_right"] = pts[np.argmin(pts[:, 0])]
    return lm
