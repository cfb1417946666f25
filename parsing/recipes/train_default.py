"""The recipe of the shipped default parser: RPR-CE2P (late fusion, head + body regions) on CCP-train
(converted to LIP labels) plus synthetic renders, validated on CCP-val.

    python -m parsing.recipes.train_default --pack runs/data/ccp_pack --synthetic runs/data/synthetic \\
        --out runs/default [--backbone resnet18] [--iters 20000] [--device auto]

Prepare the data once (CPU, no GPU needed), keeping both folders out of git (runs/ is ignored):

    python -m parsing.ccp_to_lip                                   # BlazePose + conversion, cached
    python -m parsing.data_pack --out runs/data/ccp_pack           # ~32 MiB (long side 448, JPEG q90)
    python -m parsing.synthetic_data --out runs/data/synthetic --n 700     # ~16 MiB, ~1 s per render

For a GPU session, carry `runs/data` (~48 MiB: both folders) and run the command above there; time a
short run first (`--iters 200 --out runs/probe`) to size `--iters` to the session's minutes.

The run writes `OUT/last.pt` at every epoch end and every `--save-every` seconds, and simply
continues from it when started again with the same command (interrupt it at any time); the final
weights are `OUT/model.pt`, loadable by `parsing.Parser(weights=...)`. On a GPU it uses CUDA and
mixed precision; on a CPU it runs the same recipe, slowly (set --iters and --batch accordingly).
CCP photos are repeated `--ccp-repeat` times per epoch so real photos are not outnumbered.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from torch.utils.data import ConcatDataset, Dataset

DEFAULT_PACK = Path("runs/data/ccp_pack")
DEFAULT_SYNTHETIC = Path("runs/data/synthetic")


@dataclass
class RecipeData:
    train: Dataset           # transformed (image, label) pairs: CCP-train x repeat + synthetic
    val: Dataset             # raw CCP-val pairs, scored at their stored size
    n_ccp: int
    n_synthetic: int


class Repeat(Dataset):
    """A dataset seen `times` times per epoch (index i -> i mod len)."""

    def __init__(self, data: Dataset, times: int) -> None:
        self.data, self.times, self.n = data, times, len(data)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return self.n * self.times

    def __getitem__(self, i: int):
        return self.data[i % self.n]


def build_data(pack: Path, synthetic: Path | None, input_size: tuple[int, int], ccp_repeat: int = 2,
               synthetic_n: int = 0, seed: int = 0) -> RecipeData:
    """Training and validation sets of the recipe, from the CCP pack and the synthetic folder."""
    from parsing.data_pack import open_pack
    from parsing.datasets.meta import LIP
    from parsing.datasets.training import TransformedPairs
    from parsing.synthetic_data import SyntheticConfig, SyntheticPersons
    from parsing.transforms import TrainTransform

    ccp_train, ccp_val = open_pack(pack, "train"), open_pack(pack, "val")
    parts: list[Dataset] = [Repeat(TransformedPairs(ccp_train, TrainTransform(LIP, input_size, seed=seed)),
                                   max(1, ccp_repeat))]
    n_syn = 0
    if synthetic is not None and (Path(synthetic) / "meta.json").exists():
        syn = open_pack(synthetic, "train")
        n_syn = len(syn)
    elif synthetic_n > 0:  # render on demand (slow on first use; cached beside the pack when a folder is given)
        syn = SyntheticPersons(synthetic_n, SyntheticConfig(seed=seed), cache_dir=synthetic)
        n_syn = synthetic_n
    if n_syn:
        parts.append(TransformedPairs(syn, TrainTransform(LIP, input_size, seed=seed + 1)))
    return RecipeData(ConcatDataset(parts), ccp_val, len(ccp_train), n_syn)


def main(argv: Sequence[str] | None = None) -> None:
    from parsing.datasets.meta import LIP
    from parsing.train import TrainConfig, train

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", type=Path, default=DEFAULT_PACK, help="CCP pack (python -m parsing.data_pack)")
    parser.add_argument("--synthetic", type=Path, default=DEFAULT_SYNTHETIC,
                        help="synthetic folder (python -m parsing.synthetic_data); skipped if absent")
    parser.add_argument("--synthetic-n", type=int, default=0,
                        help="render this many synthetic images on demand when --synthetic holds none")
    parser.add_argument("--out", type=Path, default=Path("runs/default"))
    parser.add_argument("--arch", default="rpr-ce2p", help="rpr-ce2p (default) or ce2p for the ablation")
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--fusion", default="late")
    parser.add_argument("--width", type=float, default=1.0, help="head width multiplier (1 = CE2P's widths)")
    parser.add_argument("--regions", nargs="*", default=None, help="region names (default: head body)")
    parser.add_argument("--size", default="448x320", help="HxW network input")
    parser.add_argument("--iters", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=7e-3)
    parser.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1), help="data loading processes")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--ccp-repeat", type=int, default=2)
    parser.add_argument("--save-every", type=float, default=300.0, help="seconds between checkpoints")
    parser.add_argument("--eval-every", type=int, default=5, help="epochs between CCP-val scores")
    parser.add_argument("--init", default=None, help="start from a checkpoint (matching tensors)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    h, w = (int(v) for v in args.size.lower().split("x"))
    data = build_data(args.pack, args.synthetic, (h, w), args.ccp_repeat, args.synthetic_n, args.seed)
    print(f"train: {data.n_ccp} CCP photos x{args.ccp_repeat} + {data.n_synthetic} synthetic; "
          f"val: {len(data.val)} CCP photos")  # type: ignore[arg-type]
    config = TrainConfig(
        out_dir=args.out, arch=args.arch, backbone=args.backbone, fusion=args.fusion, width=args.width,
        regions=tuple(args.regions) if args.regions else None, input_size=(h, w), max_iters=args.iters,
        batch_size=args.batch, lr=args.lr, workers=args.workers, device=args.device,
        resume=(args.out / "last.pt").exists(), save_every_s=args.save_every, eval_every=args.eval_every,
        init_weights=args.init, seed=args.seed,
    )
    result = train(config, data.train, LIP, data.val)
    print(f"weights: {result.weights} after {result.iterations} iterations")
    if result.val:
        print("CCP-val: " + ", ".join(f"{k} {100 * v:.2f}" for k, v in result.val.items()))


if __name__ == "__main__":
    main()
