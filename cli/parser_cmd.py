"""`measure parser train|eval`: train a parser on a LIP / CIHP / ATR folder, or score one.

Training follows the paper's recipe (parsing/train.py); evaluation prints LIP-style (pixel accuracy,
mean accuracy, mIoU, mIoU over the classes present in the ground truth, person-vs-background IoU, IoU
per class) and ATR-style (pixel / foreground accuracy, precision, recall, F1, F1 per class) tables from
one confusion matrix over the whole set at the labels' own size. Evaluation defaults to the shipped
weights; `--dataset ccp` reads a CCP pack (`python -m parsing.data_pack`, LIP labels).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cli.errors import guarded

parser_app = typer.Typer(help="Train and evaluate the RPR human parser.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(parser_app, name="parser")


class OptionError(ValueError):
    exit_code = 12  # invalid option value


class MissingOptionError(ValueError):
    exit_code = 2  # bad command line


EVAL_DATASETS = ("lip", "cihp", "atr", "ccp", "folder")
DEFAULT_CCP_PACK = Path("runs/data/ccp_pack")  # where the recipe's docs build the pack (relative to the cwd)


def _eval_root(dataset: str, root: Path | None) -> Path:
    """--root, or for ccp the default pack folder when it exists."""
    if root is not None:
        return root
    if dataset != "ccp":
        raise MissingOptionError(f"--root: required for --dataset {dataset} (only ccp has a default folder)")
    if (DEFAULT_CCP_PACK / "meta.json").is_file():
        return DEFAULT_CCP_PACK
    from parsing.datasets.folders import DatasetLayoutError

    raise DatasetLayoutError(f"{DEFAULT_CCP_PACK}: no CCP pack; build it with `python -m parsing.data_pack "
                             f"--out {DEFAULT_CCP_PACK}` or pass --root PACK")


def _size(text: str | None, dataset: str) -> tuple[int, int]:
    """'384' or '384x384' (h x w); None = the paper's size for the dataset (ATR 473, else 384)."""
    if text is None:
        s = 473 if dataset == "atr" else 384
        return s, s
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise OptionError(f"--input-size {text}: expected N or HxW") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or min(parts) < 32:
        raise OptionError(f"--input-size {text}: expected N or HxW, at least 32")
    return parts[0], parts[1]


@parser_app.command("train")
@guarded
def train_cmd(
    dataset: str = typer.Option(..., "--dataset", help="lip, cihp or atr (folder layout, see parsing/datasets)."),
    root: Path = typer.Option(..., "--root", help="Dataset folder."),
    out: Path = typer.Option(Path("runs/parser"), "--out", help="Output folder (last.pt, model.pt, history)."),
    arch: str = typer.Option("rpr-ce2p", "--arch", help="ce2p, deeplabv3, rpr-ce2p or rpr-deeplabv3."),
    backbone: str = typer.Option("resnet101", "--backbone", help="resnet18, resnet34, resnet50, resnet101, tiny."),
    regions: str | None = typer.Option(None, "--regions", help="Comma-separated region names (default head,body)."),
    fusion: str = typer.Option("late", "--fusion", help="late (Eq. 5) or mid (Eq. 6)."),
    weighting: str = typer.Option("balanced", "--lambda", help="balanced (K/|L_t|, Eq. 8) or uniform (1)."),
    width: float = typer.Option(1.0, "--width", help="Head width multiplier (1 = the paper's CE2P)."),
    input_size: str | None = typer.Option(None, "--input-size", help="N or HxW (default: ATR 473, else 384)."),
    epochs: int = typer.Option(150, "--epochs"),
    max_iters: int | None = typer.Option(None, "--max-iters", help="Iteration budget (overrides --epochs)."),
    batch: int = typer.Option(8, "--batch", help="Images per batch (per GPU under torchrun)."),
    lr: float = typer.Option(7e-3, "--lr", help="Base learning rate (poly decay)."),
    workers: int = typer.Option(2, "--workers", help="Data loading processes."),
    device: str = typer.Option("auto", "--device"),
    split: str = typer.Option("train", "--split"),
    val_split: str | None = typer.Option("val", "--val-split", help="Evaluated at the end if present; 'none' skips."),
    pretrained_backbone: bool = typer.Option(False, "--pretrained-backbone", help="ImageNet init (needs network)."),
    init: Path | None = typer.Option(None, "--init", help="Start from a checkpoint (matching tensors)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in --out from its last checkpoint."),
    half: bool = typer.Option(False, "--half", help="Store model.pt in float16."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    from parsing.datasets.folders import DatasetLayoutError, open_folder
    from parsing.datasets.training import TransformedPairs
    from parsing.train import TrainConfig, train
    from parsing.transforms import TrainTransform

    size = _size(input_size, dataset.lower())
    raw = open_folder(dataset, root, split)
    val = None
    if val_split and val_split.lower() != "none":
        try:
            val = open_folder(dataset, root, val_split)
        except DatasetLayoutError:
            typer.echo(f"no '{val_split}' split in {root}: training without validation")
    config = TrainConfig(
        out_dir=out, arch=arch, backbone=backbone,
        regions=tuple(r.strip() for r in regions.split(",") if r.strip()) if regions else None,
        fusion=fusion, region_weighting=weighting, width=width, pretrained_backbone=pretrained_backbone,
        init_weights=str(init) if init else None, input_size=size, epochs=epochs, max_iters=max_iters,
        batch_size=batch, lr=lr, workers=workers, device=device, resume=resume, half_weights=half, seed=seed,
    )
    try:
        result = train(config, TransformedPairs(raw, TrainTransform(raw.meta, size, seed=seed)), raw.meta, val)
    except (KeyError, ValueError) as exc:
        if getattr(exc, "exit_code", None) is not None:
            raise
        raise OptionError(str(exc).strip("'\"")) from None
    typer.echo(f"weights: {result.weights} ({result.iterations} iterations)")
    if result.val:
        typer.echo("validation: " + ", ".join(f"{k} {100 * v:.2f}" for k, v in result.val.items()))


@parser_app.command("eval")
@guarded
def eval_cmd(
    weights: Path | None = typer.Option(None, "--weights", help="Parser checkpoint (default: the shipped "
                                                                "assets/parser/default.pt)."),
    dataset: str = typer.Option(..., "--dataset", help="lip, cihp, atr, ccp (a CCP pack, LIP labels), or folder "
                                                       "(images/ + labels/ in the weights' label set)."),
    root: Path | None = typer.Option(None, "--root", help=f"Dataset folder (ccp: default {DEFAULT_CCP_PACK})."),
    split: str = typer.Option("val", "--split"),
    flip: bool = typer.Option(False, "--flip", help="Flip test (left/right channels swapped by the label set)."),
    style: str = typer.Option("auto", "--style", help="lip, atr, both, or auto (atr for ATR, else lip)."),
    input_size: str | None = typer.Option(None, "--input-size", help="Override the trained input size."),
    batch: int = typer.Option(4, "--batch"),
    device: str = typer.Option("auto", "--device"),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the scores and confusion matrix here."),
) -> None:
    from rich.console import Console
    from rich.markup import escape

    from parsing.checkpoint import NoDefaultWeightsError
    from parsing.data_pack import open_pack
    from parsing.datasets.folders import open_folder
    from parsing.evaluate import atr_table, evaluate, lip_table
    from parsing.inference import Parser, default_weights_path

    if style not in ("auto", "lip", "atr", "both"):
        raise OptionError(f"--style {style}: expected lip, atr, both or auto")
    dataset = dataset.lower()
    if dataset not in EVAL_DATASETS:
        raise OptionError(f"--dataset {dataset}: expected one of {', '.join(EVAL_DATASETS)}")
    root = _eval_root(dataset, root)
    if weights is None:
        weights = default_weights_path()
        if not weights.is_file():
            raise NoDefaultWeightsError(f"{weights}: the default parser weights are missing (reinstall the "
                                        "package); pass --weights W")
    parser = Parser(weights, device=device, flip=flip, batch_size=batch,
                    input_size=_size(input_size, dataset) if input_size else None)
    if dataset == "ccp":
        pairs = open_pack(root, split)
    else:
        pairs = open_folder(dataset, root, split, meta=parser.meta if dataset == "folder" else None)
    if pairs.meta.num_classes != parser.meta.num_classes:
        raise OptionError(f"{weights}: model has {parser.meta.num_classes} classes ({parser.meta.name}), "
                          f"dataset {dataset} has {pairs.meta.num_classes}")
    result = evaluate(parser, pairs, description=f"{dataset}/{split}")
    console = Console()
    console.print(escape(f"{parser.spec.name} {parser.spec.backbone} ({weights}) on {dataset} {root} ({split}), "
                         f"flip test {'on' if flip else 'off'}"))
    show = {"auto": ["atr" if dataset == "atr" else "lip"], "both": ["lip", "atr"]}.get(style, [style])
    if "lip" in show:
        console.print(lip_table(result))
    if "atr" in show:
        console.print(atr_table(result))
    if json_out is not None:
        payload = {"weights": str(weights), "dataset": dataset, "root": str(root), "split": split, "flip": flip,
                   "classes": list(parser.meta.classes), "summary": result.summary(),
                   "present_classes": [parser.meta.classes[k] for k in result.present_classes],
                   "class_iou": result.lip.class_iou, "class_f1": result.atr.class_f1,
                   "confusion": result.confusion.tolist(), "num_images": result.num_images}
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(payload, indent=1, allow_nan=True))


@parser_app.command("export")
@guarded
def export_cmd(
    src: Path = typer.Argument(..., help="A training checkpoint (OUT/model.pt or OUT/last.pt)."),
    dst: Path = typer.Argument(..., help="Where to write the shippable weights (e.g. assets/parser/default.pt)."),
    full_precision: bool = typer.Option(False, "--float32", help="Keep float32 (default: float16, half the size)."),
) -> None:
    """Strip optimizer state from a checkpoint and store it compactly, ready to ship or to pass as --weights."""
    from parsing.checkpoint import export_weights

    out = export_weights(src, dst, half=not full_precision)
    typer.echo(f"wrote {out} ({out.stat().st_size / 2**20:.1f} MiB)")
