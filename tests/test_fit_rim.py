"""The coverage term's rim: which projected vertices lie on the body's own silhouette edge."""

from __future__ import annotations

import numpy as np
import torch

from body_model.fit_losses import rim_vertices


def _disc(h: int, w: int, cx: float, cy: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r


def test_rim_keeps_edge_vertices_and_drops_inner_ones() -> None:
    # Full-size image 200x200 with a disc of radius 60 at (100, 100); the body's own mask at half size.
    scale = 0.5
    mask = _disc(100, 100, (100 + 0.5) * scale - 0.5, (100 + 0.5) * scale - 0.5, 60 * scale)
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    on_edge = np.stack([100 + 60 * np.cos(angles), 100 + 60 * np.sin(angles)], axis=1)
    inner = np.stack([100 + 55 * np.cos(angles), 100 + 55 * np.sin(angles)], axis=1)  # 5 px inside
    centre = np.array([[100.0, 100.0]])
    uv = torch.tensor(np.concatenate([on_edge, inner, centre]), dtype=torch.float32)
    rim = set(rim_vertices(uv, mask, scale).tolist())
    assert rim == set(range(24))


def test_rim_threshold_is_in_full_size_pixels() -> None:
    mask = _disc(100, 100, 49.75, 49.75, 30.0)  # the same disc at half size
    uv = torch.tensor([[100.0 + 60.0 - d, 100.0] for d in (0.0, 1.0, 3.0, 6.0)], dtype=torch.float32)
    assert rim_vertices(uv, mask, 0.5, max_inside_px=1.5).tolist() == [0, 1]
    assert rim_vertices(uv, mask, 0.5, max_inside_px=4.0).tolist() == [0, 1, 2]
