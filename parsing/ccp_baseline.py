"""The bar the parser must pass on CCP: BlazePose's person mask against CCP's ground-truth foreground.

Two definitions of the ground-truth person, both reported: every labelled CCP pixel ("ccp": bags
and purses included, as CCP draws them), and the LIP-converted foreground ("lip": bags, purses and
wallets are background, ignore pixels are left out), which is what `measure parser eval` scores the
parser against. IoU is given per image (mean over images) and pooled (one union over the set).

`python -m parsing.ccp_baseline [--split val|train|all] [--cache DIR] [--data DIR]`
(uses the BlazePose masks cached by `python -m parsing.ccp_to_lip`; computes missing ones).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from parsing.datasets.meta import IGNORE_INDEX
from parsing.pose import MASK_THRESHOLD


@dataclass
class ForegroundIoU:
    """Per-image and pooled foreground IoU over a set of images."""

    per_image: dict[str, float] = field(default_factory=dict)
    intersection: int = 0
    union: int = 0

    def add(self, sample_id: str, predicted: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None) -> None:
        if valid is not None:
            predicted, truth = predicted[valid], truth[valid]
        inter = int(np.logical_and(predicted, truth).sum())
        union = int(np.logical_or(predicted, truth).sum())
        self.per_image[sample_id] = inter / union if union else 1.0
        self.intersection += inter
        self.union += union

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.per_image.values()))) if self.per_image else float("nan")

    @property
    def pooled(self) -> float:
        return self.intersection / self.union if self.union else float("nan")


@dataclass
class BaselineResult:
    ccp: ForegroundIoU      # against every labelled CCP pixel
    lip: ForegroundIoU      # against the LIP-converted foreground (ignore pixels left out)
    missing_pose: list[str]


def mediapipe_baseline(root: Path, cache: Path, ids: Sequence[str], progress: bool = True) -> BaselineResult:
    """BlazePose person mask (>= 0.5) vs ground truth on `ids`, reading or filling the pose cache."""
    from parsing.ccp import read_groundtruth, read_photo
    from parsing.ccp_to_lip import detect_pose, load_converted, load_pose, pose_path, save_pose

    result = BaselineResult(ccp=ForegroundIoU(), lip=ForegroundIoU(), missing_pose=[])
    detector = None
    iterator = ids
    if progress:
        from rich.progress import track

        iterator = track(ids, description="BlazePose mask vs CCP")
    for sample_id in iterator:
        path = pose_path(cache, sample_id)
        if path.exists():
            record = load_pose(path)
        else:
            if detector is None:
                from parsing.pose import PoseDetector

                detector = PoseDetector()
            record = detect_pose(detector, read_photo(root, sample_id))
            save_pose(path, record)
        truth = read_groundtruth(root, sample_id)
        mask = record.mask if record.mask is not None else np.zeros(truth.shape, np.uint8)
        predicted = mask[: truth.shape[0], : truth.shape[1]] >= round(MASK_THRESHOLD * 255)
        if record.landmarks is None:
            result.missing_pose.append(sample_id)
        result.ccp.add(sample_id, predicted, truth > 0)
        lip = load_converted(cache, sample_id)
        result.lip.add(sample_id, predicted, (lip > 0) & (lip != IGNORE_INDEX), valid=lip != IGNORE_INDEX)
    if detector is not None:
        detector.close()
    return result


def main(argv: Sequence[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    from parsing.ccp import CCPError, ccp_root, labelled_ids, load_split
    from parsing.ccp_to_lip import default_cache_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="CCP folder (default: the shared data's ccp)")
    parser.add_argument("--cache", default=None, help=f"conversion cache (default {default_cache_dir()})")
    parser.add_argument("--split", choices=("val", "train", "all"), default="val")
    args = parser.parse_args(argv)
    try:
        root = ccp_root(args.data)
        cache = Path(args.cache) if args.cache else default_cache_dir()
        split = load_split()
        ids = {"val": split.val, "train": split.train, "all": labelled_ids(root)}[args.split]
        result = mediapipe_baseline(root, cache, ids)
    except CCPError as exc:
        raise SystemExit(f"error: {exc}") from None
    table = Table(title=f"BlazePose person mask vs CCP-{args.split} ground truth ({len(ids)} images, {root})")
    for col in ("ground truth", "mean IoU per image", "pooled IoU", "images < 0.9"):
        table.add_column(col, justify="right")
    for name, iou in (("all CCP labels (bags incl.)", result.ccp), ("LIP-converted (bags = bg)", result.lip)):
        low = sum(v < 0.9 for v in iou.per_image.values())
        table.add_row(name, f"{iou.mean:.4f}", f"{iou.pooled:.4f}", str(low))
    Console().print(table)
    if result.missing_pose:
        Console().print(f"no person found by BlazePose in {len(result.missing_pose)}: {result.missing_pose}")


if __name__ == "__main__":
    main()
