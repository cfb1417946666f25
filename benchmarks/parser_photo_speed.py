"""Seconds per photo of `parsing.Parser.predict` on the CPU: the call the pipeline makes per photo.

    python benchmarks/parser_photo_speed.py [--weights W] [--input-sizes 320x240,448x336] [--threads 1,2]
                                            [--photos 16] [--pack runs/data/ccp_pack] [--long-side 512]

One `predict` = letterbox warp into the network's input box, the network, and the scores sampled back
onto the photo's own grid (argmax there): what a photo of `--long-side` px costs end to end, flip test
off, batch 1. Weights: `--weights`, default the shipped assets/parser/default.pt; the checkpoint's
trained input size is always timed, `--input-sizes` adds others (HxW). Photos: the first `--photos`
CCP-val photos of a pack (`python -m parsing.data_pack`), resized to `--long-side`; without a pack,
the shipped samples assets/samples/front.jpg and back.jpg at that size, in turn. A warm-up call comes
first for every input size and thread count. The issue's target: at most 0.3 s per 512 px photo.
Time it on an idle machine: a busy CPU (training beside it) slows multi-threaded runs most of all.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parsing.checkpoint import ParserWeightsError
from parsing.data_pack import open_pack
from parsing.inference import Parser, default_weights_path

DEFAULT_PACK = Path("runs/data/ccp_pack")
SAMPLES = ("front.jpg", "back.jpg")
TARGET_S = 0.3


@dataclass
class Photos:
    images: list[np.ndarray]   # (H, W, 3) uint8 RGB, long side = the requested size
    source: str                # what they are, for the table's caption


@dataclass
class Timing:
    input_size: tuple[int, int]
    threads: int
    seconds: list[float]       # one predict per photo

    @property
    def mean(self) -> float:
        return statistics.fmean(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def resize_long_side(rgb: np.ndarray, long_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = long_side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def load_photos(pack: Path | None, count: int, long_side: int) -> Photos:
    """CCP-val photos of the pack when there is one, else the shipped sample photos (cycled)."""
    if pack is not None and (pack / "meta.json").is_file():
        val = open_pack(pack, "val")
        files = val.files[:count]
        images = [resize_long_side(val[i][0], long_side) for i in range(len(files))]
        return Photos(images, f"{len(images)} CCP-val photos of {pack} ({files[0].name}..{files[-1].name}), "
                              f"resized to long side {long_side}")
    from importlib import resources

    from parsing.image_io import load_image

    folder = Path(str(resources.files("assets") / "samples"))
    samples = [resize_long_side(load_image(folder / name).rgb, long_side) for name in SAMPLES]
    images = [samples[i % len(samples)] for i in range(count)]
    return Photos(images, f"{len(images)} predictions over the shipped samples {folder}/{{{','.join(SAMPLES)}}} "
                          f"(no pack at {pack}), resized to long side {long_side}")


def time_predict(parser: Parser, photos: list[np.ndarray], threads: int) -> Timing:
    parser.predict(photos[0])  # warm-up: first-call allocations and kernel selection
    seconds = []
    for rgb in photos:
        t0 = time.perf_counter()
        labels = parser.predict(rgb)
        seconds.append(time.perf_counter() - t0)
        if labels.shape != rgb.shape[:2]:
            raise RuntimeError(f"label map {labels.shape} does not match the photo {rgb.shape[:2]}")
    return Timing(parser.input_size, threads, seconds)


def parse_size(text: str) -> tuple[int, int]:
    parts = [int(p) for p in text.lower().split("x")]
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2 or min(parts) < 32:
        raise SystemExit(f"error: --input-sizes {text}: expected N or HxW, at least 32")
    return parts[0], parts[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", type=Path, default=None, help="checkpoint (default: the shipped default weights)")
    ap.add_argument("--input-sizes", default="", help="extra network input sizes HxW, comma-separated")
    ap.add_argument("--threads", default="2", help="CPU threads for torch and OpenCV, comma-separated (e.g. 1,2)")
    ap.add_argument("--photos", type=int, default=16, help="timed photos per input size")
    ap.add_argument("--pack", type=Path, default=DEFAULT_PACK, help="CCP pack whose val photos are used")
    ap.add_argument("--long-side", type=int, default=512, help="photo long side in pixels")
    args = ap.parse_args(argv)
    try:
        thread_counts = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        raise SystemExit(f"error: --threads {args.threads}: expected numbers like 1,2") from None
    if args.photos < 1 or not thread_counts or min(thread_counts) < 1:
        raise SystemExit("error: --photos and --threads must be at least 1")

    weights = args.weights or default_weights_path()
    if not weights.is_file():
        raise SystemExit(f"error: {weights}: no such weights file (pass --weights W)")
    try:
        parser = Parser(weights, device="cpu")
    except ParserWeightsError as exc:
        raise SystemExit(f"error: {exc}") from None
    trained = parser.input_size
    sizes = [trained] + [s for s in (parse_size(t) for t in args.input_sizes.split(",") if t.strip())
                         if s != trained]
    photos = load_photos(args.pack, args.photos, args.long_side)

    console = Console(width=None if sys.stdout.isatty() else 120)
    timings = []
    for size in sizes:
        timed = parser if size == trained else Parser.from_model(parser.net, parser.spec, size, device="cpu")
        for threads in thread_counts:
            torch.set_num_threads(threads)
            cv2.setNumThreads(threads)
            timings.append(time_predict(timed, photos.images, threads))
            console.print(f"timed input {size[0]}x{size[1]}, {threads} threads", style="dim")

    table = Table(title=f"Parser.predict on the CPU, seconds per photo (target <= {TARGET_S} s)",
                  caption=escape(f"weights {weights} ({parser.spec.name} {parser.spec.backbone}, trained at "
                                 f"{trained[0]}x{trained[1]}); photos: {photos.source}; batch 1, flip off, "
                                 "warm-up first"))
    for col in ("input HxW", "threads", "photos", "mean s/photo", "median s/photo", "photos/s", "<= target"):
        table.add_column(col, justify="left" if col == "input HxW" else "right")
    for t in timings:
        label = f"{t.input_size[0]}x{t.input_size[1]}" + (" (trained)" if t.input_size == trained else "")
        table.add_row(label, str(t.threads), str(len(t.seconds)), f"{t.mean:.3f}", f"{t.median:.3f}",
                      f"{1 / t.mean:.2f}", "yes" if t.mean <= TARGET_S else "no")
    console.print(table)


if __name__ == "__main__":
    main()
