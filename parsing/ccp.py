"""Reading Clothing Co-Parsing (CCP): street-fashion photos with 59-id pixel labels.

Layout (public repository `bearpaw/clothing-co-parsing`): `photos/NNNN.jpg`, pixel labels for a
subset in `annotations/pixel-level/NNNN.mat` (MATLAB, variable `groundtruth`, uint8 H x W, ids 0..58)
and the id names in `label_list.mat`. Only the labelled photos are used for parsing; the fixed
train/val split of their ids ships in `assets/ccp_split.json` (see `make_split`).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from parsing.datasets.meta import CCP_CLASSES

SPLIT_FILE = Path(__file__).resolve().parent.parent / "assets" / "ccp_split.json"
DEFAULT_VAL_FRACTION = 0.15
DEFAULT_SPLIT_SEED = 2014  # the year CCP was published; any fixed number would do


class CCPError(ValueError):
    """A CCP folder or file that cannot be used; the message names the path and the reason."""

    exit_code = 2


@dataclass
class CCPSample:
    """One labelled CCP photo: RGB and its 59-id label map, same height and width."""

    id: str
    rgb: np.ndarray      # (H, W, 3) uint8
    labels: np.ndarray   # (H, W) uint8, CCP ids (CCP_CLASSES order)


def ccp_root(data_dir: str | Path | None = None) -> Path:
    """The CCP folder: `data_dir` itself, `data_dir/ccp`, or the shared data's `ccp`."""
    if data_dir is None:
        from body_model.data_paths import require_data_dir

        try:
            return require_data_dir("ccp")
        except FileNotFoundError as exc:
            raise CCPError(str(exc)) from None
    path = Path(data_dir)
    for candidate in (path, path / "ccp"):
        if (candidate / "annotations" / "pixel-level").is_dir() and (candidate / "photos").is_dir():
            return candidate
    raise CCPError(f"{path}: not a CCP folder (needs photos/ and annotations/pixel-level/)")


def labelled_ids(root: Path) -> list[str]:
    """Ids (file stems such as '0001') of the photos that have pixel labels, sorted."""
    folder = Path(root) / "annotations" / "pixel-level"
    if not folder.is_dir():
        raise CCPError(f"{folder}: folder not found")
    return sorted(p.stem for p in folder.glob("*.mat"))


def read_label_names(root: Path) -> tuple[str, ...]:
    """The 59 names in `label_list.mat` (index = id)."""
    import scipy.io

    path = Path(root) / "label_list.mat"
    try:
        cells = scipy.io.loadmat(str(path))["label_list"]
    except (OSError, KeyError, ValueError) as exc:
        raise CCPError(f"{path}: cannot read label_list ({exc})") from None
    return tuple(str(c[0]) if len(c) else "" for c in cells.ravel())


def check_label_names(root: Path) -> None:
    """Fail when the folder's label list is not the 59 names the converter was written for."""
    names = read_label_names(root)
    if names != CCP_CLASSES:
        raise CCPError(f"{Path(root) / 'label_list.mat'}: label names differ from the CCP list this code maps")


def read_groundtruth(root: Path, sample_id: str) -> np.ndarray:
    """(H, W) uint8 CCP ids of one photo."""
    import scipy.io

    path = Path(root) / "annotations" / "pixel-level" / f"{sample_id}.mat"
    try:
        labels = scipy.io.loadmat(str(path))["groundtruth"]
    except FileNotFoundError:
        raise CCPError(f"{path}: file not found") from None
    except (OSError, KeyError, ValueError) as exc:
        raise CCPError(f"{path}: cannot read variable 'groundtruth' ({exc})") from None
    if labels.ndim != 2 or labels.size == 0:
        raise CCPError(f"{path}: 'groundtruth' has shape {labels.shape}, expected H x W")
    if int(labels.max()) >= len(CCP_CLASSES):
        raise CCPError(f"{path}: label id {int(labels.max())} outside 0..{len(CCP_CLASSES) - 1}")
    return np.ascontiguousarray(labels, dtype=np.uint8)


def read_photo(root: Path, sample_id: str) -> np.ndarray:
    """(H, W, 3) uint8 RGB of one photo."""
    from parsing.image_io import ImageReadError, load_image

    path = Path(root) / "photos" / f"{sample_id}.jpg"
    try:
        return load_image(path).rgb
    except ImageReadError as exc:
        raise CCPError(str(exc)) from None


def read_sample(root: Path, sample_id: str) -> CCPSample:
    """Photo and labels; a photo larger than its label map is cropped to it (never seen, but cheap)."""
    labels = read_groundtruth(root, sample_id)
    rgb = read_photo(root, sample_id)
    h, w = labels.shape
    if rgb.shape[0] < h or rgb.shape[1] < w:
        raise CCPError(f"{Path(root) / 'photos' / (sample_id + '.jpg')}: photo {rgb.shape[1]}x{rgb.shape[0]} "
                       f"is smaller than its labels {w}x{h}")
    return CCPSample(id=sample_id, rgb=np.ascontiguousarray(rgb[:h, :w]), labels=labels)


@dataclass
class CCPSplit:
    """Train and validation ids of the labelled CCP photos (disjoint, sorted)."""

    train: list[str]
    val: list[str]
    seed: int = DEFAULT_SPLIT_SEED
    val_fraction: float = DEFAULT_VAL_FRACTION

    def to_dict(self) -> dict:
        return {"dataset": "ccp", "seed": self.seed, "val_fraction": self.val_fraction,
                "train": self.train, "val": self.val}


def make_split(ids: list[str], val_fraction: float = DEFAULT_VAL_FRACTION, seed: int = DEFAULT_SPLIT_SEED) -> CCPSplit:
    """A seeded random split by id: round(n * val_fraction) ids go to validation."""
    ordered = sorted(set(ids))
    if len(ordered) != len(ids):
        raise ValueError("ids contain duplicates")
    shuffled = ordered.copy()
    random.Random(seed).shuffle(shuffled)
    n_val = round(len(ordered) * val_fraction)
    val = sorted(shuffled[:n_val])
    val_set = set(val)
    return CCPSplit(train=[i for i in ordered if i not in val_set], val=val, seed=seed, val_fraction=val_fraction)


def load_split(path: str | Path = SPLIT_FILE) -> CCPSplit:
    """The split file (default: the shipped `assets/ccp_split.json`), checked for disjointness."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
        split = CCPSplit(train=list(data["train"]), val=list(data["val"]), seed=int(data["seed"]),
                         val_fraction=float(data["val_fraction"]))
    except FileNotFoundError:
        raise CCPError(f"{path}: split file not found") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CCPError(f"{path}: not a CCP split file ({exc})") from None
    overlap = set(split.train) & set(split.val)
    if overlap:
        raise CCPError(f"{path}: {len(overlap)} ids are in both train and val")
    return split


def write_split(split: CCPSplit, path: str | Path = SPLIT_FILE) -> None:
    Path(path).write_text(json.dumps(split.to_dict(), indent=1) + "\n")
