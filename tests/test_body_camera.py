"""Camera: focal length from EXIF or the phone default, projection conventions, distance from height."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from body_model.camera import (
    Camera,
    default_focal_px,
    distance_for_height,
    exif_f35_mm,
    focal_for_image,
    focal_px_from_f35,
    framing_camera,
    person_camera,
)


def test_f35_conversion_uses_the_diagonal():
    assert focal_px_from_f35(26.0, 3000, 4000) == pytest.approx(26.0 * 5000 / 43.27)
    assert default_focal_px(3000, 4000) == pytest.approx(focal_px_from_f35(26.0, 3000, 4000))


def test_exif_focal_is_read_and_missing_exif_falls_back(tmp_path):
    with_exif = tmp_path / "exif.jpg"
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 28
    Image.new("RGB", (300, 400)).save(with_exif, exif=exif)
    plain = tmp_path / "plain.png"
    Image.new("RGB", (300, 400)).save(plain)
    assert exif_f35_mm(with_exif) == 28.0
    est = focal_for_image(with_exif, 600, 800)  # used at twice the size
    assert est.source == "exif" and est.focal_px == pytest.approx(28.0 * 1000 / 43.27)
    est = focal_for_image(plain)
    assert est.source == "default" and est.focal_px == pytest.approx(26.0 * 500 / 43.27)
    assert exif_f35_mm(tmp_path / "missing.jpg") is None


def test_front_camera_sees_the_persons_left_on_the_image_right():
    cam = person_camera(500.0, 401, 601, distance_m=3.0, camera_height_m=1.0)
    px = cam.project(np.array([[0.0, 0.0, 1.0], [0.3, 0.0, 1.0], [0.0, 0.0, 1.5]]))
    assert px[0] == pytest.approx([200.0, 300.0])
    assert px[1, 0] == pytest.approx(200.0 + 500 * 0.3 / 3.0)  # +x (person's left) -> right
    assert px[2, 1] == pytest.approx(300.0 - 500 * 0.5 / 3.0)  # up -> smaller row
    np.testing.assert_allclose(cam.center, [0.0, -3.0, 1.0], atol=1e-12)
    side = person_camera(500.0, 401, 601, distance_m=3.0, camera_height_m=1.0, view="side")
    assert side.project(np.array([[0.0, -0.2, 1.0]]))[0, 0] < 200.0  # the face (-y) points left


def test_torch_projection_matches_numpy_and_is_differentiable():
    cam = Camera.looking_at(np.array([0.4, -2.5, 1.3]), np.array([0.0, 0.0, 0.9]), 700.0, 480, 640)
    pts = np.random.default_rng(0).normal(size=(20, 3)) * 0.3 + [0, 0, 1]
    t = torch.tensor(pts, requires_grad=True)
    out = cam.project(t)
    np.testing.assert_allclose(out.detach().numpy(), cam.project(pts), rtol=1e-10)
    out.sum().backward()
    assert torch.isfinite(t.grad).all() and t.grad.abs().sum() > 0


def test_distance_for_height_inverts_the_projection():
    focal, stature = 1200.0, 1.74
    d = distance_for_height(stature, 900.0, focal)
    cam = person_camera(focal, 1000, 1200, d, stature / 2)
    top, bottom = cam.project(np.array([[0.0, 0.0, stature], [0.0, 0.0, 0.0]]))
    assert bottom[1] - top[1] == pytest.approx(900.0, rel=1e-9)
    with pytest.raises(ValueError):
        distance_for_height(stature, 0.0, focal)


def test_framing_camera_fills_the_frame():
    cam = framing_camera(1.8, default_focal_px(384, 512), 384, 512, fill=0.8)
    top, bottom = cam.project(np.array([[0.0, 0.0, 1.8], [0.0, 0.0, 0.0]]))
    assert (bottom[1] - top[1]) / 512 == pytest.approx(0.8, abs=0.02)
    assert (top[1] + bottom[1]) / 2 == pytest.approx(255.5, abs=10)
    assert math.isclose(cam.scaled(2.0).focal_px, cam.focal_px * 2)
