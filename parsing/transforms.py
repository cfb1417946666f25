"""CE2P's affine augmentation (random scale, rotation, crop, mirror) and the matching test-time warp.

A photo is mapped into the network's input box by one affine transform built from a centre, a scale
(the source extent that fills the box) and a rotation. Training draws scale and rotation at random
and mirrors half the images, swapping left/right labels with the dataset's own flip pairs. Images are
normalised with ImageNet's mean and std (RGB); out-of-image label pixels become ignore (255).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from parsing.datasets.meta import IGNORE_INDEX, DatasetMeta

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def affine_matrix(center: tuple[float, float], extent: tuple[float, float], rotation_deg: float,
                  out_size: tuple[int, int]) -> np.ndarray:
    """2x3 matrix mapping source pixels to the (h, w) output box: `extent` (w, h) source pixels fill it,
    rotated by `rotation_deg` about `center`."""
    out_h, out_w = out_size
    sx, sy = out_w / extent[0], out_h / extent[1]
    a = math.radians(rotation_deg)
    cos, sin = math.cos(a), math.sin(a)
    m = np.array([[sx * cos, sx * sin, 0.0], [-sy * sin, sy * cos, 0.0]])
    # pixel-index coordinates: the box centre is ((out_w - 1) / 2, (out_h - 1) / 2)
    m[:, 2] = np.array([(out_w - 1) / 2.0, (out_h - 1) / 2.0]) - m[:, :2] @ np.asarray(center, dtype=np.float64)
    return m


def fit_box(width: int, height: int, out_size: tuple[int, int]) -> tuple[tuple[float, float], tuple[float, float]]:
    """Centre and extent that fit the whole image in the box with its aspect ratio kept (letterbox)."""
    out_h, out_w = out_size
    aspect = out_w / out_h
    w, h = float(width), float(height)
    if w > aspect * h:
        h = w / aspect
    else:
        w = h * aspect
    return ((width - 1) / 2.0, (height - 1) / 2.0), (w, h)


def normalize(rgb: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 RGB -> (3, H, W) float, ImageNet-normalised."""
    x = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1).float().div_(255.0)
    mean = torch.tensor(MEAN).view(3, 1, 1)
    std = torch.tensor(STD).view(3, 1, 1)
    return (x - mean) / std


def mirror(rgb: np.ndarray, label: np.ndarray, meta: DatasetMeta) -> tuple[np.ndarray, np.ndarray]:
    """Flip left-right and swap the meta's left/right classes."""
    lut = np.arange(256, dtype=np.uint8)
    lut[: meta.num_classes] = np.asarray(meta.flip_permutation(), dtype=np.uint8)
    return rgb[:, ::-1], lut[label[:, ::-1]]


@dataclass
class TrainTransform:
    """Random scale (1 +- scale_factor), rotation (p = rotation_prob, N(0, rotation) clipped at 2x),
    mirror (p = 0.5) into an (h, w) box: CE2P's augmentation. Callable(rgb, label) -> (image, label)."""

    meta: DatasetMeta
    input_size: tuple[int, int] = (384, 384)
    scale_factor: float = 0.25
    rotation: float = 30.0
    rotation_prob: float = 0.6
    flip: bool = True
    seed: int | None = None

    def __post_init__(self) -> None:
        self._rng: np.random.Generator | None = None
        self._pid = -1

    @property
    def rng(self) -> np.random.Generator:
        """A generator per process: DataLoader workers (forked copies) reseed from torch's per-worker seed."""
        if self._rng is None or self._pid != os.getpid():
            self._rng = np.random.default_rng([self.seed or 0, torch.initial_seed() % (1 << 63)])
            self._pid = os.getpid()
        return self._rng

    def __call__(self, rgb: np.ndarray, label: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        rng = self.rng
        h, w = label.shape
        if self.flip and rng.random() < 0.5:
            rgb, label = mirror(rgb, label, self.meta)
        center, extent = fit_box(w, h, self.input_size)
        s = float(np.clip(rng.normal() * self.scale_factor + 1.0, 1 - self.scale_factor, 1 + self.scale_factor))
        r = 0.0
        if self.rotation > 0 and rng.random() < self.rotation_prob:
            r = float(np.clip(rng.normal() * self.rotation, -2 * self.rotation, 2 * self.rotation))
        m = affine_matrix(center, (extent[0] * s, extent[1] * s), r, self.input_size)
        return warp_pair(rgb, label, m, self.input_size)


@dataclass
class EvalTransform:
    """The whole image letterboxed into the box (no randomness): for validation during training."""

    input_size: tuple[int, int] = (384, 384)

    def __call__(self, rgb: np.ndarray, label: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        h, w = label.shape
        center, extent = fit_box(w, h, self.input_size)
        return warp_pair(rgb, label, affine_matrix(center, extent, 0.0, self.input_size), self.input_size)


def warp_pair(rgb: np.ndarray, label: np.ndarray, m: np.ndarray,
              out_size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    out_h, out_w = out_size
    img = cv2.warpAffine(np.ascontiguousarray(rgb), m, (out_w, out_h), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
    lab = cv2.warpAffine(np.ascontiguousarray(label), m, (out_w, out_h), flags=cv2.INTER_NEAREST,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=IGNORE_INDEX)
    return normalize(img), torch.from_numpy(lab.astype(np.int64))
