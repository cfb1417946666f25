"""Which size charts a measurement is sized on, and their answers as `Result` entries.

`--chart` takes a chart file (.json/.csv), a shipped chart's name, or a family prefix of shipped
charts (default "en13402": the EN 13402-3 letter sizes, one chart per garment and sex). A family is
narrowed to the person's sex (given, or else the fitted body's); a single named chart is used as
given. `--garment` keeps only the charts of those garment types. Chart problems raise
`measure.errors.ChartError` (exit code 13) naming the chart and the wrong field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from measure.errors import ChartError
from measure.result import Measurement, SizeRecommendation

DEFAULT_FAMILY = "en13402"


@dataclass
class ChartSet:
    """Loaded charts and whether they were named one by one (then sex does not filter them)."""

    charts: list  # list[measure.size_chart.SizeChart]
    explicit: bool
    spec: str


def load_charts(spec: str | Path | None = None, garments: Sequence[str] | None = None) -> ChartSet:
    """Charts for a --chart value (file, shipped name or family prefix), filtered by garment types."""
    from measure.size_chart import SizeChartError, load_chart, shipped_charts

    name = str(spec) if spec is not None else DEFAULT_FAMILY
    try:
        path = Path(name)
        if path.suffix.lower() in (".json", ".csv") or path.exists():
            charts, explicit = [load_chart(path)], True
        elif name in shipped_charts():
            charts, explicit = [load_chart(name)], True
        else:
            family = [c for c in shipped_charts() if c.startswith(name)]
            if not family:
                raise ChartError(name, f"no such chart file, shipped chart or chart family; shipped: "
                                 f"{', '.join(shipped_charts())}")
            charts, explicit = [load_chart(c) for c in family], False
    except SizeChartError as exc:
        raise ChartError(exc.source or name, f"{exc.field + ': ' if exc.field else ''}{exc.reason}") from None
    if garments:
        wanted = {g.strip().lower() for g in garments}
        kept = [c for c in charts if c.garment in wanted]
        if not kept:
            have = sorted({c.garment for c in charts})
            raise ChartError(name, f"no chart for garment(s) {', '.join(sorted(wanted))}; "
                             f"available: {', '.join(have)}")
        charts = kept
    return ChartSet(charts=charts, explicit=explicit, spec=name)


def recommend_sizes(
    chart_set: ChartSet, measurements: dict[str, Measurement], sex: str | None, preference: str = "regular"
) -> list[SizeRecommendation]:
    """One recommendation per chart (a family narrowed to `sex`), as plain `Result` entries."""
    from measure.sizing import SizingError, recommend

    charts = chart_set.charts
    if not chart_set.explicit and sex is not None:
        charts = [c for c in charts if c.sex in (sex, "unisex")]
    values = {name: m.value for name, m in measurements.items()}
    sds = {name: m.uncertainty for name, m in measurements.items()}
    out = []
    for chart in charts:
        try:
            rec = recommend(values, chart, uncertainties=sds, preference=preference)
        except SizingError as exc:
            raise ChartError(chart.name, str(exc)) from None
        in_chart = rec.out_of_chart is None
        out.append(SizeRecommendation(
            chart=chart.name,
            garment=chart.garment,
            size=rec.size if in_chart else None,
            runner_up=rec.runner_up,
            near_edge=rec.near_edge,
            fit={dim: f.status for dim, f in rec.fit.items()},
            note=rec.message,
            nearest=rec.size,
            out_of_chart=rec.out_of_chart,
        ))
    return out
