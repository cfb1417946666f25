"""Size recommendation: which size of a chart fits a body, how well, and how sure we are.

Each size is scored by where the body's primary measurements fall in that size's bands: the
position u = (value - low) / (high - low) is 0 at the band's lower edge and 1 at its upper edge.
A regular fit wants the body in the middle of the band (u = 0.5); a slim fit prefers the size in
which the body sits high in its band (u = 0.75, the smaller garment), a loose fit the size in which
it sits low (u = 0.25, the larger garment). The score is the mean squared distance of u from that
target over the primary measurements; the best and runner-up sizes are the two lowest scores. So a
preference changes the answer only for a body in the outer quarter of a band: slim then takes the
smaller size (reported 'tight' by at most a quarter band), loose the larger one ('loose').

With 8 cm bands, a 2 cm error moves about a quarter of people into the next size, so the answer
also says when a primary measurement lies within its uncertainty of a band edge, and gives the
runner-up. A person below the smallest or above the largest size is told so, with the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from measure.definitions import DEFINITIONS
from measure.size_chart import Size, SizeChart

PREFERENCE_TARGET = {"slim": 0.75, "regular": 0.5, "loose": 0.25}
# Typical 1-sigma errors of photo-based measurement (DESIGN.md section 5: apps claim 1.5-2.5 cm).
DEFAULT_UNCERTAINTY_CM = {"girth": 2.0, "length": 1.5, "height": 1.0}


class SizingError(ValueError):
    """The measurements cannot be sized on this chart (a primary measurement is missing or not a number)."""


@dataclass
class DimensionFit:
    """How one body measurement compares with the chosen size's band.

    status: girths 'tight' (body above the band), 'fits', 'loose' (below); lengths and heights
    'short' (body above the band: the garment is too short), 'fits', 'long'.
    """

    name: str
    value_cm: float
    low_cm: float
    high_cm: float
    status: str
    primary: bool
    near_edge: bool = False

    def to_dict(self) -> dict:
        return {"value_cm": round(self.value_cm, 2), "range_cm": [self.low_cm, self.high_cm], "status": self.status,
                "primary": self.primary, "near_edge": self.near_edge}


@dataclass
class SizeRecommendation:
    """The answer for one chart. `size` is None only when the chart has no size at all to offer.

    out_of_chart: None, 'below_smallest' or 'above_largest' (then `size` is the nearest size and
    `message` says by how much the person is outside). near_edge: a primary measurement is within
    its uncertainty of its band's edge in the chosen size, so the runner-up may fit as well.
    """

    chart: str
    size: str | None
    runner_up: str | None
    preference: str
    fit: dict[str, DimensionFit]
    near_edge: bool
    near_edge_dimensions: list[str]
    out_of_chart: str | None
    message: str
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def in_chart(self) -> bool:
        return self.out_of_chart is None

    def to_dict(self) -> dict:
        return {"chart": self.chart, "size": self.size, "runner_up": self.runner_up, "preference": self.preference,
                "fit": {k: f.to_dict() for k, f in self.fit.items()}, "near_edge": self.near_edge,
                "near_edge_dimensions": self.near_edge_dimensions, "out_of_chart": self.out_of_chart,
                "message": self.message}


def _values_cm(measurements: object) -> dict[str, float]:
    if hasattr(measurements, "as_cm"):
        return dict(measurements.as_cm())  # type: ignore[union-attr]
    if isinstance(measurements, Mapping):
        out = {}
        for k, v in measurements.items():
            value = getattr(v, "value_cm", v)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SizingError(f"measurement {k!r} must be a number in cm, got {value!r}")
            out[str(k)] = float(value)
        return out
    raise SizingError("measurements must be a Measurements object or a {name: cm} mapping")


def _uncertainty(name: str, uncertainties: Mapping[str, float] | None) -> float:
    if uncertainties is not None and name in uncertainties:
        return float(uncertainties[name])
    kind = DEFINITIONS[name].kind if name in DEFINITIONS else "girth"
    return DEFAULT_UNCERTAINTY_CM[kind]


def _status(name: str, value: float, low: float, high: float) -> str:
    length = name in DEFINITIONS and DEFINITIONS[name].kind != "girth"
    if value >= high:
        return "short" if length else "tight"
    if value < low:
        return "long" if length else "loose"
    return "fits"


def _score(size: Size, values: dict[str, float], primary: tuple[str, ...], target: float) -> float:
    """Mean over the primaries of (u - target)^2."""
    total = 0.0
    for dim in primary:
        r = size.ranges[dim]
        u = (values[dim] - r.low) / r.width
        total += (u - target) ** 2
    return total / len(primary)


def recommend(measurements: object, chart: SizeChart, uncertainties: Mapping[str, float] | None = None,
              preference: str = "regular") -> SizeRecommendation:
    """Best size and runner-up on `chart` for a body (`Measurements` or {name: cm}).

    uncertainties: {name: cm} 1-sigma errors of the measurements (defaults by kind: girths 2 cm,
    lengths 1.5 cm, heights 1 cm); preference: 'slim', 'regular' or 'loose'.
    """
    if preference not in PREFERENCE_TARGET:
        raise SizingError(f"preference must be one of {', '.join(PREFERENCE_TARGET)}, got {preference!r}")
    values = _values_cm(measurements)
    missing = [d for d in chart.primary if d not in values]
    if missing:
        raise SizingError(f"chart {chart.name!r} sizes by {', '.join(chart.primary)}; missing: {', '.join(missing)}")
    target = PREFERENCE_TARGET[preference]
    scores = {s.label: _score(s, values, chart.primary, target) for s in chart.sizes}
    order = sorted(chart.sizes, key=lambda s: scores[s.label])
    best = order[0]
    runner_up = order[1].label if len(order) > 1 else None

    fit: dict[str, DimensionFit] = {}
    edge_dims: list[str] = []
    for dim, r in best.ranges.items():
        if dim not in values:
            continue
        v = values[dim]
        prim = dim in chart.primary
        near = prim and r.low <= v < r.high and min(v - r.low, r.high - v) <= _uncertainty(dim, uncertainties)
        fit[dim] = DimensionFit(dim, v, r.low, r.high, _status(dim, v, r.low, r.high), prim, near)
        if near:
            edge_dims.append(dim)

    out_of_chart, notes = None, []
    for dim in chart.primary:
        lows = [s.ranges[dim].low for s in chart.sizes]
        highs = [s.ranges[dim].high for s in chart.sizes]
        v = values[dim]
        if v < min(lows):
            out_of_chart = out_of_chart or "below_smallest"
            notes.append(f"{dim} {v:.1f} cm is {min(lows) - v:.1f} cm below the smallest size's range "
                         f"(from {min(lows):g} cm)")
        elif v >= max(highs):
            out_of_chart = out_of_chart or "above_largest"
            notes.append(f"{dim} {v:.1f} cm is {v - max(highs):.1f} cm above the largest size's range "
                         f"(up to {max(highs):g} cm)")
    if out_of_chart:
        message = f"outside chart {chart.name}: " + "; ".join(notes) + f"; nearest size {best.label}"
    else:
        message = f"size {best.label} ({preference} fit)"
        loose_tight = [f"{d} {f.status}" for d, f in fit.items() if f.status != "fits"]
        if loose_tight:
            message += "; " + ", ".join(loose_tight)
        if edge_dims and runner_up:
            message += f"; near a size edge ({', '.join(edge_dims)}): {runner_up} may fit too"
    return SizeRecommendation(chart.name, best.label, runner_up, preference, fit, bool(edge_dims), edge_dims,
                              out_of_chart, message, scores)
