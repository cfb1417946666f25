"""The photo-read girth models' recipe (measure.build_photo_girths): which pipeline readings it learns from."""

from __future__ import annotations

import numpy as np

from measure.build_photo_girths import build, training_table
from measure.outline_profile import feature_names
from measure.profile_girths import INPUT_SETS, TARGETS, body_input_names


def _readings(n: int, seed: int = 0) -> tuple[list[dict], dict[str, dict]]:
    """Fake pipeline readings whose tape girths follow a linear law of the fb+side widths and the weight."""
    rng = np.random.default_rng(seed)
    breadths, depths = feature_names("breadth"), feature_names("depth")
    readings, truth = [], {}
    for i in range(n):
        fbs = {k: float(v) for k, v in zip(breadths + depths, rng.normal(30, 3, len(breadths + depths)), strict=True)}
        fb = {k: fbs[k] + float(rng.normal(0, 0.2)) for k in breadths}  # another fit reads a little differently
        stature, weight = float(rng.normal(172, 8)), float(rng.normal(75, 10))
        girth = 2.0 * fbs["breadth_0.60"] + 1.5 * fbs["depth_0.60"] + 0.3 * weight
        rid = f"s{i}"
        # the fitted body's own girths: a rough guess of the law (its depth is the body model's, not the side's)
        body = {cond: {t: girth + float(rng.normal(0, 4)) for t in TARGETS} for cond in ("fb", "fb+side")}
        readings.append({"id": rid, "sex": "male" if i % 2 else "female", "stature": stature, "weightkg": weight,
                         "features": {"fb": fb, "fb+side": fbs}, "body": body})
        truth[rid] = {f"tape_{lab}": f"{girth:.1f}" for lab in ("chest", "waist", "hip", "thigh")}
    return readings, truth


def test_failed_runs_and_missing_side_readings_are_left_out():
    readings, truth = _readings(12)
    readings[0]["features"]["fb"] = {"error": "no person found"}
    readings[1]["features"]["fb+side"] = dict(readings[1]["features"]["fb"])  # side photo left out: no depths
    readings[2]["features"]["fb"]["breadth_0.60"] = float("nan")
    x, y, inputs = training_table(readings, truth, "any", with_weight=False, with_side=False)
    assert x.shape == (10, len(inputs)) and y.shape == (10, len(TARGETS)) and inputs[0] == "stature"
    x, _, inputs = training_table(readings, truth, "any", with_weight=True, with_side=True)
    assert len(x) == 11 and inputs[:2] == ("stature", "weightkg")
    male, _, _ = training_table(readings, truth, "male", with_weight=False, with_side=True)
    assert len(male) == 5  # ids 1, 3, .., 11 are men; id 1 has no depths


def test_the_fitted_bodys_girths_are_inputs_only_without_a_weight():
    readings, truth = _readings(12)
    for with_weight, with_side in INPUT_SETS.values():
        _, _, inputs = training_table(readings, truth, "any", with_weight, with_side)
        assert (inputs[-len(TARGETS):] == body_input_names()) is (not with_weight)
    del readings[3]["body"]  # a reading made before the body was kept: no use where the body is an input
    assert len(training_table(readings, truth, "any", with_weight=False, with_side=False)[0]) == 11
    assert len(training_table(readings, truth, "any", with_weight=True, with_side=False)[0]) == 12


def test_build_learns_the_tape_from_the_readings():
    readings, truth = _readings(160)
    asset, table = build(readings, truth, "tight", alpha=1e-3)
    assert asset["clothes"] == "tight" and len(asset["models"]) == 3 * len(INPUT_SETS) == len(table)
    full = next(m for m in asset["models"] if m["sex"] == "any" and m["input_set"] == "front+side+weight")
    assert max(full["residual_mae"]) < 0.1  # the law is exact with the side's depths and the weight
    front = next(m for m in asset["models"] if m["sex"] == "any" and m["input_set"] == "front")
    assert min(front["residual_mae"]) > 1.0  # without them it cannot be known


def test_shipped_tight_photo_model_is_loaded_with_honest_errors():
    import json

    from measure.profile_girths import (
        BODY_INPUT_SETS,
        input_names,
        load_profile_girth_model,
        photo_girths_path,
        set_name,
    )

    asset = json.loads(photo_girths_path("tight").read_text())
    assert asset["clothes"] == "tight" and min(asset["n_subjects"].values()) >= 200
    model = load_profile_girth_model()
    assert set(model.photo_priors) == {"tight"}
    for sex in ("male", "female", None):
        for with_weight, with_side in INPUT_SETS.values():
            m = model.model(sex, with_weight, with_side, clothes="tight")
            with_body = set_name(with_weight, with_side) in BODY_INPUT_SETS
            assert m.inputs == input_names(with_weight, with_side, with_body) and m.targets == TARGETS
            # errors against real tape through the pipeline: worse than a perfect reading, far from useless
            assert np.all((m.residual_mae > 0.8) & (m.residual_mae < 3.5)), m.residual_mae
    assert model.model("male", False, False, "tight") is not model.model("male", False, False, "everyday")


def test_build_keeps_the_ridge_or_the_huber_fit_whichever_cross_validates_better():
    readings, truth = _readings(160)
    asset, _ = build(readings, truth, "tight", alpha=1e-3, huber_delta=None)
    assert {m["loss"] for m in asset["models"]} == {"ridge"} and asset["huber_delta_cm"] is None
    for r in readings[:12]:  # a few subjects whose photos were read far off: their tape sits far from the law
        truth[r["id"]] = {k: f"{float(v) + 25.0:.1f}" for k, v in truth[r["id"]].items()}
    asset, table = build(readings, truth, "tight", alpha=1e-3, huber_delta=1.0)
    full = next(m for m in asset["models"] if m["sex"] == "any" and m["input_set"] == "front+side+weight")
    assert full["loss"] == "huber" and np.median(full["residual_mae"]) < 3.0
    assert any("huber" in line and "(ridge" in line for line in table)
