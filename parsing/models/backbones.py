"""ResNet encoders returning F1..F4 (strides 4, 8, 16, 16): the shared trunk of every parser.

F4 stays at stride 16 as in CE2P: the last stage trades its stride for dilation 2. torchvision's
Bottleneck supports that (`replace_stride_with_dilation`); its BasicBlock refuses dilation, so
ResNet-18/34 use `DilatedBasicBlock`, a BasicBlock whose 3x3 convolutions take a dilation. Layer names
match torchvision's, so ImageNet weights load unchanged (`pretrained=True`, needs a network).
`tiny` is a narrow 4-stage ResNet for tests and smoke runs, not for real photos. `slim18` is ResNet-18's
layout at half its widths (32..256 channels, a quarter of the FLOPs): the shipped CPU parser, trained
from scratch since no ImageNet weights can be fetched here.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn
from torchvision.models import resnet as tv_resnet


class DilatedBasicBlock(tv_resnet.BasicBlock):
    """torchvision's BasicBlock with dilated 3x3 convolutions (same parameter names and shapes)."""

    def __init__(
        self,
        inplanes: int,
        planes: int,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        dilation: int = 1,
        norm_layer: Callable[..., nn.Module] | None = None,
    ) -> None:
        super().__init__(inplanes, planes, stride, downsample, groups, base_width, 1, norm_layer)
        if dilation > 1:
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, padding=dilation, dilation=dilation, bias=False)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=dilation, dilation=dilation, bias=False)


_SPECS: dict[str, tuple[type[nn.Module], list[int], Callable[..., nn.Module]]] = {
    "resnet18": (DilatedBasicBlock, [2, 2, 2, 2], tv_resnet.resnet18),
    "resnet34": (DilatedBasicBlock, [3, 4, 6, 3], tv_resnet.resnet34),
    "resnet50": (tv_resnet.Bottleneck, [3, 4, 6, 3], tv_resnet.resnet50),
    "resnet101": (tv_resnet.Bottleneck, [3, 4, 23, 3], tv_resnet.resnet101),
}
_WEIGHTS = {
    "resnet18": "ResNet18_Weights", "resnet34": "ResNet34_Weights",
    "resnet50": "ResNet50_Weights", "resnet101": "ResNet101_Weights",
}
BACKBONES: tuple[str, ...] = (*_SPECS, "slim18", "tiny")


class ResNetEncoder(nn.Module):
    """A ResNet trunk (stem + 4 stages) whose forward returns [F1, F2, F3, F4]."""

    def __init__(self, net: tv_resnet.ResNet) -> None:
        super().__init__()
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.layer1, self.layer2, self.layer3, self.layer4 = net.layer1, net.layer2, net.layer3, net.layer4
        self.channels: tuple[int, int, int, int] = tuple(  # type: ignore[assignment]
            _out_channels(layer) for layer in (self.layer1, self.layer2, self.layer3, self.layer4)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        f1 = self.layer1(self.stem(x))
        f2 = self.layer2(f1)
        f3 = self.layer3(f2)
        f4 = self.layer4(f3)
        return [f1, f2, f3, f4]


def _out_channels(layer: nn.Sequential) -> int:
    block = layer[-1]
    last_bn = block.bn3 if hasattr(block, "bn3") else block.bn2
    return int(last_bn.num_features)


class NarrowEncoder(nn.Module):
    """A 4-stage residual encoder of BasicBlocks at chosen widths, with the ResNet strides (4, 8, 16, 16)."""

    def __init__(self, widths: tuple[int, int, int, int] = (16, 24, 32, 48), blocks: int = 1,
                 stem_kernel: int = 3) -> None:
        super().__init__()
        w1, w2, w3, w4 = widths
        self.stem = nn.Sequential(
            nn.Conv2d(3, w1, stem_kernel, 2, stem_kernel // 2, bias=False), nn.BatchNorm2d(w1),
            nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1),
        )
        self.layer1 = _narrow_stage(w1, w1, 1, 1, blocks)
        self.layer2 = _narrow_stage(w1, w2, 2, 1, blocks)
        self.layer3 = _narrow_stage(w2, w3, 2, 1, blocks)
        self.layer4 = _narrow_stage(w3, w4, 1, 2, blocks)
        self.channels = widths

    forward = ResNetEncoder.forward


def _narrow_stage(cin: int, cout: int, stride: int, dilation: int, blocks: int) -> nn.Module:
    down = None
    if stride != 1 or cin != cout:
        down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
    layers = [DilatedBasicBlock(cin, cout, stride, down, dilation=dilation)]
    layers += [DilatedBasicBlock(cout, cout, dilation=dilation) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


def build_backbone(name: str, pretrained: bool = False) -> nn.Module:
    """An encoder by name (resnet18/34/50/101, tiny); `pretrained` loads torchvision's ImageNet weights."""
    if name in ("tiny", "slim18"):
        if pretrained:
            raise ValueError(f"the {name} backbone has no pretrained weights")
        if name == "tiny":
            return NarrowEncoder()
        return NarrowEncoder((32, 64, 128, 256), blocks=2, stem_kernel=7)
    if name not in _SPECS:
        raise ValueError(f"unknown backbone {name!r}; choose from {', '.join(BACKBONES)}")
    block, layers, _ = _SPECS[name]
    net = tv_resnet.ResNet(block, layers, replace_stride_with_dilation=[False, False, True])  # type: ignore[arg-type]
    if pretrained:
        weights = getattr(tv_resnet, _WEIGHTS[name]).IMAGENET1K_V1
        net.load_state_dict(weights.get_state_dict(progress=True))
    return ResNetEncoder(net)
