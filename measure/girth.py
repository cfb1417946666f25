"""Plane sections of a triangle mesh and tape-like lengths on them.

A tape measure laid around a body bridges every hollow, so a girth is the perimeter of the convex
hull of the plane section, not the length of the (wiggly, possibly concave) section itself. The
section is split into connected loops (a plane at hip level cuts the torso and both hands
separately), so callers keep only the loop of the body part they measure.

Everything is vectorised numpy; one section of a 27k-triangle body takes well under a millisecond
when the caller passes the subset of faces the plane can cut.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull, QhullError


class Section:
    """Segments where a plane cuts a mesh, grouped lazily into connected pieces.

    segments: (S, 2, 3) end points in 3D; faces: (S,) index of the triangle each segment lies in;
    component: (S,) connected-piece id per segment (0..n_components-1), computed on first use.
    origin/normal/basis: the plane and an orthonormal in-plane basis (2, 3) for 2D coordinates.
    """

    def __init__(self, segments: np.ndarray, faces: np.ndarray, edge_pairs: np.ndarray,
                 origin: np.ndarray, normal: np.ndarray) -> None:
        self.segments = segments
        self.faces = faces
        self._edge_pairs = edge_pairs  # (S, 2) ids of the two mesh edges each segment joins
        self.origin = origin
        self.normal = normal
        self._basis: np.ndarray | None = None
        self._component: np.ndarray | None = None
        self._n_components = 0

    def __len__(self) -> int:
        return len(self.segments)

    @property
    def basis(self) -> np.ndarray:
        if self._basis is None:
            self._basis = plane_basis(self.normal)
        return self._basis

    def _label(self) -> None:
        if len(self.segments) == 0:
            self._component, self._n_components = np.zeros(0, dtype=np.int64), 0
            return
        _, edge_id = np.unique(self._edge_pairs.ravel(), return_inverse=True)
        edge_id = edge_id.reshape(-1, 2)
        edge_label = connected_labels(edge_id, int(edge_id.max()) + 1)
        uniq, comp = np.unique(edge_label[edge_id[:, 0]], return_inverse=True)
        self._component, self._n_components = comp.ravel(), len(uniq)

    @property
    def component(self) -> np.ndarray:
        if self._component is None:
            self._label()
        return self._component  # type: ignore[return-value]

    @property
    def n_components(self) -> int:
        if self._component is None:
            self._label()
        return self._n_components

    def points(self, mask: np.ndarray | None = None) -> np.ndarray:
        """(2S, 3) all segment end points (of the selected segments)."""
        seg = self.segments if mask is None else self.segments[mask]
        return seg.reshape(-1, 3)

    def to_2d(self, points: np.ndarray) -> np.ndarray:
        """In-plane coordinates (N, 2) of 3D points."""
        return (points - self.origin) @ self.basis.T

    def is_closed(self, mask: np.ndarray, tol: float = 1e-3) -> bool:
        """Whether the selected segments form closed loops: every mesh edge they cut is cut by two of
        them, or (at a seam where the mesh repeats vertices) its loose end meets another within `tol`.
        A cut through a hole or the border of an open mesh leaves an open arc instead."""
        if not mask.any():
            return False
        edges = self._edge_pairs[mask].ravel()
        uniq, inverse, counts = np.unique(edges, return_inverse=True, return_counts=True)
        loose = counts[inverse] == 1
        if not loose.any():
            return bool(np.all(counts == 2))
        ends = self.segments[mask].reshape(-1, 3)[loose]
        if len(ends) % 2:
            return False
        gaps = np.linalg.norm(ends[:, None, :] - ends[None, :, :], axis=2)
        np.fill_diagonal(gaps, np.inf)
        return bool(np.all(gaps.min(axis=1) <= tol))

    def component_mask(self, ids: int | list[int] | np.ndarray) -> np.ndarray:
        return np.isin(self.component, np.atleast_1d(ids))


def connected_labels(pairs: np.ndarray, n: int) -> np.ndarray:
    """(n,) component label of each node of an undirected graph given as (E, 2) node pairs.

    Vectorised hook-and-jump union-find: each round hooks every edge's larger root onto the smaller
    one and then compresses paths; a handful of rounds suffice for the loops of a plane section.
    """
    label = np.arange(n)
    a, b = pairs[:, 0], pairs[:, 1]
    while True:
        ra, rb = label[a], label[b]
        lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
        differ = lo != hi
        if not differ.any():
            break
        np.minimum.at(label, hi[differ], lo[differ])
        while True:  # path compression
            nxt = label[label]
            if np.array_equal(nxt, label):
                break
            label = nxt
    return label


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of two 3-vectors (np.cross is slow for single vectors)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def plane_basis(normal: np.ndarray) -> np.ndarray:
    """A (2, 3) orthonormal basis of the plane orthogonal to `normal`."""
    n = normal / np.linalg.norm(normal)
    helper = np.array([1.0, 0.0, 0.0]) if abs(n[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = _cross(n, helper)
    u /= np.linalg.norm(u)
    v = _cross(n, u)
    return np.stack([u, v])


def section(vertices: np.ndarray, faces: np.ndarray, origin: np.ndarray, normal: np.ndarray,
            face_ids: np.ndarray | None = None) -> Section:
    """Cut the triangles `faces[face_ids]` (all if None) by the plane through `origin` with `normal`."""
    origin = np.asarray(origin, dtype=np.float64)
    normal = np.asarray(normal, dtype=np.float64)
    normal = normal / np.linalg.norm(normal)
    if face_ids is None:
        face_ids = np.arange(len(faces))
    tri = faces[face_ids]
    dt = vertices[tri] @ normal - origin @ normal  # (F, 3) signed distances of the corners
    dt = np.where(dt == 0.0, 1e-12, dt)  # a vertex exactly on the plane counts as above it
    pos = dt > 0
    crossing = pos.any(axis=1) & ~pos.all(axis=1)
    tri, dt, pos, fid = tri[crossing], dt[crossing], pos[crossing], face_ids[crossing]
    if len(tri) == 0:
        return Section(np.zeros((0, 2, 3)), fid, np.zeros((0, 2), dtype=np.int64), origin, normal)
    # The lone vertex (the one on its own side) and the two edges leaving it are cut.
    lone = np.where(pos.sum(axis=1) == 1, np.argmax(pos, axis=1), np.argmax(~pos, axis=1))
    rows = np.arange(len(tri))
    a = tri[rows, lone]
    b = tri[rows, (lone + 1) % 3]
    c = tri[rows, (lone + 2) % 3]
    da, db, dc = dt[rows, lone], dt[rows, (lone + 1) % 3], dt[rows, (lone + 2) % 3]
    tb = da / (da - db)
    tc = da / (da - dc)
    pb = vertices[a] + tb[:, None] * (vertices[b] - vertices[a])
    pc = vertices[a] + tc[:, None] * (vertices[c] - vertices[a])
    segments = np.stack([pb, pc], axis=1)
    # Connectivity: two segments touch when they cut the same mesh edge.
    big = np.int64(len(vertices))
    edge_pairs = np.stack([np.minimum(a, b) * big + np.maximum(a, b), np.minimum(a, c) * big + np.maximum(a, c)], 1)
    return Section(segments, fid, edge_pairs, origin, normal)


def hull_perimeter_2d(points: np.ndarray) -> float:
    """Perimeter of the convex hull of 2D points (a tape around them); 0 for degenerate input."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 2:
        return 0.0
    if len(pts) < 3:
        return 2.0 * float(np.linalg.norm(pts[1] - pts[0]))
    try:
        return float(ConvexHull(pts).area)  # in 2D, `area` is the perimeter
    except QhullError:  # collinear points
        span = pts @ (pts[-1] - pts[0])
        i, j = np.argmin(span), np.argmax(span)
        return 2.0 * float(np.linalg.norm(pts[j] - pts[i]))


def hull_girth(sec: Section, mask: np.ndarray | None = None) -> float:
    """Tape girth (metres) of the selected segments of a section: perimeter of their convex hull."""
    pts = sec.points(mask)
    if len(pts) == 0:
        return 0.0
    return hull_perimeter_2d(sec.to_2d(pts))


def hull_arc_length_2d(points: np.ndarray, start: np.ndarray, end: np.ndarray, side: np.ndarray) -> float:
    """Length of a tape stretched from `start` to `end` over the `points` lying on `side` of the chord.

    `side` is a 2D direction pointing where the body bulges (e.g. backwards for a length over the
    back). The hull of those points and both ends is the tape path closed by the straight chord,
    so the path length is the hull perimeter minus the chord.
    """
    start = np.asarray(start, dtype=np.float64)
    end = np.asarray(end, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    chord_vec = end - start
    chord = float(np.linalg.norm(chord_vec))
    if chord == 0.0:
        return 0.0
    normal = np.array([-chord_vec[1], chord_vec[0]]) / chord
    if normal @ np.asarray(side, dtype=np.float64) < 0:
        normal = -normal
    along = (pts - start) @ chord_vec / chord**2
    keep = ((pts - start) @ normal > 0) & (along > 0) & (along < 1)
    pts = np.vstack([pts[keep], start, end])
    return max(hull_perimeter_2d(pts) - chord, chord)


def polyline_length(points: np.ndarray) -> float:
    """Length of an open polyline (N, D)."""
    pts = np.asarray(points, dtype=np.float64)
    if len(pts) < 2:
        return 0.0
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())


def ramanujan_ellipse_perimeter(a: float, b: float) -> float:
    """Ramanujan's second approximation of an ellipse's perimeter (relative error < 1e-9 for a/b < 5)."""
    h = ((a - b) / (a + b)) ** 2
    return float(np.pi * (a + b) * (1 + 3 * h / (10 + np.sqrt(4 - 3 * h))))
