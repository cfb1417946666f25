"""BlazePose on the shipped sample photos: keypoints in our order, the person's own left/right in
front and back views, a mask that covers the person, GrabCut refinement and the two-person pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from body_model.keypoints import KEYPOINT_ID
from measure import checks
from measure.pipeline import orient_keypoints
from parsing.pose import PoseDetector, combine_person_mask, refine_person_mask

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"


@pytest.fixture(scope="module")
def detector() -> PoseDetector:
    return PoseDetector(max_side=640)


@pytest.fixture(scope="module")
def photos() -> dict[str, np.ndarray]:
    return {v: np.asarray(Image.open(SAMPLES / f"{v}.jpg").convert("RGB")) for v in ("front", "back")}


def test_front_and_back_keypoints_use_the_persons_own_sides(detector, photos):
    for view, sign in (("front", 1.0), ("back", -1.0)):
        det = detector.detect(photos[view])
        assert det is not None and det.keypoints.shape == (21, 3) and det.mask.shape == photos[view].shape[:2]
        kp = det.keypoints
        # Facing the camera the person's left shoulder is on the image's right; from behind, on its left.
        assert sign * (kp[KEYPOINT_ID["left_shoulder"], 0] - kp[KEYPOINT_ID["right_shoulder"], 0]) > 0
        assert np.array_equal(orient_keypoints(kp, view), kp)
        # Head above shoulders above hips above ankles, all inside the photo.
        ys = [kp[KEYPOINT_ID[n], 1] for n in ("nose", "left_shoulder", "left_hip", "left_knee", "left_ankle")]
        assert ys == sorted(ys) and (kp[:, 0] >= 0).all() and (kp[:, 0] < photos[view].shape[1]).all()
        inside = det.binary_mask()[kp[:17, 1].astype(int), kp[:17, 0].astype(int)]
        assert inside.mean() > 0.8


def test_views_and_checks_pass_on_the_sample(detector, photos):
    dets = {v: detector.detect(photos[v]) for v in photos}
    for v, det in dets.items():
        frame = checks.check_person(det, v)
        assert 0.6 < frame.height_fraction < 0.98
        assert checks.check_arms(det, v) == []
    front, back = (checks.view_evidence(dets[v]) for v in ("front", "back"))
    assert front.facing > 0.5 and back.facing < -0.5
    assert checks.check_views(front, back, "front", "back") == []


def test_orient_keypoints_swaps_mislabelled_back_views(detector, photos):
    kp = detector.detect(photos["front"]).keypoints
    swapped = orient_keypoints(kp, "back")  # a front-like labelling handed in as a back view
    assert np.allclose(swapped[KEYPOINT_ID["left_shoulder"]], kp[KEYPOINT_ID["right_shoulder"]])
    assert np.allclose(swapped[KEYPOINT_ID["nose"]], kp[KEYPOINT_ID["nose"]])


def test_grabcut_refinement_stays_close_and_parser_mask_combines(detector, photos):
    det = detector.detect(photos["front"])
    refined, agreement = refine_person_mask(photos["front"], det.mask)
    assert agreement > 0.9 and refined.dtype == bool
    labels = np.where(refined, 5, 0).astype(np.uint8)
    labels[:40, :40] = 9  # a blob away from the person is dropped
    combined = combine_person_mask(det.mask, labels)
    assert combined.source == "pose+parser" and combined.agreement_iou > 0.9 and not combined.mask[:40, :40].any()
    assert combine_person_mask(det.mask, None).source == "pose"


def test_second_person_pass(detector, photos):
    det = detector.detect(photos["front"])
    assert not detector.detect_other_person(photos["front"], det)
    pair = np.concatenate([photos["front"], photos["front"]], axis=1)
    assert detector.detect_other_person(pair, detector.detect(pair))


def test_grabcut_refinement_is_deterministic(detector, photos):
    import cv2

    det = detector.detect(photos["back"])
    first, _ = refine_person_mask(photos["back"], det.mask)
    cv2.randu(np.zeros((100, 100), np.float32), 0, 1)  # other OpenCV work moves the global RNG
    again, _ = refine_person_mask(photos["back"], det.mask)
    assert np.array_equal(first, again)


def test_labels_on_mask_fill_the_mask_with_the_nearest_part():
    from parsing.pose import labels_on_mask

    labels = np.zeros((12, 12), np.uint8)
    labels[3:9, 3:6] = 5    # upper clothes on the left half
    labels[3:9, 6:9] = 14   # left arm on the right half
    labels[0, 11] = 2       # a stray hair pixel outside the mask
    mask = np.zeros((12, 12), bool)
    mask[2:10, 2:10] = True  # the outline source's person: one pixel wider than the parser's all round
    out = labels_on_mask(mask, labels)
    assert out.dtype == np.uint8 and not out[~mask].any()
    assert (out[mask] > 0).all()                       # every mask pixel got a part
    assert (out[2:10, 2] == 5).all() and (out[2:10, 9] == 14).all()
    assert (out[3:9, 3:9] == labels[3:9, 3:9]).all()   # the parser's own person pixels keep their labels
    assert not labels_on_mask(mask, np.zeros_like(labels)).any()
