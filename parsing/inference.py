"""`Parser`: a trained parsing network ready for photos, loaded once and reused.

Each photo is letterboxed into the network's input box by an affine warp (aspect ratio kept), scored
(optionally also mirrored, with left/right channels swapped by the label set's own flip pairs), and
the scores are sampled back onto the photo's own pixel grid with the inverse warp, so the label map
has exactly the photo's size. CPU or CUDA; `device="auto"` takes CUDA when present.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from parsing.checkpoint import NoDefaultWeightsError, ParserWeightsError, load_checkpoint
from parsing.datasets.meta import DatasetMeta
from parsing.models.factory import ModelSpec, build_from_spec
from parsing.transforms import affine_matrix, fit_box, normalize

DEFAULT_WEIGHTS = "parser/default.pt"   # inside the `assets` package
_CHUNK_ELEMENTS = 1 << 25               # scores sampled back in row chunks of at most this many floats


def default_weights_path() -> Path:
    """Where the shipped default weights live (assets/parser/default.pt), whether or not they exist."""
    return Path(str(resources.files("assets") / DEFAULT_WEIGHTS))


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


class Parser:
    """Human parser: `predict(rgb) -> (H, W) uint8` label ids of its label set (`parser.meta`).

    weights: a checkpoint path; None = the shipped default (assets/parser/default.pt), else an error.
    flip: also score the mirrored photo and average (slower, slightly better).
    input_size: (h, w) of the network input; None = the size it was trained at.
    """

    def __init__(self, weights: str | Path | None = None, device: str | torch.device = "auto", flip: bool = False,
                 input_size: tuple[int, int] | None = None, batch_size: int = 4) -> None:
        if weights is None:
            weights = default_weights_path()
            if not weights.is_file():
                raise NoDefaultWeightsError(f"{weights}: the default parser weights are missing (reinstall "
                                            "the package); pass weights=PATH (measure parse --weights W)")
        self.device = resolve_device(device)
        ckpt = load_checkpoint(weights)
        try:
            net = build_from_spec(ckpt.spec)
            net.load_state_dict(ckpt.state_dict)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise ParserWeightsError(f"{weights}: weights do not match their model description ({exc})") from exc
        self.weights = Path(weights)
        self._setup(net, ckpt.spec, input_size or ckpt.input_size, flip, batch_size)

    @classmethod
    def from_model(cls, net: torch.nn.Module, spec: ModelSpec, input_size: tuple[int, int],
                   device: str | torch.device | None = None, flip: bool = False, batch_size: int = 4) -> Parser:
        """Wrap an in-memory network (e.g. during training) without a file."""
        self = cls.__new__(cls)
        self.device = resolve_device(device) if device is not None else next(net.parameters()).device
        self.weights = None
        self._setup(net, spec, input_size, flip, batch_size)
        return self

    def _setup(self, net: torch.nn.Module, spec: ModelSpec, input_size: tuple[int, int], flip: bool,
               batch_size: int) -> None:
        self.net = net.to(self.device).eval()
        self.spec = spec
        self.meta: DatasetMeta = spec.meta
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.flip = flip
        self.batch_size = max(1, batch_size)
        self._flip_perm = torch.tensor(self.meta.flip_permutation(), device=self.device)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.meta.classes

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (H, W) uint8 label ids."""
        return self.predict_batch([rgb])[0]

    def predict_batch(self, images: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Label maps for many photos (any sizes), scored `batch_size` at a time."""
        return [self._labels(scores, rgb.shape[:2], m) for rgb, scores, m in self._score(images)]

    def predict_proba(self, rgb: np.ndarray) -> np.ndarray:
        """(K, H, W) float32 class probabilities on the photo's grid (for soft masks and uncertainty)."""
        [(_, scores, m)] = list(self._score([rgb]))
        return self._back(scores, rgb.shape[:2], m, 0, rgb.shape[0]).softmax(0).cpu().numpy()

    @torch.inference_mode()
    def _score(self, images: Sequence[np.ndarray]):
        """Yields (rgb, logits at the network's output grid (K, h, w), affine matrix) per image."""
        for start in range(0, len(images), self.batch_size):
            chunk = [_check_rgb(im) for im in images[start:start + self.batch_size]]
            mats, batch = [], []
            for rgb in chunk:
                center, extent = fit_box(rgb.shape[1], rgb.shape[0], self.input_size)
                m = affine_matrix(center, extent, 0.0, self.input_size)
                warped = cv2.warpAffine(rgb, m, self.input_size[::-1], flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
                mats.append(m)
                batch.append(normalize(warped))
            x = torch.stack(batch).to(self.device)
            # logits, not probabilities, are resampled: the loss was taken on upsampled logits, and
            # interpolating softmax outputs blurs thin parts away (seen: 95% vs 99.8% pixel accuracy)
            logits = self.net(x).logits.float()
            if self.flip:
                flipped = self.net(x.flip(-1)).logits.float().flip(-1)
                logits = 0.5 * (logits + flipped[:, self._flip_perm])
            for rgb, p, m in zip(chunk, logits, mats, strict=True):
                yield rgb, p, m

    def _back(self, scores: torch.Tensor, size: tuple[int, int], m: np.ndarray, row0: int, row1: int) -> torch.Tensor:
        """Scores sampled at photo rows row0..row1 through the letterbox warp (bilinear)."""
        h_in, w_in = self.input_size
        width = size[1]
        ys, xs = torch.meshgrid(torch.arange(row0, row1, dtype=torch.float32),
                                torch.arange(width, dtype=torch.float32), indexing="ij")
        mt = torch.as_tensor(m, dtype=torch.float32)
        u = mt[0, 0] * xs + mt[0, 1] * ys + mt[0, 2]
        v = mt[1, 0] * xs + mt[1, 1] * ys + mt[1, 2]
        # align_corners=False: normalised coordinate of box pixel u is (2u + 1) / W - 1 at any resolution
        grid = torch.stack([(2 * u + 1) / w_in - 1, (2 * v + 1) / h_in - 1], dim=-1)[None].to(scores.device)
        return F.grid_sample(scores[None], grid, mode="bilinear", padding_mode="border", align_corners=False)[0]

    def _labels(self, scores: torch.Tensor, size: tuple[int, int], m: np.ndarray) -> np.ndarray:
        height, width = size
        rows = max(1, _CHUNK_ELEMENTS // max(1, scores.shape[0] * width))
        out = np.empty((height, width), dtype=np.uint8)
        for r0 in range(0, height, rows):
            r1 = min(height, r0 + rows)
            out[r0:r1] = self._back(scores, size, m, r0, r1).argmax(0).to(torch.uint8).cpu().numpy()
        return out


def _check_rgb(rgb: np.ndarray) -> np.ndarray:
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        shape = getattr(rgb, "shape", type(rgb).__name__)
        raise ValueError(f"<array>: expected an (H, W, 3) RGB image, got {shape}")
    if rgb.dtype != np.uint8:
        raise ValueError(f"<array>: expected uint8 RGB, got {rgb.dtype}")
    return np.ascontiguousarray(rgb)


def colorize(labels: np.ndarray, meta: DatasetMeta) -> np.ndarray:
    """(H, W) ids -> (H, W, 3) uint8 colours from the label set's palette (unknown ids black)."""
    lut = np.zeros((256, 3), dtype=np.uint8)
    lut[: len(meta.palette)] = np.asarray(meta.palette, dtype=np.uint8)
    return lut[labels]


def overlay(rgb: np.ndarray, labels: np.ndarray, meta: DatasetMeta, alpha: float = 0.55) -> np.ndarray:
    """The photo with its label colours blended over every non-background pixel."""
    colours = colorize(labels, meta).astype(np.float32)
    out = rgb.astype(np.float32)
    fg = labels > 0
    out[fg] = (1 - alpha) * out[fg] + alpha * colours[fg]
    return out.clip(0, 255).astype(np.uint8)
