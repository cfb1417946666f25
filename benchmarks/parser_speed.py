"""Parameters and inference speed of CE2P vs RPR-CE2P and DeepLabV3 vs RPR-DeepLabV3 (paper Table 9).

    python benchmarks/parser_speed.py [--backbones resnet101,resnet18] [--sizes 384,473] [--iters 2]

Random weights and random input (speed does not depend on them); label set LIP (20 classes), regions
head + body, late fusion. Images/s is the forward pass only (batch --batch, no flip test), on the CPU
and, when present, on CUDA. The paper reports 66.61M / 113.65M parameters and 26.88 / 20.18 FPS
(1080Ti) for CE2P / RPR-CE2P with ResNet-101.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from rich.console import Console
from rich.table import Table

from parsing.datasets.meta import get_meta
from parsing.models.factory import build_model

PAPER_PARAMS = {("ce2p", "resnet101"): 66.61, ("rpr-ce2p", "resnet101"): 113.65}
ARCHS = ("ce2p", "rpr-ce2p", "deeplabv3", "rpr-deeplabv3")


def images_per_second(net: torch.nn.Module, size: int, device: torch.device, batch: int, iters: int,
                      warmup: int) -> float:
    x = torch.randn(batch, 3, size, size, device=device)
    with torch.inference_mode():
        for _ in range(warmup):
            net(x)
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(iters):
            net(x)
        if device.type == "cuda":
            torch.cuda.synchronize()
    return batch * iters / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backbones", default="resnet101", help="comma-separated: resnet18,resnet34,resnet50,resnet101")
    ap.add_argument("--archs", default=",".join(ARCHS))
    ap.add_argument("--sizes", default="384,473")
    ap.add_argument("--dataset", default="lip", help="label set (lip 20, atr 18 classes)")
    ap.add_argument("--iters", type=int, default=2, help="timed forward passes per configuration")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0 = torch default)")
    ap.add_argument("--params-only", action="store_true", help="count parameters, skip timing")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    meta = get_meta(args.dataset)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    sizes = [int(s) for s in args.sizes.split(",")]

    table = Table(title=f"Parser size and speed ({meta.name}, {meta.num_classes} classes, batch {args.batch}, "
                        f"{args.iters} timed passes, {torch.get_num_threads()} CPU threads)")
    for col in ("arch", "backbone", "params (M)", "paper (M)"):
        table.add_column(col, justify="right" if col.endswith(")") else "left")
    if not args.params_only:
        for dev in devices:
            for s in sizes:
                table.add_column(f"{dev.type} {s}px img/s", justify="right")
    console = Console(width=None if sys.stdout.isatty() else 160)
    for backbone in args.backbones.split(","):
        for arch in args.archs.split(","):
            built = build_model(arch, backbone, meta)
            params = built.num_parameters() / 1e6
            paper = PAPER_PARAMS.get((arch, backbone)) if meta.num_classes == 20 else None
            versus = f"{paper:.2f} ({100 * (params / paper - 1):+.1f}%)" if paper else ""
            row = [arch, backbone, f"{params:.2f}", versus]
            if not args.params_only:
                for dev in devices:
                    net = built.net.to(dev).eval()
                    for s in sizes:
                        row.append(f"{images_per_second(net, s, dev, args.batch, args.iters, args.warmup):.2f}")
                    built.net.cpu()
            table.add_row(*row)
            console.print(f"measured {arch} {backbone}", style="dim")
    console.print(table)


if __name__ == "__main__":
    main()
