"""Result plain data and its versioned JSON; the cheap public API surface (lazy imports, exports)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from measure import chart_selection, uncertainty
from measure.result import (
    SCHEMA_VERSION,
    BodyParameters,
    Measurement,
    QualityWarning,
    Result,
    SizeRecommendation,
)


def make_result() -> Result:
    return Result(
        measurements={"stature": Measurement(176.0, 0.4, "floor to the top of the head"),
                      "chest_girth": Measurement(99.123, 2.5, "under the armpits"),
                      "waist_girth": Measurement(84.04, 2.9, "natural waist", source="outline", body_value=86.444)},
        sizes=[SizeRecommendation("en13402-tops-men", "tops", "L", "M", True, {"chest_girth": "fits"}, "size L",
                                  nearest="L")],
        body=BodyParameters("anny", {"gender": 0.1, "height": 0.6}, None, 176.0, None, "male"),
        warnings=[QualityWarning("no_parser", "no parser weights", None)],
        timings={"fit": 3.21, "total": 4.0},
        inputs={"front": "f.jpg", "back": "b.jpg", "side": None, "height_cm": 176.0, "weight_kg": None,
                "sex": "male"},
    )


def test_to_dict_follows_the_documented_schema():
    d = json.loads(make_result().to_json())
    assert d["schema_version"] == SCHEMA_VERSION == "1.1"
    assert set(d) == {"schema_version", "units", "measurements", "sizes", "body", "warnings", "timings", "inputs"}
    assert d["measurements"]["chest_girth"] == {"value": 99.12, "uncertainty": 2.5, "definition": "under the armpits",
                                                "source": "body"}
    assert d["measurements"]["waist_girth"] == {"value": 84.04, "uncertainty": 2.9, "definition": "natural waist",
                                                "source": "outline", "body_value": 86.44}
    assert d["sizes"][0]["size"] == "L" and d["sizes"][0]["runner_up"] == "M" and d["sizes"][0]["near_edge"] is True
    assert d["warnings"] == [{"code": "no_parser", "message": "no parser weights", "subject": None}]
    assert d["body"]["phenotypes"]["gender"] == 0.1


def test_value_lookup_names_known_measurements():
    r = make_result()
    assert r.value("stature") == 176.0
    try:
        r.value("knee_girth")
    except KeyError as exc:
        assert "chest_girth" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected KeyError")


def test_importing_measure_is_cheap():
    code = "import sys, measure; from measure import Measurer, Result, errors; " \
           "print(sorted(m for m in ('torch', 'mediapipe', 'anny', 'cv2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_uncertainty_sources():
    table = {s: {"stature": {"inside_leg": 2.3}, "stature_weight": {"inside_leg": 2.2},
                 "relative": {"girth": {"stature": 0.04, "stature_weight": 0.03},
                              "length": {"stature": 0.03, "stature_weight": 0.02}}} for s in ("male", "female")}
    assert uncertainty.uncertainty_cm("stature", 176.0, table=table) == uncertainty.STATURE_SD_CM
    assert uncertainty.uncertainty_cm("waist_girth", 80.0, {"waist": 2.1}, table=table) == 2.1
    assert uncertainty.uncertainty_cm("inside_leg", 80.0, table=table) == 2.3
    assert uncertainty.uncertainty_cm("inside_leg", 80.0, with_weight=True, table=table) == 2.2
    assert uncertainty.uncertainty_cm("knee_girth", 40.0, table=table) == 1.6


def test_shipped_uncertainty_table_covers_the_mapped_measurements():
    table = uncertainty.load_table()
    for sex in ("male", "female"):
        assert set(uncertainty.ANSUR_COLUMNS) <= set(table[sex]["stature"])
        assert all(0.3 < v < 15 for v in table[sex]["stature"].values())


def test_default_charts_are_narrowed_by_sex():
    charts = chart_selection.load_charts()
    values = {"chest_girth": 99.0, "bust_girth": 99.0, "waist_girth": 85.0, "hip_girth": 100.0, "stature": 176.0,
              "inside_leg": 82.0, "underbust_girth": 85.0, "thigh_girth": 58.0}
    measurements = {k: Measurement(v, 2.0, "") for k, v in values.items()}
    male = chart_selection.recommend_sizes(charts, measurements, "male")
    assert male and all("women" not in s.chart for s in male)
    tops = next(s for s in male if s.garment == "tops")
    assert tops.size == "M"  # EN 13402-3 men's chest 94-102


def test_export_overlay_without_labels():
    from measure.export import overlay_image
    from measure.result import ViewRecord

    rgb = np.zeros((60, 40, 3), np.uint8)
    mask = np.zeros((60, 40), bool)
    mask[10:50, 10:30] = True
    kp = np.zeros((21, 3), np.float32)
    kp[0] = (20, 12, 1.0)
    img = overlay_image(ViewRecord("front", "f", rgb, mask, None, kp), outline=mask)
    assert img.shape == rgb.shape and img[30, 20].any() and not img[55, 5].any()


def test_documented_exit_codes_cover_every_error():
    from cli.photos_cmd import EXIT_CODES_HELP
    from measure import errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.MeasureError)]
    codes = {c.exit_code for c in classes}
    assert codes == set(range(1, 16)) - {2}
    for code in codes:
        assert f" {code} " in EXIT_CODES_HELP and f"    {code} " in errors.__doc__


def test_one_call_helper_caches_its_measurer(tmp_path):
    import pytest

    import measure
    from measure import errors, pipeline

    with pytest.raises(errors.InputFileError, match="nope.jpg: file not found"):
        measure.measure(tmp_path / "nope.jpg", tmp_path / "nope2.jpg", 170.0)
    first = dict(pipeline._MEASURERS)
    with pytest.raises(errors.InputFileError):
        measure.measure(tmp_path / "nope.jpg", tmp_path / "nope2.jpg", 170.0)
    assert pipeline._MEASURERS == first and len(first) >= 1
