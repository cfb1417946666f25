"""Rasteriser: exact coverage of simple shapes, occlusion, perspective-correct depth, the Anny body."""

from __future__ import annotations

import numpy as np
import pytest

from body_model.camera import Camera, framing_camera
from body_model.part_labels import face_labels
from body_model.parts import Part
from body_model.raster import rasterize


def _camera(size: int = 101, focal: float = 100.0) -> Camera:
    # Level camera at the origin looking along +y (world z up).
    c = (size - 1) / 2
    return Camera(focal, c, c, size, size)


def _square(half: float, y: float, x0: float = 0.0, z0: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    v = np.array([[x0 - half, y, z0 - half], [x0 + half, y, z0 - half], [x0 + half, y, z0 + half],
                  [x0 - half, y, z0 + half]])
    f = np.array([[0, 1, 2], [0, 2, 3]])
    return v, f


def test_square_covers_exactly_its_projection():
    v, f = _square(0.205, 1.0)  # projects to 29.5..70.5 px: 41 pixel centres each way
    r = rasterize(v, f, _camera())
    assert r.mask.sum() == 41 * 41
    rows, cols = np.nonzero(r.mask)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (30, 70, 30, 70)
    np.testing.assert_allclose(r.depth[r.mask], 1.0, rtol=1e-5)
    assert np.isinf(r.depth[~r.mask]).all() and (r.face_index[~r.mask] == -1).all()


def test_nearer_surface_wins_whatever_the_order():
    near_v, near_f = _square(0.1, 1.0)
    far_v, far_f = _square(0.3, 2.0)
    verts = np.concatenate([far_v, near_v])
    faces = np.concatenate([far_f, near_f + 4])
    values = np.array([1, 1, 2, 2], np.uint8)
    for order in (np.arange(4), np.arange(4)[::-1]):
        r = rasterize(verts, faces[order], _camera(), values[order])
        assert r.labels[50, 50] == 2 and r.labels[50, 37] == 1 and r.labels[50, 20] == 0
        assert r.depth[50, 50] == pytest.approx(1.0) and r.depth[50, 37] == pytest.approx(2.0)


def test_depth_is_perspective_correct_on_a_slanted_plane():
    # Plane y = 1 + x (slanted away to the right); ray through pixel column u hits it at y = 1 / (1 - x/y ratio).
    v = np.array([[-0.4, 0.6, -0.4], [0.4, 1.4, -0.4], [0.4, 1.4, 0.4], [-0.4, 0.6, 0.4]])
    f = np.array([[0, 1, 2], [0, 2, 3]])
    cam = _camera()
    r = rasterize(v, f, cam, with_barycentric=True)
    for col in (35, 50, 62):
        ratio = (col - cam.cx) / cam.focal_px  # x / y along the ray
        assert r.depth[50, col] == pytest.approx(1.0 / (1.0 - ratio), rel=1e-4)
    assert np.allclose(r.barycentric[r.mask].sum(axis=1), 1.0, atol=1e-4)


def test_backface_culling_is_exact_on_a_closed_cube():
    corners = np.array([[x, y, z] for x in (-0.2, 0.2) for y in (1.8, 2.2) for z in (-0.2, 0.2)])
    # Counter-clockwise seen from outside.
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    faces = np.array([t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))])
    values = np.repeat(np.arange(1, 7, dtype=np.uint8), 2)
    cam = _camera()
    full = rasterize(corners, faces, cam, values)
    culled = rasterize(corners, faces, cam, values, cull_backfaces=True)
    assert full.mask.sum() > 0
    np.testing.assert_array_equal(full.labels, culled.labels)
    assert set(np.unique(full.labels[full.mask])) == {3}  # only the y=1.8 face is seen


def test_anny_body_silhouette_and_sides():
    from body_model.model import load_body_model

    model = load_body_model()
    verts = model.rest(model.default_shape()).vertices[0].numpy()
    stature = float(verts[:, 2].max())
    cam = framing_camera(stature, 600.0, 384, 512, fill=0.85)
    r = rasterize(verts, model.faces, cam, face_labels(model.faces, model.vertex_parts))
    rows = np.nonzero(r.mask.any(axis=1))[0]
    projected_rows = cam.project(verts)[:, 1]
    assert abs(rows.min() - projected_rows.min()) <= 1 and abs(rows.max() - projected_rows.max()) <= 1
    assert 0.8 < (rows.max() - rows.min()) / 512 < 0.95  # feet reach towards the camera
    cols_left_arm = np.nonzero(r.labels == Part.LEFT_FOREARM)[1]
    assert cols_left_arm.mean() > cam.cx  # the person's left is on the image right in a front view
    assert {int(p) for p in Part if p != Part.BACKGROUND} - set(np.unique(r.labels).tolist()) <= {int(Part.HAIR)}
