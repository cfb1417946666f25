"""Synthetic training images and the default training recipe, on tiny data (CPU, seconds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_ccp_pack import fake, never_called  # noqa: F401  (fixture and helper)

import parsing.recipes.train_default as recipe
from parsing.checkpoint import load_checkpoint
from parsing.data_pack import build_pack, open_pack
from parsing.recipes.train_default import build_data
from parsing.synthetic_data import SyntheticConfig, SyntheticPersons, write_synthetic_folder

TINY = SyntheticConfig(image_size=(96, 72), seed=5)


@pytest.mark.slow
def test_synthetic_persons_are_deterministic_and_cached(tmp_path) -> None:
    data = SyntheticPersons(2, TINY, cache_dir=tmp_path / "syn")
    rgb, labels = data[1]
    assert rgb.shape == (96, 72, 3) and labels.shape == (96, 72) and rgb.dtype == np.uint8
    assert set(np.unique(labels)) <= set(range(20)) and (labels > 0).mean() > 0.05
    assert {2, 14, 15} <= set(np.unique(labels))                        # hair and both arms are drawn
    assert data.item_paths(1)[1].exists()
    again = SyntheticPersons(2, TINY)[1][1]                               # rendered afresh, same seed
    assert (again == labels).mean() > 0.99
    with pytest.raises(IndexError):
        data[2]


@pytest.mark.slow
def test_recipe_resumes_after_an_interruption(fake, tmp_path, monkeypatch) -> None:  # noqa: F811
    root, cache, split_file, split = fake
    pack = tmp_path / "pack"
    build_pack(pack, root, cache, split_file, long_side=64, detector_factory=never_called, progress=False)
    syn = tmp_path / "syn"
    write_synthetic_folder(syn, 2, TINY, progress=False)
    assert len(open_pack(syn, "train")) == 2
    data = build_data(pack, syn, (64, 48), ccp_repeat=2)
    assert (data.n_ccp, data.n_synthetic) == (len(split.train), 2)
    assert len(data.train) == 2 * len(split.train) + 2 and len(data.val) == len(split.val)
    image, label = data.train[len(data.train) - 1]
    assert image.shape == (3, 64, 48) and label.shape == (64, 48)
    out = tmp_path / "run"
    args = ["--pack", str(pack), "--synthetic", str(syn), "--out", str(out), "--backbone", "tiny", "--width", "0.125",
            "--size", "64x48", "--batch", "2", "--workers", "0", "--device", "cpu", "--eval-every", "0", "--iters", "4",
            "--save-every", "0"]

    class Interrupt(torch.utils.data.Dataset):
        """Stops the run (like Ctrl-C) when the 5th training item is asked for, after 2 iterations."""

        def __init__(self, data):
            self.data, self.calls = data, 0

        def __len__(self):
            return len(self.data)

        def __getitem__(self, i):
            self.calls += 1
            if self.calls == 5:
                raise KeyboardInterrupt
            return self.data[i]

    def interrupted_data(*a, **k):
        d = build_data(*a, **k)
        d.train = Interrupt(d.train)
        return d

    monkeypatch.setattr(recipe, "build_data", interrupted_data)
    with pytest.raises(KeyboardInterrupt):
        recipe.main(args)
    assert load_checkpoint(out / "last.pt").train["iteration"] == 2 and not (out / "model.pt").exists()
    monkeypatch.setattr(recipe, "build_data", build_data)
    recipe.main(args)                                                      # the same command again: resumes
    assert load_checkpoint(out / "last.pt").train["iteration"] == 4 and (out / "model.pt").exists()
