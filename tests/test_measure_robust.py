"""Landmarks hold on unusual bodies: random phenotypes with random local shape changes, and bodies that
once broke the neck (a neck girth of a few cm, a shoulder width carried over the head)."""

from __future__ import annotations

import numpy as np
import pytest

from measure.landmarks import LandmarkError
from measure.measurements import measure_body

# Bodies that broke the old horizontal-neck / side-neck-point logic (phenotypes in PHENOTYPES order).
NAMED = {
    "heavy_muscular_older": ((0.88, 0.88, 0.88, 0.79, 0.36, 0.32), {}),
    "short_plump_short_neck": ((0.71, 0.70, 0.34, 0.57, 0.10, 0.55), {}),
    "head_and_neck_forward": ((0.10, 0.79, 0.42, 0.12, 0.21, 0.29),
                              {"neck-trans-forward": 0.5, "head-trans-forward": 0.5, "torso-scale-horiz-incr": 0.5,
                               "torso-trans-up": -0.4}),
    "very_short_neck_narrow_shoulders": ((0.15, 0.96, 0.90, 0.31, 0.98, 0.15),
                                         {"measure-neck-height-incr": -0.9, "measure-shoulder-dist-incr": -0.55,
                                          "torso-scale-horiz-incr": -0.45, "neck-scale-horiz-incr": 0.2}),
}
N_RANDOM = 6


def _random_bodies(names: tuple[str, ...], rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Adult phenotypes anywhere in [0, 1] (age >= 0.5) and every local change in [-0.5, 0.5], left = right."""
    out = []
    index = {n: i for i, n in enumerate(names)}
    for _ in range(N_RANDOM):
        ph = rng.uniform(0.0, 1.0, 6)
        ph[1] = rng.uniform(0.5, 1.0)
        local = rng.uniform(-0.5, 0.5, len(names))
        for n, i in index.items():
            if n.startswith("l-") and "r-" + n[2:] in index:
                local[index["r-" + n[2:]]] = local[i]
        out.append((ph, local))
    return out


@pytest.fixture(scope="module")
def measured():
    model_mod = pytest.importorskip("body_model.model")
    import torch

    model = model_mod.load_body_model()
    names = model.local_names
    shapes = {}
    for key, (ph, changes) in NAMED.items():
        local = np.zeros(len(names))
        for n, value in changes.items():
            local[names.index(n)] = value
        shapes[key] = (np.array(ph), local)
    for i, body in enumerate(_random_bodies(names, np.random.default_rng(20261128))):
        shapes[f"random_{i}"] = body
    out = {}
    for key, (ph, local) in shapes.items():
        shape = model_mod.BodyShape(torch.tensor(ph[None], dtype=torch.float32),
                                    torch.tensor(local[None], dtype=torch.float32))
        with torch.no_grad():
            v = model.rest(shape).vertices[0].numpy().astype(np.float64)
        out[key] = measure_body(v, model.faces, model.vertex_parts)
    return out


@pytest.mark.slow
def test_no_negative_or_absurd_values(measured) -> None:
    for key, m in measured.items():
        c = m.as_cm()
        h = c["stature"]
        for name, value in c.items():
            assert np.isfinite(value) and value > 0, (key, name, value)
        assert 0.17 < c["neck_girth"] / h < 0.32, (key, c["neck_girth"], h)
        assert c["neck_girth"] < c["head_girth"] and c["neck_girth"] < 0.6 * c["chest_girth"], key
        assert c["biacromial_breadth"] < c["shoulder_width"] < 0.36 * h, (key, c["shoulder_width"])
        assert 0.05 < c["shoulder_length"] / h < 0.12, (key, c["shoulder_length"])
        assert c["arm_length"] < c["neck_to_wrist"] < 0.56 * h, (key, c["neck_to_wrist"])
        assert 0.17 < c["back_waist_length"] / h < 0.34, (key, c["back_waist_length"])


@pytest.mark.slow
def test_neck_base_landmarks_in_anatomical_order(measured) -> None:
    for key, m in measured.items():
        lv, lm = m.levels_m, m.landmarks
        floor = lm["crotch"][2] - lv["crotch"]  # landmarks are in the mesh frame, levels above the floor
        c7_z, front_z = lm["c7"][2] - floor, lm["front_neck"][2] - floor
        assert lv["axilla"] < front_z < c7_z < lv["top"], (key, lv["axilla"], front_z, c7_z)
        assert lm["c7"][1] > lm["front_neck"][1], key  # C7 behind the jugular notch (the body faces -y)
        assert lm["side_neck_left"][0] > lm["side_neck_right"][0], key
        assert lv["crotch"] < lv["hip"] < lv["waist"] < lv["chest"] < lv["c7"], (key, lv)


@pytest.mark.slow
def test_left_and_right_agree_on_symmetric_bodies(measured) -> None:
    for key, m in measured.items():
        for name in ("shoulder_length", "neck_to_wrist", "arm_length", "upper_arm_girth", "thigh_girth"):
            left, right = m[name].sides_cm
            assert abs(left - right) < max(0.1 * max(left, right), 1.5), (key, name, left, right)


def test_labelled_triangle_soup_is_refused() -> None:
    """Random triangles with every part label but no body shape: a LandmarkError, not numbers."""
    from body_model.parts import Part

    rng = np.random.default_rng(0)
    v = rng.uniform(-0.2, 0.2, size=(400, 3)) + np.array([0.0, 0.0, 1.0])
    f = rng.integers(0, 400, size=(600, 3))
    parts = np.repeat(np.array([p for p in Part if p != Part.BACKGROUND], dtype=np.uint8), 400 // 15 + 1)[:400]
    with pytest.raises(LandmarkError):
        measure_body(v, f, parts)
