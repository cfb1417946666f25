"""CCP -> LIP conversion on a hand-drawn label map with hand-placed keypoints (no mediapipe, no data)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from body_model.keypoints import KEYPOINT_FLIP_PAIRS, KEYPOINT_ID
from body_model.lip_labels import LIP_CLASSES, LIP_ID
from parsing.ccp_to_lip import (
    CCP_TO_LIP_LUT,
    CCP_TO_LIP_RULES,
    _vote_components,
    consensus_conversion,
    convert_labels,
    flip_agreement,
    mirror_conversion,
)
from parsing.datasets.meta import CCP_CLASSES

H, W = 200, 120
C = {name: i for i, name in enumerate(CCP_CLASSES)}
L = LIP_ID

# A front-facing person: their left is on the image's right.
POINTS = {
    "nose": (60, 20), "left_eye": (64, 17), "right_eye": (56, 17), "left_ear": (68, 19), "right_ear": (52, 19),
    "left_shoulder": (75, 40), "right_shoulder": (45, 40), "left_elbow": (82, 65), "right_elbow": (38, 65),
    "left_wrist": (86, 88), "right_wrist": (34, 88), "left_hip": (70, 95), "right_hip": (50, 95),
    "left_knee": (71, 135), "right_knee": (49, 135), "left_ankle": (72, 175), "right_ankle": (48, 175),
    "left_heel": (71, 181), "right_heel": (49, 181), "left_big_toe": (74, 190), "right_big_toe": (46, 190),
}


def keypoints(points: dict[str, tuple[float, float]] = POINTS) -> np.ndarray:
    kp = np.zeros((21, 3), np.float32)
    for name, (x, y) in points.items():
        kp[KEYPOINT_ID[name]] = (x, y, 1.0)
    return kp


def line(img: np.ndarray, a, b, value: int, thickness: int) -> None:
    cv2.line(img, tuple(map(int, a)), tuple(map(int, b)), int(value), thickness)


def scene() -> np.ndarray:
    """CCP labels: hair, face skin, t-shirt, jeans with a belt, bare forearms, bare shins, shoes, a bag."""
    g = np.zeros((H, W), np.uint8)
    p = POINTS
    cv2.circle(g, (60, 14), 12, C["hair"], -1)
    cv2.circle(g, (60, 22), 9, C["skin"], -1)
    cv2.rectangle(g, (44, 36), (76, 96), C["t-shirt"], -1)
    for side in ("left", "right"):
        line(g, p[f"{side}_shoulder"], p[f"{side}_elbow"], C["t-shirt"], 9)
        line(g, p[f"{side}_elbow"], p[f"{side}_wrist"], C["skin"], 7)
        line(g, p[f"{side}_hip"], p[f"{side}_knee"], C["jeans"], 13)
        line(g, p[f"{side}_knee"], p[f"{side}_ankle"], C["skin"], 9)
        line(g, p[f"{side}_heel"], p[f"{side}_big_toe"], C["sneakers"], 7)
    cv2.rectangle(g, (52, 100), (68, 104), C["belt"], -1)
    cv2.rectangle(g, (98, 90), (112, 110), C["bag"], -1)
    cv2.rectangle(g, (56, 18), (64, 20), C["sunglasses"], -1)
    return g


def segment_pixels(g: np.ndarray, name: str, a: str, b: str) -> np.ndarray:
    """Mask of CCP class `name` pixels within 6 px of the segment between two keypoints."""
    m = np.zeros_like(g)
    line(m, POINTS[a], POINTS[b], 1, 12)
    return (m > 0) & (g == C[name])


def test_every_ccp_id_has_a_rule_and_lut_entry() -> None:
    assert len(CCP_CLASSES) == 59 and set(CCP_TO_LIP_RULES) == set(CCP_CLASSES)
    mapped = CCP_TO_LIP_LUT[: len(CCP_CLASSES)]
    assert ((mapped < len(LIP_CLASSES)) | (mapped >= 250)).all()
    assert CCP_TO_LIP_LUT[C["jeans"]] == L["pants"] and CCP_TO_LIP_LUT[C["blazer"]] == L["coat"]
    assert CCP_TO_LIP_LUT[C["bag"]] == L["background"] and CCP_TO_LIP_LUT[C["romper"]] == L["jumpsuits"]


def test_front_facing_scene_splits_skin_and_shoes_by_side() -> None:
    g = scene()
    out = convert_labels(g, keypoints()).labels
    checks = [
        (segment_pixels(g, "skin", "left_elbow", "left_wrist"), L["left_arm"]),
        (segment_pixels(g, "skin", "right_elbow", "right_wrist"), L["right_arm"]),
        (segment_pixels(g, "skin", "left_knee", "left_ankle"), L["left_leg"]),
        (segment_pixels(g, "skin", "right_knee", "right_ankle"), L["right_leg"]),
        (segment_pixels(g, "sneakers", "left_heel", "left_big_toe"), L["left_shoe"]),
        (segment_pixels(g, "sneakers", "right_heel", "right_big_toe"), L["right_shoe"]),
    ]
    for mask, expected in checks:
        assert mask.sum() > 20
        assert (out[mask] == expected).mean() > 0.97, LIP_CLASSES[expected]
    face = (g == C["skin"]) & (np.hypot(*np.mgrid[:H, :W][::-1] - np.array([60, 22])[:, None, None]) < 8)
    assert (out[face] == L["face"]).mean() > 0.97
    assert (out[g == C["belt"]] == L["pants"]).all()          # absorbed by the garment around it
    assert (out[g == C["bag"]] == L["background"]).all()
    assert (out[g == C["t-shirt"]] == L["upper_clothes"]).all()
    assert (out[g == C["hair"]] == L["hair"]).all()
    assert (out[g == C["sunglasses"]] == L["sunglasses"]).all()
    assert (out[g == 0] == 0).all()


def mirrored_keypoints() -> np.ndarray:
    kp = keypoints()
    kp[:, 0] = W - 1 - kp[:, 0]
    for a, b in KEYPOINT_FLIP_PAIRS:
        kp[[a, b]] = kp[[b, a]]
    return kp


def test_mirrored_photo_gives_the_mirrored_conversion() -> None:
    g = scene()
    out = convert_labels(g, keypoints()).labels
    from_mirror = convert_labels(np.ascontiguousarray(g[:, ::-1]), mirrored_keypoints()).labels
    assert (mirror_conversion(from_mirror) == out).mean() > 0.995
    assert flip_agreement(out, from_mirror, g) > 0.99


def test_mirror_consensus_keeps_agreeing_pixels_and_drops_contradicted_sides() -> None:
    g = scene()
    agreed, share = consensus_conversion(g, keypoints(), mirrored_keypoints())
    assert share > 0.99 and agreed.stats.mirror_disagree_px < 0.01 * (g > 0).sum()
    # A mirror-image pose that did not swap left and right contradicts every side decision.
    unswapped = keypoints()
    unswapped[:, 0] = W - 1 - unswapped[:, 0]
    contradicted, share = consensus_conversion(g, keypoints(), unswapped)
    sided = np.isin(convert_labels(g, keypoints()).labels, [14, 15, 16, 17, 18, 19])
    assert share < 0.2 and (contradicted.labels[sided] == 255).mean() > 0.95
    assert (contradicted.labels[g == C["t-shirt"]] == L["upper_clothes"]).all()


def test_back_view_puts_the_persons_left_on_the_image_left() -> None:
    """Seen from behind, the keypoints' left side is on the image's left: labels follow the keypoints."""
    g = scene()
    back = {n.replace("left_", "@").replace("right_", "left_").replace("@", "right_"): xy for n, xy in POINTS.items()}
    conversion = convert_labels(g, keypoints(back))
    out = conversion.labels
    assert conversion.stats.facing == "back"
    assert (out[segment_pixels(g, "skin", "left_elbow", "left_wrist")] == L["right_arm"]).mean() > 0.97
    assert (out[segment_pixels(g, "sneakers", "right_heel", "right_big_toe")] == L["left_shoe"]).mean() > 0.97


def test_without_keypoints_split_pixels_are_ignored() -> None:
    g = scene()
    conversion = convert_labels(g, None)
    out = conversion.labels
    split = np.isin(g, [C["skin"], C["sneakers"]])
    assert (out[split] == 255).all()
    assert conversion.stats.unsplit_px == int(split.sum()) and not conversion.stats.pose_found
    assert (out[g == C["t-shirt"]] == L["upper_clothes"]).all()


def test_blazepose_landmarks_locate_a_bent_hand() -> None:
    """With 33 BlazePose landmarks the hand follows the knuckles, not the forearm's direction."""
    from parsing.pose import BLAZEPOSE_INDEX

    g = scene()
    wrist = np.array(POINTS["left_wrist"])
    knuckles = wrist + np.array([-5, 8])  # hand bent inwards, over the thigh
    line(g, wrist, wrist + 1.6 * (knuckles - wrist), C["skin"], 7)
    lm = np.zeros((33, 4), np.float32)
    for name, (x, y) in POINTS.items():
        lm[BLAZEPOSE_INDEX[name]] = (x, y, 0, 1)
    for side, sign in (("left", 1), ("right", -1)):
        w = np.array(POINTS[f"{side}_wrist"], float)
        k = w + np.array([-5 * sign, 8])
        ids = {"left": (19, 17, 21), "right": (20, 18, 22)}[side]
        for i in ids:
            lm[i, :2] = k
            lm[i, 3] = 1
    hand = np.zeros_like(g)
    line(hand, wrist + 0.5 * (knuckles - wrist), wrist + 1.5 * (knuckles - wrist), 1, 5)
    hand = (hand > 0) & (g == C["skin"])
    assert (convert_labels(g, lm).labels[hand] == L["left_arm"]).mean() > 0.9
    # With 21 keypoints the hand is guessed along the forearm, and the thigh takes part of it.
    assert (convert_labels(g, keypoints()).labels[hand] == L["left_arm"]).mean() < 0.9


def test_component_vote_separates_two_shoes_claimed_by_one_foot() -> None:
    mask = np.zeros((20, 40), bool)
    mask[5:15, 2:12] = True
    mask[5:15, 28:38] = True
    labels = np.where(mask, L["left_shoe"], 0).astype(np.uint8)
    _vote_components(mask, labels, (L["left_shoe"], L["right_shoe"]), side_x=(30.0, 10.0))
    assert (labels[5:15, 28:38] == L["left_shoe"]).all() and (labels[5:15, 2:12] == L["right_shoe"]).all()


def test_stats_count_what_was_split() -> None:
    g = scene()
    stats = convert_labels(g, keypoints()).stats
    assert stats.facing == "front" and stats.face_seen and not stats.lr_conflict
    assert stats.skin_px == int((g == C["skin"]).sum())
    assert stats.shoe_px == int((g == C["sneakers"]).sum())
    assert stats.absorbed_px == int((g == C["belt"]).sum())
    assert 0 <= stats.skin_low_margin_px < stats.skin_px


def test_absorbed_items_without_a_person_become_background() -> None:
    g = np.zeros((30, 30), np.uint8)
    g[10:20, 10:20] = C["necklace"]
    assert (convert_labels(g, None).labels == 0).all()


@pytest.mark.parametrize("shape", [(5, 2), (40, 3)])
def test_wrong_keypoint_shape_is_refused(shape) -> None:
    with pytest.raises(ValueError, match="keypoints of shape"):
        convert_labels(scene(), np.zeros(shape, np.float32))
