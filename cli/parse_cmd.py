"""`measure parse IMAGE --out labels.png`: the human parser on one photo.

Writes a single-channel PNG of label ids (the photo's size, the model's label set) and optionally a
coloured overlay, and prints which parts it found.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli.errors import guarded


def register(app: typer.Typer) -> None:
    app.command(name="parse", help="Label every pixel of a photo (hair, face, clothes, arms, legs ...).")(parse)


class OutputError(OSError):
    exit_code = 4


@guarded
def parse(
    image: Path = typer.Argument(..., help="Photo to parse."),
    out: Path = typer.Option(..., "--out", help="Where to write the label-id PNG (single channel)."),
    overlay: Path | None = typer.Option(None, "--overlay", help="Also write the photo with coloured labels."),
    weights: Path | None = typer.Option(None, "--weights", help="Parser checkpoint (default: the shipped one)."),
    flip: bool = typer.Option(False, "--flip", help="Flip test: also parse the mirrored photo (slower)."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:1 ..."),
) -> None:
    import numpy as np
    from PIL import Image
    from rich.console import Console
    from rich.table import Table

    from measure.errors import from_image_error
    from parsing.image_io import ImageReadError, load_image
    from parsing.inference import Parser
    from parsing.inference import overlay as draw_overlay

    try:
        photo = load_image(image)
    except ImageReadError as exc:
        raise from_image_error(exc) from None
    parser = Parser(weights, device=device, flip=flip)
    labels = parser.predict(photo.rgb)
    _write(out, Image.fromarray(labels))
    if overlay is not None:
        _write(overlay, Image.fromarray(draw_overlay(photo.rgb, labels, parser.meta)))
    counts = np.bincount(labels.ravel(), minlength=parser.meta.num_classes)
    table = Table(title=f"{image.name}: {labels.shape[1]}x{labels.shape[0]} px")
    table.add_column("id", justify="right")
    table.add_column("class")
    table.add_column("pixels %", justify="right")
    for k in np.flatnonzero(counts):
        table.add_row(str(k), parser.meta.classes[k], f"{100 * counts[k] / labels.size:.2f}")
    Console().print(table)
    typer.echo(f"labels: {out}" + (f"  overlay: {overlay}" if overlay is not None else ""))


def _write(path: Path, image) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format="PNG")
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path}: cannot write ({exc})") from None
