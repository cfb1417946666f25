"""The outline girth model: the shipped asset, its fitting recipe, the ANSUR split, the pipeline's use of it."""

from __future__ import annotations

import numpy as np
import pytest

from body_model.shape_prior import PriorError
from measure.ansur_split import EVALUATION_SHARE, is_evaluation_subject
from measure.build_profile_girths import build
from measure.outline_profile import PROFILE_LEVELS, THIGH_LEVELS, WidthProfile, feature_names
from measure.profile_girths import INPUT_SETS, TARGETS, input_names, load_profile_girth_model


def test_evaluation_fold_is_fixed_and_about_one_in_five():
    ids = [str(10000 + i) for i in range(5000)]
    share = np.mean([is_evaluation_subject("male", i) for i in ids])
    assert abs(share - 1 / EVALUATION_SHARE) < 0.02
    assert is_evaluation_subject("male", "12345") == is_evaluation_subject("male", " 12345 ")
    # per sex: the same id in the other survey file is another person
    assert any(is_evaluation_subject("male", i) != is_evaluation_subject("female", i) for i in ids[:50])


def _profile(value: float) -> WidthProfile:
    return WidthProfile(np.full(len(PROFILE_LEVELS), value), np.full(len(THIGH_LEVELS), value * 0.5))


def test_shipped_model_has_every_input_set_and_honest_errors():
    model = load_profile_girth_model()
    for sex in ("male", "female", None):
        for with_weight, with_side in INPUT_SETS.values():
            m = model.model(sex, with_weight, with_side)
            assert m.inputs == input_names(with_weight, with_side) and m.targets == TARGETS
            assert m.n_subjects >= 300
            assert np.all((m.residual_mae > 0.2) & (m.residual_mae < 4.0)), m.residual_mae
    # the side photo's depths are the best input: its errors are the smallest
    front, side = model.model("male", False, False), model.model("male", False, True)
    assert np.mean(side.residual_mae) < np.mean(front.residual_mae)


def test_wider_people_get_larger_girths_and_nan_is_refused():
    model = load_profile_girth_model()
    slim = model.predict(_profile(30.0), 175.0, "male").values_cm
    broad = model.predict(_profile(36.0), 175.0, "male").values_cm
    for name in TARGETS:
        assert broad[name] > slim[name] + 5.0, name
        assert 60.0 < slim[name] < 160.0 or name == "thigh_girth"
    with_side = model.predict(_profile(33.0), 175.0, "female", weight_kg=70.0, depth=_profile(24.0))
    assert with_side.inputs_used == "front+side+weight" and set(with_side.values_cm) == set(TARGETS)
    holed = _profile(33.0)
    holed.torso_cm[3] = np.nan
    with pytest.raises(PriorError, match="complete"):
        model.predict(holed, 175.0, "male")


def test_missing_asset_is_a_clear_error(tmp_path):
    with pytest.raises(PriorError, match="build_profile_girths"):
        load_profile_girth_model(tmp_path / "none.json")


def test_build_recovers_a_linear_law():
    rng = np.random.default_rng(0)
    names = feature_names("breadth") + feature_names("depth")
    rows = []
    for i in range(120):
        feats = {n: float(v) for n, v in zip(names, rng.normal(30.0, 3.0, len(names)), strict=True)}
        stature, weight = float(rng.normal(172, 8)), float(rng.normal(75, 10))
        girth = 2.0 * feats["breadth_0.60"] + 1.5 * feats["depth_0.60"] + 0.1 * stature
        rows.append({"sex": "male" if i % 2 else "female", "id": str(i), "stature": stature, "weightkg": weight,
                     "features": feats, "girths": {t: girth + k for k, t in enumerate(TARGETS)},
                     "tape": {t: girth for t in TARGETS}})
    asset, table = build(rows, alpha=1e-3)
    assert len(asset["models"]) == 3 * len(INPUT_SETS) and len(table) == len(asset["models"])
    side = next(m for m in asset["models"] if m["sex"] == "any" and m["input_set"] == "front+side")
    assert max(side["residual_mae"]) < 0.05  # the law is exact: cross-validated error ~0
    front = next(m for m in asset["models"] if m["sex"] == "any" and m["input_set"] == "front")
    assert min(front["residual_mae"]) > 1.0  # without the depth the law cannot be known


def test_measurer_refuses_an_unknown_girth_source_and_notes_a_missing_model(monkeypatch, tmp_path):
    from measure import profile_girths
    from measure.errors import OutOfRangeError
    from measure.pipeline import Measurer

    with pytest.raises(OutOfRangeError, match="girths"):
        Measurer(girths="tape")
    monkeypatch.setattr(profile_girths, "ASSET_PATH", tmp_path / "missing.json")
    measurer = Measurer(photo_cache=False, girths="outline")
    warnings: list = []
    assert measurer._outline_girths([], None, "male", None, "tight", warnings, {}) is None
    assert [w.code for w in warnings] == ["outline_girths"] and "not installed" in warnings[0].message
    assert Measurer()._outline_girths([], None, "male", None, "tight", [], {}) is None  # body girths: the default


def _prior_json(intercept: float) -> dict:
    """A ShapePrior asset whose every model predicts `intercept` for every girth."""
    models = []
    for sex in ("male", "female", "any"):
        for name, (with_weight, with_side) in INPUT_SETS.items():
            inputs = input_names(with_weight, with_side)
            models.append({"sex": sex, "input_set": name, "inputs": list(inputs), "targets": list(TARGETS),
                           "mean": [0.0] * len(inputs), "scale": [1.0] * len(inputs),
                           "coef": [[0.0] * len(TARGETS) for _ in inputs], "intercept": [intercept] * len(TARGETS),
                           "residual_std": [1.0] * len(TARGETS), "residual_mae": [0.8] * len(TARGETS),
                           "n_subjects": 10})
    return {"models": models}


def test_photo_read_models_serve_their_clothes_only(tmp_path):
    import json

    clean, tight = tmp_path / "clean.json", tmp_path / "tight.json"
    clean.write_text(json.dumps(_prior_json(90.0)))
    tight.write_text(json.dumps(_prior_json(80.0)))
    model = load_profile_girth_model(clean, {"tight": tight})
    got = model.predict(_profile(33.0), 175.0, "male", clothes="tight")
    assert got.values_cm["waist_girth"] == pytest.approx(80.0) and got.learned_from == "tight photos"
    for clothes in ("everyday", None):
        other = model.predict(_profile(33.0), 175.0, "male", clothes=clothes)
        assert other.values_cm["waist_girth"] == pytest.approx(90.0) and other.learned_from == "clean renders"


def test_a_model_taking_the_fitted_bodys_girths_uses_them_and_asks_for_them(tmp_path):
    import json

    from measure.profile_girths import body_input_names

    clean, tight = tmp_path / "clean.json", tmp_path / "tight.json"
    clean.write_text(json.dumps(_prior_json(90.0)))
    asset = _prior_json(80.0)
    for m in asset["models"]:
        if m["input_set"] == "front":  # waist = 80 + 0.5 x (the body's waist - 70)
            m["inputs"] += list(body_input_names())
            m["mean"] += [70.0] * len(TARGETS)
            m["scale"] += [1.0] * len(TARGETS)
            m["coef"] += [[0.5 if (t == "waist_girth" and b == "body_waist_girth") else 0.0 for t in TARGETS]
                          for b in body_input_names()]
    tight.write_text(json.dumps(asset))
    model = load_profile_girth_model(clean, {"tight": tight})
    body = {t: 70.0 for t in TARGETS} | {"waist_girth": 76.0}
    got = model.predict(_profile(33.0), 175.0, "male", clothes="tight", body_girths=body)
    assert got.values_cm["waist_girth"] == pytest.approx(83.0) and got.values_cm["hip_girth"] == pytest.approx(80.0)
    with pytest.raises(PriorError, match="body_waist_girth"):
        model.predict(_profile(33.0), 175.0, "male", clothes="tight")
    # the models without them ignore the body's girths
    heavy = model.predict(_profile(33.0), 175.0, "male", weight_kg=80.0, clothes="tight", body_girths=body)
    assert heavy.values_cm["waist_girth"] == pytest.approx(80.0)


def test_an_outline_model_that_cannot_be_used_leaves_the_bodys_girths_with_a_warning(monkeypatch, tmp_path):
    import json

    from measure import profile_girths
    from measure.pipeline import Measurer

    clean = tmp_path / "clean.json"
    clean.write_text(json.dumps(_prior_json(90.0)))

    def needs_more(*args):
        raise PriorError("this girth model also needs body_waist_girth")

    monkeypatch.setattr(profile_girths, "outline_girths", needs_more)
    measurer = Measurer(photo_cache=False, girths="outline", girth_model=load_profile_girth_model(clean, {}))
    warnings: list = []
    assert measurer._outline_girths([], None, "male", None, "tight", warnings, {}) is None
    assert [w.code for w in warnings] == ["outline_girths", "outline_girths"]
    assert "body_waist_girth" in warnings[0].message and "measured on the fitted body" in warnings[1].message


def test_auto_girths_read_the_outline_only_where_a_photo_read_model_is_learned(monkeypatch, tmp_path):
    import json

    from measure import profile_girths
    from measure.pipeline import Measurer

    clean, tight = tmp_path / "clean.json", tmp_path / "tight.json"
    clean.write_text(json.dumps(_prior_json(90.0)))
    tight.write_text(json.dumps(_prior_json(80.0)))
    model = load_profile_girth_model(clean, {"tight": tight})
    read = object()  # what the outline reader gives; the photos and the fit do not matter here
    monkeypatch.setattr(profile_girths, "outline_girths", lambda *args: (read, []))
    auto = Measurer(photo_cache=False, girths="auto", girth_model=model)
    warnings: list = []
    assert auto._outline_girths([], None, "male", None, "tight", warnings, {}) is read
    assert auto._outline_girths([], None, "male", None, "everyday", warnings, {}) is None and warnings == []
    outline = Measurer(photo_cache=False, girths="outline", girth_model=model)
    assert outline._outline_girths([], None, "male", None, "everyday", warnings, {}) is read  # clean-render models


def test_photos_missing_over_a_third_of_their_levels_are_left_out_and_gaps_filled_from_the_body(monkeypatch):
    from types import SimpleNamespace

    import torch

    from measure import outline_profile
    from measure.profile_girths import PhotoOutline, read_outline

    n_torso, n_thigh = len(outline_profile.PROFILE_LEVELS), len(outline_profile.THIGH_LEVELS)
    levels = n_torso + n_thigh

    def profile(value: float, missing: int) -> WidthProfile:
        vals = np.full(levels, value)
        vals[:missing] = np.nan
        return WidthProfile(vals[:n_torso], vals[n_torso:])

    read = {}  # photo kind -> the profile its photo gives
    monkeypatch.setattr(outline_profile, "photo_profile", lambda kind, *args: read[kind])
    monkeypatch.setattr(outline_profile, "mesh_profile", lambda *args: (profile(30.0, 0), profile(20.0, 0)))
    pose = SimpleNamespace(joint_rotations=None, global_rotation=None, translation=None)
    fit = SimpleNamespace(views=[SimpleNamespace(pose=pose, camera=None, silhouette_iou=None)] * 3, shape=None,
                          vertices=None, faces=None, vertex_parts=None)
    body = SimpleNamespace(forward=lambda shape, pose: SimpleNamespace(vertices=torch.zeros(1, 4, 3)))
    photos = [PhotoOutline(kind, np.zeros((2, 2), bool), None) for kind in ("front", "back", "side")]

    read.update(front=profile(33.0, 0), back=profile(35.0, 8), side=profile(25.0, 6))
    got = read_outline(photos, fit, body, "tight")
    assert np.allclose(got.breadth.values(), 33.0)  # the back photo, 8 of 20 levels missing, is left out
    assert np.allclose(got.depth.values()[:6], 20.0) and np.allclose(got.depth.values()[6:], 25.0)
    assert len(got.notes) == 1 and got.notes[0].startswith("back photo")
    read.update(side=profile(25.0, 8))
    got = read_outline(photos, fit, body, "tight")
    assert got.depth is None and got.notes[-1].startswith("side photo")
    read.update(front=profile(33.0, 8))
    assert read_outline(photos, fit, body, "tight").breadth is None


def test_photos_the_fitted_body_matches_poorly_are_not_read(monkeypatch):
    """A misplaced body puts the levels on the wrong rows: such a photo's outline is left out."""
    from types import SimpleNamespace

    import torch

    from measure import outline_profile
    from measure.profile_girths import PhotoOutline, read_outline

    n_torso, n_thigh = len(outline_profile.PROFILE_LEVELS), len(outline_profile.THIGH_LEVELS)
    read = {"front": 33.0, "back": 80.0}
    monkeypatch.setattr(outline_profile, "photo_profile",
                        lambda kind, *args: WidthProfile(np.full(n_torso, read[kind]), np.full(n_thigh, read[kind])))
    monkeypatch.setattr(outline_profile, "mesh_profile", lambda *args: (_profile(30.0), _profile(20.0)))
    pose = SimpleNamespace(joint_rotations=None, global_rotation=None, translation=None)
    views = [SimpleNamespace(pose=pose, camera=None, silhouette_iou=iou) for iou in (0.93, 0.28)]
    fit = SimpleNamespace(views=views, shape=None, vertices=None, faces=None, vertex_parts=None)
    body = SimpleNamespace(forward=lambda shape, pose: SimpleNamespace(vertices=torch.zeros(1, 4, 3)))
    photos = [PhotoOutline(kind, np.zeros((2, 2), bool), None) for kind in ("front", "back")]
    got = read_outline(photos, fit, body, "tight")
    assert np.allclose(got.breadth.values(), 33.0)  # the front alone
    assert len(got.notes) == 1 and got.notes[0].startswith("back photo") and "0.28" in got.notes[0]
    views[0].silhouette_iou = 0.5
    assert read_outline(photos, fit, body, "tight").breadth is None  # neither: the body's girths stay
