"""How far a person's outline stands off their skin, per part label and kind of clothes.

A photo's outline is the clothes', not the body's. A garment stands off the skin by its ease: the
girth a pattern adds over the body, divided by 2*pi, is the mean gap all round. Pattern-making
allowances for everyday wear (chest ease 8-12 cm for shirts and T-shirts, 15-25 cm for coats and
jackets, hip ease 5-10 cm for trousers) give stand-offs of about 1.3-1.9, 2.4-4 and 0.8-1.6 cm. A fit
that takes the clothes' outline for the body's grows every girth by 2*pi times that: 8-25 cm.

So the fit moves each clothing outline point inward by its class's expected stand-off before the
body's rim is pulled to it, and does not charge a gap within the stand-off's tolerance either way.
Free-hanging cloth (skirts, a dress's skirt, scarves) follows the body too loosely to say where the
body is: those points get little or no weight, and the body only has to stay inside them (the fit's
inside term).

Which clothes a person wears is theirs to say (`CLOTHES`): measuring apps ask for tight clothes, and
"tight" is the default; "fitted" and "everyday" subtract the typical ease. The synthetic renderer
(body_model.looks) draws its garments' stand-offs from ranges around the same figures, so a
benchmark on its renders checks the mechanism, not these figures on real clothes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from body_model.lip_labels import CLOTHING_IDS, LIP_CLASSES, LIP_ID, NOT_BODY_IDS, SKIN_IDS


@dataclass(frozen=True)
class OutlineRule:
    """How the fit treats the outline points of one part label.

    weight: the coverage weight (0: not a target; the body still has to stay inside the outline).
    stand_off_cm: the expected gap between the skin and the outline. tolerance_cm: gaps within this
    of the expected one cost nothing. slack_px: a further tolerance in pixels (the label's edge itself
    is uncertain by about a pixel where cloth meets background).
    """

    weight: float
    stand_off_cm: float = 0.0
    tolerance_cm: float = 0.0
    slack_px: float = 0.0


SKIN = OutlineRule(1.0)
NOT_BODY = OutlineRule(0.0)

_GARMENTS = tuple(LIP_CLASSES[i] for i in sorted(CLOTHING_IDS))


def _table(**rules: OutlineRule) -> dict[str, OutlineRule]:
    missing = set(_GARMENTS) - set(rules)
    if missing:
        raise ValueError(f"garment rules missing for {sorted(missing)}")
    return rules


CLOTHES_RULES: dict[str, dict[str, OutlineRule]] = {
    # Skin-tight clothes or underwear: the outline is the body's to about a pixel.
    "tight": _table(**{g: OutlineRule(0.5, slack_px=0.5) for g in _GARMENTS}),
    # Close-fitting but not tight: T-shirts, leggings, slim jeans (girth ease ~3 cm).
    "fitted": _table(
        upper_clothes=OutlineRule(0.5, 0.5, 0.3, 0.5), coat=OutlineRule(0.3, 1.5, 0.8, 0.5),
        dress=OutlineRule(0.2, 0.5, 0.4, 0.5), skirt=OutlineRule(0.05, 1.0, 1.0, 0.5),
        pants=OutlineRule(0.5, 0.5, 0.3, 0.5), jumpsuits=OutlineRule(0.5, 0.5, 0.3, 0.5),
        scarf=OutlineRule(0.0), glove=OutlineRule(0.5, 0.3, 0.2, 0.5), socks=OutlineRule(0.5, 0.2, 0.2, 0.5),
    ),
    # What people wear day to day: regular T-shirts and shirts, jeans, coats, skirts, dresses.
    "everyday": _table(
        upper_clothes=OutlineRule(0.5, 1.5, 0.6, 0.5), coat=OutlineRule(0.3, 3.5, 1.0, 0.5),
        dress=OutlineRule(0.15, 1.2, 0.6, 0.5), skirt=OutlineRule(0.0),
        pants=OutlineRule(0.5, 1.2, 0.6, 0.5), jumpsuits=OutlineRule(0.4, 1.4, 0.6, 0.5),
        scarf=OutlineRule(0.0), glove=OutlineRule(0.5, 0.3, 0.2, 0.5), socks=OutlineRule(0.5, 0.2, 0.2, 0.5),
    ),
}
CLOTHES: tuple[str, ...] = tuple(CLOTHES_RULES)
DEFAULT_CLOTHES = "tight"
# Without part labels every outline point is taken as body-like: weight 1, no stand-off.
UNLABELLED = OutlineRule(1.0)


def check_clothes(clothes: str) -> str:
    if clothes not in CLOTHES_RULES:
        raise ValueError(f"clothes must be one of {', '.join(CLOTHES)}, got {clothes!r}")
    return clothes


def rule_for_label(label: int, clothes: str) -> OutlineRule:
    """The outline rule of one LIP id for the kind of clothes."""
    if label in SKIN_IDS:
        return SKIN
    if label in NOT_BODY_IDS or label == LIP_ID["background"]:
        return NOT_BODY
    return CLOTHES_RULES[check_clothes(clothes)].get(LIP_CLASSES[label], NOT_BODY)


def outline_rules(labels: np.ndarray | None, n_points: int, clothes: str) -> dict[str, np.ndarray]:
    """Per outline point (LIP ids `labels`, or None: unlabelled): weight, stand_off_cm, tolerance_cm,
    slack_px as float32 arrays."""
    fields = ("weight", "stand_off_cm", "tolerance_cm", "slack_px")
    if labels is None:
        return {f: np.full(n_points, getattr(UNLABELLED, f), np.float32) for f in fields}
    out = {f: np.zeros(len(labels), np.float32) for f in fields}
    for label in np.unique(labels):
        rule = rule_for_label(int(label), clothes)
        sel = labels == label
        for f in fields:
            out[f][sel] = getattr(rule, f)
    return out


def garment_band(mask: np.ndarray, labels: np.ndarray, clothes: str, px_per_cm: float) -> np.ndarray:
    """(H, W) bool: person pixels within their garment's stand-off plus tolerance of the outline, where
    cloth and body cannot be told apart; empty for tight clothes. Quality scores leave them out."""
    import cv2

    mask = np.asarray(mask, dtype=bool)
    band = np.zeros(mask.shape, bool)
    inside = mask & (labels > 0)
    if not inside.any():
        return band
    rules = outline_rules(labels[inside].astype(np.int64), int(inside.sum()), clothes)
    reach_px = (rules["stand_off_cm"] + rules["tolerance_cm"]) * px_per_cm
    if not np.any(reach_px > 0):
        return band
    depth_px = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)[inside]
    band[inside] = (reach_px > 0) & (depth_px <= reach_px)
    return band
