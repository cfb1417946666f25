"""Small fit round trip: synthetic people -> rendered observations -> fit -> measurements vs truth.

The full table (more people, +weight, +side) is benchmarks/fit_roundtrip.py; here two people (one
per sex) check that the fit recovers the stature exactly and the main girths within a loose bound.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from body_model.fit import FitConfig, FitError, FitResult, fit
from body_model.fit_synthetic import observe, round_trip_case, sample_person
from body_model.model import load_body_model

measurements = pytest.importorskip("measure.measurements")

GIRTHS = ("chest_girth", "waist_girth", "hip_girth")


@pytest.fixture(scope="module")
def model():
    return load_body_model()


@pytest.mark.slow
@pytest.mark.parametrize("sex,seed", [("male", 11), ("female", 12)])
def test_front_back_round_trip(model, sex, seed):
    rng = np.random.default_rng(seed)
    person = sample_person(model, rng, sex)
    views = [observe(model, person, kind, rng) for kind in ("front", "back")]
    result = fit(views, person.stature_cm)
    assert isinstance(result, FitResult)
    assert result.vertices.shape == (model.num_vertices, 3) and result.faces.shape[1] == 3
    assert abs(result.stature_cm - person.stature_cm) < 0.5
    truth = measurements.measure_body(person.rest_vertices, model.faces, model.vertex_parts)
    got = measurements.measure_body(result.vertices, model.faces, model.vertex_parts)
    errors = {k: got.values[k].value_cm - truth.values[k].value_cm for k in GIRTHS}
    # Loose: a fit that is off (wrong placement, sex, scale) misses by 10+ cm; the benchmark reports the MAE.
    assert all(abs(e) < 8.0 for e in errors.values()), errors
    for vf in result.views:
        assert vf.silhouette_iou is not None and vf.silhouette_iou > 0.9
        assert vf.keypoint_residual_px is not None and vf.keypoint_residual_px < 8.0
        # The returned camera and pose draw the fitted outline where the person is.
        with torch.no_grad():
            out = model.forward(result.shape, vf.pose)
        uv = vf.camera.project(out.keypoints[0].numpy())
        view = next(v for v in views if v.kind == vf.kind)
        assert np.median(np.linalg.norm(uv - view.keypoints[:, :2], axis=1)) < 8.0
    assert {"chest", "waist", "hip"} <= set(result.uncertainty_cm)


def _girth_errors(model, case, result) -> dict[str, float]:
    truth = measurements.measure_body(case.person.rest_vertices, model.faces, model.vertex_parts, sex=case.sex)
    got = measurements.measure_body(result.vertices, model.faces, model.vertex_parts, sex=case.sex)
    return {k: got.values[k].value_cm - truth.values[k].value_cm for k in GIRTHS}


@pytest.mark.slow
def test_a_slim_man_starts_from_the_build_his_photos_show(model):
    """Round trip seed 3, person 6 (a man of BMI 18): from the average build the phenotypes slid into a
    muscular body at the weight floor (IoU 0.93, waist +11 cm); the start's build is now the one of a
    small grid of muscle/weight values whose body matches the placed photos best."""
    case = round_trip_case(model, 3, 6)
    result = fit([case.views["front"], case.views["back"]], case.person.stature_cm, sex="male")
    assert all(v.silhouette_iou > 0.96 for v in result.views), [v.silhouette_iou for v in result.views]
    errors = _girth_errors(model, case, result)
    assert all(abs(e) < 5.0 for e in errors.values()), errors


@pytest.mark.slow
@pytest.mark.parametrize("seed,index", [(3, 3), (2, 10)])
def test_unknown_sex_is_chosen_after_the_whole_phenotype_stage(model, seed, index):
    """Sex unknown: each sex's start runs the whole phenotype stage and they are compared on their final
    bodies' silhouette overlap with the photos. Seed 3 person 3 (a woman): compared after a 16-step
    start, as until this round, the man's start led by 1% once the woman's came from the build grid,
    and finished at IoU 0.93 (waist +12 cm). Seed 2 person 10 (a man): compared on the loss, whose
    cover term used rims found 9 steps before the stage ended, the man's body scored 4x its own loss
    and the woman's won (waist -12 cm)."""
    case = round_trip_case(model, seed, index)
    result = fit([case.views["front"], case.views["back"]], case.person.stature_cm)
    gender = float(result.shape.phenotypes[0, 0])
    assert (gender > 0.5) == (case.sex == "female"), gender
    assert all(v.silhouette_iou > 0.96 for v in result.views), [v.silhouette_iou for v in result.views]
    errors = _girth_errors(model, case, result)
    assert all(abs(e) < 5.0 for e in errors.values()), errors


def test_fit_rejects_bad_inputs():
    mask = np.zeros((40, 30), bool)
    mask[5:35, 10:20] = True
    from body_model.fit_views import View

    with pytest.raises(FitError, match="height"):
        fit([View("front", mask)], 20.0)
    with pytest.raises(FitError, match="sex"):
        fit([View("front", mask)], 170.0, sex="x")
    with pytest.raises(FitError, match="front or a back"):
        fit([View("side", mask)], 170.0)
    with pytest.raises(FitError, match="at least one"):
        fit([], 170.0)
    with pytest.raises(FitError, match="clothes must be one of.*'pyjamas'"):
        fit([View("front", mask)], 170.0, config=FitConfig(front_breadth_clothes=("pyjamas",)))


@pytest.mark.slow
def test_without_a_side_view_tight_clothes_free_the_breadths_and_a_weight_the_depths(model):
    """Front and back see breadth, not depth; the weight sees volume. In tight clothes the third stage frees
    the breadth locals (`front_breadth_clothes`), a weight adds the depth locals; in looser clothes, whose
    outline is the garment's, or with `front_breadth_clothes=()`, a weight frees the depths alone."""
    from body_model.fit import BREADTH_LOCALS, DEPTH_LOCALS

    rng = np.random.default_rng(5)
    person = sample_person(model, rng, "male")
    views = [observe(model, person, kind, rng) for kind in ("front", "back")]
    names = list(model.only_locals(tuple(n for g in BREADTH_LOCALS + DEPTH_LOCALS for n in g)).local_names)
    breadth = [names.index(n) for g in BREADTH_LOCALS for n in g]
    depth = [names.index(n) for g in DEPTH_LOCALS for n in g]

    def moved(result, ids) -> float:
        return 0.0 if result.shape.local is None else float(np.abs(result.shape.local[0].numpy()[ids]).max())

    plain = fit(views, person.stature_cm, sex="male")
    assert moved(plain, breadth) > 1e-3 and moved(plain, depth) == 0.0
    weighed = fit(views, person.stature_cm, weight_kg=person.weight_kg, sex="male")
    assert moved(weighed, breadth) > 1e-3 and moved(weighed, depth) > 1e-3
    implied = weighed.volume_l * 1.030
    assert abs(implied - person.weight_kg) < 0.03 * person.weight_kg, (implied, person.weight_kg)
    for config in (FitConfig(front_breadth_clothes=()), FitConfig(clothes="fitted")):
        depth_only = fit(views, person.stature_cm, weight_kg=person.weight_kg, sex="male", config=config)
        assert moved(depth_only, breadth) == 0.0 and moved(depth_only, depth) > 1e-3, config


@pytest.mark.slow
def test_the_weight_waits_for_the_depth_stage(model):
    """Without a side view the phenotypes are fitted to the photos alone: cut the depth stage off and a
    weight changes nothing (with it in the phenotype stage, the round trip's waist and hip got worse)."""
    from body_model.fit import FitConfig

    rng = np.random.default_rng(7)
    person = sample_person(model, rng, "female")
    views = [observe(model, person, kind, rng) for kind in ("front", "back")]
    cfg = FitConfig(iters_shape=20, iters_local=0)
    plain = fit(views, person.stature_cm, sex="female", config=cfg)
    heavier = fit(views, person.stature_cm, weight_kg=1.15 * person.weight_kg, sex="female", config=cfg)
    assert np.array_equal(plain.vertices, heavier.vertices)
    assert "weight" in heavier.inputs_used
    with_stage = fit(views, person.stature_cm, weight_kg=1.15 * person.weight_kg, sex="female",
                     config=FitConfig(iters_shape=20))
    assert with_stage.volume_l > plain.volume_l * 1.05  # the depth stage takes the weight up


def test_without_unseen_changes_the_same_people_are_drawn(model):
    """--hidden-amplitude 0 compares the fit on the same people with and without the changes it cannot see."""
    from body_model.fit_synthetic import ROUNDTRIP_LOCALS

    with_changes = sample_person(model, np.random.default_rng(5), "female")
    without = sample_person(model, np.random.default_rng(5), "female", local_amplitude=0.0)
    names = list(model.local_names)
    hidden = [names.index(n) for n in ROUNDTRIP_LOCALS]
    assert float(with_changes.shape.local[0, hidden].abs().max()) > 0.05
    assert float(without.shape.local.abs().max()) == 0.0
    # same draws, and here the same pick among them: same phenotypes (height aside: the stature sets it)
    assert torch.equal(without.shape.phenotypes[0, :4], with_changes.shape.phenotypes[0, :4])
    assert without.stature_cm == with_changes.stature_cm


def test_the_weight_terms_volume_is_the_posed_bodys(model):
    """The weight term takes the rest body's volume plus the posing's offset, refreshed with the rims: right
    after a refresh it is the first view's posed volume, and its gradient nearly the posed volume's."""
    from body_model.fit import BREADTH_LOCALS, DEPTH_LOCALS, FitConfig, _Problem
    from body_model.fit_losses import mesh_volume_m3
    from body_model.fit_views import prepare_view

    rng = np.random.default_rng(6)
    person = sample_person(model, rng, "female")
    fast = model.only_locals(tuple(n for g in BREADTH_LOCALS + DEPTH_LOCALS for n in g))
    cfg = FitConfig()
    pvs = [prepare_view(observe(model, person, kind, rng), cfg.clothes, cfg.max_outline_points)
           for kind in ("front", "back")]
    pr = _Problem(fast, pvs, person.stature_cm, "female", cfg)
    with torch.no_grad():
        pr.joints.normal_(0.0, 0.15)  # arms and legs moved: posing changes the volume a little
    faces = torch.from_numpy(fast.faces)
    shape = pr.shape()
    first = fast.forward(shape, pr.pose()).vertices[0]
    with torch.no_grad():
        pr.refresh_volume_offset(shape, first)
    assert float(pr.volume_offset) != 0.0
    ours, posed = pr.volume_m3(shape), mesh_volume_m3(first, faces)
    assert float(ours) == pytest.approx(float(posed), rel=1e-5)
    g_ours = torch.autograd.grad(ours, pr.pheno, retain_graph=True)[0]
    g_posed = torch.autograd.grad(posed, pr.pheno)[0]
    assert torch.allclose(g_ours, g_posed, rtol=0.05, atol=0.02 * float(g_posed.abs().max()))
