"""The Region-level Parsing Refiner (Zhou & Mok 2023) around an image-level parser (CE2P or DeepLabV3).

The image-level parser (t = 0) and n region-level parsers (t = 1..n, each with its own context and
high-resolution modules on the shared backbone features) predict P^0 and P^t (|L_t| + 1 classes).
Late fusion (Eq. 5) adds each region score to the image score of the class it stands for:
P*_k = P^0_k + sum over regions t covering k of P^t_{l_k}; background keeps P^0_0.
Mid fusion (Eq. 6) concatenates the branch features (and CE2P's edge features) and scores them with
two 1x1 convs. With no regions the model is the plain baseline and P* = P^0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from parsing.datasets.meta import Region
from parsing.models.ce2p import EdgePerceiving, FusionHead

FUSIONS = ("late", "mid")
BranchFactory = Callable[[int], nn.Module]  # num_classes -> branch returning (R*, P)


@dataclass
class ParsingOutput:
    """All score maps of one forward pass (logits, at the branch resolution: stride 4 for CE2P)."""

    logits: torch.Tensor                         # P*: the prediction (B, K, h, w)
    image_logits: torch.Tensor                   # P^0
    aux_logits: torch.Tensor | None = None       # P^dagger: CE2P's decoder output (None for DeepLabV3)
    edge_logits: torch.Tensor | None = None      # P^E: 2-class edge map (CE2P only)
    region_logits: list[torch.Tensor] = field(default_factory=list)  # P^t, t = 1..n


class ParsingNet(nn.Module):
    """Backbone + image-level parser + region-level parsers + fusion; forward returns `ParsingOutput`."""

    def __init__(
        self,
        encoder: nn.Module,
        make_branch: BranchFactory,
        num_classes: int,
        regions: Sequence[Region] = (),
        fusion: str = "late",
        edge: bool = True,
        width: float = 1.0,
    ) -> None:
        super().__init__()
        if fusion not in FUSIONS:
            raise ValueError(f"unknown fusion {fusion!r}; choose from {FUSIONS}")
        self.num_classes = num_classes
        self.regions = tuple(regions)
        self.fusion = fusion
        self.encoder = encoder
        self.image_branch = make_branch(num_classes)
        feature_channels = self.image_branch.out_channels
        self.edge = EdgePerceiving(tuple(encoder.channels[:3]), width) if edge else None
        # CE2P: P^0 from [R^0*, Fe]; the decoder's own scores are the auxiliary output P^dagger.
        self.image_head = FusionHead(feature_channels + self.edge.out_channels, num_classes, width) if edge else None
        self.region_branches = nn.ModuleList(make_branch(len(r.classes) + 1) for r in self.regions)
        self.mid_head = None
        if self.regions and fusion == "mid":
            cin = feature_channels + sum(b.out_channels for b in self.region_branches)
            cin += self.edge.out_channels if self.edge is not None else 0
            self.mid_head = FusionHead(cin, num_classes, width)
        for t, region in enumerate(self.regions):
            if max(region.classes) >= num_classes:
                raise ValueError(f"region {region.name!r} names classes beyond the {num_classes} of the label set")
            self.register_buffer(f"region_index_{t}", torch.tensor(region.classes, dtype=torch.long), persistent=False)

    def forward(self, x: torch.Tensor) -> ParsingOutput:
        feats = self.encoder(x)
        feature0, scores0 = self.image_branch(feats)
        aux = edge_logits = edge_features = None
        if self.edge is not None and self.image_head is not None:
            edge_features, edge_logits = self.edge(feats[:3])
            aux, image_logits = scores0, self.image_head(torch.cat([feature0, edge_features], dim=1))
        else:
            image_logits = scores0
        region_features, region_logits = [], []
        for branch in self.region_branches:
            feature, scores = branch(feats)
            region_features.append(feature)
            region_logits.append(scores)
        if not self.regions:
            logits = image_logits
        elif self.mid_head is not None:
            parts = [feature0, *region_features] + ([edge_features] if edge_features is not None else [])
            logits = self.mid_head(torch.cat(parts, dim=1))
        else:
            logits = self.late_fusion(image_logits, region_logits)
        return ParsingOutput(logits, image_logits, aux, edge_logits, region_logits)

    def late_fusion(self, image_logits: torch.Tensor, region_logits: list[torch.Tensor]) -> torch.Tensor:
        """Eq. 5: add each region's class scores (not its background) onto the image-level scores."""
        fused = image_logits
        for t, scores in enumerate(region_logits):
            index = getattr(self, f"region_index_{t}")
            fused = fused.index_add(1, index, scores[:, 1:].to(fused.dtype))
        return fused
