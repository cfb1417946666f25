"""Synthetic photos: label maps, clothing outside the body, views, keypoints, framing, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from body_model.keypoints import KEYPOINT_ID
from body_model.lip_labels import CLOTHING_IDS, LIP_ID, SKIN_IDS
from body_model.looks import Garment, Look, Material
from body_model.render import random_standing_pose, render_person

SIZE = (256, 192)


@pytest.fixture(scope="module")
def model():
    from body_model.model import load_body_model

    return load_body_model()


def _look(lower: str = "pants", upper: str = "tshirt", slack: float = 0.02) -> Look:
    cloth = Material((60.0, 80.0, 160.0), "stripes")
    lower_extent = {"pants": 1.95, "shorts": 0.5, "skirt": 1.0, "dress": 1.0}[lower]
    return Look(skin=Material((220.0, 180.0, 150.0)),
                upper=Garment(upper, Material((200.0, 50.0, 50.0)), slack, 0.5),
                lower=Garment(lower, cloth, slack, lower_extent, flare=0.3 if lower == "skirt" else 0.0),
                hair="short", background="wall")


def test_front_photo_has_consistent_outputs(model):
    photo = render_person(model, model.default_shape(), image_size=SIZE, look=_look(), rng=0)
    assert photo.rgb.shape == (*SIZE, 3) and photo.rgb.dtype == np.uint8
    assert photo.labels.shape == SIZE and photo.labels.max() < 20
    np.testing.assert_array_equal(photo.mask, photo.labels > 0)
    present = set(np.unique(photo.labels).tolist())
    for name in ("hair", "face", "upper_clothes", "pants", "left_arm", "right_arm", "left_shoe", "right_shoe"):
        assert LIP_ID[name] in present, name
    assert photo.keypoints.shape == (21, 3)
    assert (photo.keypoints[:, 2] == 1.0).all()  # a front A-pose shows every keypoint
    rows, cols = photo.keypoints[:, 1].astype(int), photo.keypoints[:, 0].astype(int)
    assert photo.mask[rows, cols].mean() > 0.9
    # The person's left arm is on the image right in a front view.
    assert np.nonzero(photo.labels == LIP_ID["left_arm"])[1].mean() > photo.camera.cx
    assert photo.rgb[photo.mask].std() > 5 and photo.rgb[~photo.mask].std() > 1


def test_clothing_lies_outside_the_body_and_skin_inside(model):
    photo = render_person(model, model.default_shape(), image_size=SIZE, look=_look(slack=0.025), rng=1)
    clothing = np.isin(photo.labels, list(CLOTHING_IDS))
    skin = np.isin(photo.labels, list(SKIN_IDS))
    outside = clothing & ~photo.body_mask
    assert outside.sum() > 0.05 * clothing.sum()
    assert (skin & photo.body_mask).sum() > 0.97 * skin.sum()
    assert not (photo.body_mask & ~photo.mask).any()  # the dressed person covers the bare body


def test_skirt_bridges_the_legs(model):
    photo = render_person(model, model.default_shape(), image_size=SIZE, look=_look(lower="skirt"), rng=2)
    skirt = photo.labels == LIP_ID["skirt"]
    assert skirt.sum() > 0
    assert (skirt & ~photo.body_mask).sum() > 0.15 * skirt.sum()
    # Some row through the skirt is one continuous run of skirt pixels across both legs.
    hip_row = int(photo.keypoints[KEYPOINT_ID["left_hip"], 1] + 0.4 * (
        photo.keypoints[KEYPOINT_ID["left_knee"], 1] - photo.keypoints[KEYPOINT_ID["left_hip"], 1]))
    cols = np.nonzero(skirt[hip_row])[0]
    assert len(cols) > 0 and cols.max() - cols.min() + 1 == len(cols)
    assert not photo.body_mask[hip_row, cols].all()  # including the gap between the thighs


def test_back_view_keeps_the_persons_own_sides(model):
    shape, look = model.default_shape(), _look()
    front = render_person(model, shape, view="front", image_size=SIZE, look=look, rng=3)
    back = render_person(model, shape, view="back", image_size=SIZE, look=look, rng=3)
    cx = back.camera.cx
    assert np.nonzero(back.labels == LIP_ID["left_arm"])[1].mean() < cx
    assert back.keypoints[KEYPOINT_ID["left_wrist"], 0] < cx < front.keypoints[KEYPOINT_ID["left_wrist"], 0]
    assert back.keypoints[KEYPOINT_ID["nose"], 2] == 0.5  # hidden behind the head
    face_front, face_back = ((p.labels == LIP_ID["face"]).sum() for p in (front, back))
    assert face_back < 0.6 * face_front  # from behind only ears and nape show skin
    side = render_person(model, shape, view="side", image_size=SIZE, look=look, rng=3)
    assert side.keypoints[KEYPOINT_ID["nose"], 0] < side.keypoints[KEYPOINT_ID["left_ear"], 0]  # faces image left
    assert side.keypoints[KEYPOINT_ID["right_knee"], 2] == 0.5  # far leg hidden


def test_distance_sets_the_person_size_and_renders_are_reproducible(model):
    shape = model.default_shape()
    stature = float(model.rest(shape).vertices[0, :, 2].max())
    photo = render_person(model, shape, image_size=SIZE, focal_px=300.0, distance_m=2.5, rng=4)
    rows = np.nonzero(photo.body_mask.any(axis=1))[0]
    assert (rows.max() - rows.min()) == pytest.approx(300.0 * stature / 2.5, rel=0.08)
    again = render_person(model, shape, image_size=SIZE, focal_px=300.0, distance_m=2.5, rng=4)
    np.testing.assert_array_equal(photo.rgb, again.rgb)
    posed = render_person(model, shape, pose=random_standing_pose(model, np.random.default_rng(5)),
                          image_size=SIZE, rng=5)
    assert posed.mask.sum() > 0 and posed.pose.joint_rotations.abs().sum() > 0


def test_a_skin_tight_top_lies_close_over_the_leggings_waistband():
    from body_model.garments import SKIN_TIGHT_SLACK_M, SKIN_TIGHT_WAISTBAND_M, WAISTBAND_M, waistband_m

    cloth = Material((60.0, 80.0, 160.0))
    top, leggings = Garment("tshirt", cloth, 0.002, 0.4), Garment("pants", cloth, SKIN_TIGHT_SLACK_M, 1.9)
    assert waistband_m(top, leggings) == SKIN_TIGHT_WAISTBAND_M < WAISTBAND_M
    # One garment that stands off makes it an everyday outfit: the top billows over a real waistband.
    assert waistband_m(Garment("tshirt", cloth, 0.004, 0.4), leggings) == WAISTBAND_M
    assert waistband_m(top, Garment("pants", cloth, 0.01, 1.9)) == WAISTBAND_M
