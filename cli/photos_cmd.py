"""The main job: `measure FRONT BACK --height CM`: measurements with uncertainties and a size.

Exit codes are those of `measure.errors` (4 unreadable photo ... 15 fit failed); `--json` prints
the result JSON (schema in measure/result.py) and nothing else on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from body_model.garment_ease import DEFAULT_CLOTHES
from cli.errors import guarded
from measure.girth_sources import DEFAULT_GIRTHS

MAIN_TABLE = (
    "stature", "chest_girth", "bust_girth", "underbust_girth", "waist_girth", "hip_girth", "neck_girth",
    "shoulder_width", "across_back", "arm_length", "neck_to_wrist", "upper_arm_girth", "wrist_girth",
    "thigh_girth", "knee_girth", "calf_girth", "ankle_girth", "inside_leg", "outside_leg", "crotch_length",
    "back_waist_length", "front_waist_length", "shoulder_length", "head_girth", "elbow_girth",
    "biacromial_breadth",
)


EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 internal error, 2 usage, 3 missing component, 4 unreadable/empty/corrupt/non-image "
    "photo, 5 image too large, 6 no person, 7 more than one person, 8 person cut off, 9 person too small, "
    "10 wrong view (front/back swapped or the same), 11 arms not away from the body, 12 value out of range, "
    "13 size chart error, 14 manifest error, 15 fit failed."
)


def register(app: typer.Typer) -> None:
    app.command(name="photos", help="Measure a person from a FRONT and a BACK photo (the default command).",
                epilog=EXIT_CODES_HELP)(photos)


@guarded
def photos(
    front: Path = typer.Argument(..., help="Front full-body photo (facing the camera, arms away from the body)."),
    back: Path = typer.Argument(..., help="Back full-body photo (same place, turned around)."),
    height: float = typer.Option(..., "--height", help="Stature in cm (without shoes)."),
    weight: float | None = typer.Option(None, "--weight", help="Body weight in kg (improves girths)."),
    sex: str | None = typer.Option(None, "--sex", help="male or female (chooses size charts; helps the fit)."),
    side: Path | None = typer.Option(None, "--side", help="Optional side photo (improves depth and girths)."),
    clothes: str = typer.Option(
        DEFAULT_CLOTHES, "--clothes", help="What you wear in the photos: tight (best), fitted or everyday (the fit "
        "subtracts typical garment ease; less accurate)."
    ),
    chart: str | None = typer.Option(
        None, "--chart", help="Size chart: a .json/.csv file, a shipped chart name or family (default en13402)."
    ),
    garment: list[str] | None = typer.Option(
        None, "--garment", help="Garment type(s) to size, e.g. tops, trousers (repeat; default: all)."
    ),
    girths: str = typer.Option(
        DEFAULT_GIRTHS, "--girths", help="Torso and thigh girths measured on the fitted body like the rest (body), "
        "read from the photos' outline widths (outline; see the README), or auto: the outline where its model is "
        "learned on photos in your clothes (tight), the body otherwise."
    ),
    preference: str = typer.Option("regular", "--fit", help="Fit preference: slim, regular or loose."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON only."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for result.json, the fitted mesh (body.obj, body.glb) and overlay PNGs."
    ),
    parser_weights: Path | None = typer.Option(
        None, "--parser-weights", help="Human parser checkpoint (default: the shipped one, if any)."
    ),
    no_parser: bool = typer.Option(False, "--no-parser", help="Use the pose detector's person mask only."),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda."),
) -> None:
    from rich.console import Console

    from measure.checks import check_body_values, check_clothes

    err = Console(stderr=True)
    check_body_values(height, weight, sex)  # a bad number fails before any model loads
    clothes = check_clothes(clothes)
    from measure.pipeline import Measurer

    measurer = Measurer(device=device, parser_weights=parser_weights, use_parser=not no_parser, chart=chart,
                        garments=garment, preference=preference, clothes=clothes, girths=girths)
    if as_json:
        result = measurer.measure(front, back, height, weight_kg=weight, sex=sex, side=side)
    else:
        with err.status("Measuring: finding the person, fitting the body, taking measurements ..."):
            result = measurer.measure(front, back, height, weight_kg=weight, sex=sex, side=side)
    written = []
    if out is not None:
        from measure.export import write_outputs

        written = write_outputs(result, out)
    if as_json:
        sys.stdout.write(result.to_json() + "\n")
        return
    print_result(result, Console())
    if written:
        Console().print(f"wrote {len(written)} files to {out}: " + ", ".join(p.name for p in written))


def print_result(result, console) -> None:
    """Rich tables: measurements (value +- uncertainty), sizes, warnings."""
    from rich.table import Table

    table = Table(title="Body measurements (cm)", title_justify="left")
    table.add_column("measurement")
    table.add_column("value", justify="right")
    table.add_column("+-", justify="right")
    names = [n for n in MAIN_TABLE if n in result.measurements]
    names += [n for n in result.measurements if n not in names]
    for name in names:
        m = result.measurements[name]
        table.add_row(name.replace("_", " "), f"{m.value:.1f}", f"{m.uncertainty:.1f}")
    console.print(table)
    if result.sizes:
        sizes = Table(title="Sizes", title_justify="left")
        sizes.add_column("chart")
        sizes.add_column("garment")
        sizes.add_column("size", style="bold")
        sizes.add_column("runner-up")
        sizes.add_column("advice")
        for s in result.sizes:
            size = s.size or f"outside chart (nearest {s.nearest})"
            sizes.add_row(s.chart, s.garment, size, s.runner_up or "", s.note)
        console.print(sizes)
    for w in result.warnings:
        where = f"{w.subject}: " if w.subject else ""
        console.print(f"[yellow]warning[/yellow] {where}{w.message}")
    total = result.timings.get("total")
    if total is not None:
        console.print(f"[dim]{total:.1f} s[/dim]")
