"""The fit's differentiable terms: silhouette (distance-transform), keypoints, volume, depth prior.

Why distance transforms on projected points rather than a soft rasteriser: a soft silhouette
(SoftRas-style) at a useful resolution means per-pixel x per-triangle work (27k triangles x ~10^5
pixels), seconds per iteration on this 2-core CPU, and its blur biases edges by about the blur width.
Here the person mask is turned once into a distance map and an outline point set; each iteration
projects the body's vertices (a few thousand, those that can lie on the outline) and
- inside term: samples the outside-distance map at each projected vertex (bilinear, so sub-pixel):
  any vertex past the person's edge costs its squared distance, summed per outline point (a mean over
  all vertices diluted it ~10x, and the fit settled 1-2 px too big all round); the body cannot bulge
  past the photo;
- coverage term: each outline point of the photo is pulled to the nearest projected vertex of the body's
  rim (the vertices on its own silhouette's edge, found by rasterising it every few steps), the offset
  measured along the outline's normal (the spacing of vertices along the outline is no error) to the
  true edge half a pixel beyond the outline pixel's centre: the body must reach the photo's outline.
  Per part (fit_views, garment_ease): skin points at full weight, clothing points
  with a lower weight, moved in by their garment's expected stand-off from the skin, hair and
  shoes left out.
Together they are a two-sided chamfer between outlines, exact to a pixel, and cost ~10 ms per view.
Residuals are converted from pixels to centimetres at the person's distance, so weights read in cm.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from body_model.fit_views import PreparedView


def project(points: torch.Tensor, focal: float, cx: float, cy: float) -> torch.Tensor:
    """World points (..., 3) -> pixels (..., 2) for the fit's camera at the origin looking along +y
    (body_model.camera.FRONT_ROTATION, zero translation): x right, image y = -world z."""
    depth = points[..., 1].clamp_min(1e-3)
    u = focal * points[..., 0] / depth + cx
    v = focal * (-points[..., 2]) / depth + cy
    return torch.stack([u, v], dim=-1)


def sample_map(dist_map: torch.Tensor, uv: torch.Tensor, width: int, height: int) -> torch.Tensor:
    """Bilinear samples (N,) of a (1,1,H,W) map at pixel coordinates (N,2); outside the image: border value
    plus the distance past the border, so vertices off-image still get pulled back."""
    gx = 2.0 * uv[:, 0] / max(width - 1, 1) - 1.0
    gy = 2.0 * uv[:, 1] / max(height - 1, 1) - 1.0
    grid = torch.stack([gx, gy], dim=-1)[None, None]
    vals = F.grid_sample(dist_map, grid, mode="bilinear", padding_mode="border", align_corners=True)[0, 0, 0]
    off_x = (-uv[:, 0]).clamp_min(0) + (uv[:, 0] - (width - 1)).clamp_min(0)
    off_y = (-uv[:, 1]).clamp_min(0) + (uv[:, 1] - (height - 1)).clamp_min(0)
    return vals + off_x + off_y


# An outline pixel's centre lies half a pixel inside the true edge of the person.
EDGE_OFFSET_PX = 0.5
# How far inside its own silhouette's edge (full-size px) a vertex still counts as on the body's rim.
RIM_INSIDE_PX = 1.5


def inside_loss(uv: torch.Tensor, pv: PreparedView) -> torch.Tensor:
    """Squared distance (px^2) past the person's edge of projected vertices, summed and divided by the
    number of outline points: a body that bulges out by 1 px all round costs about as much as one that
    falls short by 1 px (a mean over all vertices, most of them inside, would dilute it ~10x)."""
    d = (sample_map(pv.outside_dt, uv, pv.width, pv.height) - EDGE_OFFSET_PX).clamp_min(0)
    return (d * d).sum() / max(len(pv.boundary_xy), 1)


def coverage_loss(uv: torch.Tensor, pv: PreparedView, px_per_cm: float) -> torch.Tensor:
    """Weighted mean squared distance (px^2, beyond each point's tolerance) from outline points, moved in
    by their garment's stand-off (`px_per_cm` at the person's distance), to the body.

    `uv` should be the body's rim vertices (those on its own projected outline, `rim_vertices`): an
    inner vertex nearer to an outline point than the rim is, pulled out to it, grows the body."""
    # Offset along the outline's normal: the vertices' spacing along the outline is no error (measured
    # as plain distance it was, and a body too big by 1-2 px all round, whose inner vertices crowd
    # every outline point, scored better than the right one). The target is the true edge, half a
    # pixel beyond the outline pixel's centre, and the body point matched to it is the one nearest it.
    inward = pv.boundary_stand_off_cm * px_per_cm - EDGE_OFFSET_PX
    target = pv.boundary_xy - inward[:, None] * pv.boundary_normal
    with torch.no_grad():
        nearest = torch.cdist(target, uv.detach()).argmin(dim=1)
    d = ((uv[nearest] - target) * pv.boundary_normal).sum(dim=1).abs()
    d = (d - pv.boundary_slack - pv.boundary_tolerance_cm * px_per_cm).clamp_min(0)
    w = pv.boundary_w
    return (w * d * d).sum() / w.sum().clamp_min(1e-6)


def rim_vertices(uv: torch.Tensor, body_mask: np.ndarray, scale: float, max_inside_px: float = RIM_INSIDE_PX
                 ) -> torch.Tensor:
    """Indices of the projected vertices `uv` (N, 2, full-size pixels) that lie on the outline of the body's
    own silhouette `body_mask` (rendered at `scale` of the full size): within `max_inside_px` (full-size
    pixels) of its edge. Rim vertices of a convex part are a few pixels apart; the vertices just inside
    them are what the coverage term must not mistake for the body's edge."""
    inner = cv2.distanceTransform(body_mask.astype(np.uint8), cv2.DIST_L2, 5).astype(np.float32)
    h, w = inner.shape
    at = sample_map(torch.from_numpy(inner)[None, None], uv.detach() * scale + 0.5 * (scale - 1.0), w, h)
    return torch.nonzero(at / scale < max_inside_px + EDGE_OFFSET_PX).flatten()


def keypoint_loss(uv: torch.Tensor, pv: PreparedView, delta_px: float = 8.0) -> torch.Tensor:
    """Confidence-weighted Huber distance (px^2 scale) between projected and observed keypoints."""
    conf = pv.keypoints[:, 2]
    if float(conf.sum()) <= 0:
        return uv.new_zeros(())
    d = (uv - pv.keypoints[:, :2]).norm(dim=1)
    huber = torch.where(d < delta_px, 0.5 * d * d, delta_px * (d - 0.5 * delta_px))
    return (conf * huber).sum() / conf.sum()


def mesh_volume_m3(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Enclosed volume (m^3) of a triangle mesh by the divergence theorem (sum of signed tetrahedra)."""
    a, b, c = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    return (a * torch.cross(b, c, dim=-1)).sum().abs() / 6.0
