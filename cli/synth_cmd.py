"""`measure synth ANSUR.csv --out DIR --n N --seed S`: rendered body twins of real people, for accuracy checks.

Writes DIR/photos/*.jpg (EXIF focal length set), DIR/manifest.csv (for `measure batch`),
DIR/truth.csv (the subjects' real tape values and their twins' own values) and DIR/twins.jsonl.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cli.errors import guarded


def register(app: typer.Typer) -> None:
    app.command(name="synth", help="Render body twins of ANSUR II subjects (real tape measurements) as phone "
                "photos, with a manifest for `measure batch` and a truth file.")(synth)


@guarded
def synth(
    csv_files: list[Path] = typer.Argument(..., help="ANSUR II-format CSV file(s) (mm; sex from the Gender column)."),
    out: Path = typer.Option(..., "--out", help="Output folder (photos/, manifest.csv, truth.csv, twins.jsonl)."),
    n: int = typer.Option(10, "--n", min=1, help="Subjects per sex (a seeded random sample)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the sample, looks, poses and cameras."),
    sex: str | None = typer.Option(None, "--sex", help="male or female: only that sex (default: both present)."),
    views: str = typer.Option("front,back,side", "--views", help="Comma-separated views (front and back required)."),
    size: str = typer.Option("1280x960", "--size", help="Image size HEIGHTxWIDTH in pixels."),
    workers: int = typer.Option(1, "--workers", min=1, help="Processes rendering subjects in parallel."),
    clothes: str = typer.Option("everyday", "--clothes", help="everyday (any outfit, coats and dresses too), "
                                "fitted (close-fitting top and trousers) or tight (skin-tight top and leggings "
                                "or shorts)."),
) -> None:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from measure.synth import SEXES, VIEWS, SynthError, read_ansur_csv, write_synth

    if sex is not None and sex not in SEXES:
        raise SynthError(f"--sex: {sex!r} is not male or female")
    try:
        height, width = (int(v) for v in size.lower().split("x"))
    except ValueError:
        raise SynthError(f"--size: {size!r} is not HEIGHTxWIDTH, e.g. 1280x960") from None
    if not (256 <= height <= 4096 and 256 <= width <= 4096):
        raise SynthError(f"--size: {size} is outside 256-4096 pixels per side")
    view_list = tuple(v.strip() for v in views.split(",") if v.strip())
    if "front" not in view_list or "back" not in view_list or any(v not in VIEWS for v in view_list):
        raise SynthError(f"--views: {views!r} must include front and back, from {', '.join(VIEWS)}")
    subjects = [s for path in csv_files for s in read_ansur_csv(path)]
    sexes = [s for s in SEXES if (sex is None or s == sex) and any(x.sex == s for x in subjects)]
    if not sexes:
        raise SynthError(f"{csv_files[0]}: no subjects of sex {sex}")
    console = Console(stderr=True)
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console)
    tasks: dict[str, int] = {}

    def on_progress(label: str, done: int, total: int) -> None:
        if label.endswith("surrogate"):
            console.print(f"{label}: loading or training (first run: a few minutes per sex)")
            return
        if label not in tasks:
            tasks[label] = progress.add_task(f"{label} twins", total=total)
        progress.update(tasks[label], completed=done)

    with progress:
        summary = write_synth(subjects, out, n=n, seed=seed, sexes=sexes,
                              views=view_list,
                              image_size=(height, width), clothes=clothes, workers=workers,
                              progress=on_progress)
    Console().print(f"wrote {len(summary.subjects)} subjects to {out} (manifest {summary.manifest}, truth "
                    f"{summary.truth}); twins {summary.seconds_twin:.0f} s, renders {summary.seconds_render:.0f} s")
    for sid, why in summary.skipped:
        console.print(f"skipped subject {sid}: {why}")
