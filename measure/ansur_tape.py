"""Which of our measurements a real tape measurement in ANSUR II corresponds to, and its ISO 20685 tolerance.

One table shared by the body twins (measure.twins), the synthetic subjects (measure.synth), the
height/weight baselines and the end-to-end accuracy benchmark, so all of them compare the same
pairs. ANSUR II takes chest circumference at the nipples (our `bust_girth`, for both sexes) and
waist circumference at the navel (ours: the natural waist), so a few pairs differ by definition
as well as by error; the benchmark says so.

ISO 20685-1 allowable error of trained measurers (the bar a method "as good as a tape" must pass):
heights 4 mm, lengths 5 mm, large girths 9 mm, small girths 4 mm.
"""

from __future__ import annotations

from dataclasses import dataclass

ISO_20685_ALLOWABLE_CM: dict[str, float] = {"height": 0.4, "length": 0.5, "large_girth": 0.9, "small_girth": 0.4}


@dataclass(frozen=True)
class TapePair:
    """Our measurement `ours` (measure.definitions name) against ANSUR II column `ansur`."""

    label: str
    ours: str
    ansur: str
    iso_class: str  # a key of ISO_20685_ALLOWABLE_CM

    @property
    def allowable_cm(self) -> float:
        return ISO_20685_ALLOWABLE_CM[self.iso_class]


TAPE_PAIRS: tuple[TapePair, ...] = (
    TapePair("chest", "bust_girth", "chestcircumference", "large_girth"),
    TapePair("waist", "waist_girth", "waistcircumference", "large_girth"),
    TapePair("hip", "hip_girth", "buttockcircumference", "large_girth"),
    TapePair("neck", "neck_girth", "neckcircumferencebase", "small_girth"),
    TapePair("thigh", "thigh_girth", "thighcircumference", "large_girth"),
    TapePair("calf", "calf_girth", "calfcircumference", "small_girth"),
    TapePair("wrist", "wrist_girth", "wristcircumference", "small_girth"),
    TapePair("inside leg", "inside_leg", "crotchheight", "height"),
    TapePair("arm length", "arm_length", "sleeveoutseam", "length"),
    TapePair("shoulder breadth", "biacromial_breadth", "biacromialbreadth", "length"),
)
TAPE_BY_LABEL: dict[str, TapePair] = {p.label: p for p in TAPE_PAIRS}

# Size-chart dimensions (measure.definitions names) -> the ANSUR column a tape gives for them, so a
# subject's "true" size comes from their real tape values.
CHART_DIMENSION_TO_ANSUR: dict[str, str] = {
    "chest_girth": "chestcircumference", "bust_girth": "chestcircumference", "waist_girth": "waistcircumference",
    "hip_girth": "buttockcircumference", "stature": "stature", "inside_leg": "crotchheight",
    "neck_girth": "neckcircumferencebase", "thigh_girth": "thighcircumference",
}


def tape_chart_values(subject: dict[str, float]) -> dict[str, float]:
    """{chart dimension: tape value in cm} of one ANSUR subject (cm record as from AnsurTable.records())."""
    return {dim: float(subject[col]) for dim, col in CHART_DIMENSION_TO_ANSUR.items() if col in subject}


__all__ = ["ISO_20685_ALLOWABLE_CM", "TapePair", "TAPE_PAIRS", "TAPE_BY_LABEL", "CHART_DIMENSION_TO_ANSUR",
           "tape_chart_values"]
