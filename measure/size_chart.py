"""Size charts as data: per size, ranges of named body measurements, for one garment type and sex.

A chart is JSON (schema in assets/size_charts/SCHEMA.md) or CSV (a retailer's spreadsheet, with
`# key: value` metadata lines on top). Loading validates everything and raises `SizeChartError`,
whose `field` names the wrong entry (`sizes[2].ranges.chest_girth`), so a retailer can fix the file.

Measurement names are those of `measure.definitions` (chest_girth, waist_girth, stature, ...);
common words (chest, bust, waist, hip, height, inseam, neck) are accepted and translated.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from measure.definitions import DEFINITIONS

SCHEMA_ID = "bodymeasure.size_chart/1"
GARMENTS = ("tops", "shirts", "jackets", "dresses", "trousers", "jeans", "skirts", "underwear", "other")
SEXES = ("male", "female", "unisex")
CHART_DIR = Path(__file__).resolve().parent.parent / "assets" / "size_charts"

ALIASES: dict[str, str] = {
    "chest": "chest_girth", "bust": "bust_girth", "underbust": "underbust_girth", "waist": "waist_girth",
    "hip": "hip_girth", "hips": "hip_girth", "seat": "hip_girth", "neck": "neck_girth", "collar": "neck_girth",
    "thigh": "thigh_girth", "height": "stature", "body_height": "stature", "inseam": "inside_leg",
    "inside_leg_length": "inside_leg", "sleeve": "arm_length", "head": "head_girth",
}


class SizeChartError(ValueError):
    """A size chart is wrong; `field` is the path of the offending entry, `source` the file (or '<dict>')."""

    def __init__(self, source: str, field_path: str, reason: str) -> None:
        self.source = source
        self.field = field_path
        self.reason = reason
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{field_path}: {reason}" if field_path else f"{where}{reason}")


@dataclass(frozen=True)
class Range:
    """A body-measurement band [low, high) in cm."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value < self.high

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass
class Size:
    label: str
    ranges: dict[str, Range]


@dataclass
class SizeChart:
    """A validated chart; `primary` dimensions decide the size, the others only report fit."""

    name: str
    garment: str
    sex: str
    primary: tuple[str, ...]
    sizes: list[Size]
    title: str = ""
    source: str = ""
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.sizes]

    @property
    def dimensions(self) -> list[str]:
        seen: list[str] = []
        for s in self.sizes:
            seen += [d for d in s.ranges if d not in seen]
        return seen

    def size(self, label: str) -> Size:
        for s in self.sizes:
            if s.label == label:
                return s
        raise KeyError(f"chart {self.name!r} has no size {label!r}; sizes: {', '.join(self.labels)}")

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA_ID, "name": self.name, "title": self.title, "garment": self.garment, "sex": self.sex,
            "source": self.source, "notes": self.notes, "primary": list(self.primary),
            "sizes": [{"label": s.label, "ranges": {d: [r.low, r.high] for d, r in s.ranges.items()}}
                      for s in self.sizes],
        }


def canonical_dimension(name: str) -> str | None:
    """Our measurement name for a chart column/key, or None when unknown."""
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key in DEFINITIONS:
        return key
    return ALIASES.get(key)


def _number(value: object, source: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SizeChartError(source, path, f"must be a number in cm, got {value!r}")
    if not (0 < float(value) < 400):
        raise SizeChartError(source, path, f"{value} cm is not a plausible body measurement")
    return float(value)


def chart_from_dict(data: object, source: str = "<dict>") -> SizeChart:
    """Validate a chart given as plain data (parsed JSON); see SCHEMA.md for the fields."""
    if not isinstance(data, dict):
        raise SizeChartError(source, "", "a size chart must be a JSON object")
    schema = data.get("schema", SCHEMA_ID)
    if schema != SCHEMA_ID:
        raise SizeChartError(source, "schema", f"unknown schema {schema!r}; expected {SCHEMA_ID!r}")
    for key in ("name", "garment", "sex", "primary", "sizes"):
        if key not in data:
            raise SizeChartError(source, key, "missing")
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise SizeChartError(source, "name", "must be a non-empty string")
    if data["garment"] not in GARMENTS:
        raise SizeChartError(source, "garment", f"{data['garment']!r} is not one of {', '.join(GARMENTS)}")
    if data["sex"] not in SEXES:
        raise SizeChartError(source, "sex", f"{data['sex']!r} is not one of {', '.join(SEXES)}")
    prim = data["primary"]
    if isinstance(prim, str):
        prim = [prim]
    if not isinstance(prim, list) or not prim:
        raise SizeChartError(source, "primary", "must list at least one measurement name")
    primary: list[str] = []
    for i, p in enumerate(prim):
        dim = canonical_dimension(p) if isinstance(p, str) else None
        if dim is None:
            raise SizeChartError(source, f"primary[{i}]", f"unknown measurement {p!r}")
        primary.append(dim)
    sizes_in = data["sizes"]
    if not isinstance(sizes_in, list) or not sizes_in:
        raise SizeChartError(source, "sizes", "must be a non-empty list")
    sizes: list[Size] = []
    labels: set[str] = set()
    for i, s in enumerate(sizes_in):
        path = f"sizes[{i}]"
        if not isinstance(s, dict):
            raise SizeChartError(source, path, "must be an object with 'label' and 'ranges'")
        label = s.get("label")
        if not isinstance(label, str) or not label.strip():
            raise SizeChartError(source, f"{path}.label", "must be a non-empty string")
        if label in labels:
            raise SizeChartError(source, f"{path}.label", f"size {label!r} appears twice")
        labels.add(label)
        ranges_in = s.get("ranges")
        if not isinstance(ranges_in, dict) or not ranges_in:
            raise SizeChartError(source, f"{path}.ranges", "must map measurement names to [min, max] in cm")
        ranges: dict[str, Range] = {}
        for key, rng in ranges_in.items():
            rpath = f"{path}.ranges.{key}"
            dim = canonical_dimension(key) if isinstance(key, str) else None
            if dim is None:
                raise SizeChartError(source, rpath, f"unknown measurement {key!r}")
            if not isinstance(rng, (list, tuple)) or len(rng) != 2:
                raise SizeChartError(source, rpath, f"must be [min, max] in cm, got {rng!r}")
            lo, hi = _number(rng[0], source, f"{rpath}[0]"), _number(rng[1], source, f"{rpath}[1]")
            if lo >= hi:
                raise SizeChartError(source, rpath, f"min {lo:g} must be below max {hi:g}")
            ranges[dim] = Range(lo, hi)
        for j, dim in enumerate(primary):
            if dim not in ranges:
                raise SizeChartError(source, f"{path}.ranges", f"has no range for primary measurement {prim[j]!r}")
        sizes.append(Size(label.strip(), ranges))
    extra = {k: v for k, v in data.items() if k not in {"schema", "name", "title", "garment", "sex", "source",
                                                          "notes", "primary", "sizes"}}
    return SizeChart(name.strip(), data["garment"], data["sex"], tuple(primary), sizes,
                     str(data.get("title", "")), str(data.get("source", "")), str(data.get("notes", "")), extra)


def chart_from_csv(text: str, source: str = "<csv>", **metadata: object) -> SizeChart:
    """A chart from CSV text: a `size` column, then per measurement `<name>_min`/`<name>_max` columns or
    one `<name>` column holding 'min-max'. Metadata (name, garment, sex, primary, title, source) come
    from `# key: value` lines before the header or from keyword arguments (which win).
    `primary` may list several names separated by spaces, commas or semicolons.
    """
    meta: dict[str, object] = {}
    body: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            key, sep, value = stripped[1:].partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip()
        elif stripped:
            body.append(line)
    meta.update({k: v for k, v in metadata.items() if v is not None})
    rows = list(csv.reader(io.StringIO("\n".join(body))))
    if not rows:
        raise SizeChartError(source, "header", "no header row")
    header = [h.strip() for h in rows[0]]
    lower = [h.lower() for h in header]
    if "size" not in lower:
        raise SizeChartError(source, "header", "needs a 'size' column")
    size_col = lower.index("size")
    columns: dict[str, dict[str, int]] = {}
    for c, h in enumerate(lower):
        if c == size_col:
            continue
        base, part = h, "both"
        for suffix, which in (("_min", "min"), ("_max", "max"), (" min", "min"), (" max", "max")):
            if h.endswith(suffix):
                base, part = h[: -len(suffix)], which
        columns.setdefault(base, {})[part] = c
    sizes = []
    for r, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SizeChartError(source, f"row {r}", f"has {len(row)} cells, the header has {len(header)}")
        ranges: dict[str, list[float]] = {}
        for base, cols in columns.items():
            try:
                if "both" in cols:
                    cell = row[cols["both"]].strip()
                    if not cell:
                        continue
                    lo_s, _, hi_s = cell.replace("\u2013", "-").partition("-")
                    lo, hi = float(lo_s), float(hi_s)
                else:
                    if "min" not in cols or "max" not in cols:
                        raise SizeChartError(source, f"header.{base}", "needs both _min and _max columns")
                    if not row[cols["min"]].strip() and not row[cols["max"]].strip():
                        continue
                    lo, hi = float(row[cols["min"]]), float(row[cols["max"]])
            except ValueError as exc:
                reason = "must be numbers (cm) as 'min-max' or min/max columns"
                raise SizeChartError(source, f"row {r}.{base}", reason) from exc
            ranges[base] = [lo, hi]
        sizes.append({"label": row[size_col].strip(), "ranges": ranges})
    primary = meta.get("primary")
    if isinstance(primary, str):
        primary = [p for p in primary.replace(",", " ").replace(";", " ").split() if p]
    data = {"name": meta.get("name", Path(source).stem), "title": meta.get("title", ""),
            "garment": meta.get("garment"), "sex": meta.get("sex"), "source": meta.get("source", ""),
            "primary": primary, "sizes": sizes}
    for key in ("garment", "sex", "primary"):
        if data[key] is None:
            raise SizeChartError(source, key, f"missing: add a '# {key}: ...' line above the header")
    return chart_from_dict(data, source)


def shipped_charts() -> list[str]:
    """Names of the charts shipped in assets/size_charts."""
    return sorted(p.stem for p in CHART_DIR.glob("*.json"))


def load_chart(name_or_path: str | Path) -> SizeChart:
    """A shipped chart by name (see `shipped_charts()`), or a .json / .csv file."""
    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        shipped = CHART_DIR / f"{name_or_path}.json"
        if not shipped.is_file():
            raise SizeChartError(str(name_or_path), "", f"no such shipped chart; known: {', '.join(shipped_charts())}")
        path = shipped
    if not path.is_file():
        raise SizeChartError(str(path), "", "file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SizeChartError(str(path), "", f"cannot read: {exc}") from exc
    if path.suffix.lower() == ".csv":
        return chart_from_csv(text, str(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SizeChartError(str(path), "", f"not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    return chart_from_dict(data, str(path))
