"""`measure batch MANIFEST.csv --out results/`: many people, one JSON line each, resumable.

Manifest rows: id, front, back, height_cm[, weight_kg, sex, side, clothes] (paths relative to the manifest).
A failing row records its error in results.jsonl and the batch goes on; the exit code is 0 when the
batch ran to its end (read the summary for per-person errors), 14 for a bad manifest, 3 when
`--engine ray` is asked for without Ray installed.
"""

from __future__ import annotations

from pathlib import Path

import typer

from body_model.garment_ease import DEFAULT_CLOTHES
from cli.errors import guarded
from measure.girth_sources import DEFAULT_GIRTHS


def register(app: typer.Typer) -> None:
    app.command(name="batch", help="Measure every person of a manifest CSV (id,front,back,height_cm[,weight_kg,"
                "sex,side,clothes]) into OUT/results.jsonl and OUT/summary.csv.")(batch)


@guarded
def batch(
    manifest: Path = typer.Argument(..., help="CSV with columns id,front,back,height_cm[,weight_kg,sex,side,clothes]."),
    out: Path = typer.Option(..., "--out", help="Results folder (results.jsonl, summary.csv)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes (each loads the models once)."),
    engine: str = typer.Option("local", "--engine", help="local (processes on this machine) or ray."),
    ray_address: str | None = typer.Option(
        None, "--ray-address", help="Ray cluster to join (e.g. auto, ray://host:10001); default: start one here."
    ),
    resume: bool = typer.Option(False, "--resume", help="Skip ids already in OUT/results.jsonl."),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="With --resume, run failed ids again."),
    chart: str | None = typer.Option(None, "--chart", help="Size chart file, name or family (default en13402)."),
    garment: list[str] | None = typer.Option(None, "--garment", help="Garment type(s) to size (repeat)."),
    parser_weights: Path | None = typer.Option(None, "--parser-weights", help="Human parser checkpoint."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    clothes: str = typer.Option(
        DEFAULT_CLOTHES, "--clothes", help="What people wear where the manifest has no clothes column or value: "
        "tight, fitted or everyday."
    ),
    girths: str = typer.Option(
        DEFAULT_GIRTHS, "--girths", help="Torso and thigh girths measured on the fitted body (body), read from the "
        "photos' outline widths (outline), or auto: the outline where its model is learned on photos in those "
        "clothes (tight), the body otherwise."
    ),
    photo_cache: Path | None = typer.Option(
        None, "--photo-cache", help="Folder that keeps each photo's analysis (pose, mask, parser labels): a later "
        "batch with the same photos (other weights, charts, a side photo added) skips it. Shared by workers."
    ),
) -> None:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from measure.batch import MeasurerWorker, read_manifest, run_batch, threads_per_worker
    from measure.chart_selection import load_charts
    from measure.checks import check_clothes, check_girths
    from measure.errors import OutOfRangeError

    if engine not in ("local", "ray"):
        raise OutOfRangeError("--engine", f"{engine!r} is not one of local, ray")
    if engine == "ray":
        from measure.batch_ray import _import_ray

        _import_ray()  # a clear error (exit 3) before any work when Ray is missing
    clothes = check_clothes(clothes)
    girths = check_girths(girths)
    read_manifest(manifest)  # a bad manifest fails before workers start
    load_charts(chart, garment)  # so does a bad chart
    if photo_cache is not None:  # and a photo cache folder that cannot be one
        try:
            photo_cache.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise OutOfRangeError("--photo-cache", f"{photo_cache}: not a usable folder ({why})") from None
    factory = MeasurerWorker(chart=chart, garments=tuple(garment) if garment else None, device=device,
                             parser_weights=str(parser_weights) if parser_weights else None, clothes=clothes,
                             photo_cache=str(photo_cache) if photo_cache else True, girths=girths,
                             threads=threads_per_worker(workers) if engine == "local" else None)
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]measuring"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TextColumn("ok {task.fields[ok]} / errors {task.fields[errors]}"),
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
    )
    counts = {"ok": 0, "errors": 0}
    task = None

    def on_start(total: int, skipped: int) -> None:
        nonlocal task
        if skipped:
            console.print(f"resuming: {skipped} of {total} ids already done")
        task = progress.add_task("batch", total=total - skipped, ok=0, errors=0, rate="")

    def on_record(rec: dict) -> None:
        counts["ok" if rec["status"] == "ok" else "errors"] += 1
        t = progress.tasks[0]
        done = counts["ok"] + counts["errors"]
        rate = f"{60.0 * done / t.elapsed:.1f}/min" if t.elapsed else ""
        progress.update(task, advance=1, ok=counts["ok"], errors=counts["errors"], rate=rate)

    with progress:
        summary = run_batch(manifest, out, factory, workers=workers, engine=engine, resume=resume,
                            retry_errors=retry_errors, ray_address=ray_address, on_record=on_record,
                            on_start=on_start)
    table = Table(title=f"Batch summary ({out})", title_justify="left")
    for col in ("rows", "skipped", "measured", "errors", "seconds", "per minute"):
        table.add_column(col, justify="right")
    table.add_row(str(summary.total), str(summary.skipped), str(summary.ok), str(summary.errors),
                  f"{summary.seconds:.1f}", f"{summary.rate_per_min:.1f}")
    Console().print(table)
    if summary.error_codes:
        Console().print("errors by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.error_codes.items())))
    Console().print(f"results: {out / 'results.jsonl'}, summary: {out / 'summary.csv'}")
