"""Height / height+weight regression baselines: they fit, leave out the evaluated people, and fail clearly."""

from __future__ import annotations

import numpy as np
import pytest

from body_model.ansur import AnsurTable, read_ansur
from measure.baselines import HEIGHT_ONLY, HEIGHT_WEIGHT, BaselineError, fit_baseline, fit_baselines


def _table(n: int = 400, seed: int = 0) -> AnsurTable:
    rng = np.random.default_rng(seed)
    stature = rng.normal(175.0, 7.0, n)
    weight = rng.normal(80.0, 12.0, n)
    chest = 20.0 + 0.3 * stature + 0.6 * weight + rng.normal(0.0, 0.5, n)
    ids = np.array([str(10000 + i) for i in range(n)])
    return AnsurTable("male", {"stature": stature, "weightkg": weight, "chestcircumference": chest}, ids)


def test_height_weight_recovers_the_linear_law_and_beats_height_only():
    table = _table()
    both = fit_baselines(table, ["chestcircumference"])
    coef = both[HEIGHT_WEIGHT].coef[:, 0]
    assert coef == pytest.approx([20.0, 0.3, 0.6], abs=0.6)
    assert both[HEIGHT_WEIGHT].train_mae[0] < 0.6 < both[HEIGHT_ONLY].train_mae[0]
    pred = both[HEIGHT_WEIGHT].predict(np.array([170.0, 180.0]), np.array([70.0, 90.0]))["chestcircumference"]
    assert pred == pytest.approx([20 + 51 + 42, 20 + 54 + 54], abs=0.5)


def test_excluded_subjects_do_not_shape_the_fit():
    table = _table()
    table.columns["chestcircumference"][:5] += 500.0  # wild values on the people we "evaluate"
    excluded = list(table.subject_ids[:5])
    clean = fit_baseline(table, HEIGHT_WEIGHT, ["chestcircumference"], exclude_ids=excluded)
    dirty = fit_baseline(table, HEIGHT_WEIGHT, ["chestcircumference"])
    assert clean.n_train == len(table) - 5 and dirty.n_train == len(table)
    assert clean.coef[:, 0] == pytest.approx([20.0, 0.3, 0.6], abs=0.6)
    assert abs(dirty.coef[0, 0] - clean.coef[0, 0]) > 1.0


def test_errors_are_typed():
    table = _table()
    with pytest.raises(BaselineError, match="unknown baseline"):
        fit_baseline(table, "height+shoe", ["chestcircumference"])
    with pytest.raises(BaselineError, match="no column"):
        fit_baseline(table, HEIGHT_ONLY, ["kneeheight"])
    with pytest.raises(BaselineError, match="only"):
        fit_baseline(table, HEIGHT_ONLY, ["chestcircumference"], exclude_ids=table.subject_ids[5:])
    with pytest.raises(BaselineError, match="needs the weight"):
        fit_baseline(table, HEIGHT_WEIGHT, ["chestcircumference"]).predict(170.0)


def test_on_ansur_weight_helps_girths_on_held_out_men(data_dir):
    table = read_ansur(data_dir / "ansur2", "male")
    held = table.subject_ids[:200]
    targets = ["chestcircumference", "waistcircumference", "buttockcircumference"]
    base = fit_baselines(table, targets, exclude_ids=held)
    assert base[HEIGHT_ONLY].n_train == len(table) - 200
    x = table.get("stature", "weightkg")[:200]
    truth = table.get(*targets)[:200]
    for j, col in enumerate(targets):
        mae_h = np.abs(base[HEIGHT_ONLY].predict(x[:, 0])[col] - truth[:, j]).mean()
        mae_hw = np.abs(base[HEIGHT_WEIGHT].predict(x[:, 0], x[:, 1])[col] - truth[:, j]).mean()
        assert mae_hw < 0.6 * mae_h, col
        assert 1.0 < mae_hw < 5.0, col  # DESIGN.md: about 2.6 / 3.5 / 2.1 cm for men
