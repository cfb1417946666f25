"""Caliper-like breadths and depths of a rest-pose body at ANSUR levels, differentiable.

The ANSUR II prior speaks in caliper terms: chest breadth/depth at the nipple level, waist at the
navel (omphalion), hip breadth and buttock depth at the buttock level. On the mesh, each level is a
fixed fraction of stature (the ANSUR II mean of that height / stature, both sexes within ~1.5%), and
a breadth (depth) is the x (y) extent of the torso's vertices within a thin horizontal band there.
Extents use a soft max (log-sum-exp with a 2 mm temperature) so the fit gets gradients from several
vertices instead of one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from body_model.parts import Part

# Mean level / stature over ANSUR II (men and women agree within ~0.015).
LEVEL_FRACTION = {"chest": 0.73, "waist": 0.60, "hip": 0.508, "deltoid": 0.785}
BAND_M = 0.012           # half-height of the band of vertices measured at a level
SOFTMAX_TEMP_M = 0.002

TORSO_PARTS = (Part.TORSO,)
HIP_PARTS = (Part.TORSO, Part.LEFT_THIGH, Part.RIGHT_THIGH)
DELTOID_PARTS = (Part.TORSO, Part.LEFT_UPPER_ARM, Part.RIGHT_UPPER_ARM)


@dataclass
class LevelSelection:
    """Vertex indices of each level's band, chosen once on a body and reused while it changes a little."""

    indices: dict[str, torch.Tensor]


def select_levels(rest_vertices: np.ndarray, vertex_parts: np.ndarray) -> LevelSelection:
    """Band vertices for chest, waist, hip and deltoid levels of one rest body (V,3) metres."""
    z = rest_vertices[:, 2]
    stature = z.max() - z.min()
    parts_for = {"chest": TORSO_PARTS, "waist": TORSO_PARTS, "hip": HIP_PARTS, "deltoid": DELTOID_PARTS}
    out = {}
    for name, frac in LEVEL_FRACTION.items():
        level = z.min() + frac * stature
        in_part = np.isin(vertex_parts, [int(p) for p in parts_for[name]])
        band = np.abs(z - level) < BAND_M
        idx = np.nonzero(in_part & band)[0]
        if len(idx) < 4:  # a very thin band: widen it
            idx = np.nonzero(in_part & (np.abs(z - level) < 3 * BAND_M))[0]
        out[name] = torch.from_numpy(idx)
    return LevelSelection(out)


def _soft_extent(values: torch.Tensor) -> torch.Tensor:
    t = SOFTMAX_TEMP_M
    return t * torch.logsumexp(values / t, dim=-1) + t * torch.logsumexp(-values / t, dim=-1)


def level_dimensions(vertices: torch.Tensor, levels: LevelSelection) -> dict[str, torch.Tensor]:
    """Breadths and depths (cm) of a rest body (V,3) m: chestbreadth, chestdepth, waistbreadth, ... ."""
    out = {}
    names = {"chest": ("chestbreadth", "chestdepth"), "waist": ("waistbreadth", "waistdepth"),
             "hip": ("hipbreadth", "buttockdepth"), "deltoid": ("bideltoidbreadth", None)}
    for level, (bname, dname) in names.items():
        v = vertices[levels.indices[level]]
        out[bname] = 100.0 * _soft_extent(v[:, 0])
        if dname:
            out[dname] = 100.0 * _soft_extent(v[:, 1])
    return out
