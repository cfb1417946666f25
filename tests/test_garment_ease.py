"""The garment-ease rules: what the fit assumes about the gap between clothes and skin, and that
assuming the right clothes takes a loose garment's ease off the fitted girths."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from body_model.garment_ease import (
    CLOTHES,
    CLOTHES_RULES,
    DEFAULT_CLOTHES,
    garment_band,
    outline_rules,
    rule_for_label,
)
from body_model.lip_labels import LIP_ID, NOT_BODY_IDS, SKIN_IDS


def test_skin_and_not_body_do_not_depend_on_clothes():
    for clothes in CLOTHES:
        for label in SKIN_IDS:
            rule = rule_for_label(label, clothes)
            assert rule.weight == 1.0 and rule.stand_off_cm == 0.0
        for label in NOT_BODY_IDS | {LIP_ID["background"]}:
            assert rule_for_label(label, clothes).weight == 0.0


def test_looser_clothes_stand_further_off():
    shirt, coat = LIP_ID["upper_clothes"], LIP_ID["coat"]
    assert DEFAULT_CLOTHES == "tight"
    tight, fitted, everyday = (rule_for_label(shirt, c).stand_off_cm for c in ("tight", "fitted", "everyday"))
    assert tight == 0.0 < fitted < everyday
    assert rule_for_label(coat, "everyday").stand_off_cm > everyday
    # Free-hanging cloth does not say where the body is.
    assert rule_for_label(LIP_ID["skirt"], "everyday").weight == 0.0
    assert all(set(rules) == set(CLOTHES_RULES["tight"]) for rules in CLOTHES_RULES.values())


def test_outline_rules_per_point():
    labels = np.array([LIP_ID["face"], LIP_ID["upper_clothes"], LIP_ID["hair"], LIP_ID["pants"]])
    rules = outline_rules(labels, len(labels), "everyday")
    assert rules["weight"].tolist() == [1.0, 0.5, 0.0, 0.5]
    assert rules["stand_off_cm"][0] == 0.0 and rules["stand_off_cm"][1] > 1.0 and rules["stand_off_cm"][3] > 1.0
    bare = outline_rules(None, 3, "everyday")  # no labels: every point is taken as body
    assert bare["weight"].tolist() == [1.0, 1.0, 1.0] and not bare["stand_off_cm"].any()
    with pytest.raises(ValueError, match="clothes must be one of"):
        outline_rules(labels, len(labels), "pyjamas")


def test_garment_band_is_the_outer_stand_off_of_clothing_only():
    mask = np.zeros((60, 60), bool)
    mask[10:50, 10:50] = True
    labels = np.where(mask, LIP_ID["upper_clothes"], 0).astype(np.uint8)
    labels[10:50, 10:20] = LIP_ID["left_arm"]
    assert not garment_band(mask, labels, "tight", px_per_cm=2.0).any()
    band = garment_band(mask, labels, "everyday", px_per_cm=2.0)
    reach = (1.5 + 0.6) * 2.0  # everyday shirt: stand-off plus tolerance, in pixels
    assert band[30, 49] and band[30, 49 - int(reach) + 1] and not band[30, 49 - int(reach) - 1]
    assert not band[30, 10:20].any(), "skin is no garment"
    assert not band[~mask].any()


@pytest.mark.slow
def test_assuming_everyday_clothes_takes_a_loose_shirts_ease_off_the_chest():
    """A body in a loose shirt (its torso outline 2 cm out all round): fitted as if in tight clothes the
    chest comes out too big (the bare arms and legs hold it back from the full +12 cm); told the person
    wears everyday clothes, the fit takes the shirt's ease off and lands nearer the truth."""
    from body_model.fit import FitConfig, fit
    from body_model.fit_synthetic import observe, sample_person
    from body_model.model import load_body_model
    from measure.measurements import measure_body

    model = load_body_model()
    rng = np.random.default_rng(5)
    person = sample_person(model, rng, "male")
    views = []
    for kind in ("front", "back"):
        view = observe(model, person, kind, rng)
        rows = np.nonzero(view.mask.any(axis=1))[0]
        px = 2.0 / person.stature_cm * (rows[-1] - rows[0] + 1)  # 2 cm in pixels
        shirt = view.part_labels == LIP_ID["upper_clothes"]
        k = 2 * int(round(px)) + 1
        grown = cv2.dilate(shirt.astype(np.uint8), np.ones((k, k), np.uint8)).astype(bool) & ~view.mask
        view.mask = view.mask | grown
        view.part_labels = np.where(grown, LIP_ID["upper_clothes"], view.part_labels).astype(np.uint8)
        views.append(view)
    truth = measure_body(person.rest_vertices, model.faces, model.vertex_parts).values["chest_girth"].value_cm
    chest = {}
    for clothes in ("tight", "everyday"):
        result = fit(views, person.stature_cm, sex="male", model=model, config=FitConfig(clothes=clothes))
        chest[clothes] = measure_body(result.vertices, model.faces, model.vertex_parts).values["chest_girth"].value_cm
    assert chest["tight"] - truth > 1.5, (chest, truth)
    assert chest["everyday"] < chest["tight"] - 2.0, (chest, truth)
    assert abs(chest["everyday"] - truth) < abs(chest["tight"] - truth), (chest, truth)
