"""End-to-end accuracy on real people's body shapes: ANSUR II twins -> renders -> `measure batch` -> tape.

For a seeded sample of ANSUR II evaluation-fold subjects per sex (measure.ansur_split: the one in five
that no learned model trains on; data: ANSUR_II_{MALE,FEMALE}_Public.csv), each
subject's body twin (an Anny body fitted to their stature, weight, girths, breadths and depths,
measure.twins) is rendered front, back and side as phone photos (measure.synth: varied clothes,
backgrounds, poses, camera distance and focal length in EXIF). The photos go through the full
pipeline exactly as a user's would (`measure batch` machinery with the real `Measurer`; the manifest's
`clothes` column says what the renders wear, as a user would: body_model.garment_ease), for:

    fb         front + back + height
    fb+weight  front + back + height + weight
    fb+side    front + back + side + height

and every output is compared with the subject's REAL tape value (not the twin's). The pipeline runs
with outline girths (measure.profile_girths), whose results also carry the fitted body's own girths:
`--girths` picks which the tables show (default: the pipeline's, measure.girth_sources; `auto` is the
outline's where a model is learned on photo readings in these clothes, else the fitted body's), the
other is summed up in one line per sex. In the same table:
linear regression from height only and from height + weight (measure.baselines), fitted per sex on
the other ANSUR subjects (the evaluated ones left out), and the twins' own values ("twin": how
closely Anny's shape space reproduces these people; the pipeline cannot be expected to do better).
Per measurement and sex: MAE (cm) and the share within the ISO 20685-1 allowable error (heights
4 mm, lengths 5 mm, large girths 9 mm, small girths 4 mm). Sizes: the share of people whose
recommended EN 13402-3 size (tops, trousers) equals the size their real tape values give, and
within one size.

What it does not prove: the photos are renders of Anny bodies in simple synthetic clothes, not
photos of people; real cameras, clothes, hair and poses add error that this does not measure.

    python benchmarks/e2e_accuracy.py --n 100 --seed 0 --workers 2 --markdown accuracy.md
    python benchmarks/e2e_accuracy.py --n 5 --conditions fb          # a quick look

The conditions share each photo's analysis (pose, person mask, parser labels: measure.photo_cache,
as `measure batch --photo-cache` gives a retailer re-running a batch), so fb pays for the front and
back photos' analysis and fb+side for the side photo's; every fit runs afresh.

Work is kept in --work (default .cache/e2e_accuracy/seed<S>-n<N>-...): the renders are reused when
the command is run again with the same settings (or fewer views); the pipeline's results are measured afresh each run
(their folders are cleared) unless --resume asks to continue an interrupted run of the same code.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("ANNY_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".cache" / "anny"))

from measure.ansur_tape import CHART_DIMENSION_TO_ANSUR, TAPE_PAIRS  # noqa: E402
from measure.girth_sources import DEFAULT_GIRTHS, GIRTH_SOURCES  # noqa: E402

PHOTO_CACHE = "photo_cache"  # under --work: photo analyses shared by the conditions, cleared unless --resume
CONDITIONS = {"fb": (False, False), "fb+weight": (True, False), "fb+side": (False, True)}
SEXES = ("male", "female")
OUTLINE_GIRTH_LABELS = ("chest", "waist", "hip", "thigh")  # girths measure.profile_girths can give
SIZE_CHARTS = {"male": ("en13402-tops-men", "en13402-trousers-men"),
               "female": ("en13402-tops-women", "en13402-trousers-women")}


# ---------------------------------------------------------------- stages

def make_subjects(work: Path, n: int, seed: int, sexes: list[str], views: tuple[str, ...], size: tuple[int, int],
                  clothes: str, n_train: int, workers: int = 1):
    """Render the seeded evaluation-fold sample (or reuse the renders of an earlier run with the same settings);
    the outline girth models learned from training-fold twins only."""
    from measure.synth_fold import render_fold

    return render_fold(work / "subjects", "evaluation", n, seed, sexes, views, size, clothes, n_train, workers)


def condition_manifest(subjects_dir: Path, cond: str) -> Path:
    """The synth manifest with the weight and/or side photo dropped as the condition says."""
    with_weight, with_side = CONDITIONS[cond]
    rows = list(csv.DictReader((subjects_dir / "manifest.csv").read_text(encoding="utf-8").splitlines()))
    path = subjects_dir / f"manifest_{cond}.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({**r, "weight_kg": r["weight_kg"] if with_weight else "",
                        "side": r["side"] if with_side else ""})
    return path


def run_condition(subjects_dir: Path, work: Path, cond: str, workers: int, device: str,
                  resume: bool = False) -> dict[str, dict]:
    """`measure batch` on the condition's manifest; {id: record}. Without `resume`, earlier results are
    cleared first: results of older code must never pass for this run's."""
    import shutil

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from measure.batch import MeasurerWorker, read_records, run_batch, threads_per_worker

    manifest = condition_manifest(subjects_dir, cond)
    out = work / f"batch_{cond}"
    if not resume and out.exists():
        shutil.rmtree(out)
    with Progress(TextColumn(f"[bold]pipeline {cond}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as progress:
        task = progress.add_task(cond, total=None)

        def on_start(total: int, skipped: int) -> None:
            progress.update(task, total=total, completed=skipped)

        # The conditions share each photo's analysis (pose, mask, parser labels) through a photo cache,
        # as a retailer's re-run batch does (`measure batch --photo-cache`); the fit runs afresh each time.
        # Outline girths: their results also carry the fitted body's own (`body_value`), so one run gives both.
        # One CPU thread per worker, as `measure batch --workers` does (measured: 2 workers of 2 threads
        # each took 15-30% longer for the same results, identical to the digit).
        worker = MeasurerWorker(device=device, photo_cache=str(work / PHOTO_CACHE), girths="outline",
                                threads=threads_per_worker(workers))
        run_batch(manifest, out, worker, workers=workers, resume=True,
                  on_start=on_start, on_record=lambda rec: progress.advance(task))
    return {rec["id"]: rec for rec in read_records(out)}


# ---------------------------------------------------------------- scoring

def shown_girths(girths: str, clothes: str) -> str:
    """"body" or "outline": which girths the tables show, "auto" resolved as the pipeline resolves it."""
    if girths != "auto":
        return girths
    from measure.profile_girths import load_profile_girth_model

    return "outline" if load_profile_girth_model().learned_on_photos(clothes) else "body"


def true_sizes(tape: dict[str, float], charts) -> dict[str, str]:
    """{chart name: size label} from real tape values (nearest size when outside the chart)."""
    from measure.sizing import recommend

    values = {dim: tape[col] for dim, col in CHART_DIMENSION_TO_ANSUR.items() if col in tape}
    return {c.name: recommend(values, c).size for c in charts}


def predicted_sizes(values: dict[str, float], charts) -> dict[str, str]:
    from measure.sizing import recommend

    return {c.name: recommend(values, c).size for c in charts}


def evaluate(subjects_dir: Path, results: dict[str, dict[str, dict]], girths: str = "body") -> dict:
    """Per sex: errors per method and measurement, size agreement per method and chart, timings. The pipeline
    ran with outline girths, whose results also carry the fitted body's (`body_value`): `girths` says which
    the tables show; the other is summed up in one line per sex."""
    from body_model.ansur import read_ansur
    from body_model.data_paths import require_data_dir
    from measure.baselines import fit_baselines
    from measure.size_chart import load_chart
    from measure.synth import read_truth

    truth = read_truth(subjects_dir / "truth.csv")
    data = require_data_dir("ansur2")
    report: dict = {}
    for sex in SEXES:
        ids = [i for i, row in truth.items() if row["sex"] == sex]
        if not ids:
            continue
        table = read_ansur(data, sex)
        by_id = dict(zip(table.subject_ids, table.records(), strict=True))
        tapes = {i: by_id[truth[i]["subject_id"]] for i in ids}
        targets = [p.ansur for p in TAPE_PAIRS] + sorted(set(CHART_DIMENSION_TO_ANSUR.values()) - {"stature"})
        targets = list(dict.fromkeys(targets))
        baselines = fit_baselines(table, targets, exclude_ids=[truth[i]["subject_id"] for i in ids])
        charts = [load_chart(name) for name in SIZE_CHARTS[sex]]
        methods: dict[str, dict[str, dict[str, float]]] = {}  # method -> id -> {ours name: value}
        other: dict[str, dict[str, dict[str, float]]] = {}  # the girths taken the other way, for comparison
        for cond, recs in results.items():
            ok = [i for i in ids if i in recs and recs[i].get("status") == "ok"]
            outline = {i: {k: v["value"] for k, v in recs[i]["result"]["measurements"].items()} for i in ok}
            body = {i: {k: v.get("body_value", v["value"]) for k, v in recs[i]["result"]["measurements"].items()}
                    for i in ok}
            methods[cond], other[cond] = (body, outline) if girths == "body" else (outline, body)
        for kind, base in baselines.items():
            per = {}
            for i in ids:
                t = tapes[i]
                pred = base.predict(t["stature"], t["weightkg"])
                vals = {p.ours: float(pred[p.ansur][0]) for p in TAPE_PAIRS}
                vals.update({dim: float(pred[col][0]) for dim, col in CHART_DIMENSION_TO_ANSUR.items()
                             if col in pred})
                vals["stature"] = t["stature"]
                per[i] = vals
            methods[kind] = per
        twin_rows = {i: json.loads(line) for line in (subjects_dir / "twins.jsonl").read_text().splitlines()
                     for i in [json.loads(line)["id"]] if i in ids}
        methods["twin"] = {i: dict(twin_rows[i]["twin_record"]["measurements"]) for i in ids if i in twin_rows}
        errors: dict[str, dict[str, np.ndarray]] = {}
        sizes: dict[str, dict[str, tuple[float, float, int]]] = {}
        for method, per in methods.items():
            errors[method] = {p.label: np.array([per[i][p.ours] - tapes[i][p.ansur] for i in per]) for p in TAPE_PAIRS}
            sizes[method] = {}
            for chart in charts:
                diffs = []
                for i in per:
                    want = true_sizes(tapes[i], [chart])[chart.name]
                    vals = dict(per[i])  # the pipeline's own sizes would follow its girths, not the table's
                    if any(d not in vals or vals[d] is None for d in chart.primary):
                        continue
                    got = predicted_sizes(vals, [chart])[chart.name]
                    if got is None or want is None:
                        continue
                    diffs.append(abs(chart.labels.index(got) - chart.labels.index(want)))
                d = np.array(diffs)
                sizes[method][chart.garment] = ((d == 0).mean() if len(d) else np.nan,
                                                (d <= 1).mean() if len(d) else np.nan, len(d))
        seconds = {cond: float(np.median([recs[i]["seconds"] for i in ids if i in recs]))
                   for cond, recs in results.items() if any(i in recs for i in ids)}
        failed = {cond: sum(1 for i in ids if i not in methods[cond]) for cond in results}
        other_errors = {cond: {p.label: np.array([per[i][p.ours] - tapes[i][p.ansur] for i in per])
                               for p in TAPE_PAIRS if p.label in OUTLINE_GIRTH_LABELS}
                        for cond, per in other.items()}
        report[sex] = {"n": len(ids), "errors": errors, "sizes": sizes, "seconds": seconds, "failed": failed,
                       "methods": list(methods), "other_errors": other_errors,
                       "other": "outline" if girths == "body" else "body"}
    return report


# ---------------------------------------------------------------- tables

def _cell(err: np.ndarray, allow: float) -> str:
    if len(err) == 0:
        return "-"
    return f"{np.abs(err).mean():.2f} / {100 * (np.abs(err) <= allow).mean():.0f}%"


def _other_line(rep: dict) -> str:
    """The same girths taken the other way (fitted body / photo outline widths), MAE in cm."""
    parts = [f"{cond} " + "/".join(f"{np.abs(e).mean():.2f}" if len(e) else "-" for e in errs.values())
             for cond, errs in rep["other_errors"].items()]
    way = "from the photos' outline widths (--girths outline)" if rep["other"] == "outline" else \
        "measured on the fitted body (--girths body)"
    return f"Girths {way} instead ({'/'.join(OUTLINE_GIRTH_LABELS)} MAE, cm): " + "; ".join(parts)


def tables_markdown(report: dict, header: str) -> str:
    lines = [header, ""]
    for sex, rep in report.items():
        methods = rep["methods"]
        lines.append(f"**{sex}** (n = {rep['n']}; pipeline failures: "
                     + ", ".join(f"{c} {k}" for c, k in rep["failed"].items()) + ")")
        lines.append("")
        lines.append("| measurement (ISO tol.) | " + " | ".join(methods) + " |")
        lines.append("|---|" + "---|" * len(methods))
        for p in TAPE_PAIRS:
            cells = [_cell(rep["errors"][m][p.label], p.allowable_cm) for m in methods]
            lines.append(f"| {p.label} ({10 * p.allowable_cm:.0f} mm) | " + " | ".join(cells) + " |")
        for garment in next(iter(rep["sizes"].values())):
            cells = []
            for m in methods:
                exact, within, k = rep["sizes"][m][garment]
                cells.append("-" if k == 0 else f"{100 * exact:.0f}% / {100 * within:.0f}%")
            lines.append(f"| EN 13402-3 {garment} size: same / within 1 | " + " | ".join(cells) + " |")
        lines.append(_other_line(rep))
        lines.append("")
    lines.append("Cells: MAE in cm / share within the ISO 20685-1 allowable error, against the subjects' real tape "
                 "values. fb = front+back photos + height; +weight; +side photo. height, height+weight: linear "
                 "regression on the other ANSUR II subjects of the same sex. twin: the rendered body itself.")
    return "\n".join(lines)


def print_report(report: dict, header: str) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency
        print(tables_markdown(report, header))
        return
    console = Console()
    console.print(header)
    for sex, rep in report.items():
        methods = rep["methods"]
        failed = ", ".join(f"{c} {k}" for c, k in rep["failed"].items())
        table = Table(title=f"{sex}: n = {rep['n']} (pipeline failures: {failed}); MAE cm / share within ISO 20685",
                      title_justify="left")
        table.add_column("measurement (ISO tol.)")
        for m in methods:
            table.add_column(m, justify="right")
        for p in TAPE_PAIRS:
            table.add_row(f"{p.label} ({10 * p.allowable_cm:.0f} mm)",
                          *[_cell(rep["errors"][m][p.label], p.allowable_cm) for m in methods])
        for garment in next(iter(rep["sizes"].values())):
            row = []
            for m in methods:
                exact, within, k = rep["sizes"][m][garment]
                row.append("-" if k == 0 else f"{100 * exact:.0f}% / {100 * within:.0f}%")
            table.add_row(f"{garment} size same / ±1", *row)
        console.print(table)
        console.print(_other_line(rep))
        console.print("median pipeline seconds per person: "
                      + ", ".join(f"{c} {s:.1f}" for c, s in rep["seconds"].items()))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100, help="subjects per sex (seeded sample)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1, help="pipeline worker processes")
    ap.add_argument("--sex", choices=["male", "female", "both"], default="both")
    ap.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated: " + ", ".join(CONDITIONS))
    ap.add_argument("--size", default="1280x960", help="photo size HEIGHTxWIDTH")
    ap.add_argument("--clothes", choices=["everyday", "fitted", "tight"], default="everyday",
                    help="what the renders wear (and what the pipeline is told they wear)")
    ap.add_argument("--train", type=int, default=300, help="random Anny bodies per sex for the twin surrogate")
    ap.add_argument("--device", default="cpu", help="pipeline device: cpu, cuda or auto")
    ap.add_argument("--girths", choices=GIRTH_SOURCES, default=DEFAULT_GIRTHS,
                    help="which torso and thigh girths the tables show: measured on the fitted body, from the "
                         "photos' outline widths, or auto (as the pipeline: the outline's where a photo-read "
                         "model exists for the clothes); the other gets one line")
    ap.add_argument("--work", type=Path, default=None, help="work folder (renders, batch results)")
    ap.add_argument("--resume", action="store_true", help="continue an interrupted run: keep the pipeline "
                                                          "results already in --work (same code only)")
    ap.add_argument("--markdown", type=Path, default=None, help="also write the tables as markdown here")
    args = ap.parse_args(argv)
    conditions = [c for c in args.conditions.split(",") if c]
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise SystemExit(f"unknown condition {unknown[0]!r}; choose from {', '.join(CONDITIONS)}")
    sexes = list(SEXES) if args.sex == "both" else [args.sex]
    height, width = (int(v) for v in args.size.lower().split("x"))
    views = ("front", "back", "side") if "fb+side" in conditions else ("front", "back")
    work = args.work or (Path(__file__).resolve().parent.parent / ".cache" / "e2e_accuracy"
                         / f"seed{args.seed}-n{args.n}-{'-'.join(sexes)}-{args.clothes}-{args.size}")
    t0 = time.perf_counter()
    subjects_dir, synth = make_subjects(work, args.n, args.seed, sexes, views, (height, width), args.clothes,
                                        args.train, args.workers)
    t_synth = time.perf_counter() - t0
    results = {}
    t_conds = {}
    if not args.resume:  # analyses made by older code must not pass for this run's
        import shutil

        shutil.rmtree(work / PHOTO_CACHE, ignore_errors=True)
    for cond in conditions:
        t = time.perf_counter()
        results[cond] = run_condition(subjects_dir, work, cond, args.workers, args.device, args.resume)
        t_conds[cond] = time.perf_counter() - t
    girths = shown_girths(args.girths, args.clothes)
    report = evaluate(subjects_dir, results, girths)
    total = time.perf_counter() - t0
    n_people = sum(rep["n"] for rep in report.values())
    timing = f"synth {t_synth:.0f} s" + (f" (twins {synth.seconds_twin:.0f} s, renders {synth.seconds_render:.0f} s)"
                                         if synth else " (reused)")
    timing += "; " + ", ".join(f"{c} {s:.0f} s" for c, s in t_conds.items())
    header = (f"End-to-end accuracy on ANSUR II body twins (data: ANSUR_II_{{MALE,FEMALE}}_Public.csv), seed "
              f"{args.seed}, {args.n} per sex, clothes {args.clothes}, girths {girths}, photos {args.size}, "
              f"workers {args.workers}, "
              f"device {args.device}; {total:.0f} s in all for {n_people} people ({timing})")
    print_report(report, header)
    if args.markdown:
        args.markdown.write_text(tables_markdown(report, header) + "\n", encoding="utf-8")
        print(f"markdown: {args.markdown}")


if __name__ == "__main__":
    main()
