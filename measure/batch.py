"""Batch measuring for retailers: a manifest of people in, one JSON line per person out.

Rows of `id, front, back, height_cm[, weight_kg, sex, side, clothes]` (paths relative to the manifest) are
measured by a per-person function that each worker builds once (so models load once per worker).
Every finished person (result or error) is appended to `results.jsonl` by the coordinating process
as one complete line, flushed and fsynced, so a batch killed at any moment loses nothing already
written and `resume=True` skips exactly the ids recorded. `summary.csv` is rebuilt from the JSONL
at the end. A failing row records its error; the batch goes on.

The per-person function is injectable (`worker_factory`), which is how tests run the batch
machinery with a cheap stand-in for the heavy measurer.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from body_model.garment_ease import DEFAULT_CLOTHES
from measure.errors import ManifestError, MeasureError, OutOfRangeError
from measure.girth_sources import DEFAULT_GIRTHS

RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.csv"
REQUIRED_COLUMNS = ("id", "front", "back", "height_cm")
OPTIONAL_COLUMNS = ("weight_kg", "sex", "side", "clothes")
SUMMARY_MEASUREMENTS = ("stature", "chest_girth", "bust_girth", "waist_girth", "hip_girth", "inside_leg")


@dataclass(frozen=True)
class BatchRow:
    """One person of the manifest; paths are absolute (resolved against the manifest's folder)."""

    id: str
    front: str
    back: str
    height_cm: str          # kept as text: a bad number is this row's error, not the manifest's
    weight_kg: str = ""
    sex: str = ""
    side: str = ""
    clothes: str = ""       # tight, fitted or everyday; empty: the batch's default
    line: int = 0


PersonFn = Callable[[BatchRow], dict[str, Any]]
WorkerFactory = Callable[[], PersonFn]


@dataclass
class BatchSummary:
    """What a batch run did."""

    total: int
    skipped: int
    ok: int
    errors: int
    seconds: float
    out_dir: Path
    error_codes: dict[str, int] = field(default_factory=dict)

    @property
    def processed(self) -> int:
        return self.ok + self.errors

    @property
    def rate_per_min(self) -> float:
        return 60.0 * self.processed / self.seconds if self.seconds > 0 else 0.0


def read_manifest(path: str | Path) -> list[BatchRow]:
    """Parse and validate the manifest CSV (header required; ids unique and non-empty)."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError(str(path), "manifest file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(str(path), f"cannot be read as UTF-8 text ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ManifestError(str(path), f"missing column(s) {', '.join(missing)}; "
                            f"needs {', '.join(REQUIRED_COLUMNS)} (optional {', '.join(OPTIONAL_COLUMNS)})")
    base = path.resolve().parent
    rows: list[BatchRow] = []
    seen: dict[str, int] = {}
    for line_no, raw in enumerate(reader, start=2):
        rec = {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(rec.values()):
            continue
        pid = rec.get("id", "")
        if not pid:
            raise ManifestError(f"{path}:{line_no}", "empty id")
        if pid in seen:
            raise ManifestError(f"{path}:{line_no}", f"duplicate id {pid!r} (first on line {seen[pid]})")
        seen[pid] = line_no
        rows.append(BatchRow(
            id=pid,
            front=_resolve(base, rec.get("front", "")),
            back=_resolve(base, rec.get("back", "")),
            height_cm=rec.get("height_cm", ""),
            weight_kg=rec.get("weight_kg", ""),
            sex=rec.get("sex", ""),
            side=_resolve(base, rec.get("side", "")) if rec.get("side") else "",
            clothes=(rec.get("clothes") or "").strip(),
            line=line_no,
        ))
    if not rows:
        raise ManifestError(str(path), "no rows")
    return rows


def _resolve(base: Path, value: str) -> str:
    if not value:
        return ""
    p = Path(value).expanduser()
    return str(p if p.is_absolute() else base / p)


def parse_number(row: BatchRow, column: str, optional: bool = False) -> float | None:
    """A number from a row's text, or an OutOfRangeError naming the row and column."""
    text = getattr(row, column)
    if not text:
        if optional:
            return None
        raise OutOfRangeError(f"row {row.id} {column}", "missing value")
    try:
        value = float(text)
    except ValueError:
        raise OutOfRangeError(f"row {row.id} {column}", f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise OutOfRangeError(f"row {row.id} {column}", f"{text!r} is not a finite number")
    return value


# ---------------------------------------------------------------- results file


def read_records(out_dir: str | Path) -> list[dict[str, Any]]:
    """The complete records in results.jsonl (a torn last line from a killed run is ignored)."""
    path = Path(out_dir) / RESULTS_FILE
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "id" in rec:
            records.append(rec)
    return records


class ResultsWriter:
    """Appends one record per line; each line is written whole, flushed and fsynced."""

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self.path = out_dir / RESULTS_FILE
        _repair_torn_tail(self.path)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, record: dict[str, Any]) -> None:
        data = (json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _repair_torn_tail(path: Path) -> None:
    """Cut a half-written last line (the run was killed mid-write) so the next append starts clean."""
    if not path.exists() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if data.endswith(b"\n"):
        return
    keep = data.rfind(b"\n") + 1
    with open(path, "r+b") as fh:
        fh.truncate(keep)


def _drop_error_records(out_dir: Path) -> None:
    """Rewrite results.jsonl without error records (atomically), so those ids run again."""
    path = out_dir / RESULTS_FILE
    kept = [r for r in read_records(out_dir) if r.get("status") == "ok"]
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in kept), encoding="utf-8")
    os.replace(tmp, path)


def write_summary(out_dir: str | Path) -> Path:
    """summary.csv from results.jsonl: one row per id (status, error, main measurements, sizes)."""
    out_dir = Path(out_dir)
    records = read_records(out_dir)
    size_cols: list[str] = []
    for rec in records:
        for size in (rec.get("result") or {}).get("sizes", []):
            col = f"size_{size.get('garment')}"
            if col not in size_cols:
                size_cols.append(col)
    columns = ["id", "status", "error_code", "error", "seconds", *[f"{m}_cm" for m in SUMMARY_MEASUREMENTS],
               *size_cols, "warnings"]
    tmp = out_dir / (SUMMARY_FILE + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for rec in records:
            result = rec.get("result") or {}
            error = rec.get("error") or {}
            row: dict[str, Any] = {"id": rec["id"], "status": rec.get("status", ""),
                                   "error_code": error.get("code", ""), "error": error.get("message", ""),
                                   "seconds": rec.get("seconds", "")}
            meas = result.get("measurements", {})
            for m in SUMMARY_MEASUREMENTS:
                row[f"{m}_cm"] = meas.get(m, {}).get("value", "")
            for size in result.get("sizes", []):
                row[f"size_{size.get('garment')}"] = size.get("size") or "outside chart"
            row["warnings"] = "; ".join(w.get("code", "") for w in result.get("warnings", []))
            writer.writerow(row)
    os.replace(tmp, out_dir / SUMMARY_FILE)
    return out_dir / SUMMARY_FILE


# ---------------------------------------------------------------- running


def run_person(fn: PersonFn, row: BatchRow) -> dict[str, Any]:
    """One record for one row: never raises for a bad row (the batch goes on)."""
    start = time.perf_counter()
    try:
        result = fn(row)
        rec: dict[str, Any] = {"id": row.id, "status": "ok", "result": result}
    except MeasureError as exc:
        rec = {"id": row.id, "status": "error",
               "error": {"code": exc.code, "exit_code": exc.exit_code, "message": str(exc)}}
    except Exception as exc:  # noqa: BLE001 - one person's crash must not stop a retailer's batch
        rec = {"id": row.id, "status": "error",
               "error": {"code": "internal", "exit_code": 1, "message": f"{type(exc).__name__}: {exc}"}}
    rec["seconds"] = round(time.perf_counter() - start, 3)
    return rec


_WORKER_FN: PersonFn | None = None


def _init_worker(factory: WorkerFactory) -> None:
    global _WORKER_FN
    _WORKER_FN = factory()


def _work(row: BatchRow) -> dict[str, Any]:
    assert _WORKER_FN is not None, "worker not initialised"
    return run_person(_WORKER_FN, row)


def iter_local(rows: list[BatchRow], factory: WorkerFactory, workers: int) -> Iterator[dict[str, Any]]:
    """Records as rows finish: in this process for one worker, else a spawn process pool."""
    if not rows:
        return
    if workers <= 1:
        fn = factory()
        for row in rows:
            yield run_person(fn, row)
        return
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(factory,)) as pool:
        pending = iter(rows)
        running: dict[Any, BatchRow] = {}
        for row in pending:
            running[pool.submit(_work, row)] = row
            if len(running) >= 2 * workers:
                break
        while running:
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in done:
                row = running.pop(fut)
                try:
                    yield fut.result()
                except Exception as exc:  # noqa: BLE001 - a dead worker fails its row, not the batch
                    yield {"id": row.id, "status": "error", "seconds": 0.0,
                           "error": {"code": "internal", "exit_code": 1,
                                     "message": f"worker failed: {type(exc).__name__}: {exc}"}}
                nxt = next(pending, None)
                if nxt is not None:
                    running[pool.submit(_work, nxt)] = nxt


def run_batch(
    manifest: str | Path,
    out_dir: str | Path,
    worker_factory: WorkerFactory,
    workers: int = 1,
    engine: str = "local",
    resume: bool = False,
    retry_errors: bool = False,
    ray_address: str | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> BatchSummary:
    """Measure every manifest row not yet done; returns counts. See the module docstring."""
    rows = read_manifest(manifest)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS_FILE
    if not resume and results.exists() and results.stat().st_size > 0:
        raise ManifestError(str(results), "already exists; pass --resume to continue it or choose another --out")
    if resume and retry_errors and results.exists():
        _drop_error_records(out)
    done = {rec["id"] for rec in read_records(out)} if resume else set()
    todo = [row for row in rows if row.id not in done]
    skipped = len(rows) - len(todo)
    if on_start is not None:
        on_start(len(rows), skipped)
    start = time.perf_counter()
    ok = errors = 0
    codes: dict[str, int] = {}
    records: Iterable[dict[str, Any]]
    if engine == "local":
        records = iter_local(todo, worker_factory, workers)
    elif engine == "ray":
        from measure.batch_ray import iter_ray

        records = iter_ray(todo, worker_factory, workers, address=ray_address)
    else:
        raise OutOfRangeError("engine", f"unknown engine {engine!r}; use local or ray")
    with ResultsWriter(out) as writer:
        for rec in records:
            writer.append(rec)
            if rec["status"] == "ok":
                ok += 1
            else:
                errors += 1
                code = rec.get("error", {}).get("code", "internal")
                codes[code] = codes.get(code, 0) + 1
            if on_record is not None:
                on_record(rec)
    write_summary(out)
    return BatchSummary(total=len(rows), skipped=skipped, ok=ok, errors=errors,
                        seconds=time.perf_counter() - start, out_dir=out, error_codes=codes)


@dataclass
class MeasurerWorker:
    """The real per-person function's factory: builds one `Measurer` per worker process."""

    chart: str | None = None
    garments: tuple[str, ...] | None = None
    device: str = "auto"
    parser_weights: str | None = None
    clothes: str = DEFAULT_CLOTHES  # for rows without a clothes value
    threads: int | None = None   # CPU threads per worker (several workers must not oversubscribe the cores)
    # Analyses of photos seen before (measure.photo_cache): True in memory, a folder path shared by workers
    # and runs, False: every photo afresh.
    photo_cache: str | bool = True
    girths: str = DEFAULT_GIRTHS  # where torso and thigh girths come from (measure.girth_sources.GIRTH_SOURCES)

    def __call__(self) -> PersonFn:
        if self.threads:
            import cv2
            import torch

            torch.set_num_threads(self.threads)
            cv2.setNumThreads(self.threads)
        from measure.photo_cache import PhotoCache
        from measure.pipeline import Measurer

        measurer = Measurer(device=self.device, parser_weights=self.parser_weights, chart=self.chart,
                            garments=self.garments, clothes=self.clothes, girths=self.girths,
                            photo_cache=PhotoCache(self.photo_cache) if isinstance(self.photo_cache, str)
                            else self.photo_cache)

        def measure_row(row: BatchRow) -> dict[str, Any]:
            height = parse_number(row, "height_cm")
            weight = parse_number(row, "weight_kg", optional=True)
            result = measurer.measure(row.front, row.back, height_cm=height, weight_kg=weight,
                                      sex=row.sex or None, side=row.side or None, clothes=row.clothes or None)
            return result.to_dict()

        return measure_row


def threads_per_worker(workers: int) -> int | None:
    """CPU threads each of `workers` local workers should use (None: one worker keeps the default)."""
    if workers <= 1:
        return None
    return max(1, (os.cpu_count() or 1) // workers)
