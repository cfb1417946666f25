"""One confusion matrix over a whole evaluation set, and the LIP-style and ATR-style scores from it.

LIP (and CIHP): pixel accuracy, mean class accuracy, mean IoU over all classes (background included;
a class absent from both ground truth and prediction is left out of the means), and the mean IoU over
the classes present in the ground truth of the evaluated set (at least one pixel): on a set that never
shows some classes (a small CCP-val may hold no glove), a false alarm of such a class would otherwise
count as a whole class with IoU 0. ATR: pixel accuracy,
foreground accuracy (correct foreground pixels / foreground ground-truth pixels), mean precision and
mean recall over the foreground classes, F1 = 2PR / (P + R) from those means, and per-class F1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from parsing.datasets.meta import IGNORE_INDEX


class ConfusionMatrix:
    """Accumulates counts[gt, pred] with a bincount; ignore pixels (255) are skipped."""

    def __init__(self, num_classes: int, ignore_index: int = IGNORE_INDEX) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.counts = np.zeros((num_classes, num_classes), dtype=np.int64)

    def update(self, gt: np.ndarray | torch.Tensor, pred: np.ndarray | torch.Tensor) -> None:
        gt_t = torch.as_tensor(gt).reshape(-1).long()
        pred_t = torch.as_tensor(pred).reshape(-1).long().to(gt_t.device)
        if gt_t.shape != pred_t.shape:
            raise ValueError(f"label and prediction sizes differ: {tuple(gt_t.shape)} vs {tuple(pred_t.shape)}")
        n = self.num_classes
        keep = (gt_t != self.ignore_index) & (gt_t >= 0) & (gt_t < n)
        if bool(((pred_t[keep] < 0) | (pred_t[keep] >= n)).any()):
            raise ValueError(f"prediction ids outside 0..{n - 1}")
        counts = torch.bincount(gt_t[keep] * n + pred_t[keep], minlength=n * n).reshape(n, n)
        self.counts += counts.cpu().numpy()

    def merge(self, other: ConfusionMatrix) -> None:
        self.counts += other.counts


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.maximum(b, 1), np.nan)


@dataclass
class LIPScores:
    pixel_accuracy: float
    mean_accuracy: float
    mean_iou: float
    class_iou: list[float]          # NaN for a class absent from ground truth and prediction
    class_accuracy: list[float]     # NaN for a class absent from ground truth
    mean_iou_present: float = float("nan")  # mean IoU over the classes with ground-truth pixels


@dataclass
class ATRScores:
    pixel_accuracy: float
    foreground_accuracy: float
    precision: float
    recall: float
    f1: float
    class_f1: list[float]           # index 0 (background) is NaN: ATR scores foreground classes


def lip_scores(cm: np.ndarray) -> LIPScores:
    cm = cm.astype(np.float64)
    tp = np.diag(cm)
    gt = cm.sum(1)
    pred = cm.sum(0)
    acc = _div(tp, gt)
    iou = _div(tp, gt + pred - tp)
    return LIPScores(
        pixel_accuracy=float(tp.sum() / max(cm.sum(), 1.0)),
        mean_accuracy=float(np.nanmean(acc)) if np.isfinite(acc).any() else float("nan"),
        mean_iou=float(np.nanmean(iou)) if np.isfinite(iou).any() else float("nan"),
        class_iou=iou.tolist(),
        class_accuracy=acc.tolist(),
        mean_iou_present=present_mean_iou(cm),
    )


def present_classes(cm: np.ndarray) -> list[int]:
    """Class ids with at least one ground-truth pixel (rows of counts[gt, pred] that are not empty)."""
    return [int(k) for k in np.flatnonzero(np.asarray(cm).sum(1) > 0)]


def present_mean_iou(cm: np.ndarray) -> float:
    """Mean IoU over the classes present in the ground truth (background included when present).

    A class never in the ground truth is left out even when predicted; its false alarms still count,
    as misses of the true classes of those pixels (and in `mean_iou`, as that class's IoU of 0)."""
    cm = np.asarray(cm, dtype=np.float64)
    keep = present_classes(cm)
    if not keep:
        return float("nan")
    tp = np.diag(cm)[keep]
    union = cm.sum(1)[keep] + cm.sum(0)[keep] - tp
    return float(np.mean(tp / union))


def atr_scores(cm: np.ndarray, background: int = 0) -> ATRScores:
    cm = cm.astype(np.float64)
    tp = np.diag(cm)
    gt = cm.sum(1)
    pred = cm.sum(0)
    fg = np.arange(cm.shape[0]) != background
    precision = _div(tp, pred)
    recall = _div(tp, gt)
    f1 = _div(2 * precision * recall, precision + recall)
    f1 = np.where(np.isfinite(precision) & np.isfinite(recall) & (precision + recall == 0), 0.0, f1)
    p = float(np.nanmean(precision[fg])) if np.isfinite(precision[fg]).any() else float("nan")
    r = float(np.nanmean(recall[fg])) if np.isfinite(recall[fg]).any() else float("nan")
    class_f1 = f1.copy()
    class_f1[background] = np.nan
    return ATRScores(
        pixel_accuracy=float(tp.sum() / max(cm.sum(), 1.0)),
        foreground_accuracy=float(tp[fg].sum() / max(gt[fg].sum(), 1.0)),
        precision=p,
        recall=r,
        f1=2 * p * r / (p + r) if p + r > 0 else float("nan"),
        class_f1=class_f1.tolist(),
    )


def person_iou(cm: np.ndarray, background: int = 0) -> float:
    """IoU of person (any non-background class) vs background: the silhouette quality."""
    bg_bg = cm[background, background]
    fg_fg = cm.sum() - cm[background, :].sum() - cm[:, background].sum() + bg_bg
    union = cm.sum() - bg_bg
    return float(fg_fg / union) if union > 0 else float("nan")
