"""What each measurement means: its name, kind and a short ISO 8559-1 style definition, as data.

The definitions say how `measure.measurements` takes the measure on a standing rest-pose mesh
(A-pose). Girths are tape-like: the perimeter of the convex hull of a plane section restricted to
the body part (a tape bridges hollows). Lengths "over" the body follow the convex hull of the
surface curve in the named plane (a tape stretched over the body). Paired limb measures are the
mean of the left and right sides.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    name: str
    kind: str  # "height", "girth" or "length"
    text: str


_DEFS: tuple[Definition, ...] = (
    Definition("stature", "height", "Vertical distance from the floor to the top of the head."),
    Definition("neck_girth", "girth",
               "Neck base girth: around the base of the neck over the 7th cervical vertebra, the side neck points "
               "and the jugular notch, in a plane rising 30 degrees from front to back (as from the notch up to C7). "
               "The plane steps down the neck from its narrowest section while the tape grows smoothly; the base "
               "is the last plane before the skin turns out onto the shoulders, chest and upper back (tape growing "
               "over 3 cm per cm of descent), so no trapezius or chest is included. Same landmarks as ANSUR's "
               "neckcircumferencebase."),
    Definition("chest_girth", "girth",
               "Horizontal girth under the armpits over the shoulder blades and chest: the fullest torso girth "
               "between the bust prominence and 1.2 cm below the armpits (arms excluded)."),
    Definition("bust_girth", "girth",
               "Horizontal girth at the bust prominence (most anterior point of the torso between waist and "
               "armpits), the tape bridging between the breasts."),
    Definition("underbust_girth", "girth",
               "Horizontal girth just below the breasts, at the deepest point of the front profile under the "
               "bust prominence (the breast fold)."),
    Definition("waist_girth", "girth",
               "Natural waist: the narrowest horizontal torso girth between the lowest rib and the iliac crest "
               "(searched between 30% and 75% of the way from the hip level up to the armpits)."),
    Definition("hip_girth", "girth",
               "Horizontal girth at the level of the greatest buttock prominence, around buttocks and thighs."),
    Definition("thigh_girth", "girth",
               "Horizontal girth of one thigh just below the gluteal fold: the fullest thigh girth from 0.5 cm "
               "to 5% of stature below the crotch."),
    Definition("knee_girth", "girth", "Girth over the knee at the knee joint, perpendicular to the leg axis."),
    Definition("calf_girth", "girth", "Maximum girth of the calf, perpendicular to the lower-leg axis."),
    Definition("ankle_girth", "girth",
               "Minimum girth of the lower leg just above the ankle bones, perpendicular to its axis."),
    Definition("upper_arm_girth", "girth",
               "Maximum girth of the upper arm between 40% and 75% of the way from shoulder to elbow (the biceps), "
               "perpendicular to its axis."),
    Definition("elbow_girth", "girth", "Girth over the elbow at the elbow joint, perpendicular to the arm."),
    Definition("wrist_girth", "girth",
               "Minimum girth of the wrist near the wrist joint, perpendicular to the forearm axis."),
    Definition("head_girth", "girth",
               "Maximum horizontal girth of the head above the ears (3% to 5.5% of stature below its top)."),
    Definition("shoulder_width", "length",
               "From acromion to acromion over the back through the 7th cervical vertebra (tape over the "
               "back of the shoulders)."),
    Definition("across_back", "length",
               "Horizontal distance over the back between the posterior armpit folds (taken below the acromions), "
               "halfway between the 7th cervical vertebra and the armpit level."),
    Definition("arm_length", "length",
               "From the acromion over the outside of the elbow to the wrist (arm hanging in the rest pose)."),
    Definition("neck_to_wrist", "length",
               "From the 7th cervical vertebra over the shoulder to the acromion, then over the elbow to the "
               "wrist with the arm hanging straight (sleeve length from the back neck). ANSUR's "
               "sleevelengthspinewrist is taken with the elbow bent, the tape rounding it, and reads longer: on "
               "ANSUR's own means it exceeds sleeve outseam by ~30 cm where C7 to acromion is ~22 cm."),
    Definition("inside_leg", "height", "Vertical distance from the crotch point to the floor."),
    Definition("outside_leg", "length",
               "From the waist at the side of the body over the hip down the outside of the leg to the floor."),
    Definition("back_waist_length", "length",
               "From the 7th cervical vertebra down the spine (bridging the hollow of the back) to the natural "
               "waist level (ISO 8559-1's waist). ANSUR's waistbacklength ends lower, at the navel (omphalion) "
               "level, so it reads longer, by the natural waist to navel distance."),
    Definition("front_waist_length", "length",
               "From the side neck point over the bust point, then vertically over the front to the waist."),
    Definition("crotch_length", "length",
               "From the waist at the front centre through the crotch to the waist at the back centre."),
    Definition("shoulder_length", "length", "From the side neck point along the top of the shoulder to the acromion."),
    Definition("biacromial_breadth", "length",
               "Straight distance between the two acromions (a breadth, not over the body)."),
)

DEFINITIONS: dict[str, Definition] = {d.name: d for d in _DEFS}
MEASUREMENT_NAMES: tuple[str, ...] = tuple(DEFINITIONS)
