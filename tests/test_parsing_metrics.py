"""The confusion matrix and the LIP / ATR scores against numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from parsing.metrics import ConfusionMatrix, atr_scores, lip_scores, person_iou


def test_confusion_matrix_equals_a_hand_made_one() -> None:
    gt = np.array([[0, 0, 1, 1], [2, 2, 255, 1]], dtype=np.uint8)
    pred = np.array([[0, 1, 1, 1], [2, 0, 2, 2]], dtype=np.uint8)
    cm = ConfusionMatrix(3)
    cm.update(gt, pred)
    cm.update(gt[:1], pred[:1])  # accumulates over a set
    # rows = ground truth, columns = prediction; the 255 pixel is ignored
    expected = np.array([[1, 1, 0], [0, 2, 1], [1, 0, 1]]) + np.array([[1, 1, 0], [0, 2, 0], [0, 0, 0]])
    np.testing.assert_array_equal(cm.counts, expected)


def test_lip_scores_by_hand() -> None:
    # class 2: predicted once, never in the ground truth (IoU 0); class 3: neither (left out of the means)
    cm = np.array([[5, 1, 0, 0], [1, 2, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    s = lip_scores(cm)
    assert s.pixel_accuracy == pytest.approx(7 / 10)
    assert s.class_iou[:3] == pytest.approx([5 / 7, 2 / 5, 0.0])
    assert math.isnan(s.class_iou[3]) and math.isnan(s.class_accuracy[2])
    assert s.mean_iou == pytest.approx((5 / 7 + 2 / 5 + 0) / 3)
    assert s.mean_accuracy == pytest.approx((5 / 6 + 2 / 4) / 2)


def test_atr_scores_by_hand() -> None:
    cm = np.array([[8, 1, 1], [2, 6, 0], [0, 2, 4]])
    s = atr_scores(cm)
    p1, p2 = 6 / 9, 4 / 5
    r1, r2 = 6 / 8, 4 / 6
    assert s.pixel_accuracy == pytest.approx(18 / 24)
    assert s.foreground_accuracy == pytest.approx(10 / 14)
    assert s.precision == pytest.approx((p1 + p2) / 2)
    assert s.recall == pytest.approx((r1 + r2) / 2)
    assert s.f1 == pytest.approx(2 * s.precision * s.recall / (s.precision + s.recall))
    assert s.class_f1[1] == pytest.approx(2 * p1 * r1 / (p1 + r1))
    assert math.isnan(s.class_f1[0])
    assert person_iou(cm) == pytest.approx((6 + 0 + 2 + 4) / (24 - 8))


def test_bad_predictions_are_refused() -> None:
    cm = ConfusionMatrix(3)
    with pytest.raises(ValueError):
        cm.update(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        cm.update(np.zeros((2, 2)), np.full((2, 2), 7))
