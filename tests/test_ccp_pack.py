"""The CCP data pack and the cached conversion, on a tiny fake CCP folder (no mediapipe, no data)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.io
from PIL import Image

from parsing.ccp import CCPError, check_label_names, make_split, read_label_names, write_split
from parsing.ccp_to_lip import (
    PoseRecord,
    convert_folder,
    label_path,
    load_converted,
    pose_path,
    read_manifest,
    save_pose,
)
from parsing.data_pack import build_pack, open_pack
from parsing.datasets.meta import CCP_CLASSES
from parsing.pose import BLAZEPOSE_INDEX

IDS = ["0001", "0002", "0003", "0004", "0005", "0006", "0007"]
H, W = 120, 80


def fake_landmarks() -> np.ndarray:
    """A front-facing person filling the 80 x 120 frame (BlazePose's 33 rows, x, y, z, visibility)."""
    xy = {
        "nose": (40, 12), "left_eye": (43, 10), "right_eye": (37, 10), "left_ear": (46, 11), "right_ear": (34, 11),
        "left_shoulder": (50, 25), "right_shoulder": (30, 25), "left_elbow": (54, 42), "right_elbow": (26, 42),
        "left_wrist": (56, 58), "right_wrist": (24, 58), "left_hip": (46, 62), "right_hip": (34, 62),
        "left_knee": (47, 88), "right_knee": (33, 88), "left_ankle": (47, 110), "right_ankle": (33, 110),
        "left_heel": (47, 113), "right_heel": (33, 113), "left_big_toe": (49, 117), "right_big_toe": (31, 117),
    }
    lm = np.zeros((33, 4), np.float32)
    for name, (x, y) in xy.items():
        lm[BLAZEPOSE_INDEX[name]] = (x, y, 0.0, 1.0)
    for wrist, hand in ((15, (17, 19, 21)), (16, (18, 20, 22))):
        lm[list(hand)] = lm[wrist] + np.array([0, 4, 0, 0], np.float32)
    return lm


def mirrored(lm: np.ndarray) -> np.ndarray:
    """What BlazePose would say on the mirrored photo: x mirrored, left and right landmark names swapped."""
    out = lm.copy()
    out[:, 0] = W - 1 - out[:, 0]
    pairs = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [(i, i + 1) for i in range(11, 33, 2)]
    for a, b in pairs:
        out[[a, b]] = out[[b, a]]
    return out


def make_fake_ccp(root) -> None:
    (root / "photos").mkdir(parents=True)
    (root / "annotations" / "pixel-level").mkdir(parents=True)
    names = np.empty((1, len(CCP_CLASSES)), dtype=object)
    for i, name in enumerate(CCP_CLASSES):
        names[0, i] = np.array([name])
    scipy.io.savemat(root / "label_list.mat", {"label_list": names})
    rng = np.random.default_rng(0)
    c = {name: i for i, name in enumerate(CCP_CLASSES)}
    for k, sample_id in enumerate(IDS):
        g = np.zeros((H, W), np.uint8)
        g[5:20, 33:47] = c["skin"]               # face
        g[2:6, 32:48] = c["hair"]
        g[24:62, 30:50] = c["shirt"]
        g[62:86, 34:46] = c["jeans"]
        g[86:108, 32:36] = c["skin"]             # right shin (image left)
        g[86:108, 44:48] = c["skin"]             # left shin
        g[110:118, 29:35] = c["boots"]
        g[110:118, 45:51] = c["boots"]
        g[60:64, 36:44] = c["belt"]
        g[40:50, 60:70] = c["bag"]
        scipy.io.savemat(root / "annotations" / "pixel-level" / f"{sample_id}.mat", {"groundtruth": g})
        photo = rng.integers(0, 255, (H + k % 2, W, 3), dtype=np.uint8)  # one row taller than labels: cropped
        Image.fromarray(photo).save(root / "photos" / f"{sample_id}.jpg")


def never_called():
    pytest.fail("BlazePose must not run: every pose is cached")


@pytest.fixture
def fake(tmp_path):
    root, cache = tmp_path / "ccp", tmp_path / "cache"
    make_fake_ccp(root)
    for sample_id in IDS:
        save_pose(pose_path(cache, sample_id), PoseRecord(landmarks=fake_landmarks(), mask=None))
        save_pose(pose_path(cache, sample_id, True), PoseRecord(landmarks=mirrored(fake_landmarks()), mask=None))
    split = make_split(IDS, val_fraction=0.3, seed=3)
    write_split(split, tmp_path / "split.json")
    return root, cache, tmp_path / "split.json", split


def test_fake_folder_has_the_ccp_label_list(fake) -> None:
    root, *_ = fake
    assert read_label_names(root) == CCP_CLASSES
    check_label_names(root)


def test_build_pack_writes_a_readable_downscaled_pack(fake, tmp_path) -> None:
    root, cache, split_file, split = fake
    result = build_pack(tmp_path / "pack", root, cache, split_file, long_side=60, quality=85,
                        detector_factory=never_called, progress=False)
    assert (result.n_train, result.n_val) == (len(split.train), len(split.val))
    assert 0 < result.bytes < 200_000
    meta = json.loads((tmp_path / "pack" / "meta.json").read_text())
    assert meta["label_set"] == "lip" and meta["long_side"] == 60
    train, val = open_pack(tmp_path / "pack", "train"), open_pack(tmp_path / "pack", "val")
    assert [f.name for f in train.files] == split.train and [f.name for f in val.files] == split.val
    rgb, label = val[0]
    assert rgb.shape == (60, 40, 3) and label.shape == (60, 40)
    assert set(np.unique(label)) <= set(range(20)) | {255}
    assert {13, 16, 17, 18, 19} <= set(np.unique(label))   # face, both legs, both shoes made it through


def test_pack_refuses_ids_missing_from_the_split(fake, tmp_path) -> None:
    root, cache, _split_file, _ = fake
    partial = tmp_path / "partial.json"
    write_split(make_split(IDS[:-1], 0.3, 3), partial)
    with pytest.raises(CCPError, match="not in the split file"):
        build_pack(tmp_path / "pack", root, cache, partial, detector_factory=never_called, progress=False)


def test_convert_folder_caches_poses_and_resumes(tmp_path) -> None:
    root, cache = tmp_path / "ccp", tmp_path / "cache"
    make_fake_ccp(root)
    calls = []

    class NobodyDetector:
        def detect(self, rgb):
            calls.append(rgb.shape)
            return None

    report = convert_folder(root, cache, IDS[:2], detector_factory=NobodyDetector, progress=False)
    assert len(calls) == 4 and all(not s.pose_found for s in report.stats.values())
    labels = load_converted(cache, "0001")
    assert (labels[6:20, 33:47] == 255).all()      # skin without keypoints: ignored
    assert (labels[24:60, 30:50] == 5).all()       # shirt: upper clothes
    convert_folder(root, cache, IDS[:2], detector_factory=never_called, progress=False)  # cached: no detector
    convert_folder(root, cache, IDS[2:3], detector_factory=NobodyDetector, progress=False)
    assert set(read_manifest(cache).stats) == set(IDS[:3])                                 # manifest merged
    assert label_path(cache, "0003").exists() and not label_path(cache, "0004").exists()
    with pytest.raises(CCPError, match="no converted labels"):
        load_converted(cache, "0004")
