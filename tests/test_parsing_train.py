"""Training through the entry point users call: over-fitting, checkpoints and resuming."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from parsing.datasets.meta import LIP
from parsing.datasets.toy import ToyPeople
from parsing.datasets.training import TransformedPairs
from parsing.evaluate import evaluate
from parsing.inference import Parser
from parsing.train import EpochBatches, TrainConfig, TrainingError, poly_lr, train
from parsing.transforms import EvalTransform

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _config(out: Path, **kw) -> TrainConfig:
    base = dict(out_dir=out, arch="rpr-ce2p", backbone="tiny", width=0.25, input_size=(64, 64), batch_size=4,
                workers=0, progress=False, save_every_epochs=1000)
    return TrainConfig(**(base | kw))


@pytest.mark.slow
def test_tiny_rpr_overfits_a_few_generated_people(tmp_path: Path) -> None:
    raw = ToyPeople(4, (64, 64))
    data = TransformedPairs(raw, EvalTransform((64, 64)))
    result = train(_config(tmp_path / "run", max_iters=300, lr=0.2), data, LIP, val_set=raw)
    losses = [h["loss"] for h in result.history]
    assert result.iterations == 300
    assert sum(losses[-10:]) / 10 < 0.2 * losses[0]
    scores = evaluate(Parser(result.weights, device="cpu"), raw, progress=False)
    assert scores.lip.mean_iou > 0.9, scores.lip.class_iou
    assert result.val is not None and result.val["miou"] == pytest.approx(scores.lip.mean_iou)


def test_resume_continues_where_the_run_stopped(tmp_path: Path) -> None:
    data = TransformedPairs(ToyPeople(8, (32, 32)), EvalTransform((32, 32)))
    cfg = _config(tmp_path / "run", input_size=(32, 32), width=0.125, max_iters=4, lr=0.01, save_every_epochs=1)
    first = train(cfg, data, LIP)
    assert first.iterations == 4 and len(first.history) == 2
    with pytest.raises(TrainingError, match="already exists"):
        train(cfg, data, LIP)
    longer = train(TrainConfig(**(cfg.to_dict() | {"max_iters": 6, "resume": True, "out_dir": cfg.out_dir,
                                                  "input_size": (32, 32)})), data, LIP)
    assert longer.iterations == 6 and [h["epoch"] for h in longer.history] == [1, 2, 3]
    with pytest.raises(TrainingError, match="differs"):
        train(TrainConfig(**(cfg.to_dict() | {"resume": True, "arch": "ce2p", "out_dir": cfg.out_dir,
                                              "input_size": (32, 32)})), data, LIP)
    with pytest.raises(TrainingError, match="fewer than one batch"):
        train(_config(tmp_path / "small", batch_size=16), data, LIP)


def test_epoch_batches_are_deterministic_and_resumable() -> None:
    full = list(EpochBatches(10, 3, seed=1, epoch=2))
    assert len(full) == 3 and sorted(sum(full, [])) != list(range(9))  # shuffled, last partial batch dropped
    assert list(EpochBatches(10, 3, seed=1, epoch=2, start=1)) == full[1:]
    shards = [list(EpochBatches(10, 2, seed=1, epoch=0, rank=r, world=2)) for r in (0, 1)]
    assert not set(sum(shards[0], [])) & set(sum(shards[1], []))
    assert poly_lr(0.01, 0, 100) == 0.01 and poly_lr(0.01, 100, 100) == 0.0


class _InterruptAfter(torch.utils.data.Dataset):
    """Raises KeyboardInterrupt on the n-th item read, as Ctrl-C would mid-epoch."""

    def __init__(self, data, n: int) -> None:
        self.data, self.n, self.reads = data, n, 0

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int):
        self.reads += 1
        if self.reads == self.n:
            raise KeyboardInterrupt
        return self.data[i]


def test_interrupt_saves_progress_and_resume_finishes(tmp_path: Path) -> None:
    data = TransformedPairs(ToyPeople(8, (32, 32)), EvalTransform((32, 32)))
    cfg = _config(tmp_path / "run", input_size=(32, 32), width=0.125, max_iters=4, lr=0.01, batch_size=2)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, _InterruptAfter(data, 6), LIP)  # dies while loading the 3rd batch of epoch 1
    from parsing.checkpoint import load_checkpoint

    saved = load_checkpoint(cfg.out_dir / "last.pt").train
    assert saved is not None and (saved["epoch"], saved["step"], saved["iteration"]) == (0, 2, 2)
    cfg.resume = True
    done = train(cfg, data, LIP)
    assert done.iterations == 4 and (cfg.out_dir / "model.pt").exists()
