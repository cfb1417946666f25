"""`measure batch` through the CLI with the real per-person measurer on rows that fail fast."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def test_cli_batch_records_errors_and_resumes(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    manifest = tmp_path / "people.csv"
    manifest.write_text(
        "id,front,back,height_cm,weight_kg,sex\n"
        "a,missing_front.jpg,missing_back.jpg,170,,\n"
        "b,empty.jpg,empty.jpg,170,,\n"
        "c,empty.jpg,empty.jpg,tall,,\n"
        "d,empty.jpg,empty.jpg,170,80,robot\n"
    )
    out = tmp_path / "results"
    result = runner.invoke(app, ["batch", str(manifest), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Batch summary" in result.output
    records = {r["id"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert {k: r["error"]["code"] for k, r in records.items()} == {
        "a": "input_file", "b": "input_file", "c": "out_of_range", "d": "out_of_range"}
    assert "missing_front.jpg: file not found" in records["a"]["error"]["message"]
    assert (out / "summary.csv").read_text().count("\n") == 5

    again = runner.invoke(app, ["batch", str(manifest), "--out", str(out)])
    assert again.exit_code == 14 and "--resume" in again.output
    resumed = runner.invoke(app, ["batch", str(manifest), "--out", str(out), "--resume"])
    assert resumed.exit_code == 0 and "4 of 4 ids already done" in resumed.output


def test_cli_batch_rejects_unknown_engine_and_chart(tmp_path):
    manifest = tmp_path / "people.csv"
    manifest.write_text("id,front,back,height_cm\na,f.jpg,b.jpg,170\n")
    bad_engine = runner.invoke(app, ["batch", str(manifest), "--out", str(tmp_path / "r"), "--engine", "spark"])
    assert bad_engine.exit_code == 12 and "spark" in bad_engine.output
    bad_chart = runner.invoke(app, ["batch", str(manifest), "--out", str(tmp_path / "r"), "--chart", "nope"])
    assert bad_chart.exit_code == 13 and "nope" in bad_chart.output
