"""CE2P's modules (Liu et al. 2019), as the RPR paper reuses them: CEM, HREM, EPM and the fusion head.

Widths follow the reference CE2P code (512-channel pyramid pooling, 256-channel decoder, 48-channel
low-level projection, 256-channel edge features), scaled by `width` for small models. With
ResNet-101 this gives the paper's 66.6M parameters for CE2P.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn_relu(cin: int, cout: int, k: int = 1, dilation: int = 1) -> nn.Sequential:
    pad = dilation * (k // 2)
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def resize(x: torch.Tensor, size: tuple[int, int] | torch.Size) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=tuple(size), mode="bilinear", align_corners=False)


def scaled(channels: int, width: float) -> int:
    return max(4, int(round(channels * width)))


class ContextEmbedding(nn.Module):
    """CEM: pyramid pooling (bins 1, 2, 3, 6) on F4, concatenated with F4, fused by a 3x3 conv -> R."""

    def __init__(self, cin: int, cout: int, bins: tuple[int, ...] = (1, 2, 3, 6)) -> None:
        super().__init__()
        self.stages = nn.ModuleList(
            nn.Sequential(nn.AdaptiveAvgPool2d(b), conv_bn_relu(cin, cout, 1)) for b in bins
        )
        self.bottleneck = nn.Sequential(conv_bn_relu(cin + len(bins) * cout, cout, 3), nn.Dropout2d(0.1))
        self.out_channels = cout

    def forward(self, f4: torch.Tensor) -> torch.Tensor:
        size = f4.shape[-2:]
        pooled = [resize(stage(f4), size) for stage in self.stages]
        return self.bottleneck(torch.cat([*pooled, f4], dim=1))


class HighResolutionEmbedding(nn.Module):
    """HREM: R* = two 1x1 convs on [upsampled conv1x1(R), conv1x1(F1)]; a 1x1 conv scores R* -> P."""

    def __init__(self, cin: int, low_cin: int, num_classes: int, width: float = 1.0) -> None:
        super().__init__()
        mid, low = scaled(256, width), scaled(48, width)
        self.reduce = conv_bn_relu(cin, mid, 1)
        self.low = conv_bn_relu(low_cin, low, 1)
        self.fuse = nn.Sequential(conv_bn_relu(mid + low, mid, 1), conv_bn_relu(mid, mid, 1))
        self.classifier = nn.Conv2d(mid, num_classes, 1)
        self.out_channels = mid

    def forward(self, r: torch.Tensor, f1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        top = resize(self.reduce(r), f1.shape[-2:])
        feature = self.fuse(torch.cat([top, self.low(f1)], dim=1))
        return feature, self.classifier(feature)


class EdgePerceiving(nn.Module):
    """EPM: 1x1 convs on F1, F2, F3 give edge features Fe (concatenated) and an edge map P^E (2 classes)."""

    def __init__(self, in_channels: tuple[int, int, int], width: float = 1.0) -> None:
        super().__init__()
        mid = scaled(256, width)
        self.reduce = nn.ModuleList(conv_bn_relu(c, mid, 1) for c in in_channels)
        self.edge = nn.Conv2d(mid, 2, 3, padding=1)  # shared over the three levels, as in CE2P
        self.fuse = nn.Conv2d(2 * len(in_channels), 2, 1)
        self.out_channels = mid * len(in_channels)

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        size = feats[0].shape[-2:]
        features = [resize(r(f), size) for r, f in zip(self.reduce, feats, strict=True)]
        edges = [self.edge(f) for f in features]
        return torch.cat(features, dim=1), self.fuse(torch.cat(edges, dim=1))


class FusionHead(nn.Module):
    """Two 1x1 convs from concatenated features to class scores (CE2P's final layer, Eq. 6's fusion)."""

    def __init__(self, cin: int, num_classes: int, width: float = 1.0) -> None:
        super().__init__()
        mid = scaled(256, width)
        self.body = nn.Sequential(conv_bn_relu(cin, mid, 1), nn.Dropout2d(0.1), nn.Conv2d(mid, num_classes, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class CE2PBranch(nn.Module):
    """One parser (image-level or region-level): its own CEM on F4 and HREM with F1."""

    def __init__(self, channels: tuple[int, ...], num_classes: int, width: float = 1.0) -> None:
        super().__init__()
        self.context = ContextEmbedding(channels[3], scaled(512, width))
        self.hrem = HighResolutionEmbedding(self.context.out_channels, channels[0], num_classes, width)
        self.out_channels = self.hrem.out_channels

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(R*, P): the high-resolution feature and its class scores, at F1's resolution."""
        return self.hrem(self.context(feats[3]), feats[0])
