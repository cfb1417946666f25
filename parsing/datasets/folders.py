"""Readers for the LIP / CIHP and ATR folder layouts: lists of (image, label) files and a Dataset of
raw (RGB uint8, label uint8) pairs at their original size (augmentation comes separately).

Layouts (the first that matches wins):
- LIP: `TrainVal_images/{split}_images/*.jpg`, `TrainVal_parsing_annotations/{split}_segmentations/*.png`,
  ids in `{split}_id.txt` (else every image that has a label).
- CIHP: `images/`, `labels/` with ids from `list/{split}_id.txt` (CIHP_PGN's layout, and cihp_samples);
  or the official `Training|Validation/Images` + `Category_ids`.
- folder: CIHP's images/ + labels/ layout holding any label set (e.g. CCP converted to LIP ids).
- ATR: `{split}_images/`, `{split}_segmentations/` with `{split}_id.txt` (SCHP's layout); or the original
  release `JPEGImages/` + `SegmentationClassAug/` (ids from `{split}_id.txt` beside them, else all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from torch.utils.data import Dataset

from parsing.datasets.meta import DatasetMeta, get_meta

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp")


class DatasetLayoutError(FileNotFoundError):
    """The folder does not hold the expected dataset layout (message names the folder and what is missing)."""

    exit_code = 4  # input file missing or unreadable (the CLI contract, measure/errors.py)


@dataclass(frozen=True)
class LabeledFile:
    name: str
    image: Path
    label: Path


def _read_ids(path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


def _find_image(folder: Path, stem: str) -> Path | None:
    for ext in IMAGE_EXTS:
        p = folder / f"{stem}{ext}"
        if p.exists():
            return p
    return None


def _pair(image_dir: Path, label_dir: Path, ids_file: Path | None) -> list[LabeledFile]:
    if ids_file is not None and ids_file.exists():
        ids = _read_ids(ids_file)
    else:
        ids = sorted(p.stem for p in label_dir.glob("*.png"))
    items = []
    for stem in ids:
        image = _find_image(image_dir, stem)
        label = label_dir / f"{stem}.png"
        if image is None or not label.exists():
            missing = label if image is not None else image_dir / f"{stem}.jpg"
            raise DatasetLayoutError(f"{missing}: listed id {stem!r} has no file")
        items.append(LabeledFile(stem, image, label))
    return items


def _split_ids(folder: Path, split: str) -> Path | None:
    """`{split}_id.txt` in folder; None (= every labelled image) only when the folder lists no split at all."""
    ids = folder / f"{split}_id.txt"
    if ids.exists():
        return ids
    if folder.is_dir() and any(folder.glob("*_id.txt")):
        raise DatasetLayoutError(f"{ids}: no such split list (images and labels are shared by all splits)")
    return None


def lip_files(root: Path, split: str = "train") -> list[LabeledFile]:
    images = root / "TrainVal_images" / f"{split}_images"
    labels = root / "TrainVal_parsing_annotations" / f"{split}_segmentations"
    if not images.is_dir() or not labels.is_dir():
        raise DatasetLayoutError(f"{root}: no LIP layout (TrainVal_images/{split}_images, "
                                 f"TrainVal_parsing_annotations/{split}_segmentations)")
    ids = root / f"{split}_id.txt"
    return _pair(images, labels, ids if ids.exists() else None)


def cihp_files(root: Path, split: str = "train") -> list[LabeledFile]:
    if (root / "images").is_dir() and (root / "labels").is_dir():
        return _pair(root / "images", root / "labels", _split_ids(root / "list", split))
    official = root / {"train": "Training", "val": "Validation"}.get(split, split)
    if (official / "Images").is_dir() and (official / "Category_ids").is_dir():
        return _pair(official / "Images", official / "Category_ids", None)
    raise DatasetLayoutError(f"{root}: no CIHP layout (images/ + labels/, "
                             "or Training|Validation/Images + Category_ids)")


def atr_files(root: Path, split: str = "train") -> list[LabeledFile]:
    if (root / f"{split}_images").is_dir() and (root / f"{split}_segmentations").is_dir():
        ids = root / f"{split}_id.txt"
        return _pair(root / f"{split}_images", root / f"{split}_segmentations", ids if ids.exists() else None)
    if (root / "JPEGImages").is_dir() and (root / "SegmentationClassAug").is_dir():
        return _pair(root / "JPEGImages", root / "SegmentationClassAug", _split_ids(root, split))
    raise DatasetLayoutError(f"{root}: no ATR layout ({split}_images + {split}_segmentations, "
                             "or JPEGImages + SegmentationClassAug)")


# "folder": any label set in the images/ + labels/ (+ list/{split}_id.txt) layout; pass its meta.
FINDERS = {"lip": lip_files, "cihp": cihp_files, "atr": atr_files, "folder": cihp_files}


def _open(path: Path) -> Image.Image:
    try:
        image = Image.open(path)
        image.load()
        return image
    except OSError as exc:
        raise DatasetLayoutError(f"{path}: unreadable image ({exc})") from exc


class LabeledImages(Dataset):
    """Raw pairs: item i -> (rgb (H, W, 3) uint8, label (H, W) uint8), at the files' own size."""

    def __init__(self, files: Sequence[LabeledFile], meta: DatasetMeta) -> None:
        self.files = list(files)
        self.meta = meta

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        f = self.files[i]
        rgb = np.asarray(_open(f.image).convert("RGB"))
        label = np.asarray(_open(f.label))
        if label.ndim != 2:
            raise DatasetLayoutError(f"{f.label}: label must be a single-channel image, got shape {label.shape}")
        if label.shape != rgb.shape[:2]:
            raise DatasetLayoutError(f"{f.label}: size {label.shape[::-1]} differs from its image {rgb.shape[1::-1]}")
        return rgb, label.astype(np.uint8)


def open_folder(dataset: str, root: str | Path, split: str = "train", meta: DatasetMeta | None = None) -> LabeledImages:
    """Raw pairs of a LIP / CIHP / ATR folder (or "folder": images/ + labels/ in any label set, given by
    `meta`), with the metadata attached (`.meta`; default: the dataset's own)."""
    name = dataset.lower()
    if name not in FINDERS:
        raise DatasetLayoutError(f"{dataset}: no folder reader for this dataset; choose from {sorted(FINDERS)}")
    root = Path(root)
    if not root.is_dir():
        raise DatasetLayoutError(f"{root}: dataset folder not found")
    files = FINDERS[name](root, split)
    if not files:
        raise DatasetLayoutError(f"{root}: no labelled images for split {split!r}")
    if meta is None:
        if name == "folder":
            raise DatasetLayoutError(f"{root}: a generic folder needs its label set (meta)")
        meta = get_meta(name)
    return LabeledImages(files, meta)
