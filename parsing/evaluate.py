"""Evaluation of a parser over a labelled set: one confusion matrix at each label's original size.

Predictions come from `Parser` (letterbox, optional flip test, warp back to the photo's grid), so the
numbers are those of the product's own inference path. Tables print the LIP-style and ATR-style
scores (`parsing.metrics`); the LIP table also gives the mean IoU over the classes present in the
set's ground truth, the fair mean on a set (like CCP-val) that does not show every class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch.utils.data import Dataset

from parsing.datasets.meta import DatasetMeta
from parsing.inference import Parser
from parsing.metrics import (
    ATRScores,
    ConfusionMatrix,
    LIPScores,
    atr_scores,
    lip_scores,
    person_iou,
    present_classes,
)


@dataclass
class EvalResult:
    meta: DatasetMeta
    confusion: np.ndarray           # (K, K) counts[gt, pred] over the whole set
    lip: LIPScores
    atr: ATRScores
    person_iou: float               # person (any foreground class) vs background
    num_images: int

    @property
    def present_classes(self) -> list[int]:
        """Class ids with at least one ground-truth pixel in the evaluated set."""
        return present_classes(self.confusion)

    def summary(self) -> dict[str, float]:
        return {
            "pixel_acc": self.lip.pixel_accuracy, "mean_acc": self.lip.mean_accuracy, "miou": self.lip.mean_iou,
            "miou_present": self.lip.mean_iou_present,
            "fg_acc": self.atr.foreground_accuracy, "precision": self.atr.precision, "recall": self.atr.recall,
            "f1": self.atr.f1, "person_iou": self.person_iou,
        }


def evaluate(parser: Parser, pairs: Dataset, progress: bool = True, description: str = "evaluating") -> EvalResult:
    """Scores `parser` on raw pairs (rgb uint8 HWC, label uint8 HW); labels must use the parser's label set."""
    meta = parser.meta
    cm = ConfusionMatrix(meta.num_classes, meta.ignore_index)
    n = len(pairs)  # type: ignore[arg-type]
    bs = parser.batch_size
    with _Progress(progress, description, n) as advance:
        for start in range(0, n, bs):
            items = [pairs[i] for i in range(start, min(n, start + bs))]
            preds = parser.predict_batch([it[0] for it in items])
            for (_, label, *_rest), pred in zip(items, preds, strict=True):
                cm.update(np.asarray(label), pred)
            advance(len(items))
    return EvalResult(meta, cm.counts, lip_scores(cm.counts), atr_scores(cm.counts), person_iou(cm.counts), n)


class _Progress:
    """A rich progress bar (or nothing), yielding an `advance(k)` callable."""

    def __init__(self, enabled: bool, description: str, total: int) -> None:
        self.enabled, self.description, self.total = enabled, description, total
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda k: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), transient=True)
        self.bar.__enter__()
        task = self.bar.add_task(self.description, total=self.total)
        return lambda k: self.bar.advance(task, k)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _pct(x: float) -> str:
    return "-" if not np.isfinite(x) else f"{100 * x:.2f}"


def lip_table(result: EvalResult, title: str = "LIP-style scores"):
    """A rich Table: overall scores, then IoU and accuracy per class."""
    from rich.table import Table

    table = Table(title=f"{title} ({result.num_images} images)")
    table.add_column("class")
    table.add_column("IoU %", justify="right")
    table.add_column("acc %", justify="right")
    for name, iou, acc in zip(result.meta.classes, result.lip.class_iou, result.lip.class_accuracy, strict=True):
        table.add_row(name, _pct(iou), _pct(acc))
    table.add_section()
    table.add_row("pixel accuracy", _pct(result.lip.pixel_accuracy), "")
    table.add_row("mean accuracy", "", _pct(result.lip.mean_accuracy))
    table.add_row("mean IoU", _pct(result.lip.mean_iou), "")
    present = len(result.present_classes)
    table.add_row(f"mean IoU, classes in GT ({present}/{result.meta.num_classes})",
                  _pct(result.lip.mean_iou_present), "")
    table.add_row("person vs background IoU", _pct(result.person_iou), "")
    return table


def atr_table(result: EvalResult, title: str = "ATR-style scores"):
    """A rich Table: F1 per foreground class, then pixel/foreground accuracy, precision, recall, F1."""
    from rich.table import Table

    table = Table(title=f"{title} ({result.num_images} images)")
    table.add_column("class")
    table.add_column("F1 %", justify="right")
    for name, f1 in list(zip(result.meta.classes, result.atr.class_f1, strict=True))[1:]:
        table.add_row(name, _pct(f1))
    table.add_section()
    for label, value in (("pixel accuracy", result.atr.pixel_accuracy), ("foreground accuracy",
                         result.atr.foreground_accuracy), ("precision", result.atr.precision),
                         ("recall", result.atr.recall), ("F1", result.atr.f1)):
        table.add_row(label, _pct(value))
    return table
