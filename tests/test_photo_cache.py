"""Photo analyses remembered across measurements: memory and folder, keys, and the pipeline reusing them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from measure.photo_cache import PhotoAnalysis, PhotoCache, photo_key
from parsing.pose import PoseDetection

SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples"


def _analysis(seed: int, with_labels: bool = True) -> PhotoAnalysis:
    rng = np.random.default_rng(seed)
    h, w = 40, 30
    detection = PoseDetection(rng.random((21, 3), dtype=np.float32), rng.random((33, 4), dtype=np.float32),
                              rng.random((h, w), dtype=np.float32), (h, w))
    labels = rng.integers(0, 20, (h, w), dtype=np.uint8) if with_labels else None
    return PhotoAnalysis(detection, bool(seed % 2), labels, rng.random((h, w)) > 0.5, 0.9 - seed / 100, seed == 3)


def _same(a: PhotoAnalysis, b: PhotoAnalysis) -> bool:
    arrays = [(a.detection.keypoints, b.detection.keypoints), (a.detection.landmarks, b.detection.landmarks),
              (a.detection.mask, b.detection.mask), (a.mask, b.mask)]
    same_labels = (a.labels is None and b.labels is None) or (
        a.labels is not None and b.labels is not None and np.array_equal(a.labels, b.labels))
    return (all(np.array_equal(x, y) for x, y in arrays) and same_labels
            and a.detection.image_size == b.detection.image_size and a.other_person == b.other_person
            and a.outline_agreement == pytest.approx(b.outline_agreement) and a.parser_disagrees == b.parser_disagrees)


def test_keys_change_with_pixels_and_settings():
    rgb = np.zeros((8, 6, 3), np.uint8)
    other = rgb.copy()
    other[0, 0, 0] = 1
    assert photo_key(rgb, "a") == photo_key(rgb.copy(), "a")
    assert photo_key(rgb, "a") != photo_key(other, "a")
    assert photo_key(rgb, "a") != photo_key(rgb, "b")


def test_memory_keeps_the_last_entries_and_hands_out_copies():
    cache = PhotoCache(memory_items=2)
    for seed in range(3):
        cache.put(f"k{seed}", _analysis(seed))
    assert cache.get("k0") is None  # evicted
    got = cache.get("k2")
    assert got is not None and _same(got, _analysis(2))
    got.mask[:] = False  # the caller's copy: the cache is unchanged
    assert _same(cache.get("k2"), _analysis(2))
    assert (cache.hits, cache.misses) == (2, 1)


def test_folder_keeps_entries_across_caches_and_skips_unreadable_files(tmp_path):
    PhotoCache(tmp_path).put("with", _analysis(3))
    PhotoCache(tmp_path).put("without", _analysis(4, with_labels=False))
    fresh = PhotoCache(tmp_path, memory_items=0)
    assert _same(fresh.get("with"), _analysis(3))
    assert _same(fresh.get("without"), _analysis(4, with_labels=False))
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    assert fresh.get("broken") is None and fresh.get("absent") is None
    assert not list(tmp_path.glob("*.tmp"))  # written atomically, nothing left behind


def test_measuring_the_same_photos_again_reuses_their_analysis(tmp_path):
    """Second measurement (a weight added): no pose detection or mask refinement, the same body as a fresh run."""
    from measure.pipeline import Measurer

    front, back = SAMPLES / "front.jpg", SAMPLES / "back.jpg"
    measurer = Measurer(use_parser=False, photo_cache=PhotoCache(tmp_path))
    measurer.measure(front, back, 170)
    calls = []
    detector = measurer.pose_detector
    original = detector.detect
    detector.detect = lambda rgb: calls.append(1) or original(rgb)
    again = measurer.measure(front, back, 170, weight_kg=68)
    assert not calls and measurer.photo_cache.hits == 2
    uncached = Measurer(use_parser=False, photo_cache=False).measure(front, back, 170, weight_kg=68)
    for name, m in uncached.measurements.items():
        assert again.measurements[name].value == pytest.approx(m.value, abs=1e-6), name
    assert [w.code for w in again.warnings] == [w.code for w in uncached.warnings]
    # A new Measurer (another worker, a later run) finds them in the folder.
    other = Measurer(use_parser=False, photo_cache=PhotoCache(tmp_path))
    other.measure(front, back, 170)
    assert other.photo_cache.hits == 2


def test_batch_workers_share_a_photo_cache_folder(tmp_path, monkeypatch):
    """`measure batch --photo-cache DIR` reaches each worker's Measurer as a folder cache."""
    import measure.pipeline as pipeline
    from measure.batch import MeasurerWorker

    built = {}

    class Recording(pipeline.Measurer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            built["cache"] = self.photo_cache

    monkeypatch.setattr(pipeline, "Measurer", Recording)
    MeasurerWorker(photo_cache=str(tmp_path / "analyses"))()
    assert built["cache"].folder == tmp_path / "analyses" and built["cache"].folder.is_dir()
    MeasurerWorker()()
    assert built["cache"].folder is None  # memory only by default
    MeasurerWorker(photo_cache=False)()
    assert built["cache"] is None


def test_batch_photo_cache_that_is_not_a_folder_is_a_one_line_usage_error(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    manifest = tmp_path / "m.csv"
    manifest.write_text(f"id,front,back,height_cm\np1,{SAMPLES / 'front.jpg'},{SAMPLES / 'back.jpg'},170\n")
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["batch", str(manifest), "--out", str(tmp_path / "out"),
                                      "--photo-cache", str(blocker)])
    assert result.exit_code == 12
    assert "--photo-cache" in result.output and "a_file" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()  # nothing started
