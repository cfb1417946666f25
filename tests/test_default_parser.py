"""The shipped default parser: loads as the default, fits the size limit, and finds the sample's person."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from parsing.inference import Parser, default_weights_path

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"
MAX_SHIPPED_BYTES = 25 * 10**6


@pytest.fixture(scope="module")
def parser() -> Parser:
    if not default_weights_path().is_file():
        pytest.fail(f"{default_weights_path()}: the default parser weights are missing")
    return Parser(device="cpu")


def test_default_weights_are_small_and_labelled_lip(parser: Parser) -> None:
    assert default_weights_path().stat().st_size <= MAX_SHIPPED_BYTES
    assert len(parser.classes) == 20 and parser.classes[13] == "face"
    assert parser.spec.regions, "the default is an RPR model (region branches)"


def test_default_parser_finds_the_sample_person(parser: Parser) -> None:
    from parsing.pose import PoseDetector

    rgb = np.asarray(Image.open(SAMPLES / "front.jpg").convert("RGB"))
    labels = parser.predict(rgb)
    assert labels.shape == rgb.shape[:2]
    person = PoseDetector(max_side=640).detect(rgb).mask >= 0.5
    found = labels > 0
    iou = (found & person).sum() / (found | person).sum()
    assert iou > 0.8, f"person IoU with BlazePose's mask {iou:.3f}"
    # The sample wears shorts and no top: the parser sees a face, legs and arms.
    present = set(np.unique(labels[found]).tolist())
    assert {13} <= present and present & {16, 17} and present & {14, 15}
