"""DeepLabV3's head as a parsing branch: ASPP on F4 (rates 6/12/18 for output stride 16), a 3x3 conv
(the branch feature R*) and a 1x1 classifier. No edge module and no auxiliary output."""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models.segmentation.deeplabv3 import ASPP

from parsing.models.ce2p import conv_bn_relu, scaled


class DeepLabBranch(nn.Module):
    """One DeepLabV3 parser (image-level or region-level) on F4, at stride 16."""

    def __init__(self, channels: tuple[int, ...], num_classes: int, width: float = 1.0,
                 rates: tuple[int, int, int] = (6, 12, 18)) -> None:
        super().__init__()
        mid = scaled(256, width)
        self.aspp = ASPP(channels[3], list(rates), out_channels=mid)
        self.feature = conv_bn_relu(mid, mid, 3)
        self.classifier = nn.Conv2d(mid, num_classes, 1)
        self.out_channels = mid

    def forward(self, feats: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        feature = self.feature(self.aspp(feats[3]))
        return feature, self.classifier(feature)
