"""Generated toy people in LIP labels: flat-coloured body parts on a noisy background.

For tests, smoke runs and the ablation script when no real dataset is at hand. Left and right parts
share a colour and differ only by position (a person's left is the image's right), so mirror
augmentation stays consistent. Not a substitute for real photos.
"""

from __future__ import annotations

import cv2
import numpy as np
from torch.utils.data import Dataset

from body_model.lip_labels import LIP_ID

# (LIP class, shape, box in person coordinates: x0, y0, x1, y1 of [0, 1]^2); drawn in this order.
_PARTS: tuple[tuple[str, str, tuple[float, float, float, float]], ...] = (
    ("hair", "ellipse", (0.36, 0.00, 0.64, 0.20)),
    ("face", "ellipse", (0.40, 0.05, 0.60, 0.22)),
    ("right_arm", "rect", (0.16, 0.24, 0.30, 0.55)),
    ("left_arm", "rect", (0.70, 0.24, 0.84, 0.55)),
    ("upper_clothes", "rect", (0.30, 0.22, 0.70, 0.52)),
    ("pants", "rect", (0.33, 0.52, 0.67, 0.66)),
    ("right_leg", "rect", (0.33, 0.66, 0.48, 0.88)),
    ("left_leg", "rect", (0.52, 0.66, 0.67, 0.88)),
    ("right_shoe", "rect", (0.28, 0.88, 0.48, 0.98)),
    ("left_shoe", "rect", (0.52, 0.88, 0.72, 0.98)),
)
_COLOURS = {
    "hair": (40, 25, 20), "face": (225, 180, 150), "left_arm": (210, 160, 130), "right_arm": (210, 160, 130),
    "upper_clothes": (40, 90, 200), "pants": (60, 60, 70), "left_leg": (200, 150, 120),
    "right_leg": (200, 150, 120), "left_shoe": (240, 240, 240), "right_shoe": (240, 240, 240),
}


def toy_person(rng: np.random.Generator, size: tuple[int, int] = (64, 64)) -> tuple[np.ndarray, np.ndarray]:
    """One (rgb uint8 (h, w, 3), label uint8 (h, w)) pair with a randomly placed, sized and tinted person."""
    h, w = size
    rgb = np.empty((h, w, 3), dtype=np.float32)
    rgb[:] = rng.uniform(60, 200, size=3)
    rgb += rng.normal(0, 12, size=(h, w, 3))
    label = np.zeros((h, w), dtype=np.uint8)
    ph = rng.uniform(0.8, 0.95) * h
    pw = min(w * 0.95, ph * rng.uniform(0.55, 0.7))
    x0 = rng.uniform(0, w - pw)
    y0 = rng.uniform(0, h - ph)
    for name, shape, (a, b, c, d) in _PARTS:
        colour = np.clip(np.asarray(_COLOURS[name]) + rng.normal(0, 10, size=3), 0, 255)
        mask = np.zeros((h, w), dtype=np.uint8)
        p0 = (int(round(x0 + a * pw)), int(round(y0 + b * ph)))
        p1 = (int(round(x0 + c * pw)) - 1, int(round(y0 + d * ph)) - 1)
        if shape == "rect":
            cv2.rectangle(mask, p0, p1, 1, thickness=-1)
        else:
            center = ((p0[0] + p1[0]) // 2, (p0[1] + p1[1]) // 2)
            axes = (max(1, (p1[0] - p0[0]) // 2), max(1, (p1[1] - p0[1]) // 2))
            cv2.ellipse(mask, center, axes, 0, 0, 360, 1, thickness=-1)
        on = mask.astype(bool)
        rgb[on] = colour + rng.normal(0, 6, size=(int(on.sum()), 3))
        label[on] = LIP_ID[name]
    return rgb.clip(0, 255).astype(np.uint8), label


class ToyPeople(Dataset):
    """`n` generated pairs (the same ones for the same seed): item i -> (rgb, label)."""

    def __init__(self, n: int, size: tuple[int, int] = (64, 64), seed: int = 0) -> None:
        self.pairs = [toy_person(np.random.default_rng([seed, i]), size) for i in range(n)]

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return self.pairs[i]
