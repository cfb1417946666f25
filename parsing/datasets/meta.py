"""Dataset metadata in one place: class names, palette, flip pairs and the paper's regions.

Everything that depends on a label set (mirror augmentation, flip test, region branches, colouring)
reads it from a `DatasetMeta`, never from hard-coded ids. LIP/CIHP names and flip pairs come from
`body_model.lip_labels`, the project's single LIP vocabulary. A region is data (a name and its class
ids), so a third region branch is one line in `regions`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from body_model.lip_labels import FLIP_PAIRS as LIP_FLIP_PAIRS
from body_model.lip_labels import LIP_CLASSES

IGNORE_INDEX = 255


@dataclass(frozen=True)
class Region:
    """A region-level parsing task: its name and the image-level class ids it covers (in order)."""

    name: str
    classes: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "classes": list(self.classes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Region:
        return cls(str(data["name"]), tuple(int(c) for c in data["classes"]))


def voc_palette(n: int) -> tuple[tuple[int, int, int], ...]:
    """The PASCAL VOC bit-interleaved palette (what LIP/CIHP/ATR visualisations use)."""
    colours = []
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        colours.append((r, g, b))
    return tuple(colours)


@dataclass(frozen=True)
class DatasetMeta:
    """A label set: names (index = id), palette, left/right flip pairs and named regions."""

    name: str
    classes: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...] = ()
    regions: dict[str, Region] = field(default_factory=dict)
    default_regions: tuple[str, ...] = ()
    palette: tuple[tuple[int, int, int], ...] = ()
    ignore_index: int = IGNORE_INDEX

    def __post_init__(self) -> None:
        if not self.palette:
            object.__setattr__(self, "palette", voc_palette(len(self.classes)))
        n = len(self.classes)
        for a, b in self.flip_pairs:
            if not (0 <= a < n and 0 <= b < n):
                raise ValueError(f"{self.name}: flip pair ({a}, {b}) outside 0..{n - 1}")
        for region in self.regions.values():
            bad = [c for c in region.classes if not 0 < c < n]
            if bad or len(set(region.classes)) != len(region.classes) or not region.classes:
                raise ValueError(f"{self.name}: region {region.name!r} has bad class ids {list(region.classes)}")

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def flip_permutation(self) -> list[int]:
        """perm[k] = the id class k becomes in a mirrored image (identity except the flip pairs)."""
        perm = list(range(self.num_classes))
        for a, b in self.flip_pairs:
            perm[a], perm[b] = b, a
        return perm

    def class_id(self, name: str) -> int:
        return self.classes.index(name)

    def select_regions(self, names: Iterable[str] | None = None) -> tuple[Region, ...]:
        """Regions by name (None = the paper's default set for this label set)."""
        names = self.default_regions if names is None else tuple(names)
        missing = [n for n in names if n not in self.regions]
        if missing:
            raise KeyError(f"{self.name}: unknown region(s) {missing}; known: {sorted(self.regions)}")
        return tuple(self.regions[n] for n in names)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, stored in checkpoints so a model carries its own label set."""
        return {
            "name": self.name,
            "classes": list(self.classes),
            "flip_pairs": [list(p) for p in self.flip_pairs],
            "regions": {k: r.to_dict() for k, r in self.regions.items()},
            "default_regions": list(self.default_regions),
            "palette": [list(c) for c in self.palette],
            "ignore_index": self.ignore_index,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetMeta:
        return cls(
            name=str(data["name"]),
            classes=tuple(str(c) for c in data["classes"]),
            flip_pairs=tuple((int(a), int(b)) for a, b in data.get("flip_pairs", [])),
            regions={k: Region.from_dict(v) for k, v in data.get("regions", {}).items()},
            default_regions=tuple(data.get("default_regions", [])),
            palette=tuple(tuple(int(x) for x in c) for c in data.get("palette", [])),  # type: ignore[misc]
            ignore_index=int(data.get("ignore_index", IGNORE_INDEX)),
        )


def _regions(classes: Sequence[str], spec: dict[str, Sequence[str]]) -> dict[str, Region]:
    return {name: Region(name, tuple(classes.index(c) for c in members)) for name, members in spec.items()}


# The paper's regions (section 4.1.3); "sunglasses" is the third region of its RPR3 ablation.
_LIP_REGION_SPEC = {
    "head": ("hat", "face", "sunglasses", "hair"),
    "body": (
        "glove", "upper_clothes", "dress", "coat", "socks", "pants", "jumpsuits", "scarf", "skirt", "face",
        "left_arm", "right_arm", "left_leg", "right_leg", "left_shoe", "right_shoe",
    ),
    "sunglasses": ("sunglasses",),
}

LIP = DatasetMeta(
    name="lip",
    classes=LIP_CLASSES,
    flip_pairs=LIP_FLIP_PAIRS,
    regions=_regions(LIP_CLASSES, _LIP_REGION_SPEC),
    default_regions=("head", "body"),
)

# CIHP shares LIP's ids; its class 10 is torso-skin where LIP has jumpsuits (same index, same role in regions).
CIHP_CLASSES = tuple("torso_skin" if c == "jumpsuits" else c for c in LIP_CLASSES)
CIHP = DatasetMeta(
    name="cihp",
    classes=CIHP_CLASSES,
    flip_pairs=LIP_FLIP_PAIRS,
    regions={k: Region(k, r.classes) for k, r in LIP.regions.items()},
    default_regions=("head", "body"),
)

ATR_CLASSES: tuple[str, ...] = (
    "background", "hat", "hair", "sunglasses", "upper_clothes", "skirt", "pants", "dress", "belt",
    "left_shoe", "right_shoe", "face", "left_leg", "right_leg", "left_arm", "right_arm", "bag", "scarf",
)
# The paper's body list omits belt and bag (ATR has no glove, coat, socks, jumpsuit).
_ATR_REGION_SPEC = {
    "head": ("hat", "face", "sunglasses", "hair"),
    "body": (
        "upper_clothes", "dress", "pants", "scarf", "skirt", "face", "left_arm", "right_arm", "left_leg",
        "right_leg", "left_shoe", "right_shoe",
    ),
    "sunglasses": ("sunglasses",),
}
ATR = DatasetMeta(
    name="atr",
    classes=ATR_CLASSES,
    flip_pairs=((9, 10), (12, 13), (14, 15)),
    regions=_regions(ATR_CLASSES, _ATR_REGION_SPEC),
    default_regions=("head", "body"),
)

# Clothing Co-Parsing: 59 ids (label_list.mat order). No left/right classes, so no flip pairs.
CCP_CLASSES: tuple[str, ...] = (
    "null", "accessories", "bag", "belt", "blazer", "blouse", "bodysuit", "boots", "bra", "bracelet", "cape",
    "cardigan", "clogs", "coat", "dress", "earrings", "flats", "glasses", "gloves", "hair", "hat", "heels",
    "hoodie", "intimate", "jacket", "jeans", "jumper", "leggings", "loafers", "necklace", "panties", "pants",
    "pumps", "purse", "ring", "romper", "sandals", "scarf", "shirt", "shoes", "shorts", "skin", "skirt",
    "sneakers", "socks", "stockings", "suit", "sunglasses", "sweater", "sweatshirt", "swimwear", "t-shirt",
    "tie", "tights", "top", "vest", "wallet", "watch", "wedges",
)
CCP = DatasetMeta(name="ccp", classes=CCP_CLASSES)

# The CCP -> LIP conversion (tables and geometric splits) lives in parsing.ccp_to_lip.

DATASETS: dict[str, DatasetMeta] = {"lip": LIP, "cihp": CIHP, "atr": ATR, "ccp": CCP}


def get_meta(name: str) -> DatasetMeta:
    """Metadata by dataset name (lip, cihp, atr, ccp)."""
    try:
        return DATASETS[name.lower()]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {sorted(DATASETS)}") from None
