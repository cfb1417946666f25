"""End-to-end speed: seconds per person (two photos) by stage, and batch throughput with 1 and 2 workers.

Data: the shipped sample pair (assets/samples/front.jpg, back.jpg: 1280x960 synthetic renders of
one person) unless --front/--back/--height are given. The photo cache is off: every run analyses the
photos as it would a new person's. The first measurement of a fresh `Measurer`
includes model loading; it is reported separately from the warm per-person times.

    python benchmarks/e2e_speed.py [--runs 3] [--batch 4] [--workers 1 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("ANNY_CACHE_DIR", str(REPO / ".cache" / "anny"))

STAGES = ("load", "pose", "checks", "parse", "fit", "measure", "size", "total")


def per_person(front: Path, back: Path, height: float, sex: str | None, runs: int, device: str) -> None:
    from measure.pipeline import Measurer

    t0 = time.perf_counter()
    measurer = Measurer(device=device, photo_cache=False)  # every run analyses the photos, as for new people
    first = measurer.measure(front, back, height, sex=sex)
    cold = time.perf_counter() - t0
    timings = [first.timings]
    for _ in range(max(0, runs - 1)):
        timings.append(measurer.measure(front, back, height, sex=sex).timings)
    warm = timings[1:] or timings
    print(f"\nPer person (front + back), {front.name}/{back.name}, device {device}, {runs} run(s)")
    print(f"{'stage':10s} {'first run s':>12s} {'warm mean s':>12s}")
    for stage in STAGES:
        vals = [t.get(stage, 0.0) for t in warm]
        print(f"{stage:10s} {timings[0].get(stage, 0.0):12.2f} {statistics.mean(vals):12.2f}")
    print(f"{'cold start':10s} {cold:12.2f}   (new Measurer + first person, models loaded)")
    print("warnings:", "; ".join(w.code for w in first.warnings) or "none")


def batch_throughput(front: Path, back: Path, height: float, sex: str | None, size: int, workers: list[int],
                     device: str) -> None:
    from measure.batch import MeasurerWorker, run_batch, threads_per_worker

    print(f"\nBatch throughput: {size} people (copies of {front.name}/{back.name}), local engine")
    print(f"{'workers':>8s} {'seconds':>9s} {'people/min':>11s} {'ok':>4s} {'errors':>7s}")
    for n in workers:
        with tempfile.TemporaryDirectory() as tmp:
            manifest = Path(tmp) / "manifest.csv"
            with open(manifest, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["id", "front", "back", "height_cm", "sex"])
                for i in range(size):
                    w.writerow([f"p{i}", str(front), str(back), height, sex or ""])
            t0 = time.perf_counter()
            worker = MeasurerWorker(device=device, threads=threads_per_worker(n), photo_cache=False)
            summary = run_batch(manifest, Path(tmp) / "out", worker, workers=n)
            secs = time.perf_counter() - t0
        print(f"{n:8d} {secs:9.1f} {60.0 * size / secs:11.2f} {summary.ok:4d} {summary.errors:7d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--front", type=Path, default=REPO / "assets" / "samples" / "front.jpg")
    parser.add_argument("--back", type=Path, default=REPO / "assets" / "samples" / "back.jpg")
    parser.add_argument("--height", type=float, default=None, help="cm (default: the sample's truth.json)")
    parser.add_argument("--sex", default=None)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=4, help="people per batch run (0: skip)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    height, sex = args.height, args.sex
    if height is None:
        import json

        truth = json.loads((REPO / "assets" / "samples" / "truth.json").read_text())
        height, sex = truth["height_cm"], sex or truth["sex"]
    import torch

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"torch threads {torch.get_num_threads()}, CUDA {torch.cuda.is_available()}")
    per_person(args.front, args.back, height, sex, args.runs, args.device)
    if args.batch:
        batch_throughput(args.front, args.back, height, sex, args.batch, args.workers, args.device)


if __name__ == "__main__":
    main()
