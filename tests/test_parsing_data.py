"""Dataset metadata, folder loaders (LIP / CIHP / ATR layouts, the shared CIHP samples) and augmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from body_model.lip_labels import FLIP_PAIRS, LIP_CLASSES
from parsing.datasets.folders import DatasetLayoutError, open_folder
from parsing.datasets.meta import ATR, CCP, CIHP, LIP, DatasetMeta, get_meta
from parsing.datasets.toy import ToyPeople
from parsing.datasets.training import TransformedPairs
from parsing.transforms import EvalTransform, TrainTransform


def test_label_sets_follow_the_shared_vocabulary_and_the_paper() -> None:
    assert LIP.classes == LIP_CLASSES and LIP.flip_pairs == FLIP_PAIRS
    assert CIHP.classes[10] == "torso_skin" and CIHP.num_classes == 20
    assert ATR.num_classes == 18 and ATR.flip_pairs == ((9, 10), (12, 13), (14, 15))
    assert [LIP.classes[k] for k in LIP.regions["head"].classes] == ["hat", "face", "sunglasses", "hair"]
    assert len(LIP.regions["body"].classes) == 16
    atr_body = {ATR.classes[k] for k in ATR.regions["body"].classes}
    assert "belt" not in atr_body and "bag" not in atr_body
    assert CCP.num_classes == 59 and CCP.classes[41] == "skin"
    assert get_meta("ATR") is ATR
    assert DatasetMeta.from_dict(ATR.to_dict()) == ATR
    assert len(set(LIP.palette)) == 20


def _write_pair(image: Path, label: Path, h: int = 20, w: int = 12, value: int = 1) -> None:
    image.parent.mkdir(parents=True, exist_ok=True)
    label.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), 128, np.uint8)).save(image)
    Image.fromarray(np.full((h, w), value, np.uint8)).save(label)


def test_lip_and_atr_layouts(tmp_path: Path) -> None:
    lip = tmp_path / "LIP"
    for i in range(3):
        _write_pair(lip / "TrainVal_images/val_images" / f"v{i}.jpg",
                    lip / "TrainVal_parsing_annotations/val_segmentations" / f"v{i}.png", value=i)
    (lip / "val_id.txt").write_text("v0\nv2\n")
    pairs = open_folder("lip", lip, "val")
    assert [f.name for f in pairs.files] == ["v0", "v2"] and pairs.meta is LIP
    rgb, label = pairs[1]
    assert rgb.shape == (20, 12, 3) and label.shape == (20, 12) and int(label[0, 0]) == 2

    atr = tmp_path / "ATR"
    _write_pair(atr / "JPEGImages/a.jpg", atr / "SegmentationClassAug/a.png", value=9)
    _write_pair(atr / "JPEGImages/b.jpg", atr / "SegmentationClassAug/b.png")
    assert len(open_folder("atr", atr)) == 2 and open_folder("atr", atr).meta is ATR
    (atr / "train_id.txt").write_text("a\n")
    assert len(open_folder("atr", atr, "train")) == 1
    with pytest.raises(DatasetLayoutError, match="val_id.txt"):
        open_folder("atr", atr, "val")
    with pytest.raises(DatasetLayoutError, match="no LIP layout"):
        open_folder("lip", atr)
    (lip / "val_id.txt").write_text("v0\nv9\n")
    with pytest.raises(DatasetLayoutError, match="v9"):
        open_folder("lip", lip, "val")


@pytest.mark.data
def test_loader_reads_the_cihp_samples(data_dir: Path) -> None:
    root = data_dir / "cihp_samples"
    pairs = open_folder("cihp", root, "train")
    assert len(pairs) == 5 and pairs.meta is CIHP
    for rgb, label in (pairs[i] for i in range(len(pairs))):
        assert rgb.dtype == np.uint8 and rgb.shape[:2] == label.shape
        assert label.max() < 20
    # the samples ship mirrored labels: our mirror (CIHP flip pairs) must reproduce them
    from parsing.transforms import mirror

    rgb, label = pairs[1]
    rev = np.asarray(Image.open(root / "labels_rev" / f"{pairs.files[1].name}.png"))
    _, mirrored = mirror(rgb, label, CIHP)
    assert (mirrored == rev).mean() > 0.99


def test_transforms_keep_labels_aligned_and_mark_outside_as_ignore() -> None:
    rgb, label = ToyPeople(1, (40, 30))[0]
    x, y = EvalTransform((40, 30))(rgb, label)
    assert x.shape == (3, 40, 30) and torch.equal(y, torch.from_numpy(label.astype(np.int64)))
    x, y = EvalTransform((40, 40))(rgb, label)  # letterboxed: padding columns are ignore
    assert (y[:, :4] == 255).all() and (y[:, 5:34] != 255).all()
    t = TrainTransform(LIP, (32, 32), seed=0)
    data = TransformedPairs(ToyPeople(4, (40, 30)), t)
    for i in range(4):
        x, y = data[i]
        assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and y.dtype == torch.int64
        assert set(y.unique().tolist()) <= set(range(20)) | {255}


def test_train_transform_mirrors_about_half_the_time() -> None:
    rgb, label = ToyPeople(1, (64, 64))[0]
    rgb = rgb.copy()
    rgb[:, :6] = 255  # a white strip on the image's left edge shows whether the image was mirrored
    t = TrainTransform(LIP, (64, 64), scale_factor=0.0, rotation=0.0, seed=1)
    left_arm = LIP.class_id("left_arm")
    mirrored = 0
    for _ in range(40):
        x, y = t(rgb, label)
        mirrored += int(x[0, :, -3].mean() > x[0, :, 2].mean())
        # labels are swapped with the pixels: the person's left arm stays on the image's right
        assert torch.nonzero(y == left_arm)[:, 1].float().mean() > 32
    assert 8 < mirrored < 32
