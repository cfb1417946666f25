"""A compact, self-contained CCP training pack (LIP labels) that a GPU session can carry.

`python -m parsing.data_pack --out PACK [--data DIR] [--cache DIR] [--long-side 512] [--quality 90]`

The pack holds every labelled CCP photo downscaled (long side `--long-side`, JPEG), its LIP label
map (PNG, nearest-neighbour resized, 255 = ignore), the fixed split and a `meta.json`:

    PACK/images/NNNN.jpg  PACK/labels/NNNN.png  PACK/list/{train,val}_id.txt  PACK/meta.json

This is CIHP's folder layout, so `parsing.datasets.folders.cihp_files` reads it; `open_pack` gives
the raw (rgb, label) pairs with the LIP metadata. Converted labels come from the cache of
`parsing.ccp_to_lip` (photos not converted yet are converted first, which runs BlazePose).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PACK_FORMAT = 1
DEFAULT_LONG_SIDE = 448
DEFAULT_QUALITY = 90


@dataclass
class PackResult:
    out: Path
    n_train: int
    n_val: int
    bytes: int


def _resize_pair(rgb: np.ndarray, labels: np.ndarray, long_side: int) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    h, w = labels.shape
    scale = long_side / max(h, w)
    if scale >= 1.0:
        return rgb, labels
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return (cv2.resize(rgb, size, interpolation=cv2.INTER_AREA),
            cv2.resize(labels, size, interpolation=cv2.INTER_NEAREST))


def build_pack(
    out: Path,
    root: Path,
    cache: Path,
    split_file: Path | None = None,
    long_side: int = DEFAULT_LONG_SIDE,
    quality: int = DEFAULT_QUALITY,
    detector_factory: Callable[[], object] | None = None,
    progress: bool = True,
) -> PackResult:
    """Write the pack for every labelled photo of `root` listed in the split (all must be listed)."""
    from PIL import Image

    from parsing.ccp import CCPError, labelled_ids, load_split, read_sample
    from parsing.ccp_to_lip import MAPPING_VERSION, convert_folder, label_path, load_converted

    out = Path(out)
    split = load_split(split_file) if split_file is not None else load_split()
    ids = labelled_ids(root)
    if not ids:
        raise CCPError(f"{root}: no labelled photos")
    listed = set(split.train) | set(split.val)
    unlisted = [i for i in ids if i not in listed]
    if unlisted:
        raise CCPError(f"{root}: {len(unlisted)} labelled ids are not in the split file (e.g. {unlisted[0]})")
    todo = [i for i in ids if not label_path(cache, i).exists()]
    if todo:
        convert_folder(root, cache, todo, detector_factory=detector_factory, progress=progress)
    for sub in ("images", "labels", "list"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    iterator: Sequence[str] = ids
    if progress:
        from rich.progress import track

        iterator = track(ids, description="packing CCP")
    for sample_id in iterator:
        sample = read_sample(root, sample_id)
        rgb, labels = _resize_pair(sample.rgb, load_converted(cache, sample_id), long_side)
        Image.fromarray(rgb).save(out / "images" / f"{sample_id}.jpg", quality=quality)
        Image.fromarray(labels).save(out / "labels" / f"{sample_id}.png", optimize=True)
    present = set(ids)
    train = [i for i in split.train if i in present]
    val = [i for i in split.val if i in present]
    (out / "list" / "train_id.txt").write_text("".join(f"{i}\n" for i in train))
    (out / "list" / "val_id.txt").write_text("".join(f"{i}\n" for i in val))
    from body_model.lip_labels import LIP_CLASSES

    meta = {
        "format": PACK_FORMAT, "dataset": "ccp", "label_set": "lip", "classes": list(LIP_CLASSES),
        "ignore_index": 255, "mapping_version": MAPPING_VERSION, "long_side": long_side, "jpeg_quality": quality,
        "split": {"seed": split.seed, "val_fraction": split.val_fraction, "train": len(train), "val": len(val)},
        "source": "Clothing Co-Parsing (bearpaw/clothing-co-parsing, Apache-2.0), converted by parsing.ccp_to_lip",
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return PackResult(out=out, n_train=len(train), n_val=len(val), bytes=size)


def open_pack(pack: str | Path, split: str = "train"):
    """Raw (rgb uint8 HWC, label uint8 HW) pairs of a pack split, with `.meta` = the LIP metadata."""
    from parsing.datasets.folders import DatasetLayoutError, LabeledImages, cihp_files
    from parsing.datasets.meta import LIP

    pack = Path(pack)
    meta_file = pack / "meta.json"
    if not meta_file.exists():
        raise DatasetLayoutError(f"{meta_file}: not a CCP pack (build one with `python -m parsing.data_pack`)")
    info = json.loads(meta_file.read_text())
    if info.get("label_set") != "lip" or info.get("format") != PACK_FORMAT:
        raise DatasetLayoutError(f"{meta_file}: pack format {info.get('format')} / labels {info.get('label_set')} "
                                 f"not readable here (expects format {PACK_FORMAT}, lip)")
    if not (pack / "list" / f"{split}_id.txt").exists():
        raise DatasetLayoutError(f"{pack / 'list' / f'{split}_id.txt'}: no such split in the pack")
    return LabeledImages(cihp_files(pack, split), LIP)


def main(argv: Sequence[str] | None = None) -> None:
    from parsing.ccp import SPLIT_FILE, CCPError, ccp_root, check_label_names
    from parsing.ccp_to_lip import default_cache_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="pack folder to write (keep it outside the repository)")
    parser.add_argument("--data", default=None, help="CCP folder (default: the shared data's ccp)")
    parser.add_argument("--cache", default=None, help=f"conversion cache (default {default_cache_dir()})")
    parser.add_argument("--split", default=str(SPLIT_FILE), help="split file (default: the shipped one)")
    parser.add_argument("--long-side", type=int, default=DEFAULT_LONG_SIDE)
    parser.add_argument("--quality", type=int, default=DEFAULT_QUALITY)
    args = parser.parse_args(argv)
    try:
        root = ccp_root(args.data)
        check_label_names(root)
        result = build_pack(Path(args.out), root, Path(args.cache) if args.cache else default_cache_dir(),
                            Path(args.split), args.long_side, args.quality)
    except CCPError as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"pack {result.out}: {result.n_train} train + {result.n_val} val, {result.bytes / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
