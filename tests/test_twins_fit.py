"""Body twins: the surrogate's features and solver, caching, and a twin built on the real body model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from measure import twins
from measure.twins import (
    FREE_PHENOTYPES,
    TARGET_COLUMNS,
    TWIN_LOCALS,
    Surrogate,
    TwinError,
    make_twin,
    surrogate_key,
)

N_PARAMS = len(FREE_PHENOTYPES) + len(TWIN_LOCALS)


def _n_features() -> int:
    return twins._features(np.zeros((1, N_PARAMS)), 170.0).shape[1]


def test_features_agree_between_numpy_and_torch():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (4, N_PARAMS))
    h = np.array([150.0, 165.0, 180.0, 195.0])
    f_np = twins._features(x, h)
    f_t = twins._features(torch.tensor(x), torch.tensor(h)).numpy()
    assert f_np.shape == (4, _n_features())
    np.testing.assert_allclose(f_np, f_t, rtol=1e-12)
    assert np.all(f_np[:, 0] == 1.0)


@pytest.mark.slow
def test_solver_reaches_a_reachable_target():
    rng = np.random.default_rng(1)
    sur = Surrogate("female", rng.normal(0, 3, (_n_features(), len(TARGET_COLUMNS))),
                    np.zeros(len(TARGET_COLUMNS)), 0)
    x_true = np.array([0.9, 0.7, 0.4, 0.6, 0.3] + [0.0] * len(TWIN_LOCALS))
    target = sur(x_true, 165.0)[0]
    x = twins._solve(sur, target, 165.0, twins._start_points("female")[:1], "female")
    lo, hi = np.array(twins._bounds("female", twins.SOLVE_LOCAL_BOUND)).T
    assert np.all(x >= lo - 1e-9) and np.all(x <= hi + 1e-9)
    start_err = np.abs(sur(twins._start_points("female")[0], 165.0)[0] - target).mean()
    assert np.abs(sur(x, 165.0)[0] - target).mean() < 0.1 * start_err


def test_surrogate_round_trips_and_cache_key_tracks_training(tmp_path):
    sur = Surrogate("male", np.arange(12.0).reshape(4, 3), np.ones(3), 7, "abc")
    sur.save(tmp_path / "s.npz")
    back = Surrogate.load(tmp_path / "s.npz")
    assert back.sex == "male" and back.n_train == 7 and back.key == "abc"
    np.testing.assert_array_equal(back.coef, sur.coef)
    assert surrogate_key("male", 300, 0) == surrogate_key("male", 300, 0)
    assert len({surrogate_key("male", 300, 0), surrogate_key("female", 300, 0), surrogate_key("male", 200, 0),
                surrogate_key("male", 300, 1)}) == 4


def test_bad_subjects_raise_twin_errors():
    sur = Surrogate("male", np.zeros((_n_features(), len(TARGET_COLUMNS))), np.zeros(len(TARGET_COLUMNS)), 0)
    with pytest.raises(TwinError, match="no tape value"):
        make_twin(None, sur, {"stature": 170.0}, "male", "s1")
    with pytest.raises(TwinError, match="surrogate is for male"):
        make_twin(None, sur, {}, "female", "s1")
    with pytest.raises(TwinError, match="sex"):
        make_twin(None, sur, {}, "robot", "s1")


@pytest.mark.slow
def test_twin_on_the_body_model_has_the_exact_stature_and_honest_residuals():
    from body_model.model import load_body_model

    model = load_body_model()
    flat = Surrogate("male", np.zeros((_n_features(), len(TARGET_COLUMNS))), np.zeros(len(TARGET_COLUMNS)), 0)
    subject = {"stature": 178.3, **{c: 50.0 for c in TARGET_COLUMNS}, "weightkg": 80.0}
    twin = make_twin(model, flat, subject, "male", "s1", density=1040.0, refinements=1)
    assert twin.stature_cm == pytest.approx(178.3)
    assert twin.measurements["stature"] == pytest.approx(178.3, abs=0.05)
    assert twin.achieved["weightkg"] == pytest.approx(twin.volume_l / 1000.0 * 1040.0, rel=1e-6)
    assert twin.residuals()["chestcircumference"] == pytest.approx(twin.achieved["chestcircumference"] - 50.0)
    assert twin.achieved["chestcircumference"] == pytest.approx(twin.measurements["bust_girth"])
    assert 60.0 < twin.achieved["chestcircumference"] < 140.0
    rebuilt = twin.shape(model)
    assert torch.allclose(rebuilt.phenotypes, torch.tensor([list(twin.phenotypes.values())], dtype=torch.float32),
                          atol=1e-5)
    assert set(twin.to_dict()) >= {"subject_id", "targets", "achieved", "measurements", "params"}


def test_default_surrogates_ship_and_load_without_training():
    from measure.twins import load_or_train_surrogate

    for sex in ("male", "female"):
        sur = load_or_train_surrogate(None, sex, 300, 0, cache_dir=None)  # model None: training would fail
        assert sur.sex == sex and sur.n_train >= 250 and sur.key == surrogate_key(sex, 300, 0)
        assert sur.coef.shape == (_n_features(), len(TARGET_COLUMNS))
        assert np.all(sur.rmse < 6.0)
