"""Pose-detector keypoints moved onto the body model's definitions: the asset, the shift, the summary."""

from __future__ import annotations

import numpy as np

from body_model.keypoints import KEYPOINT_ID, NUM_KEYPOINTS
from measure.build_keypoint_calibration import summarise
from measure.keypoint_calibration import VIEW_KINDS, calibrated, load_offsets


def test_shipped_offsets_are_small_and_complete():
    table = load_offsets()
    assert table is not None and set(table) == set(VIEW_KINDS)
    for kind in VIEW_KINDS:
        assert table[kind].shape == (NUM_KEYPOINTS, 2)
        assert np.all(np.abs(table[kind]) < 0.05), kind  # a few % of the person's height at most


def test_offsets_scale_with_the_person_and_skip_unseen_keypoints():
    offsets = {k: np.zeros((NUM_KEYPOINTS, 2)) for k in VIEW_KINDS}
    ankle = KEYPOINT_ID["left_ankle"]
    offsets["side"][ankle] = (0.0, -0.02)  # the detector puts it 2% of the height too high
    kp = np.zeros((NUM_KEYPOINTS, 3), np.float32)
    kp[:, :2] = 100.0
    kp[ankle, 2] = 0.9
    kp[KEYPOINT_ID["nose"], 2] = 0.0
    out = calibrated(kp, "side", 500.0, offsets)
    assert out[ankle, 1] == 110.0 and out[ankle, 0] == 100.0  # moved down by 2% of 500 px
    assert np.array_equal(out[np.arange(NUM_KEYPOINTS) != ankle], kp[np.arange(NUM_KEYPOINTS) != ankle])
    assert np.array_equal(calibrated(kp, "front", 500.0, offsets), kp)
    assert np.array_equal(calibrated(kp, "side", 0.0, offsets), kp)  # no person height: left as found


def test_summary_takes_medians_of_keypoints_seen_often_enough():
    arr = np.full((7, NUM_KEYPOINTS, 2), np.nan)
    arr[:, 0] = [[0.01, -0.02]] * 6 + [[0.5, 0.5]]  # one outlier: the median ignores it
    arr[:3, 1] = 0.03  # seen in 3 photos only: no offset
    summary = summarise({"front": arr, "back": arr, "side": arr}, min_count=5)
    assert summary["offsets"]["front"][0] == [0.01, -0.02]
    assert summary["offsets"]["front"][1] == [0.0, 0.0]
    assert summary["counts"]["front"][0] == 7 and summary["counts"]["front"][1] == 3
