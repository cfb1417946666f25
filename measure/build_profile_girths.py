"""Rebuild assets/priors/profile_girths.json: girths from width profiles, learned on ANSUR II body twins.

    python -m measure.build_profile_girths --data ../shared/data/ansur2 [--n 700] [--workers 2]

For `--n` training-fold subjects per sex (measure.ansur_split; seeded order), the subject's body
twin is made (measure.twins), and its rest body's breadth and depth profiles as the photo reader
sees them in clean front, back and side renders (measure.outline_profile.photo_profile; levels it
cannot read from the mesh's own sections) and its girths (measure_body) are kept. Twins take ~1.5 s
each; they are cached in `--cache` (one JSON line per subject), so a rebuild with other ridge
settings or more subjects reuses them. Then a ridge regression on standardised inputs per sex and
pooled ('any') for each input set (measure.profile_girths.INPUT_SETS), residual std and MAE 5-fold
cross-validated against the twins' own girths; the printout also gives the MAE against the
subjects' real tape values.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from body_model.data_paths import REPO_ROOT
from measure.ansur_split import is_evaluation_subject
from measure.profile_girths import ASSET_PATH, INPUT_SETS, TARGETS, input_names

CACHE_DIR = REPO_ROOT / ".cache" / "profile_girths"
SEXES = ("male", "female")
READ_SIZE = (1280, 960)  # (H, W) of the clean renders the training profiles are read from
TAPE = {"chest_girth": "chestcircumference", "bust_girth": "chestcircumference",
        "waist_girth": "waistcircumference", "hip_girth": "buttockcircumference",
        "thigh_girth": "thighcircumference"}

_MAKER = None


def _init_worker() -> None:
    global _MAKER
    import torch

    from measure.twins import TwinMaker

    torch.set_num_threads(1)
    _MAKER = TwinMaker()


def twin_row(job: tuple[str, str, dict]) -> dict | None:
    """One subject's twin: its parameters, profiles, girths and tape values (None: no twin could be made)."""
    from measure.landmarks import LandmarkError
    from measure.twins import TwinError

    sex, subject_id, record = job
    if _MAKER is None:
        _init_worker()
    try:
        twin = _MAKER.make(record, sex, subject_id)
        features = twin_features(_MAKER.model, twin.rest_vertices)
    except (TwinError, LandmarkError):
        return None
    return {"sex": sex, "id": subject_id, "stature": twin.stature_cm, "weightkg": record["weightkg"],
            "params": [round(float(p), 6) for p in twin.params], "features": features,
            "girths": {t: twin.measurements[t] for t in TARGETS},
            "tape": {t: record[c] for t, c in TAPE.items()}}


def twin_features(model, rest_vertices: np.ndarray) -> dict[str, float]:
    """The profiles of a rest body as the photo reader sees them in clean renders from a phone-like camera
    (front and back averaged: breadths; side: depths). Learning from these rather than from the mesh's
    own sections lets the model absorb what the reader does to an ideal photo (perspective, the armpits)."""
    from body_model.fit_synthetic import face_lip_labels, photo_camera
    from body_model.raster import rasterize
    from measure.outline_profile import WidthProfile, as_features, mesh_profile, photo_profile

    v = np.asarray(rest_vertices, dtype=np.float64)
    stature = float(np.ptp(v[:, 2]))
    labels = face_lip_labels(model)
    read = {}
    for kind in ("front", "back", "side"):
        cam = photo_camera(kind, stature, READ_SIZE[1], READ_SIZE[0])
        drawn = rasterize(v, model.faces, cam, face_values=labels, cull_backfaces=True)
        read[kind] = photo_profile(kind, drawn.mask, drawn.labels.astype(np.uint8), "tight", cam, v, v,
                                   model.faces, model.vertex_parts)
    breadth, depth = mesh_profile(v, model.faces, model.vertex_parts)
    read_breadth = WidthProfile.mean([read["front"], read["back"]]).filled_from(breadth)
    read_depth = read["side"].filled_from(depth)
    return as_features(read_breadth, "breadth") | as_features(read_depth, "depth")


def collect(data_dir: Path, n: int, seed: int, workers: int, cache_dir: Path) -> list[dict]:
    """Twin rows of `n` training-fold subjects per sex (cached ones reused, new ones appended)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from body_model.ansur import read_ansur

    cache_dir.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn()) as progress:
        for sex in SEXES:
            table = read_ansur(data_dir, sex)
            records = table.records()
            ids = [str(i) for i in table.subject_ids]
            order = [i for i in np.random.default_rng([seed, SEXES.index(sex)]).permutation(len(ids))
                     if not is_evaluation_subject(sex, ids[i])]
            path = cache_dir / f"twins-{sex}-seed{seed}.jsonl"
            known = {}
            if path.is_file():
                for line in path.read_text().splitlines():
                    rec = json.loads(line)
                    known[rec["id"]] = rec
            task = progress.add_task(f"{sex} twins", total=n)
            got = [known[ids[i]] for i in order if ids[i] in known and known[ids[i]].get("features")][:n]
            progress.update(task, completed=len(got))
            todo = iter([i for i in order if ids[i] not in known])
            with open(path, "a", encoding="utf-8") as fh:
                while len(got) < n:
                    batch = [next(todo, None) for _ in range(max(workers, 1) * 4)]
                    batch = [i for i in batch if i is not None]
                    if not batch:
                        break
                    jobs = [(sex, ids[i], records[i]) for i in batch]
                    for i, row in zip(batch, _map(jobs, workers), strict=True):
                        fh.write(json.dumps(row or {"id": ids[i], "features": None}) + "\n")
                        if row is not None and len(got) < n:
                            got.append(row)
                            progress.advance(task)
                    fh.flush()
            rows += got
    return rows


_POOL = None


def _map(jobs: list, workers: int) -> list:
    global _POOL
    if workers <= 1:
        return [twin_row(j) for j in jobs]
    if _POOL is None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                    initializer=_init_worker)
    return list(_POOL.map(twin_row, jobs))


def build(rows: list[dict], alpha: float) -> tuple[dict, list[str]]:
    """The asset's JSON and a printable table of its cross-validated errors."""
    from body_model.build_shape_prior import build_model, cross_validated_residuals

    models, table = [], []
    for sex in (*SEXES, "any"):
        sub = [r for r in rows if sex == "any" or r["sex"] == sex]
        for name, (with_weight, with_side) in INPUT_SETS.items():
            inputs = input_names(with_weight, with_side)
            x = np.array([[r["stature"] if k == "stature" else r["weightkg"] if k == "weightkg"
                           else r["features"][k] for k in inputs] for r in sub])
            y = np.array([[r["girths"][t] for t in TARGETS] for r in sub])
            ok = np.isfinite(x).all(axis=1) & np.isfinite(y).all(axis=1)
            x, y = x[ok], y[ok]
            model = build_model(x, y, inputs, alpha, targets=TARGETS)
            models.append({"sex": sex, "input_set": name, **model.to_json()})
            tape = np.array([[r["tape"][t] for t in TARGETS] for r in sub])[ok]
            vs_tape = np.abs(y - cross_validated_residuals(x, y, alpha) - tape).mean(axis=0)
            table.append(f"{sex:7s} {name:18s} n={len(x):4d} "
                         + " ".join(f"{a:5.2f}/{b:5.2f}" for a, b in zip(model.residual_mae, vs_tape, strict=True)))
    asset = {
        "source": "Anny body twins of ANSUR II training-fold subjects (measure.ansur_split): rest-body width "
                  "profiles (measure.outline_profile) -> measure_body girths; ridge on standardised inputs, "
                  "5-fold CV residuals",
        "alpha": alpha, "units": "cm, kg", "n_subjects": {s: sum(r["sex"] == s for r in rows) for s in SEXES},
        "models": models,
    }
    return asset, table


def write_asset(out: Path, asset: dict, made_from: str, header: str, table: list[str]) -> None:
    """Write a girth model asset and print what it was made from and its cross-validated errors."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(asset, indent=1))
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB) from {made_from}")
    print(header + " " + " ".join(TARGETS))
    for line in table:
        print(line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the ansur2 folder")
    parser.add_argument("--n", type=int, default=700, help="training subjects per sex (the shipped asset: 700)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alpha", type=float, default=2.0, help="ridge strength on standardised inputs")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=CACHE_DIR, help="where the twins' rows are kept")
    parser.add_argument("--out", type=Path, default=ASSET_PATH)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        rows = collect(args.data, args.n, args.seed, args.workers, args.cache)
    finally:
        if _POOL is not None:
            _POOL.shutdown()
    asset, table = build(rows, args.alpha)
    write_asset(args.out, asset, f"{len(rows)} twins in {time.perf_counter() - t0:.0f} s",
                "cross-validated MAE, cm, against the twins' girths / against the real tape:", table)


if __name__ == "__main__":
    main()
