"""One factory for every parser: `build_model(arch, backbone, dataset_meta, regions, fusion)`.

`arch` is the image-level parser (`ce2p`, `deeplabv3`) or its RPR version (`rpr-ce2p`,
`rpr-deeplabv3`, which default to the label set's paper regions). `ModelSpec` is the JSON-able
description stored in checkpoints, from which `Parser` rebuilds the same network.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from parsing.datasets.meta import DatasetMeta, Region
from parsing.models.backbones import build_backbone
from parsing.models.ce2p import CE2PBranch
from parsing.models.deeplab import DeepLabBranch
from parsing.models.rpr import ParsingNet

ARCHS = ("ce2p", "deeplabv3", "rpr-ce2p", "rpr-deeplabv3")


@dataclass
class ModelSpec:
    """Everything needed to rebuild a parser (no weights): stored as JSON in each checkpoint."""

    arch: str                                  # ce2p | deeplabv3 (the image-level parser)
    backbone: str
    meta: DatasetMeta
    regions: tuple[Region, ...] = ()
    fusion: str = "late"
    width: float = 1.0

    @property
    def name(self) -> str:
        if not self.regions:
            return self.arch.upper()
        tag = "+".join(r.name for r in self.regions)
        return f"RPR-{self.arch.upper()}[{tag}, {self.fusion}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "arch": self.arch, "backbone": self.backbone, "meta": self.meta.to_dict(),
            "regions": [r.to_dict() for r in self.regions], "fusion": self.fusion, "width": self.width,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        return cls(
            arch=str(data["arch"]), backbone=str(data["backbone"]), meta=DatasetMeta.from_dict(data["meta"]),
            regions=tuple(Region.from_dict(r) for r in data.get("regions", [])),
            fusion=str(data.get("fusion", "late")), width=float(data.get("width", 1.0)),
        )


@dataclass
class BuiltModel:
    """The network and its spec (what `build_model` returns)."""

    net: ParsingNet
    spec: ModelSpec

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.net.parameters())


def resolve_regions(arch: str, meta: DatasetMeta, regions: Sequence[Region] | Iterable[str] | None) -> tuple[
        str, tuple[Region, ...]]:
    """(base arch, regions): `rpr-*` with None takes the meta's default regions; names are looked up."""
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; choose from {', '.join(ARCHS)}")
    base = arch.removeprefix("rpr-")
    if regions is None:
        return base, meta.select_regions() if arch.startswith("rpr-") else ()
    items = list(regions)
    if all(isinstance(r, str) for r in items):
        return base, meta.select_regions(items)  # type: ignore[arg-type]
    return base, tuple(items)  # type: ignore[arg-type]


def build_model(
    arch: str,
    backbone: str,
    dataset_meta: DatasetMeta,
    regions: Sequence[Region] | Iterable[str] | None = None,
    fusion: str = "late",
    width: float = 1.0,
    pretrained_backbone: bool = False,
) -> BuiltModel:
    """A parser network for a label set. `regions`: Region objects, region names, or None (see module doc)."""
    base, chosen = resolve_regions(arch, dataset_meta, regions)
    spec = ModelSpec(base, backbone, dataset_meta, chosen, fusion, width)
    return BuiltModel(build_from_spec(spec, pretrained_backbone), spec)


def build_from_spec(spec: ModelSpec, pretrained_backbone: bool = False) -> ParsingNet:
    encoder = build_backbone(spec.backbone, pretrained_backbone)
    branch_cls = CE2PBranch if spec.arch == "ce2p" else DeepLabBranch
    make_branch = partial(_make_branch, branch_cls, tuple(encoder.channels), spec.width)
    return ParsingNet(encoder, make_branch, spec.meta.num_classes, spec.regions, spec.fusion,
                      edge=spec.arch == "ce2p", width=spec.width)


def _make_branch(cls: type, channels: tuple[int, ...], width: float, num_classes: int):
    return cls(channels, num_classes, width)
