"""Size recommendation cases: middle of a band, near an edge, outside the chart, preferences, several dimensions."""

from __future__ import annotations

import pytest

from measure.measurements import Measurement, Measurements
from measure.size_chart import load_chart
from measure.sizing import SizingError, recommend


@pytest.fixture(scope="module")
def tops_men():
    return load_chart("en13402-tops-men")  # ... M 94-102, L 102-110 ...


def test_middle_of_a_band(tops_men) -> None:
    r = recommend({"chest_girth": 98.0}, tops_men)
    assert r.size == "M" and r.in_chart and not r.near_edge
    assert r.runner_up in ("S", "L")
    assert r.fit["chest_girth"].status == "fits"


def test_near_band_edge_flags_and_names_the_neighbour(tops_men) -> None:
    r = recommend({"chest_girth": 101.0}, tops_men)
    assert r.size == "M" and r.runner_up == "L"
    assert r.near_edge and r.near_edge_dimensions == ["chest_girth"]
    assert "L may fit too" in r.message
    # A smaller uncertainty than the distance to the edge clears the flag.
    assert not recommend({"chest_girth": 101.0}, tops_men, uncertainties={"chest_girth": 0.5}).near_edge


@pytest.mark.parametrize("chest,where,size", [(70.0, "below_smallest", "XS"), (150.0, "above_largest", "3XL")])
def test_outside_the_chart_is_said_clearly(tops_men, chest: float, where: str, size: str) -> None:
    r = recommend({"chest_girth": chest}, tops_men)
    assert r.out_of_chart == where and not r.in_chart
    assert r.size == size
    assert "outside chart" in r.message and f"{chest:.1f}" in r.message
    assert r.fit["chest_girth"].status == ("loose" if where == "below_smallest" else "tight")


def test_preference_shifts_only_near_the_edges(tops_men) -> None:
    low_in_m = {"chest_girth": 95.0}  # in M, 1 cm above S
    assert recommend(low_in_m, tops_men, preference="regular").size == "M"
    slim = recommend(low_in_m, tops_men, preference="slim")
    assert slim.size == "S" and slim.fit["chest_girth"].status == "tight"
    high_in_m = {"chest_girth": 101.0}
    assert recommend(high_in_m, tops_men, preference="loose").size == "L"
    mid = {"chest_girth": 98.0}
    assert {recommend(mid, tops_men, preference=p).size for p in ("slim", "regular", "loose")} == {"M"}
    with pytest.raises(SizingError, match="preference"):
        recommend(mid, tops_men, preference="baggy")


def test_two_primary_dimensions_and_secondary_fit() -> None:
    jeans = load_chart("retailer-jeans-men")
    r = recommend({"waist_girth": 86.5, "inside_leg": 81.5, "hip_girth": 108.0}, jeans)
    assert r.size == "W34/L32"
    assert r.fit["waist_girth"].status == "fits" and r.fit["inside_leg"].status == "fits"
    assert r.fit["hip_girth"].status == "tight" and not r.fit["hip_girth"].primary
    long_legs = recommend({"waist_girth": 86.5, "inside_leg": 88.0}, jeans)
    assert long_legs.size == "W34/L34"


def test_length_status_words() -> None:
    jeans = load_chart("retailer-jeans-men")
    r = recommend({"waist_girth": 86.5, "inside_leg": 95.0}, jeans)
    assert r.out_of_chart == "above_largest" and r.fit["inside_leg"].status == "short"


def test_missing_primary_and_bad_values(tops_men) -> None:
    with pytest.raises(SizingError, match="chest_girth"):
        recommend({"waist_girth": 80.0}, tops_men)
    with pytest.raises(SizingError, match="number"):
        recommend({"chest_girth": "big"}, tops_men)


def test_accepts_measurements_objects(tops_men) -> None:
    m = Measurements({"chest_girth": Measurement("chest_girth", 106.0, "girth", "test")})
    r = recommend(m, tops_men)
    assert r.size == "L"
    assert r.to_dict()["fit"]["chest_girth"]["range_cm"] == [102, 110]
