"""Input checks on hand-made pose detections (small arrays, no models): each bad input's typed error."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from body_model.lip_labels import LIP_ID
from measure import checks
from measure.errors import (
    MultiplePeopleError,
    NoPersonError,
    OutOfRangeError,
    PersonCutOffError,
    PersonTooSmallError,
    PoseError,
    WrongViewError,
)
from parsing.pose import PoseDetection, blazepose_to_keypoints

# Landmark layout of a standing person: (index, y from the head top, x from the body axis), in
# fractions of the person's height; +x is the person's left.
BODY = {
    0: (0.075, 0.0), 1: (0.06, 0.012), 2: (0.06, 0.02), 3: (0.06, 0.028), 4: (0.06, -0.012), 5: (0.06, -0.02),
    6: (0.06, -0.028), 7: (0.07, 0.04), 8: (0.07, -0.04), 9: (0.088, 0.01), 10: (0.088, -0.01),
    11: (0.18, 0.11), 12: (0.18, -0.11), 23: (0.5, 0.07), 24: (0.5, -0.07),
    25: (0.72, 0.06), 26: (0.72, -0.06), 27: (0.94, 0.06), 28: (0.94, -0.06),
    29: (0.965, 0.06), 30: (0.965, -0.06), 31: (0.99, 0.075), 32: (0.99, -0.075),
}


def make_detection(
    size=(600, 400), top=40.0, person_h=520.0, center_x=200.0, arm_deg=30.0, view="front", core_vis=0.99
) -> PoseDetection:
    height, width = size
    lm = np.zeros((33, 4), np.float32)
    lm[:, 3] = 0.99
    side = 1.0 if view == "front" else -1.0  # front: the person's left is on the image's right
    for idx, (fy, fx) in BODY.items():
        lm[idx, :2] = center_x + side * fx * person_h, top + fy * person_h
    for sh, el, wr, sign in ((11, 13, 15, 1.0), (12, 14, 16, -1.0)):
        direction = np.array([side * sign * np.sin(np.radians(arm_deg)), np.cos(np.radians(arm_deg))])
        lm[el, :2] = lm[sh, :2] + 0.18 * person_h * direction
        lm[wr, :2] = lm[sh, :2] + 0.33 * person_h * direction
    lm[[17, 19, 21], :2] = lm[15, :2]
    lm[[18, 20, 22], :2] = lm[16, :2]
    lm[:, 2] = 0.0
    lm[0, 2] = -0.08 * person_h if view == "front" else 0.08 * person_h
    if view == "back":
        lm[[0, 2, 5], 3] = 0.2
    lm[[11, 12, 23, 24], 3] = core_vis
    mask = np.zeros((height, width), np.uint8)
    head_c = (int(center_x), int(top + 0.065 * person_h))
    cv2.ellipse(mask, head_c, (int(0.05 * person_h), int(0.065 * person_h)), 0, 0, 360, 1, -1)
    pts = lm[:, :2].astype(np.int32)
    thick = max(2, int(0.05 * person_h))
    cv2.fillPoly(mask, [pts[[11, 12, 24, 23]]], 1)
    for a, b in ((11, 13), (13, 15), (12, 14), (14, 16), (23, 25), (25, 27), (24, 26), (26, 28),
                 (0, 11), (0, 12), (27, 31), (28, 32)):
        cv2.line(mask, tuple(map(int, pts[a])), tuple(map(int, pts[b])), 1, thick)
    return PoseDetection(keypoints=blazepose_to_keypoints(lm), landmarks=lm,
                         mask=mask.astype(np.float32), image_size=(height, width))


def test_a_good_detection_passes_every_check():
    det = make_detection()
    frame = checks.check_person(det, "front.jpg")
    assert frame.warnings == [] and 0.8 < frame.height_fraction < 0.95
    assert checks.check_arms(det, "front.jpg") == []
    checks.check_single_person(det, "front.jpg")


def test_keypoint_mapping_takes_heels_and_toes():
    det = make_detection()
    assert np.allclose(det.keypoints[17, :2], det.landmarks[29, :2])  # left heel
    assert np.allclose(det.keypoints[20, :2], det.landmarks[32, :2])  # right big toe = right foot_index


def test_no_person():
    with pytest.raises(NoPersonError, match="front.jpg: no person found") as info:
        checks.check_person(None, "front.jpg")
    assert info.value.exit_code == 6
    with pytest.raises(NoPersonError):
        checks.check_person(make_detection(core_vis=0.1), "front.jpg")


@pytest.mark.parametrize("top, where", [(-60.0, "head"), (140.0, "feet")])
def test_person_cut_off(top, where):
    with pytest.raises(PersonCutOffError, match=where) as info:
        checks.check_person(make_detection(top=top), "back.jpg")
    assert info.value.exit_code == 8 and str(info.value).startswith("back.jpg: ")


def test_person_too_small_and_smallish():
    with pytest.raises(PersonTooSmallError, match="too small") as info:
        checks.check_person(make_detection(person_h=150.0, top=100.0), "f.jpg")
    assert info.value.exit_code == 9
    frame = checks.check_person(make_detection(size=(1000, 400), person_h=420.0, top=200.0), "f.jpg")
    assert [w.code for w in frame.warnings] == ["person_small"]


def test_arms_against_the_body_fail_and_close_arms_warn():
    with pytest.raises(PoseError, match="arms not away from the body") as info:
        checks.check_arms(make_detection(arm_deg=3.0), "front.jpg")
    assert info.value.exit_code == 11
    warnings = checks.check_arms(make_detection(arm_deg=11.0), "front.jpg")
    assert [w.code for w in warnings] == ["arms_close"]
    left, right = checks.arm_angles_deg(make_detection(arm_deg=30.0))
    assert left == pytest.approx(30.0, abs=0.5) and right == pytest.approx(30.0, abs=0.5)


def test_second_person_in_parser_labels():
    det = make_detection(size=(600, 700), center_x=200.0)
    labels = np.zeros((600, 700), np.uint8)
    labels[det.binary_mask()] = LIP_ID["upper_clothes"]
    other = make_detection(size=(600, 700), center_x=520.0)
    labels[other.binary_mask()] = LIP_ID["pants"]
    with pytest.raises(MultiplePeopleError, match="more than one person") as info:
        checks.check_single_person(det, "front.jpg", labels=labels)
    assert info.value.exit_code == 7
    with pytest.raises(MultiplePeopleError):
        checks.check_single_person(det, "front.jpg", other_person_found=True)
    # A small blob (a bag, a dog) is not a person.
    labels[other.binary_mask()] = 0
    labels[500:560, 600:640] = LIP_ID["pants"]
    checks.check_single_person(det, "front.jpg", labels=labels)


def test_view_evidence_separates_front_and_back():
    front = checks.view_evidence(make_detection(view="front"))
    back = checks.view_evidence(make_detection(view="back"))
    assert front.facing > 0.5 and back.facing < -0.5
    assert checks.check_views(front, back, "f.jpg", "b.jpg") == []


def test_parser_face_pixels_count_as_evidence():
    det = make_detection(view="front")
    labels = np.zeros((600, 400), np.uint8)
    labels[40:60, 180:220] = LIP_ID["hair"]
    labels[60:100, 180:220] = LIP_ID["face"]
    with_face = checks.view_evidence(det, labels)
    labels[60:100, 180:220] = LIP_ID["hair"]
    no_face = checks.view_evidence(det, labels)
    assert with_face.cues["face_pixels"] == 1.0 and no_face.cues["face_pixels"] == -1.0
    assert with_face.facing > no_face.facing


@pytest.mark.parametrize(
    "front_view, back_view, reason",
    [("back", "front", "swapped"), ("front", "front", "both photos show the front"),
     ("back", "back", "both photos show the back")],
)
def test_wrong_views(front_view, back_view, reason):
    f = checks.view_evidence(make_detection(view=front_view))
    b = checks.view_evidence(make_detection(view=back_view))
    with pytest.raises(WrongViewError, match=reason) as info:
        checks.check_views(f, b, "f.jpg", "b.jpg")
    assert info.value.exit_code == 10


def test_undecided_views_only_warn():
    unsure = checks.ViewEvidence(facing=0.1, cues={})
    warnings = checks.check_views(unsure, unsure, "f.jpg", "b.jpg")
    assert [w.code for w in warnings] == ["view_unsure"]


@pytest.mark.parametrize(
    "height, weight, sex, field",
    [(50.0, None, None, "height"), (260.0, None, None, "height"), (float("nan"), None, None, "height"),
     (170.0, 5.0, None, "weight"), (170.0, 900.0, None, "weight"), (170.0, None, "robot", "sex")],
)
def test_body_values_out_of_range(height, weight, sex, field):
    with pytest.raises(OutOfRangeError, match=f"^{field}: ") as info:
        checks.check_body_values(height, weight, sex)
    assert info.value.exit_code == 12 and isinstance(info.value, ValueError)


def test_body_values_normalised_and_unusual_ones_warn():
    sex, warnings = checks.check_body_values(170.0, 65.0, "F")
    assert sex == "female" and warnings == []
    _, warnings = checks.check_body_values(120.0, 150.0, None)
    assert {w.code for w in warnings} == {"height_unusual", "bmi_unusual"}


def test_strong_margin_only_rejects_clear_cases():
    weak_front, weak_back = checks.ViewEvidence(0.5, {}), checks.ViewEvidence(0.5, {})
    checks.check_views(weak_front, weak_back, "f.jpg", "b.jpg", margin=checks.STRONG_VIEW_MARGIN)
    with pytest.raises(WrongViewError):
        checks.check_views(weak_front, weak_back, "f.jpg", "b.jpg")


def test_face_pixels_overrule_pose_cues_that_take_a_back_photo_for_a_front():
    """BlazePose can see a front in a back photo (shoulder order and nose depth both flipped); the parser
    sees hair where the face would be, and the pair passes (a back render where this happened)."""
    from types import SimpleNamespace

    lm = np.zeros((33, 4), np.float32)
    lm[11, :3], lm[12, :3], lm[0, 2] = (0.6, 0.3, 0.0), (0.4, 0.3, 0.0), -0.3  # what a front would give
    det = SimpleNamespace(landmarks=lm)
    labels = np.zeros((40, 40), np.uint8)
    labels[:10, 10:30] = LIP_ID["hair"]
    back = checks.view_evidence(det, labels)
    assert checks.view_evidence(det).facing > 0.75  # the pose cues alone: a confident front
    labels_front = labels.copy()
    labels_front[5:10, 15:25] = LIP_ID["face"]
    front = checks.view_evidence(det, labels_front)
    assert checks.check_views(front, back, "f.jpg", "b.jpg") == []


def test_loose_garments_measured_as_tight_clothes_warn():
    from measure.checks import check_loose_garments

    labels = np.zeros((100, 60), np.uint8)
    labels[10:90, 20:40] = LIP_ID["upper_clothes"]
    assert check_loose_garments(labels, "tight", "front.jpg") == []
    labels[50:90, 15:45] = LIP_ID["skirt"]
    (warning,) = check_loose_garments(labels, "tight", "front.jpg")
    assert warning.code == "loose_clothes" and "skirt" in warning.message and warning.subject == "front.jpg"
    assert check_loose_garments(labels, "everyday", "front.jpg") == []  # told: the fit allows for it
    assert check_loose_garments(None, "tight", "front.jpg") == []
    labels[50:90, 15:45] = LIP_ID["upper_clothes"]
    labels[88:90, 20:22] = LIP_ID["coat"]  # a few stray pixels are no coat
    assert check_loose_garments(labels, "tight", "front.jpg") == []


def test_a_side_photo_in_doubt_is_named():
    from measure.checks import side_photo_doubt

    tall = np.zeros((100, 40), bool)
    tall[5:95, 10:30] = True
    short = np.zeros((100, 40), bool)
    short[5:40, 10:30] = True
    assert side_photo_doubt(tall, 0.9, [tall, tall]) is None
    assert side_photo_doubt(tall, None, [tall, tall]) is None  # no parser: nothing to disagree with
    assert "disagree" in side_photo_doubt(tall, 0.24, [tall, tall])
    assert "35 px tall" in side_photo_doubt(short, 0.9, [tall, tall])


def test_pose_cues_alone_reject_swapped_pairs_but_leave_two_fronts_to_the_parser():
    from types import SimpleNamespace

    def det(facing_camera: bool):
        lm = np.zeros((33, 4), np.float32)
        sign = 1.0 if facing_camera else -1.0
        lm[11, :3], lm[12, :3], lm[0, 2] = (0.5 + 0.1 * sign, 0.3, 0.0), (0.5 - 0.1 * sign, 0.3, 0.0), -0.3 * sign
        return SimpleNamespace(landmarks=lm)

    checks.check_views_on_pose(det(True), det(False), "f.jpg", "b.jpg")
    checks.check_views_on_pose(det(True), det(True), "f.jpg", "b.jpg")  # maybe a back BlazePose misread
    with pytest.raises(WrongViewError, match="swapped"):
        checks.check_views_on_pose(det(False), det(True), "f.jpg", "b.jpg")
    with pytest.raises(WrongViewError, match="both photos show the back"):
        checks.check_views_on_pose(det(False), det(False), "f.jpg", "b.jpg")
