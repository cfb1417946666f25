"""Observation preparation and the fit's differentiable terms (no body model needed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from body_model.fit_losses import coverage_loss, inside_loss, keypoint_loss, mesh_volume_m3, project
from body_model.fit_views import View, ViewError, prepare_view
from body_model.lip_labels import LIP_ID


def _person(h: int = 120, w: int = 80) -> View:
    mask = np.zeros((h, w), bool)
    mask[20:100, 30:50] = True
    labels = np.zeros((h, w), np.uint8)
    labels[20:30, 30:50] = LIP_ID["hair"]
    labels[30:60, 30:50] = LIP_ID["upper_clothes"]
    labels[60:95, 30:50] = LIP_ID["left_leg"]
    labels[95:100, 30:50] = LIP_ID["left_shoe"]
    labels[~mask] = 0
    return View("front", mask, labels, None, focal_px=100.0)


def _only(pv, sel):
    """The prepared view with only the outline points `sel`."""
    fields = ("boundary_xy", "boundary_w", "boundary_slack", "boundary_normal", "boundary_stand_off_cm",
              "boundary_tolerance_cm")
    return type(pv)(**{**pv.__dict__, **{k: getattr(pv, k)[sel] for k in fields}})


def test_outline_weights_follow_part_labels():
    pv = prepare_view(_person())  # tight clothes: the default
    xy, w, slack = pv.boundary_xy.numpy(), pv.boundary_w.numpy(), pv.boundary_slack.numpy()
    rows = xy[:, 1].astype(int)
    assert not np.any((rows < 30) | (rows >= 95)), "hair and shoe outline must not pull the body"
    skin = (rows >= 60) & (rows < 95)
    assert np.all(w[skin] == 1.0) and np.all(slack[skin] == 0.0)    # skin: tight
    cloth = (rows >= 30) & (rows < 60)
    assert np.all(w[cloth] == 0.5) and np.all(slack[cloth] == 0.5)  # clothing: lower weight, a pixel's doubt
    assert np.all(pv.boundary_stand_off_cm.numpy() == 0.0)
    assert pv.mask_top == 20 and pv.mask_bottom == 100
    assert not pv.body_mask[25, 40] and pv.body_mask[70, 40]


def test_everyday_clothes_move_the_clothing_outline_in_by_its_stand_off():
    tight, everyday = prepare_view(_person()), prepare_view(_person(), clothes="everyday")
    rows = everyday.boundary_xy[:, 1].numpy().astype(int)
    cloth, skin = (rows >= 30) & (rows < 60), (rows >= 60) & (rows < 95)
    stand_off = everyday.boundary_stand_off_cm.numpy()
    assert np.all(stand_off[cloth] > 1.0) and np.all(stand_off[skin] == 0.0)
    # A body whose left edge sits 1.5 cm (3 px at 2 px/cm) inside the shirt's outline: no cost when the
    # person wears everyday clothes, a 3 px shortfall when they wear tight ones.
    left = lambda pv: (pv.boundary_xy[:, 0] == 30) & (pv.boundary_xy[:, 1] >= 35) & (pv.boundary_xy[:, 1] < 55)  # noqa: E731
    ys = torch.arange(30.0, 60.0, 1.0)
    body = torch.stack([torch.full_like(ys, 29.5 + 3.0), ys], 1)
    costs = {}
    for name, pv in (("tight", tight), ("everyday", everyday)):
        sel = left(pv)
        costs[name] = float(coverage_loss(body, _only(pv, sel), px_per_cm=2.0))
    assert costs["everyday"] == pytest.approx(0.0, abs=1e-3)
    assert costs["tight"] == pytest.approx(2.5 ** 2, rel=0.05)  # 3 px short, less the 0.5 px slack


def test_unknown_clothes_are_refused():
    with pytest.raises(ValueError, match="clothes must be one of"):
        prepare_view(_person(), clothes="pyjamas")


def test_view_validation_names_the_view():
    bad = View("top", np.ones((10, 10), bool), name="a.jpg")
    with pytest.raises(ViewError, match="a.jpg"):
        prepare_view(bad)
    with pytest.raises(ViewError, match="no person"):
        prepare_view(View("front", np.zeros((50, 50), bool)))
    with pytest.raises(ViewError, match="keypoints"):
        prepare_view(View("back", _person().mask, keypoints=np.zeros((5, 3))))


def test_inside_and_coverage_terms():
    pv = prepare_view(_person())
    inside_pts = torch.tensor([[35.0, 40.0], [45.0, 80.0]])
    outside_pts = torch.tensor([[10.0, 40.0], [45.0, 110.0]])
    assert float(inside_loss(inside_pts, pv)) == 0.0
    # Squared distance past the true edge (half a pixel beyond the outline pixels), per outline point.
    expected = (19.5 ** 2 + 10.5 ** 2) / len(pv.boundary_xy)
    assert float(inside_loss(outside_pts, pv)) == pytest.approx(expected, rel=0.05)
    # The true edge lies half a pixel beyond the outline pixels' centres: a body reaching it has (almost)
    # zero coverage cost and no inside cost; a shrunken one pays coverage, a grown one pays inside.
    ys, xs = np.mgrid[19.5:100.0:0.5, 29.5:50.0:0.5]
    full = torch.tensor(np.stack([xs.ravel(), ys.ravel()], 1), dtype=torch.float32)
    assert float(coverage_loss(full, pv, px_per_cm=2.0)) == pytest.approx(0.0, abs=0.02)
    assert float(inside_loss(full, pv)) == pytest.approx(0.0, abs=0.02)
    shrunk = (full - full.mean(0)) * 0.7 + full.mean(0)
    assert float(coverage_loss(shrunk, pv, px_per_cm=2.0)) > 1.0
    grown = (full - full.mean(0)) * 1.1 + full.mean(0)
    assert float(inside_loss(grown, pv)) > 1.0


def test_coverage_ignores_vertex_spacing_along_the_outline():
    # Sparse body points (every 4 px) exactly on the true edge of the mask's left side: the offsets along
    # the outline are not error, only those across it.
    pv = prepare_view(View("front", _person().mask, None, None, focal_px=100.0))
    rows = pv.boundary_xy[:, 1]
    left = (pv.boundary_xy[:, 0] == 30) & (rows > 40) & (rows < 80)
    sparse_y = torch.arange(20.0, 100.0, 4.0)
    edge = torch.stack([torch.full_like(sparse_y, 29.5), sparse_y], 1)
    from body_model.fit_losses import coverage_loss as cov

    sub = _only(pv, left)
    assert float(cov(edge, sub, px_per_cm=2.0)) == pytest.approx(0.0, abs=1e-3)
    assert float(cov(edge + torch.tensor([1.0, 0.0]), sub, px_per_cm=2.0)) == pytest.approx(1.0, abs=0.05)


def test_keypoint_loss_and_projection():
    kp = np.zeros((21, 3), np.float32)
    kp[0] = [10, 10, 1.0]
    view = _person()
    view.keypoints = kp
    pv = prepare_view(view)
    uv = torch.zeros(21, 2)
    uv[0] = torch.tensor([10.0, 13.0])
    assert float(keypoint_loss(uv, pv)) == pytest.approx(4.5)   # 0.5 * 3^2, others have no confidence
    pts = torch.tensor([[0.0, 2.0, 0.0], [0.2, 2.0, -0.4]])
    uv = project(pts, focal=100.0, cx=50.0, cy=60.0)
    assert torch.allclose(uv, torch.tensor([[50.0, 60.0], [60.0, 80.0]]))


def test_mesh_volume_of_unit_cube():
    v = torch.tensor([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)], dtype=torch.float32)
    f = torch.tensor([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                      [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    assert float(mesh_volume_m3(v, f)) == pytest.approx(1.0)
