"""The RPR training loss (Eq. 7) and the ground truth it derives from one label map.

L = CE(P*) + CE(P^dagger) + CE(P^0) + edge CE (class-balanced) + sum_t lambda_t CE(P^t, Y^t), with
lambda_t = K / |L_t| (Eq. 8, K = number of image classes) or 1. Region ground truth Y^t is a lookup
on the (already mirrored) label: region classes -> 1..|L_t|, other classes -> 0, ignore kept. Edge
ground truth marks pixels whose 4-neighbour label differs (ignore pixels never count), dilated 3x3.
Score maps are upsampled to the label size before the cross-entropy, as in CE2P.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from parsing.datasets.meta import IGNORE_INDEX, Region
from parsing.models.ce2p import resize
from parsing.models.rpr import ParsingOutput

REGION_WEIGHTINGS = ("balanced", "uniform")


def region_lookup(region: Region, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """A 256-entry table: image class -> region class (1..|L_t|), 0 elsewhere, ignore -> ignore."""
    table = torch.zeros(256, dtype=torch.long)
    for j, k in enumerate(region.classes, start=1):
        table[k] = j
    table[ignore_index] = ignore_index
    return table


def region_target(label: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Y^t for a (B, H, W) long label map (values 0..255)."""
    return table.to(label.device)[label.clamp(0, 255)]


def edge_target(label: torch.Tensor, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Edge ground truth (B, H, W) long: 1 on label boundaries (3x3-dilated), 0 off them, ignore kept."""
    valid = label != ignore_index
    edge = torch.zeros_like(label, dtype=torch.bool)
    # vertical and horizontal neighbour differences, both sides marked, pairs with an ignore pixel skipped
    dv = (label[:, 1:, :] != label[:, :-1, :]) & valid[:, 1:, :] & valid[:, :-1, :]
    dh = (label[:, :, 1:] != label[:, :, :-1]) & valid[:, :, 1:] & valid[:, :, :-1]
    edge[:, 1:, :] |= dv
    edge[:, :-1, :] |= dv
    edge[:, :, 1:] |= dh
    edge[:, :, :-1] |= dh
    edge = F.max_pool2d(edge[:, None].float(), 3, stride=1, padding=1)[:, 0] > 0
    target = edge.long()
    target[~valid] = ignore_index
    return target


def balanced_edge_loss(logits: torch.Tensor, target: torch.Tensor, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """CE2P's class-balanced edge CE: each class weighted by the other's share of valid pixels."""
    valid = target != ignore_index
    pos = (target == 1).sum().float()
    neg = ((target == 0) & valid).sum().float()
    total = (pos + neg).clamp(min=1.0)
    weight = torch.stack([pos / total, neg / total])
    weight = torch.where(pos * neg > 0, weight, torch.ones_like(weight))  # one class only: plain CE, not 0/0
    return F.cross_entropy(logits.float(), target, weight=weight, ignore_index=ignore_index)


@dataclass
class LossTerms:
    """The loss and its weighted parts (tensors; `parts` gives floats for logging)."""

    total: torch.Tensor
    terms: dict[str, torch.Tensor]

    @property
    def parts(self) -> dict[str, float]:
        return {k: float(v.detach()) for k, v in self.terms.items()}


class RPRLoss(nn.Module):
    """Eq. 7 for a `ParsingOutput`; terms whose outputs the architecture lacks are skipped."""

    def __init__(self, num_classes: int, regions: Sequence[Region], weighting: str = "balanced",
                 ignore_index: int = IGNORE_INDEX, edge_weight: float = 1.0) -> None:
        super().__init__()
        if weighting not in REGION_WEIGHTINGS:
            raise ValueError(f"unknown region weighting {weighting!r}; choose from {REGION_WEIGHTINGS}")
        self.ignore_index = ignore_index
        self.edge_weight = edge_weight
        self.region_weights = [num_classes / len(r.classes) if weighting == "balanced" else 1.0 for r in regions]
        for t, region in enumerate(regions):
            self.register_buffer(f"lookup_{t}", region_lookup(region, ignore_index), persistent=False)

    def _ce(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(resize(logits, target.shape[-2:]).float(), target, ignore_index=self.ignore_index)

    def forward(self, out: ParsingOutput, label: torch.Tensor) -> LossTerms:
        terms: dict[str, torch.Tensor] = {"fused": self._ce(out.logits, label)}
        if len(out.region_logits) > 0:  # with no regions P* is P^0: count it once
            terms["image"] = self._ce(out.image_logits, label)
        if out.aux_logits is not None:
            terms["aux"] = self._ce(out.aux_logits, label)
        if out.edge_logits is not None:
            edge = balanced_edge_loss(resize(out.edge_logits, label.shape[-2:]), edge_target(label, self.ignore_index),
                                      self.ignore_index)
            terms["edge"] = self.edge_weight * edge
        for t, (scores, weight) in enumerate(zip(out.region_logits, self.region_weights, strict=True)):
            target = region_target(label, getattr(self, f"lookup_{t}"))
            terms[f"region_{t}"] = weight * self._ce(scores, target)
        total = sum(terms.values())
        return LossTerms(total, terms)  # type: ignore[arg-type]
