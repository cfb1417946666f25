"""Parser inference: flip test swaps the label set's own left/right channels, sizes, checkpoints, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from parsing.checkpoint import Checkpoint, NoDefaultWeightsError, ParserWeightsError, load_checkpoint, save_checkpoint
from parsing.datasets.meta import ATR, LIP, DatasetMeta
from parsing.inference import Parser, colorize, default_weights_path, overlay
from parsing.models.factory import ModelSpec, build_model
from parsing.models.rpr import ParsingOutput
from parsing.transforms import mirror

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class LeftHalfNet(nn.Module):
    """Scores class `k` (4) on the left half of whatever it sees, background (1) everywhere: not mirror-aware."""

    def __init__(self, num_classes: int, k: int) -> None:
        super().__init__()
        self.num_classes, self.k = num_classes, k
        self.dummy = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> ParsingOutput:
        b, _, h, w = x.shape
        logits = torch.zeros(b, self.num_classes, h // 4, w // 4)
        logits[:, 0] = 1.0
        logits[:, self.k, :, : w // 8] = 4.0
        return ParsingOutput(logits=logits, image_logits=logits)


@pytest.mark.parametrize("meta,left,right", [(LIP, 14, 15), (ATR, 9, 10), (ATR, 12, 13)])
def test_flip_test_swaps_the_label_sets_own_pairs(meta: DatasetMeta, left: int, right: int) -> None:
    spec = ModelSpec("ce2p", "tiny", meta)
    rgb = np.zeros((32, 64, 3), dtype=np.uint8)
    plain = Parser.from_model(LeftHalfNet(meta.num_classes, left), spec, (32, 64), device="cpu").predict(rgb)
    flipped = Parser.from_model(LeftHalfNet(meta.num_classes, left), spec, (32, 64), device="cpu", flip=True)
    labels = flipped.predict(rgb)
    assert set(np.unique(plain[:, :28])) == {left} and set(np.unique(plain[:, 36:])) == {0}
    # the mirrored pass sees the right half as "left" and the swap turns it into the right class
    assert set(np.unique(labels[:, :28])) == {left}
    assert set(np.unique(labels[:, 36:])) == {right}


def test_mirror_augmentation_swaps_pairs() -> None:
    rgb = np.zeros((2, 3, 3), dtype=np.uint8)
    label = np.array([[9, 0, 12], [14, 15, 3]], dtype=np.uint8)
    _, out = mirror(rgb, label, ATR)
    assert out.tolist() == [[13, 0, 10], [3, 14, 15]]


def _tiny_checkpoint(tmp_path: Path, meta: DatasetMeta = LIP, input_size=(48, 48)) -> Path:
    torch.manual_seed(0)
    built = build_model("rpr-ce2p", "tiny", meta, width=0.125)
    return save_checkpoint(tmp_path / "tiny.pt", Checkpoint(built.spec, input_size, built.net.state_dict()))


def test_checkpoint_loads_with_weights_only_and_predicts_photo_sized_labels(tmp_path: Path) -> None:
    path = _tiny_checkpoint(tmp_path)
    raw = torch.load(path, weights_only=True)  # plain tensors and strings: no code runs on load
    assert raw["format"] == "rpr-parser-v1"
    ckpt = load_checkpoint(path)
    assert ckpt.spec.meta == LIP and [r.name for r in ckpt.spec.regions] == ["head", "body"]
    assert ckpt.input_size == (48, 48)
    parser = Parser(path, device="cpu", flip=True, batch_size=2)
    photos = [np.random.default_rng(i).integers(0, 255, (h, w, 3), dtype=np.uint8)
              for i, (h, w) in enumerate([(70, 40), (33, 90), (48, 48)])]
    batch = parser.predict_batch(photos)
    assert [b.shape for b in batch] == [(70, 40), (33, 90), (48, 48)]
    assert all(b.dtype == np.uint8 and b.max() < 20 for b in batch)
    np.testing.assert_array_equal(parser.predict(photos[1]), batch[1])
    proba = parser.predict_proba(photos[0])
    assert proba.shape == (20, 70, 40)
    np.testing.assert_allclose(proba.sum(0), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(proba.argmax(0), batch[0])
    assert colorize(batch[0], LIP).shape == (70, 40, 3)
    assert overlay(photos[0], batch[0], LIP).dtype == np.uint8


def test_half_precision_checkpoint_loads(tmp_path: Path) -> None:
    built = build_model("ce2p", "tiny", ATR, width=0.125)
    path = save_checkpoint(tmp_path / "half.pt", Checkpoint(built.spec, (32, 32), built.net.state_dict()), half=True)
    parser = Parser(path, device="cpu")
    assert parser.meta == ATR and parser.predict(np.zeros((20, 30, 3), np.uint8)).shape == (20, 30)


def test_weights_errors_name_the_file(tmp_path: Path) -> None:
    if not default_weights_path().exists():
        with pytest.raises(NoDefaultWeightsError, match="default.pt"):
            Parser()
    with pytest.raises(ParserWeightsError, match="missing.pt"):
        Parser(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(ParserWeightsError, match="junk.pt"):
        Parser(junk)
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(ParserWeightsError, match="not a parser checkpoint"):
        Parser(tmp_path / "other.pt")


def test_bad_arrays_are_refused(tmp_path: Path) -> None:
    parser = Parser(_tiny_checkpoint(tmp_path), device="cpu")
    with pytest.raises(ValueError, match="RGB"):
        parser.predict(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        parser.predict(np.zeros((10, 10, 3), np.float32))
