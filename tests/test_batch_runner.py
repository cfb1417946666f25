"""Batch machinery with a cheap stand-in for the measurer: errors recorded, resume exact, atomic lines."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from measure.batch import (
    RESULTS_FILE,
    SUMMARY_FILE,
    BatchRow,
    parse_number,
    read_manifest,
    read_records,
    run_batch,
)
from measure.errors import ManifestError, NoPersonError

REPO = Path(__file__).resolve().parent.parent


class StubWorker:
    """Per-person stand-in: 'broken' photos fail like a photo without a person; others echo the height."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def __call__(self):
        pid = os.getpid()

        def fn(row: BatchRow) -> dict:
            time.sleep(self.delay)
            if "broken" in Path(row.front).name:
                raise NoPersonError(row.front, "no person found")
            height = parse_number(row, "height_cm")
            return {"measurements": {"stature": {"value": height, "uncertainty": 0.1, "definition": "stub"}},
                    "sizes": [{"garment": "tops", "size": "M"}], "warnings": [], "worker_pid": pid}

        return fn


def write_manifest(folder: Path, n: int = 30, broken: set[int] = frozenset({3, 9, 14, 20, 27})) -> Path:
    path = folder / "manifest.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "front", "back", "height_cm", "weight_kg", "sex"])
        for i in range(n):
            front = f"p{i:02d}_broken_front.jpg" if i in broken else f"p{i:02d}_front.jpg"
            w.writerow([f"p{i:02d}", front, f"p{i:02d}_back.jpg", 150 + i, "" if i % 2 else 60 + i, "female"])
    return path


def test_thirty_rows_five_broken(tmp_path):
    manifest = write_manifest(tmp_path)
    out = tmp_path / "results"
    summary = run_batch(manifest, out, StubWorker())
    assert (summary.total, summary.ok, summary.errors, summary.skipped) == (30, 25, 5, 0)
    assert summary.error_codes == {"no_person": 5}
    records = read_records(out)
    assert sorted(r["id"] for r in records) == [f"p{i:02d}" for i in range(30)]
    failed = [r for r in records if r["status"] == "error"]
    assert {r["id"] for r in failed} == {"p03", "p09", "p14", "p20", "p27"}
    assert all(r["error"]["exit_code"] == 6 and "broken_front.jpg" in r["error"]["message"] for r in failed)
    with open(out / SUMMARY_FILE) as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 30
    ok_row = next(r for r in rows if r["id"] == "p01")
    assert float(ok_row["stature_cm"]) == 151.0 and ok_row["size_tops"] == "M"


def test_existing_results_need_resume(tmp_path):
    manifest = write_manifest(tmp_path, n=3, broken=set())
    run_batch(manifest, tmp_path / "r", StubWorker())
    with pytest.raises(ManifestError, match="--resume"):
        run_batch(manifest, tmp_path / "r", StubWorker())
    again = run_batch(manifest, tmp_path / "r", StubWorker(), resume=True)
    assert (again.skipped, again.ok, again.errors) == (3, 0, 0)


def test_killed_batch_resumes_every_id_exactly_once(tmp_path):
    manifest = write_manifest(tmp_path)
    out = tmp_path / "results"
    script = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "from test_batch_runner import StubWorker\n"
        "from measure.batch import run_batch\n"
        "run_batch(sys.argv[3], sys.argv[4], StubWorker(delay=0.15))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(REPO), str(REPO / "tests"), str(manifest), str(out)])
    results = out / RESULTS_FILE
    deadline = time.time() + 60
    while time.time() < deadline:
        if results.exists() and results.read_bytes().count(b"\n") >= 10:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = read_records(out)
    assert 10 <= len(first) < 30, "the batch should have been killed halfway"
    # A kill during a write leaves a torn line; simulate the worst case too.
    with open(results, "ab") as fh:
        fh.write(b'{"id": "p29", "status": "o')
    summary = run_batch(manifest, out, StubWorker(), resume=True)
    ids = [r["id"] for r in read_records(out)]
    assert sorted(ids) == [f"p{i:02d}" for i in range(30)]
    assert len(ids) == len(set(ids)) == 30
    assert summary.skipped == len(first) and summary.processed == 30 - len(first)
    assert all(line.strip() for line in results.read_text().splitlines())
    assert all(isinstance(json.loads(line), dict) for line in results.read_text().splitlines())


def test_retry_errors_reruns_only_failed_ids(tmp_path):
    manifest = write_manifest(tmp_path, n=6, broken={1, 4})
    out = tmp_path / "r"
    run_batch(manifest, out, StubWorker())
    summary = run_batch(manifest, out, StubWorker(), resume=True, retry_errors=True)
    assert (summary.skipped, summary.errors) == (4, 2)
    ids = [r["id"] for r in read_records(out)]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 6


def test_two_worker_processes_share_the_rows(tmp_path):
    manifest = write_manifest(tmp_path, n=8, broken={2})
    summary = run_batch(manifest, tmp_path / "r", StubWorker(delay=0.1), workers=2)
    assert (summary.ok, summary.errors) == (7, 1)
    pids = {r["result"]["worker_pid"] for r in read_records(tmp_path / "r") if r["status"] == "ok"}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_bad_row_values_are_row_errors(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,front,back,height_cm\na,f.jpg,b.jpg,tall\nb,f.jpg,b.jpg,170\n")
    summary = run_batch(path, tmp_path / "r", StubWorker())
    recs = {r["id"]: r for r in read_records(tmp_path / "r")}
    assert summary.ok == 1 and recs["a"]["error"]["code"] == "out_of_range"
    assert "height_cm" in recs["a"]["error"]["message"] and "tall" in recs["a"]["error"]["message"]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("id,front,back\na,f.jpg,b.jpg\n", "missing column"),
        ("id,front,back,height_cm\na,f.jpg,b.jpg,170\na,f.jpg,b.jpg,171\n", "duplicate id"),
        ("id,front,back,height_cm\n,f.jpg,b.jpg,170\n", "empty id"),
        ("id,front,back,height_cm\n", "no rows"),
    ],
)
def test_bad_manifests(tmp_path, text, reason):
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(ManifestError, match=reason) as info:
        read_manifest(path)
    assert info.value.exit_code == 14 and "m.csv" in str(info.value)


def test_missing_manifest(tmp_path):
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path / "nope.csv")


def test_paths_resolve_against_the_manifest(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "m.csv"
    path.write_text("id,front,back,height_cm,side\na,photos/f.jpg,/abs/b.jpg,170,s.jpg\n")
    (row,) = read_manifest(path)
    assert row.front == str(tmp_path / "sub" / "photos" / "f.jpg")
    assert row.back == "/abs/b.jpg" and row.side == str(tmp_path / "sub" / "s.jpg")


def test_clothes_column_is_read_per_row(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,front,back,height_cm,clothes\na,f.jpg,b.jpg,170,everyday\nb,f.jpg,b.jpg,171,\n")
    first, second = read_manifest(path)
    assert first.clothes == "everyday" and second.clothes == ""
