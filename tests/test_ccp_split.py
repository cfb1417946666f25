"""The shipped CCP train/val split: valid, disjoint, reproducible from its own seed."""

from __future__ import annotations

import json

import pytest

from parsing.ccp import SPLIT_FILE, CCPError, load_split, make_split


def test_shipped_split_is_disjoint_and_reproducible() -> None:
    split = load_split()
    assert not set(split.train) & set(split.val)
    assert len(split.train) + len(split.val) == 854
    assert all(len(i) == 4 and i.isdigit() for i in split.train + split.val)
    assert split.train == sorted(split.train) and split.val == sorted(split.val)
    again = make_split(split.train + split.val, split.val_fraction, split.seed)
    assert again.train == split.train and again.val == split.val
    assert abs(len(split.val) / 854 - split.val_fraction) < 0.01


def test_make_split_is_seeded_and_covers_every_id() -> None:
    ids = [f"{i:04d}" for i in range(1, 101)]
    a, b, c = make_split(ids, 0.2, seed=1), make_split(ids, 0.2, seed=1), make_split(ids, 0.2, seed=2)
    assert a.val == b.val and a.val != c.val
    assert len(a.val) == 20 and sorted(a.train + a.val) == ids
    with pytest.raises(ValueError, match="duplicates"):
        make_split(ids + ids[:1])


def test_overlapping_split_file_is_refused(tmp_path) -> None:
    data = json.loads(SPLIT_FILE.read_text())
    data["val"].append(data["train"][0])
    bad = tmp_path / "split.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(CCPError, match="both train and val"):
        load_split(bad)
    with pytest.raises(CCPError, match="not found"):
        load_split(tmp_path / "missing.json")
