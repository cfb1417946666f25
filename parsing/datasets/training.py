"""Wraps raw (rgb, label) pairs into what training consumes: (image float CHW normalised, label long HW).

Any torch Dataset with that item format can be passed to `parsing.train.train` directly (CCP, synthetic
renders, toy data); this wrapper is the glue for datasets that yield raw numpy pairs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import Dataset

Transform = Callable[[np.ndarray, np.ndarray], tuple[torch.Tensor, torch.Tensor]]


class TransformedPairs(Dataset):
    """`raw[i]` = (rgb uint8 HWC, label uint8 HW) -> `transform(rgb, label)`."""

    def __init__(self, raw: Dataset, transform: Transform) -> None:
        self.raw = raw
        self.transform = transform

    def __len__(self) -> int:
        return len(self.raw)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        rgb, label = self.raw[i][:2]
        return self.transform(rgb, label)
