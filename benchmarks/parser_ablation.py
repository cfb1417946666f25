"""The paper's ablation (Tables 5 and 7) at a fixed budget: CE2P, RPR-head, RPR-body, RPR2, RPR3,
mid fusion and lambda = 1, each trained with the same recipe and iterations, scored on one val set.

    python benchmarks/parser_ablation.py --dataset lip --root DATA/LIP --backbone resnet101 --iters 30000
    python benchmarks/parser_ablation.py --dataset toy --backbone tiny --width 0.25 --input-size 64 --iters 40

`--dataset toy` trains on generated toy people (parsing/datasets/toy.py): a smoke run proving the
script works, not evidence about real photos. Runs go to --out/<variant>/ (resumable with --resume).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from parsing.datasets.folders import open_folder
from parsing.datasets.meta import LIP
from parsing.datasets.toy import ToyPeople
from parsing.datasets.training import TransformedPairs
from parsing.evaluate import evaluate
from parsing.inference import Parser
from parsing.models.factory import build_model
from parsing.train import TrainConfig, train
from parsing.transforms import TrainTransform


@dataclass(frozen=True)
class Variant:
    name: str
    arch: str
    regions: tuple[str, ...] = ()
    fusion: str = "late"
    weighting: str = "balanced"


VARIANTS = (
    Variant("CE2P", "ce2p"),
    Variant("RPR-head", "rpr-ce2p", ("head",)),
    Variant("RPR-body", "rpr-ce2p", ("body",)),
    Variant("RPR2", "rpr-ce2p", ("head", "body")),
    Variant("RPR3", "rpr-ce2p", ("head", "body", "sunglasses")),
    Variant("RPR2 mid fusion", "rpr-ce2p", ("head", "body"), fusion="mid"),
    Variant("RPR2 lambda=1", "rpr-ce2p", ("head", "body"), weighting="uniform"),
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="toy", help="lip, cihp, atr (with --root) or toy")
    ap.add_argument("--root", type=Path)
    ap.add_argument("--split", default="train")
    ap.add_argument("--val-split", default="val")
    ap.add_argument("--backbone", default="resnet101")
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--input-size", type=int, default=None, help="default: ATR 473, else 384")
    ap.add_argument("--iters", type=int, default=1000, help="training iterations per variant (the budget)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=7e-3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--flip", action="store_true", help="flip test at evaluation")
    ap.add_argument("--variants", default=",".join(v.name for v in VARIANTS), help="comma-separated subset")
    ap.add_argument("--out", type=Path, default=Path("runs/ablation"))
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--toy-train", type=int, default=32)
    ap.add_argument("--toy-val", type=int, default=8)
    args = ap.parse_args()

    size = args.input_size or (473 if args.dataset == "atr" else 384)
    if args.dataset == "toy":
        meta, train_raw = LIP, ToyPeople(args.toy_train, (size, size), seed=0)
        val_raw = ToyPeople(args.toy_val, (size, size), seed=1)
        source = f"generated toy people ({args.toy_train} train / {args.toy_val} val)"
    else:
        train_raw = open_folder(args.dataset, args.root, args.split)
        val_raw = open_folder(args.dataset, args.root, args.val_split)
        meta = train_raw.meta
        source = f"{args.dataset} {args.root} ({len(train_raw)} {args.split} / {len(val_raw)} {args.val_split})"
    chosen = [v for v in VARIANTS if v.name in {s.strip() for s in args.variants.split(",")}]
    console = Console(width=None if sys.stdout.isatty() else 160)
    rows = []
    for v in chosen:
        cfg = TrainConfig(out_dir=args.out / v.name.replace(" ", "_").replace("=", ""), arch=v.arch,
                          backbone=args.backbone, regions=v.regions or None, fusion=v.fusion,
                          region_weighting=v.weighting, width=args.width, input_size=(size, size),
                          max_iters=args.iters, batch_size=args.batch, lr=args.lr, workers=args.workers,
                          device=args.device, resume=args.resume)
        params = build_model(v.arch, args.backbone, meta, v.regions or None, v.fusion, args.width).num_parameters()
        console.print(f"[bold]{v.name}[/]: training {args.iters} iterations")
        t0 = time.time()
        result = train(cfg, TransformedPairs(train_raw, TrainTransform(meta, (size, size))), meta)
        seconds = time.time() - t0
        scores = evaluate(Parser(result.weights, device=args.device, flip=args.flip), val_raw, progress=False)
        rows.append((v, params, seconds, scores))

    table = Table(title=f"Ablation at {args.iters} iterations, batch {args.batch}: {args.backbone} x{args.width}, "
                        f"{size}px, {source}")
    for col in ("variant", "regions", "fusion", "lambda", "params M", "mIoU %", "pixel acc %", "F1 %",
                "person IoU %", "train s"):
        table.add_column(col, justify="left" if col in ("variant", "regions", "fusion", "lambda") else "right")
    for v, params, seconds, s in rows:
        table.add_row(v.name, "+".join(v.regions) or "-", v.fusion if v.regions else "-",
                      ("K/|L_t|" if v.weighting == "balanced" else "1") if v.regions else "-", f"{params / 1e6:.2f}",
                      f"{100 * s.lip.mean_iou:.2f}", f"{100 * s.lip.pixel_accuracy:.2f}", f"{100 * s.atr.f1:.2f}",
                      f"{100 * s.person_iou:.2f}", f"{seconds:.0f}")
    console.print(table)


if __name__ == "__main__":
    main()
