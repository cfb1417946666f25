"""What one photo tells the fit: the `View` input and its precomputed, fit-ready targets.

A view is a person mask, optionally a LIP part-label map, 2D keypoints and the focal length in
pixels. `prepare_view` turns it into the tensors the losses use:
- `outside_dt`: per pixel, the distance (px) to the person mask (0 inside). Every projected body
  vertex must land inside the person (hair, clothes and shoes included: the body is inside them).
- `boundary_xy` / `boundary_w`: points on the person's outline that the body's own outline must
  reach, each with its expected stand-off from the skin and tolerances (body_model.garment_ease, by
  part label and the kind of clothes the person wears). Skin outline points (face, arms, legs) get
  full weight and no stand-off: skin bounds the body tightly. Clothing outline points get a lower
  weight and their garment's stand-off (the body is inside the garment). Hair, hat, sunglasses and
  shoe outline points are left out: they are not body. Without part labels every outline point
  counts as body (weight 1, no stand-off), the best one can do with a bare mask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import torch

from body_model.camera import default_focal_px
from body_model.garment_ease import DEFAULT_CLOTHES, outline_rules
from body_model.keypoints import NUM_KEYPOINTS
from body_model.lip_labels import NOT_BODY_IDS

VIEW_KINDS = ("front", "back", "side")


class ViewError(ValueError):
    """A view whose arrays are missing, empty or inconsistent."""


@dataclass
class View:
    """One photo's observations, in pixels of that photo.

    kind: 'front', 'back' or 'side'. mask: (H, W) bool person mask. part_labels: (H, W) uint8 LIP
    ids or None. keypoints: (21, 3) x, y, confidence in body_model.keypoints order, or None.
    focal_px: focal length in pixels (None: a phone-like default from the image size).
    name: shown in errors and warnings (e.g. the photo's file name).
    """

    kind: str
    mask: np.ndarray
    part_labels: np.ndarray | None = None
    keypoints: np.ndarray | None = None
    focal_px: float | None = None
    name: str = ""

    def label(self) -> str:
        return self.name or f"{self.kind} view"


@dataclass
class PreparedView:
    """Tensors of one view that the fit losses read (see module docstring)."""

    view: View
    height: int
    width: int
    focal_px: float
    outside_dt: torch.Tensor          # (1, 1, H, W) float, px
    boundary_xy: torch.Tensor         # (P, 2) px
    boundary_w: torch.Tensor          # (P,)
    boundary_slack: torch.Tensor      # (P,) px
    boundary_stand_off_cm: torch.Tensor  # (P,) expected gap between skin and outline (garment ease)
    boundary_tolerance_cm: torch.Tensor  # (P,) gaps this close to the expected one cost nothing
    boundary_normal: torch.Tensor     # (P, 2) unit outward normal of the outline at each point
    keypoints: torch.Tensor           # (K, 3)
    mask_top: float                   # first mask row (px), top of hair
    mask_bottom: float                # last mask row (px), sole of the shoes
    mask_area: float
    body_mask: np.ndarray             # (H, W) bool: the mask minus hair/hat/shoes where labelled
    extras: dict = field(default_factory=dict)


def validate_view(view: View) -> None:
    if view.kind not in VIEW_KINDS:
        raise ViewError(f"{view.label()}: kind must be one of {VIEW_KINDS}, got {view.kind!r}")
    mask = np.asarray(view.mask)
    if mask.ndim != 2 or mask.size == 0:
        raise ViewError(f"{view.label()}: mask must be a 2-D array")
    if mask.sum() < 100:
        raise ViewError(f"{view.label()}: no person in the mask (fewer than 100 pixels)")
    if view.part_labels is not None and np.asarray(view.part_labels).shape != mask.shape:
        raise ViewError(f"{view.label()}: part_labels shape {np.shape(view.part_labels)} != mask shape {mask.shape}")
    if view.keypoints is not None and np.asarray(view.keypoints).shape != (NUM_KEYPOINTS, 3):
        raise ViewError(f"{view.label()}: keypoints must be ({NUM_KEYPOINTS}, 3), got {np.shape(view.keypoints)}")
    if view.focal_px is not None and not (view.focal_px > 0):
        raise ViewError(f"{view.label()}: focal_px must be positive")


def prepare_view(view: View, clothes: str = DEFAULT_CLOTHES, max_boundary_points: int = 1500) -> PreparedView:
    """Distance transform, weighted outline points and keypoints of one view; `clothes` says what the
    person wears (body_model.garment_ease.CLOTHES)."""
    validate_view(view)
    mask = np.asarray(view.mask).astype(bool)
    h, w = mask.shape
    focal = float(view.focal_px) if view.focal_px else default_focal_px(w, h)

    # Distance (px) from each outside pixel to the mask; the loss samples it at projected vertices.
    outside = (~mask).astype(np.uint8)
    dt = cv2.distanceTransform(outside, cv2.DIST_L2, 5).astype(np.float32)

    labels = None if view.part_labels is None else np.asarray(view.part_labels).astype(np.int64)
    # Outline pixels: person pixels with a background 4-neighbour.
    pad = np.pad(mask, 1, constant_values=False)
    neighbour_bg = ~pad[:-2, 1:-1] | ~pad[2:, 1:-1] | ~pad[1:-1, :-2] | ~pad[1:-1, 2:]
    outline = mask & neighbour_bg
    ys, xs = np.nonzero(outline)
    rules = outline_rules(None if labels is None else labels[ys, xs], len(xs), clothes)
    body_mask = mask if labels is None else mask & ~np.isin(labels, list(NOT_BODY_IDS))
    keep = np.nonzero(rules["weight"] > 0)[0]
    if len(keep) > max_boundary_points:
        keep = keep[np.linspace(0, len(keep) - 1, max_boundary_points).round().astype(int)]
    xs, ys = xs[keep], ys[keep]
    rules = {k: torch.from_numpy(v[keep].copy()) for k, v in rules.items()}
    # Pixel coordinates are pixel centres (body_model.camera); an outline pixel's centre is half a
    # pixel inside the true edge, which the 0.5 px tolerance of the coverage loss absorbs.
    boundary = np.stack([xs, ys], axis=1).astype(np.float32)
    normals = _outward_normals(mask, xs, ys)

    kp = np.zeros((NUM_KEYPOINTS, 3), np.float32) if view.keypoints is None else np.asarray(view.keypoints, np.float32)
    rows = np.nonzero(mask.any(axis=1))[0]
    return PreparedView(
        view=view, height=h, width=w, focal_px=focal,
        outside_dt=torch.from_numpy(dt)[None, None],
        boundary_xy=torch.from_numpy(boundary), boundary_w=rules["weight"], boundary_slack=rules["slack_px"],
        boundary_stand_off_cm=rules["stand_off_cm"], boundary_tolerance_cm=rules["tolerance_cm"],
        boundary_normal=torch.from_numpy(normals),
        keypoints=torch.from_numpy(kp.copy()),
        mask_top=float(rows[0]), mask_bottom=float(rows[-1] + 1), mask_area=float(mask.sum()),
        body_mask=body_mask,
    )


def _outward_normals(mask: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """(P, 2) unit outward normals of the mask outline at pixels (xs, ys): minus the gradient of the
    blurred mask. The coverage term measures offsets along them, so the spacing of the body's vertices
    along the outline (tangential) does not count as error."""
    blurred = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 2.0)
    gy, gx = np.gradient(blurred)
    n = -np.stack([gx[ys, xs], gy[ys, xs]], axis=1)
    norm = np.linalg.norm(n, axis=1, keepdims=True)
    return (n / np.maximum(norm, 1e-6)).astype(np.float32)
