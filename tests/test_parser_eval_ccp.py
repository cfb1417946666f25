"""`measure parser eval` on a CCP pack with the default or given weights, and the present-class mIoU."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from cli.main import app
from parsing.checkpoint import Checkpoint, save_checkpoint
from parsing.data_pack import PACK_FORMAT
from parsing.datasets.meta import LIP
from parsing.datasets.toy import ToyPeople
from parsing.metrics import lip_scores, present_classes, present_mean_iou
from parsing.models.factory import build_model

runner = CliRunner()


def test_present_class_miou_by_hand() -> None:
    # rows = ground truth, columns = prediction. Class 2 is predicted twice but never in the ground truth
    # (left out, though its false alarms still cost classes 0 and 1); class 3 is neither (left out).
    cm = np.array([[6, 1, 1, 0], [2, 3, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    assert present_classes(cm) == [0, 1]
    iou0 = 6 / (8 + 8 - 6)
    iou1 = 3 / (6 + 4 - 3)
    assert present_mean_iou(cm) == pytest.approx((iou0 + iou1) / 2)
    scores = lip_scores(cm)
    assert scores.mean_iou_present == pytest.approx((iou0 + iou1) / 2)
    assert scores.mean_iou == pytest.approx((iou0 + iou1 + 0.0) / 3)  # the all-class mean counts class 2's 0
    assert math.isnan(present_mean_iou(np.zeros((3, 3), np.int64)))


@pytest.fixture()
def tiny_weights(tmp_path: Path) -> Path:
    built = build_model("rpr-ce2p", "tiny", LIP, width=0.125)
    return save_checkpoint(tmp_path / "tiny.pt", Checkpoint(built.spec, (48, 48), built.net.state_dict()))


@pytest.fixture()
def tiny_pack(tmp_path: Path) -> tuple[Path, set[int]]:
    """A CCP pack in parsing.data_pack's layout: 3 toy people (LIP labels), 2 of them in val."""
    pack = tmp_path / "pack"
    for sub in ("images", "labels", "list"):
        (pack / sub).mkdir(parents=True)
    present: set[int] = set()
    for i, (rgb, label) in enumerate(ToyPeople(3, (44, 30), seed=3)):
        Image.fromarray(rgb).save(pack / "images" / f"{i:04d}.jpg")
        Image.fromarray(label).save(pack / "labels" / f"{i:04d}.png")
        if i > 0:
            present |= {int(k) for k in np.unique(label)}
    (pack / "list" / "train_id.txt").write_text("0000\n")
    (pack / "list" / "val_id.txt").write_text("0001\n0002\n")
    (pack / "meta.json").write_text(json.dumps({"format": PACK_FORMAT, "dataset": "ccp", "label_set": "lip",
                                                "classes": list(LIP.classes), "ignore_index": 255}))
    return pack, present


@pytest.mark.usefixtures("one_torch_thread")
def test_eval_on_a_ccp_pack_prints_person_iou_and_present_class_miou(
        tmp_path: Path, tiny_weights: Path, tiny_pack: tuple[Path, set[int]]) -> None:
    pack, present = tiny_pack
    out = tmp_path / "scores.json"
    result = runner.invoke(app, ["parser", "eval", "--dataset", "ccp", "--root", str(pack), "--weights",
                                 str(tiny_weights), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "person vs background IoU" in result.output
    assert f"mean IoU, classes in GT ({len(present)}/20)" in result.output
    payload = json.loads(out.read_text())
    assert payload["num_images"] == 2 and payload["dataset"] == "ccp"
    assert payload["present_classes"] == [LIP.classes[k] for k in sorted(present)]
    confusion = np.array(payload["confusion"])
    assert payload["summary"]["miou_present"] == pytest.approx(present_mean_iou(confusion))
    assert 0.0 <= payload["summary"]["person_iou"] <= 1.0


def test_missing_default_weights_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     tiny_pack: tuple[Path, set[int]]) -> None:
    import parsing.inference

    missing = tmp_path / "assets" / "parser" / "default.pt"
    monkeypatch.setattr(parsing.inference, "default_weights_path", lambda: missing)
    result = runner.invoke(app, ["parser", "eval", "--dataset", "ccp", "--root", str(tiny_pack[0])])
    assert result.exit_code == 3
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(missing) in lines[0]
    assert "--weights" in lines[0] and "Traceback" not in result.output


def test_missing_default_pack_and_root_are_one_line_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           tiny_weights: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no runs/data/ccp_pack here
    result = runner.invoke(app, ["parser", "eval", "--dataset", "ccp", "--weights", str(tiny_weights)])
    assert result.exit_code == 4
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "runs/data/ccp_pack" in lines[0] and "python -m parsing.data_pack" in lines[0]
    result = runner.invoke(app, ["parser", "eval", "--dataset", "lip", "--weights", str(tiny_weights)])
    assert result.exit_code == 2 and "--root" in result.output and "Traceback" not in result.output


def test_parser_export_strips_training_state_and_halves(tmp_path: Path) -> None:
    import torch

    from parsing.checkpoint import load_checkpoint

    built = build_model("rpr-ce2p", "tiny", LIP, width=0.125)
    opt = torch.optim.SGD(built.net.parameters(), lr=0.1, momentum=0.9)
    built.net(torch.randn(2, 3, 48, 48)).logits.mean().backward()
    opt.step()
    train = {"iteration": 7, "history": [{"epoch": 1, "loss": 1.0}], "config": {"lr": 0.1}, "epoch": 1, "step": 0}
    src = save_checkpoint(tmp_path / "last.pt", Checkpoint(built.spec, (48, 48), built.net.state_dict(), train,
                                                           opt.state_dict()))
    result = runner.invoke(app, ["parser", "export", str(src), str(tmp_path / "out" / "default.pt")])
    assert result.exit_code == 0, result.output
    dst = tmp_path / "out" / "default.pt"
    assert dst.stat().st_size < 0.6 * src.stat().st_size  # float16, and no momentum buffers
    raw = torch.load(dst, weights_only=True)
    assert "optimizer" not in raw and all(v.dtype == torch.float16 for v in raw["model"].values()
                                          if v.is_floating_point())
    ckpt = load_checkpoint(dst)
    assert ckpt.train == {"iteration": 7, "history": [{"epoch": 1, "loss": 1.0}], "config": {"lr": 0.1}}
    for k, v in built.net.state_dict().items():
        if v.is_floating_point():
            assert torch.allclose(ckpt.state_dict[k], v.float(), rtol=1e-2, atol=1e-3), k
