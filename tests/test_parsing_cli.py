"""`measure parse` and `measure parser train|eval` end to end on tiny models and generated folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from cli.main import app
from parsing.checkpoint import Checkpoint, save_checkpoint
from parsing.datasets.meta import LIP
from parsing.datasets.toy import ToyPeople
from parsing.models.factory import build_model

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture()
def weights(tmp_path: Path) -> Path:
    built = build_model("rpr-ce2p", "tiny", LIP, width=0.125)
    return save_checkpoint(tmp_path / "w.pt", Checkpoint(built.spec, (48, 48), built.net.state_dict()))


@pytest.fixture()
def cihp_folder(tmp_path: Path) -> Path:
    root = tmp_path / "cihp"
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    (root / "list").mkdir()
    for i, (rgb, label) in enumerate(ToyPeople(4, (40, 32))):
        Image.fromarray(rgb).save(root / "images" / f"{i}.jpg")
        Image.fromarray(label).save(root / "labels" / f"{i}.png")
    (root / "list" / "train_id.txt").write_text("0\n1\n2\n3\n")
    (root / "list" / "val_id.txt").write_text("2\n3\n")
    return root


def test_parse_writes_photo_sized_label_png_and_overlay(tmp_path: Path, weights: Path) -> None:
    photo = tmp_path / "p.jpg"
    Image.fromarray(ToyPeople(1, (50, 36))[0][0]).save(photo)
    out, vis = tmp_path / "o" / "labels.png", tmp_path / "o" / "vis.png"
    result = runner.invoke(app, ["parse", str(photo), "--out", str(out), "--overlay", str(vis), "--weights",
                                 str(weights), "--flip"])
    assert result.exit_code == 0, result.output
    labels = Image.open(out)
    assert labels.mode == "L" and labels.size == (36, 50) and np.asarray(labels).max() < 20
    assert Image.open(vis).size == (36, 50)


def test_parse_errors_are_one_line_with_exit_codes(tmp_path: Path, weights: Path) -> None:
    result = runner.invoke(app, ["parse", str(tmp_path / "none.jpg"), "--out", str(tmp_path / "l.png"),
                                 "--weights", str(weights)])
    assert result.exit_code == 4 and "none.jpg" in result.output and "Traceback" not in result.output
    photo = tmp_path / "p.png"
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(photo)
    result = runner.invoke(app, ["parse", str(photo), "--out", str(tmp_path / "l.png"), "--weights",
                                 str(tmp_path / "nope.pt")])
    assert result.exit_code == 4 and "nope.pt" in result.output


def test_parser_train_then_eval(tmp_path: Path, cihp_folder: Path) -> None:
    out = tmp_path / "run"
    args = ["parser", "train", "--dataset", "cihp", "--root", str(cihp_folder), "--backbone", "tiny", "--width",
            "0.125", "--input-size", "32", "--max-iters", "2", "--batch", "2", "--workers", "0", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (out / "model.pt").exists() and (out / "last.pt").exists() and "validation" in result.output
    again = runner.invoke(app, args)
    assert again.exit_code == 12 and "already exists" in again.output
    resumed = runner.invoke(app, [*args[:-6], "--max-iters", "4", "--batch", "2", "--workers", "0", "--out",
                                  str(out), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "4 iterations" in resumed.output

    json_path = tmp_path / "eval.json"
    result = runner.invoke(app, ["parser", "eval", "--weights", str(out / "model.pt"), "--dataset", "cihp", "--root",
                                 str(cihp_folder), "--flip", "--style", "both", "--json", str(json_path)])
    assert result.exit_code == 0, result.output
    assert "mean IoU" in result.output and "foreground accuracy" in result.output
    assert json_path.exists()
    bad = runner.invoke(app, ["parser", "train", "--dataset", "lip", "--root", str(cihp_folder), "--out",
                              str(tmp_path / "x")])
    assert bad.exit_code == 4 and "no LIP layout" in bad.output
