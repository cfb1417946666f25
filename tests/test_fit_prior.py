"""ANSUR II reading and the shipped depth prior (body_model.ansur, shape_prior, build_shape_prior)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from body_model.ansur import AnsurError, read_ansur
from body_model.build_shape_prior import build_prior, cross_validated_residuals, fit_huber_ridge, fit_ridge
from body_model.shape_prior import INPUT_SETS, SEXES, TARGETS, PriorError, load_shape_prior


def test_shipped_prior_has_every_model_and_honest_errors():
    prior = load_shape_prior()
    for sex in SEXES:
        for name in INPUT_SETS:
            model = prior.models[(sex, name)]
            assert model.targets == TARGETS and model.n_subjects > 1000
    front = prior.model("male", with_weight=False, with_side=False).std()
    side = prior.model("male", with_weight=False, with_side=True).std()
    # A side view (true depths) must make the chest and waist girths better known than breadths alone.
    assert side["chestcircumference"] < front["chestcircumference"]
    assert side["waistcircumference"] < front["waistcircumference"]
    # Depth given as an input is reproduced (residual ~0), and the unknown-sex model exists.
    assert side["chestdepth"] < 0.05
    assert prior.model(None, True, False).inputs[-1] == "weightkg"


def test_prior_predicts_plausible_girths_and_torch_matches_numpy():
    torch = pytest.importorskip("torch")
    model = load_shape_prior().model("female", with_weight=True, with_side=False)
    values = {"stature": 165.0, "chestbreadth": 28.0, "waistbreadth": 27.0, "hipbreadth": 35.0,
              "bideltoidbreadth": 43.0, "weightkg": 62.0}
    pred = model.predict(values)
    assert 80 < pred["chestcircumference"] < 100 and 70 < pred["waistcircumference"] < 90
    assert 90 < pred["buttockcircumference"] < 110
    pt = model.predict_torch({k: torch.tensor(v) for k, v in values.items()})
    for k, v in pred.items():
        assert float(pt[k]) == pytest.approx(v, abs=1e-3)
    with pytest.raises(PriorError):
        model.predict({"stature": 165.0})


def test_missing_prior_file_is_a_clear_error(tmp_path):
    with pytest.raises(PriorError, match="missing"):
        load_shape_prior(tmp_path / "nope.json")


def test_ridge_recovers_a_linear_law_and_cross_validates():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3)) * [10, 2, 5] + [170, 30, 80]
    y = (0.5 * x[:, :1] - 2.0 * x[:, 1:2] + 0.1 * x[:, 2:3]) + rng.normal(0, 0.5, size=(400, 1))
    mean, scale, coef, intercept = fit_ridge(x, y, alpha=1e-6)
    assert np.allclose(coef[:, 0] / scale, [0.5, -2.0, 0.1], atol=0.05)
    res = cross_validated_residuals(x, y, alpha=1e-6)
    assert 0.4 < res.std() < 0.6


def test_huber_ridge_shrugs_off_a_few_gross_rows():
    """A photo read far off is a row whose target sits far from the law: squares follow it, Huber less so."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3)) * [10, 2, 5] + [170, 30, 80]
    law = 0.5 * x[:, 0] - 2.0 * x[:, 1] + 0.1 * x[:, 2]
    clean = (law + rng.normal(0, 0.5, 300))[:, None]
    mean, scale, coef, intercept = fit_huber_ridge(x, clean, alpha=1e-6, delta=1.0)
    _, _, ridge_coef, _ = fit_ridge(x, clean, alpha=1e-6)
    assert np.allclose(coef, ridge_coef, atol=0.05)  # without outliers both find the law
    dirty = clean.copy()
    bad = x[:, 1] > 32.0  # the rows far out along one input read 15 cm high: they tilt a squares fit
    dirty[bad] += 15.0
    _, scale, coef, intercept = fit_huber_ridge(x, dirty, alpha=1e-6, delta=1.0)
    _, _, ridge_coef, _ = fit_ridge(x, dirty, alpha=1e-6)
    huber_err = np.abs(coef[:, 0] / scale - [0.5, -2.0, 0.1]).max()
    ridge_err = np.abs(ridge_coef[:, 0] / scale - [0.5, -2.0, 0.1]).max()
    assert bad.sum() > 10 and huber_err < 0.5 * ridge_err, (huber_err, ridge_err)
    res = cross_validated_residuals(x, dirty, alpha=1e-6, huber_delta=1.0)
    assert np.median(np.abs(res[~bad])) < np.median(np.abs(cross_validated_residuals(x, dirty, 1e-6)[~bad]))


def test_read_ansur_in_cm_and_kg(data_dir):
    table = read_ansur(data_dir / "ansur2", "female")
    assert len(table) > 1500
    stature = table.columns["stature"]
    assert 140 < np.median(stature) < 180          # cm, not mm
    assert 45 < np.median(table.columns["weightkg"]) < 90   # kg, not 0.1 kg
    assert "heightin" not in table.columns          # self-reports are dropped
    with pytest.raises(AnsurError):
        read_ansur(data_dir / "ansur2", "other")


def test_rebuilt_prior_matches_shipped_asset(data_dir):
    rebuilt = build_prior(data_dir / "ansur2", alpha=1.0)
    shipped = load_shape_prior()
    for m in rebuilt["models"]:
        ref = shipped.models[(m["sex"], m["input_set"])]
        assert np.allclose(m["coef"], ref.coef, atol=1e-4)
        assert np.allclose(m["residual_mae"], ref.residual_mae, atol=1e-3)
    json.dumps(rebuilt)  # serialisable as the asset is
