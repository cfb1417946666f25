"""Reading the real CCP folder (skipped without the shared data)."""

from __future__ import annotations

import numpy as np
import pytest

from parsing.ccp import CCPError, ccp_root, check_label_names, labelled_ids, load_split, read_sample
from parsing.ccp_to_lip import convert_labels


@pytest.fixture(scope="module")
def root(data_dir):
    return ccp_root(data_dir / "ccp")


def test_label_names_and_ids_match_what_the_converter_expects(root) -> None:
    check_label_names(root)
    ids = labelled_ids(root)
    assert len(ids) == 854
    split = load_split()
    assert set(split.train) | set(split.val) == set(ids)


def test_read_sample_gives_photo_and_labels_of_one_size(root) -> None:
    sample = read_sample(root, "0001")
    assert sample.rgb.dtype == np.uint8 and sample.rgb.shape == (*sample.labels.shape, 3)
    assert sample.labels.max() < 59 and (sample.labels == 41).any()  # skin
    converted = convert_labels(sample.labels, None).labels
    assert converted.shape == sample.labels.shape


def test_missing_photo_is_a_one_line_error(root, tmp_path) -> None:
    with pytest.raises(CCPError, match="9999.mat: file not found"):
        read_sample(root, "9999")
    with pytest.raises(CCPError, match="not a CCP folder"):
        ccp_root(tmp_path)


def test_converted_val_pairs_when_the_cache_exists(root) -> None:
    from parsing.ccp_to_lip import ConvertedCCP, default_cache_dir, label_path

    val = ConvertedCCP(root, split="val")
    if not label_path(default_cache_dir(), val.ids[0]).exists():
        pytest.skip(f"no converted CCP labels in {default_cache_dir()} (run python -m parsing.ccp_to_lip)")
    assert len(val) == 128
    rgb, labels = val[0]
    assert rgb.shape[:2] == labels.shape and labels.max() <= 255 and set(np.unique(labels)) <= set(range(20)) | {255}
