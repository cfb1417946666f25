"""Rebuild assets/priors/photo_girths_<clothes>.json: girths from what the pipeline reads off photos.

    python -m measure.build_photo_girths --data ../shared/data/ansur2 [--clothes tight] [--n 250] [--workers 2]

The clean-render models (measure.build_profile_girths) assume the widths are read perfectly. The pipeline
does not read them perfectly: in renders of tight clothes its widths came out 1.2-1.7 cm wide (the fit's
placement, the mask's edge, the garment), and from front and back every cm of breadth costs 4-6 cm of
girth. These models learn from the pipeline's own readings instead, so they take its bias out and trust
each width only as far as it holds up:

1. `--n` training-fold subjects per sex (measure.ansur_split; never the end-to-end benchmark's) are made
   body twins and rendered front, back and side in `--clothes` (measure.synth_fold, as the benchmark's);
2. each goes through the real pipeline (`Measurer`) front+back and front+back+side, and the outline
   widths it reads with its fitted bodies are kept (measure.profile_girths.read_outline);
3. a ridge per sex (and pooled) and input set maps stature, weight and those widths (without a weight,
   also the fitted body's own girths: measure.profile_girths.BODY_INPUT_SETS) to the subjects' REAL
   tape girths, or a Huber ridge where that cross-validates better (`build`); the printout gives the
   5-fold cross-validated MAE.

Renders and readings are cached in `--work`; a rebuild with other ridge settings reuses them.
What this does not prove: the bias it learns is the pipeline's on our renders' clothes; real garments
sit differently (measure.profile_girths has the clean-render models for clothes without such a model).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from body_model.data_paths import REPO_ROOT
from measure.profile_girths import BODY_INPUT_SETS, INPUT_SETS, TARGETS, input_names, photo_girths_path, set_name

WORK_DIR = REPO_ROOT / ".cache" / "photo_girths"
SEXES = ("male", "female")
IMAGE_SIZE = (1280, 960)
TAPE = {"chest_girth": "chest", "bust_girth": "chest", "waist_girth": "waist", "hip_girth": "hip",
        "thigh_girth": "thigh"}  # our girth -> measure.ansur_tape label in truth.csv (tape_<label>)
READINGS = "readings.jsonl"
HUBER_DELTA_CM = 1.5  # residuals beyond this count linearly (chosen by 5-fold CV on the tight readings: 1, 1.5, 2.5)

_MEASURER = None


def _init_worker(clothes: str) -> None:
    global _MEASURER
    import cv2
    import torch

    from measure.pipeline import Measurer

    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    _MEASURER = Measurer(device="cpu", clothes=clothes, photo_cache=True)


def read_subject(job: tuple[str, dict, str]) -> dict:
    """One rendered subject through the pipeline front+back and front+back+side: the widths each fit read."""
    from measure.errors import MeasureError
    from measure.outline_profile import as_features
    from measure.profile_girths import PhotoOutline, read_outline

    subjects_dir, row, clothes = job
    if _MEASURER is None:
        _init_worker(clothes)
    path = Path(subjects_dir)
    out = {"id": row["id"], "sex": row["sex"], "stature": float(row["height_cm"]),
           "weightkg": float(row["weight_kg"]), "features": {}, "body": {}}
    for cond, side in (("fb", None), ("fb+side", row["side"])):
        try:
            result = _MEASURER.measure(path / row["front"], path / row["back"], height_cm=out["stature"],
                                       sex=row["sex"], side=path / side if side else None, clothes=clothes)
        except MeasureError as exc:
            out["features"][cond] = {"error": str(exc)}
            continue
        photos = [PhotoOutline(v.kind, v.mask, v.labels) for v in result.views]
        reading = read_outline(photos, result.fit, _MEASURER.body_model, clothes)
        feats = {} if reading.breadth is None else as_features(reading.breadth, "breadth")
        if reading.depth is not None and cond == "fb+side":
            feats |= as_features(reading.depth, "depth")
        out["features"][cond] = feats
        out["body"][cond] = {t: result.measurements[t].value for t in TARGETS}  # the fitted body's, to compare
    return out


def collect(subjects_dir: Path, work: Path, clothes: str, workers: int) -> list[dict]:
    """Readings of every rendered subject (cached ones reused, new ones appended as they come)."""
    import csv

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    rows = list(csv.DictReader((subjects_dir / "manifest.csv").read_text(encoding="utf-8").splitlines()))
    path = work / READINGS
    known = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # a torn last line from a killed run
                continue
            known[rec["id"]] = rec
    todo = [r for r in rows if r["id"] not in known]
    jobs = [(str(subjects_dir), r, clothes) for r in todo]
    with Progress(TextColumn("[bold]pipeline readings"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as progress, open(path, "a", encoding="utf-8") as fh:
        task = progress.add_task("read", total=len(rows), completed=len(rows) - len(todo))
        for rec in _map(jobs, workers, clothes):
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            known[rec["id"]] = rec
            progress.advance(task)
    return [known[r["id"]] for r in rows]


def _map(jobs: list, workers: int, clothes: str):
    if workers <= 1:
        yield from (read_subject(j) for j in jobs)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                             initializer=_init_worker, initargs=(clothes,)) as pool:
        yield from pool.map(read_subject, jobs, chunksize=2)


def training_table(readings: list[dict], truth: dict[str, dict], sex: str, with_weight: bool, with_side: bool
                   ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(inputs, real tape girths, input names) of the subjects whose pipeline run gave every input.

    Input sets in BODY_INPUT_SETS also take the fitted body's girths of the same run (`body_<girth>`)."""
    inputs = input_names(with_weight, with_side, with_body=set_name(with_weight, with_side) in BODY_INPUT_SETS)
    cond = "fb+side" if with_side else "fb"
    xs, ys = [], []
    for r in readings:
        feats = r["features"].get(cond, {}) | {f"body_{t}": v for t, v in r.get("body", {}).get(cond, {}).items()}
        if (sex != "any" and r["sex"] != sex) or "error" in feats or not all(
                k in feats for k in inputs if k not in ("stature", "weightkg")):
            continue
        xs.append([r[k] if k in ("stature", "weightkg") else feats[k] for k in inputs])
        ys.append([float(truth[r["id"]][f"tape_{TAPE[t]}"]) for t in TARGETS])
    x, y = np.array(xs, dtype=float).reshape(-1, len(inputs)), np.array(ys, dtype=float).reshape(-1, len(TARGETS))
    ok = np.isfinite(x).all(axis=1) & np.isfinite(y).all(axis=1)
    return x[ok], y[ok], inputs


def build(readings: list[dict], truth: dict[str, dict], clothes: str, alpha: float,
          huber_delta: float | None = HUBER_DELTA_CM) -> tuple[dict, list[str]]:
    """The asset's JSON and a printable table of its cross-validated MAE against the real tape.

    Per sex and input set, the ridge or the Huber ridge (`huber_delta`; None: ridge only), whichever
    cross-validates to the lower mean MAE over the girths: a few photos are read far off (2 of 40 men's
    side photos read their torso 10-26% deep), and under squares those rows pull the fit."""
    from body_model.build_shape_prior import build_model

    models, table = [], []
    for sex in (*SEXES, "any"):
        for name, (with_weight, with_side) in INPUT_SETS.items():
            x, y, inputs = training_table(readings, truth, sex, with_weight, with_side)
            fits = {"ridge": build_model(x, y, inputs, alpha, targets=TARGETS)}
            if huber_delta is not None:
                fits["huber"] = build_model(x, y, inputs, alpha, targets=TARGETS, huber_delta=huber_delta)
            loss = min(fits, key=lambda k: float(np.mean(fits[k].residual_mae)))
            model = fits[loss]
            models.append({"sex": sex, "input_set": name, "loss": loss, **model.to_json()})
            table.append(f"{sex:7s} {name:18s} n={len(x):4d} {loss:5s} "
                         + " ".join(f"{v:5.2f}" for v in model.residual_mae)
                         + ("" if len(fits) == 1 else "   (ridge " + " ".join(
                             f"{v:5.2f}" for v in fits["ridge"].residual_mae) + ")"))
    asset = {
        "source": f"ANSUR II training-fold body twins rendered in {clothes} clothes (measure.synth_fold); widths "
                  "the pipeline read off them (measure.profile_girths.read_outline) -> the subjects' real tape "
                  "girths; ridge (or Huber ridge, per model's 'loss') on standardised inputs, 5-fold CV residuals",
        "clothes": clothes, "alpha": alpha, "huber_delta_cm": huber_delta, "units": "cm, kg",
        "n_subjects": {s: sum(r["sex"] == s for r in readings) for s in SEXES},
        "models": models,
    }
    return asset, table


def main(argv: list[str] | None = None) -> None:
    from body_model.garment_ease import CLOTHES
    from measure.build_profile_girths import write_asset
    from measure.synth import read_truth
    from measure.synth_fold import render_fold

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="the ansur2 folder (default: MEASURE_DATA's)")
    parser.add_argument("--clothes", choices=CLOTHES, default="tight", help="what the renders wear")
    parser.add_argument("--n", type=int, default=250, help="training subjects per sex (the shipped asset: 250)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alpha", type=float, default=2.0, help="ridge strength on standardised inputs")
    parser.add_argument("--huber-delta", type=float, default=HUBER_DELTA_CM,
                        help="cm: also try a Huber ridge with this threshold, kept where it cross-validates better "
                             "(0: ridge only)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--train", type=int, default=300, help="random Anny bodies per sex for the twin surrogate")
    parser.add_argument("--work", type=Path, default=None, help="renders and readings (default: .cache/photo_girths/)")
    parser.add_argument("--out", type=Path, default=None, help="default assets/priors/photo_girths_<clothes>.json")
    args = parser.parse_args(argv)
    work = args.work or WORK_DIR / f"{args.clothes}-seed{args.seed}-n{args.n}-{IMAGE_SIZE[0]}x{IMAGE_SIZE[1]}"
    t0 = time.perf_counter()
    subjects_dir, _ = render_fold(work / "subjects", "training", args.n, args.seed, list(SEXES),
                                  ("front", "back", "side"), IMAGE_SIZE, args.clothes, args.train, args.workers,
                                  args.data)
    t_render = time.perf_counter() - t0
    readings = collect(subjects_dir, work, args.clothes, args.workers)
    t_read = time.perf_counter() - t0 - t_render
    asset, table = build(readings, read_truth(subjects_dir / "truth.csv"), args.clothes, args.alpha,
                         args.huber_delta if args.huber_delta > 0 else None)
    write_asset(args.out or photo_girths_path(args.clothes), asset,
                f"{len(readings)} subjects in {time.perf_counter() - t0:.0f} s (renders {t_render:.0f} s, "
                f"pipeline {t_read:.0f} s)", "cross-validated MAE against the real tape, cm:", table)


if __name__ == "__main__":
    main()
