"""Size charts: shipped charts load, bad charts fail naming the field, CSV import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from measure.size_chart import SizeChartError, chart_from_csv, chart_from_dict, load_chart, shipped_charts

GOOD = {
    "schema": "bodymeasure.size_chart/1", "name": "t", "garment": "tops", "sex": "male", "primary": ["chest_girth"],
    "sizes": [{"label": "S", "ranges": {"chest_girth": [86, 94]}},
              {"label": "M", "ranges": {"chest_girth": [94, 102]}}],
}


def _bad(**changes) -> dict:
    data = json.loads(json.dumps(GOOD))
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for k in keys[:-1]:
            target = target[int(k)] if k.isdigit() else target[k]
        last = keys[-1]
        if value is None:
            del target[last]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return data


def test_shipped_charts_load() -> None:
    names = shipped_charts()
    assert {"en13402-tops-men", "en13402-tops-women", "en13402-trousers-men", "en13402-trousers-women"} <= set(names)
    assert any(n.startswith("retailer-") for n in names)
    for name in names:
        chart = load_chart(name)
        assert chart.name == name and chart.sizes
    men = load_chart("en13402-tops-men")
    assert men.primary == ("chest_girth",)
    m = men.sizes[2]
    assert (m.label, m.ranges["chest_girth"].low, m.ranges["chest_girth"].high) == ("M", 94, 102)
    women = load_chart("en13402-tops-women")
    assert women.size("XL").ranges["bust_girth"].low == 107


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"sizes__1__ranges__chest_girth": [102, 94]}, "sizes[1].ranges.chest_girth"),
        ({"sizes__0__ranges__chest_girth": [86, "ninety"]}, "sizes[0].ranges.chest_girth[1]"),
        ({"sizes__0__ranges__chest_girth": [86]}, "sizes[0].ranges.chest_girth"),
        ({"sizes__1__ranges": {"wingspan": [1, 2]}}, "sizes[1].ranges.wingspan"),
        ({"sizes__1__ranges": {"waist_girth": [80, 90]}}, "sizes[1].ranges"),
        ({"sizes__1__label": "S"}, "sizes[1].label"),
        ({"sex": "martian"}, "sex"),
        ({"garment": "hat-stand"}, "garment"),
        ({"primary": ["elbow_span"]}, "primary[0]"),
        ({"primary": None}, "primary"),
        ({"sizes": []}, "sizes"),
        ({"schema": "other/2"}, "schema"),
    ],
)
def test_bad_chart_names_the_field(changes: dict, field: str) -> None:
    with pytest.raises(SizeChartError) as err:
        chart_from_dict(_bad(**changes), "shop.json")
    assert err.value.field == field
    assert str(err.value).startswith(f"shop.json: {field}:")
    assert isinstance(err.value, ValueError)


def test_aliases_become_our_names() -> None:
    data = _bad(primary=["chest"], sizes=[{"label": "S", "ranges": {"chest": [86, 94], "height": [160, 180]}}])
    chart = chart_from_dict(data)
    assert chart.primary == ("chest_girth",)
    assert set(chart.sizes[0].ranges) == {"chest_girth", "stature"}


def test_csv_import_with_metadata_lines(tmp_path: Path) -> None:
    text = (
        "# name: shop-shirts\n# garment: shirts\n# sex: male\n# primary: chest_girth neck_girth\n"
        "size,chest_min,chest_max,neck,height\n"
        "S,86,94,37-39,\n"
        "M,94,102,39-41,170-185\n"
    )
    path = tmp_path / "shop.csv"
    path.write_text(text)
    chart = load_chart(path)
    assert chart.name == "shop-shirts" and chart.primary == ("chest_girth", "neck_girth")
    assert chart.size("M").ranges["neck_girth"].high == 41
    assert "stature" not in chart.size("S").ranges and chart.size("M").ranges["stature"].low == 170


def test_csv_errors_name_the_row(tmp_path: Path) -> None:
    with pytest.raises(SizeChartError) as err:
        chart_from_csv("size,chest\nS,86-94\nM,94-x\n", "shop.csv", garment="tops", sex="male", primary="chest")
    assert err.value.field == "row 3.chest"
    with pytest.raises(SizeChartError) as err:
        chart_from_csv("size,chest\nS,86-94\n", "shop.csv", garment="tops", primary="chest")
    assert err.value.field == "sex"


def test_load_chart_errors(tmp_path: Path) -> None:
    with pytest.raises(SizeChartError, match="en13402-tops-men"):
        load_chart("no-such-chart")
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    with pytest.raises(SizeChartError, match="broken.json: not valid JSON"):
        load_chart(bad)
    with pytest.raises(SizeChartError, match="file not found"):
        load_chart(tmp_path / "missing.json")
