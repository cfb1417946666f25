"""Input checks: is this a photo we can measure, and are the numbers human?

Each check either raises a typed `measure.errors` exception (the measurement cannot go on) or
returns `QualityWarning`s (it can, with less trust). Checks work on the pose detector's output
(`parsing.pose.PoseDetection`) and optional parser labels only, so they are cheap and testable on
small hand-made arrays without running the fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from body_model.garment_ease import CLOTHES
from body_model.lip_labels import LIP_ID
from measure.errors import (
    MultiplePeopleError,
    NoPersonError,
    OutOfRangeError,
    PersonCutOffError,
    PersonTooSmallError,
    PoseError,
    WrongViewError,
)
from measure.result import QualityWarning
from parsing.pose import BLAZEPOSE_INDEX, PoseDetection

# Human ranges: hard limits reject, soft limits warn (outside what the body prior was built on).
HEIGHT_HARD_CM = (100.0, 230.0)
HEIGHT_SOFT_CM = (140.0, 205.0)
WEIGHT_HARD_KG = (25.0, 300.0)
BMI_SOFT = (15.0, 45.0)
SEXES = {"male": "male", "m": "male", "man": "male", "female": "female", "f": "female", "woman": "female"}

MIN_CORE_VISIBILITY = 0.5      # median visibility of shoulders and hips for "a person is there"
MIN_PERSON_FRACTION = 0.30     # person height / photo height below this: too small (error)
WARN_PERSON_FRACTION = 0.50    # ... below this: a warning
MIN_PERSON_PIXELS = 160        # person height in pixels below this: too small (error)
BORDER_FRACTION = 0.005        # a mask row/column this close to the border counts as touching it
MIN_ARM_ANGLE_DEG = 8.0        # arm (shoulder->wrist) angle to the torso axis below this: error
WARN_ARM_ANGLE_DEG = 14.0      # ... below this: warning
VIEW_MARGIN = 0.25             # |facing| below this is "undecided"
STRONG_VIEW_MARGIN = 0.75      # pose cues alone must agree this strongly to reject before parsing


def check_clothes(clothes: str) -> str:
    """What the person wears (body_model.garment_ease.CLOTHES), normalised; a usage error otherwise."""
    key = str(clothes).strip().lower()
    if key not in CLOTHES:
        raise OutOfRangeError("clothes", f"{clothes!r} is not one of {', '.join(CLOTHES)}")
    return key


def check_girths(girths: str) -> str:
    """Where torso and thigh girths come from (measure.girth_sources.GIRTH_SOURCES); a usage error otherwise."""
    from measure.girth_sources import GIRTH_SOURCES

    if girths not in GIRTH_SOURCES:
        raise OutOfRangeError("girths", f"{girths!r} is not one of {', '.join(GIRTH_SOURCES)}")
    return girths


# Garments that always stand well off the body, and the share of the person they must cover to count.
LOOSE_GARMENTS = {"coat": "coat", "dress": "dress", "skirt": "skirt", "jumpsuits": "jumpsuit"}  # LIP name: shown
LOOSE_GARMENT_MIN_SHARE = 0.05


def check_loose_garments(labels: np.ndarray | None, clothes: str, subject: str) -> list[QualityWarning]:
    """A warning when the person is measured as wearing tight clothes but the parser sees a coat, dress,
    skirt or jumpsuit (at least 5% of the person): their outline is far off the body, and measured as
    tight the girths come out several cm too big (body_model.garment_ease)."""
    if labels is None or clothes != "tight":
        return []
    person = int((labels > 0).sum())
    if person == 0:
        return []
    least = LOOSE_GARMENT_MIN_SHARE * person
    seen = [shown for g, shown in LOOSE_GARMENTS.items() if (labels == LIP_ID[g]).sum() >= least]
    if not seen:
        return []
    return [QualityWarning("loose_clothes", f"the photo shows a {' and a '.join(seen)}, measured as tight clothes: "
                           "girths will read too big; retake in tight clothes or pass clothes 'everyday' "
                           "(--clothes everyday)", subject)]


# A side photo is left out when the person's outline in it is in doubt: the pose detector and the parser
# disagree badly about who is the person (measured on side renders: BlazePose found only the torso, IoU
# 0.24, and the fit bent the body to it, girths +20 to +46 cm), or the person is far shorter in it than in
# the front and back photos (the feet or head lost). A bad side outline does more harm than none.
SIDE_MIN_AGREEMENT = 0.4
SIDE_MIN_HEIGHT_RATIO = 0.7


def side_photo_doubt(side_mask: np.ndarray, agreement: float | None, other_masks: list[np.ndarray]) -> str | None:
    """Why the side photo's person outline should not be trusted, or None."""
    if agreement is not None and agreement < SIDE_MIN_AGREEMENT:
        return f"the pose detector and the parser disagree about the person's outline (IoU {agreement:.2f})"

    def height(mask: np.ndarray) -> int:
        rows = np.nonzero(np.asarray(mask, dtype=bool).any(axis=1))[0]
        return int(rows[-1] - rows[0] + 1) if len(rows) else 0

    others = [height(m) for m in other_masks if m is not None]
    if others and height(side_mask) < SIDE_MIN_HEIGHT_RATIO * float(np.mean(others)):
        return (f"the person is {height(side_mask)} px tall in it against {np.mean(others):.0f} px in the others: "
                "part of them was not found")
    return None


def check_body_values(height_cm: float, weight_kg: float | None = None, sex: str | None = None) -> tuple[
    str | None, list[QualityWarning]
]:
    """Validate height, weight and sex; returns the normalised sex ('male'/'female'/None) and warnings."""
    warnings: list[QualityWarning] = []
    if height_cm is None or not np.isfinite(height_cm):
        raise OutOfRangeError("height", f"{height_cm!r} is not a number of cm")
    lo, hi = HEIGHT_HARD_CM
    if not lo <= height_cm <= hi:
        raise OutOfRangeError("height", f"{height_cm:g} cm is outside the human range {lo:g}-{hi:g} cm")
    lo, hi = HEIGHT_SOFT_CM
    if not lo <= height_cm <= hi:
        warnings.append(QualityWarning("height_unusual", f"height {height_cm:g} cm is outside {lo:g}-{hi:g} cm, "
                                       "where the body prior is weakest", "height"))
    if weight_kg is not None:
        if not np.isfinite(weight_kg):
            raise OutOfRangeError("weight", f"{weight_kg!r} is not a number of kg")
        lo, hi = WEIGHT_HARD_KG
        if not lo <= weight_kg <= hi:
            raise OutOfRangeError("weight", f"{weight_kg:g} kg is outside the human range {lo:g}-{hi:g} kg")
        bmi = weight_kg / (height_cm / 100.0) ** 2
        lo, hi = BMI_SOFT
        if not lo <= bmi <= hi:
            warnings.append(QualityWarning("bmi_unusual", f"weight {weight_kg:g} kg at {height_cm:g} cm is BMI "
                                           f"{bmi:.1f}, outside {lo:g}-{hi:g}; check both values", "weight"))
    norm_sex = None
    if sex is not None and str(sex).strip():
        key = str(sex).strip().lower()
        if key not in SEXES:
            raise OutOfRangeError("sex", f"{sex!r} is not one of male, female")
        norm_sex = SEXES[key]
    return norm_sex, warnings


@dataclass
class PersonFrame:
    """Where the person is in a photo (pixels), from the mask and the landmarks."""

    top: float
    bottom: float
    left: float
    right: float
    image_height: int
    image_width: int
    warnings: list[QualityWarning] = field(default_factory=list)

    @property
    def height_px(self) -> float:
        return self.bottom - self.top

    @property
    def height_fraction(self) -> float:
        return self.height_px / self.image_height


def _lm(det: PoseDetection, name: str) -> np.ndarray:
    return det.landmarks[BLAZEPOSE_INDEX[name]]


def check_person(det: PoseDetection | None, subject: str) -> PersonFrame:
    """A single, whole, large-enough person: raises NoPerson/CutOff/TooSmall errors, else the frame."""
    if det is None:
        raise NoPersonError(subject, "no person found")
    height, width = det.image_size
    core = [_lm(det, n)[3] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
    mask = det.binary_mask()
    if float(np.median(core)) < MIN_CORE_VISIBILITY or mask.sum() < 0.002 * height * width:
        raise NoPersonError(subject, "no person found (shoulders and hips not visible)")

    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    pts = det.landmarks[:, :2]
    top = float(min(rows[0], pts[:11, 1].min()))
    feet = [BLAZEPOSE_INDEX[n] for n in ("left_ankle", "right_ankle", "left_heel", "right_heel",
                                          "left_big_toe", "right_big_toe")]
    bottom = float(max(rows[-1], pts[feet, 1].max()))
    frame = PersonFrame(top=top, bottom=bottom, left=float(cols[0]), right=float(cols[-1]),
                        image_height=height, image_width=width)

    border = max(1, int(round(BORDER_FRACTION * height)))
    shoulder_w = float(np.linalg.norm(pts[11] - pts[12])) or 1.0
    # The head: its top reaches up ~0.6 shoulder widths above the eyes; the mask touching the top row
    # across a head-wide run means the head continues outside.
    eye_y = float(min(pts[2, 1], pts[5, 1]))
    head_top_est = eye_y - 0.45 * shoulder_w
    top_run = mask[:border].any(axis=0).sum()
    if eye_y < 0 or head_top_est < -0.15 * shoulder_w or top_run > 0.25 * shoulder_w:
        raise PersonCutOffError(subject, "person cut off: the head is outside the photo (top)")
    foot_y = det.landmarks[feet, 1]
    bottom_run = mask[height - border:].any(axis=0).sum()
    if np.any(foot_y > height - 1) or bottom_run > 0.5 * shoulder_w:
        raise PersonCutOffError(subject, "person cut off: the feet are outside the photo (bottom)")
    side_runs = mask[:, :border].any(axis=1).sum() + mask[:, width - border:].any(axis=1).sum()
    if side_runs > 0.15 * frame.height_px:
        frame.warnings.append(QualityWarning("touches_side", "the person touches the side of the photo; "
                                             "arms or hands may be cut off", subject))
    ankle_vis = det.landmarks[[BLAZEPOSE_INDEX["left_ankle"], BLAZEPOSE_INDEX["right_ankle"]], 3]
    if float(ankle_vis.max()) < 0.3:
        frame.warnings.append(QualityWarning("feet_unclear", "the feet are not clearly visible", subject))

    if frame.height_px < MIN_PERSON_PIXELS or frame.height_fraction < MIN_PERSON_FRACTION:
        raise PersonTooSmallError(
            subject, f"person too small in the photo ({frame.height_fraction:.0%} of its height, "
            f"{frame.height_px:.0f} px); stand closer so you fill most of the frame"
        )
    if frame.height_fraction < WARN_PERSON_FRACTION:
        frame.warnings.append(QualityWarning(
            "person_small", f"the person fills only {frame.height_fraction:.0%} of the photo height; "
            "closer photos measure better", subject))
    return frame


def check_single_person(
    det: PoseDetection, subject: str, labels: np.ndarray | None = None, other_person_found: bool = False
) -> None:
    """More than one person: a second BlazePose detection, or a large parser component away from the person."""
    if other_person_found:
        raise MultiplePeopleError(subject, "more than one person in the photo")
    if labels is None:
        return
    import cv2

    person = det.binary_mask()
    count, comp, stats, _ = cv2.connectedComponentsWithStats((labels > 0).astype(np.uint8), connectivity=8)
    if count <= 2:
        return
    main_area = max(int(person.sum()), 1)
    overlap = np.bincount(comp[person], minlength=count)
    for idx in range(1, count):
        area = stats[idx, cv2.CC_STAT_AREA]
        tall = stats[idx, cv2.CC_STAT_HEIGHT]
        if overlap[idx] < 0.05 * area and area > 0.3 * main_area and tall > 0.4 * person.any(axis=1).sum():
            raise MultiplePeopleError(subject, "more than one person in the photo")


def arm_angles_deg(det: PoseDetection) -> tuple[float, float]:
    """Angle between each arm (shoulder->wrist) and the torso axis (shoulders->hips), degrees (left, right)."""
    pts = det.landmarks[:, :2]
    down = (pts[23] + pts[24]) / 2 - (pts[11] + pts[12]) / 2
    down = down / (np.linalg.norm(down) or 1.0)
    angles = []
    for shoulder, wrist in ((11, 15), (12, 16)):
        arm = pts[wrist] - pts[shoulder]
        norm = np.linalg.norm(arm)
        if norm == 0:
            angles.append(0.0)
            continue
        cos = float(np.clip(np.dot(arm / norm, down), -1.0, 1.0))
        angles.append(float(np.degrees(np.arccos(cos))))
    return angles[0], angles[1]


def check_arms(det: PoseDetection, subject: str) -> list[QualityWarning]:
    """Arms must hang away from the body so the torso's outline is seen: error, or warning when close."""
    left, right = arm_angles_deg(det)
    low = min(left, right)
    if low < MIN_ARM_ANGLE_DEG:
        side = "left" if left <= right else "right"
        raise PoseError(subject, f"arms not away from the body (the {side} arm is {low:.0f} degrees from the "
                        f"torso; hold both arms {WARN_ARM_ANGLE_DEG:.0f}-45 degrees out)")
    if low < WARN_ARM_ANGLE_DEG:
        return [QualityWarning("arms_close", f"arms are close to the body ({low:.0f} degrees); chest and "
                               "waist widths may be less certain", subject)]
    return []


@dataclass
class ViewEvidence:
    """How strongly a photo shows the person's front: facing > 0 front, < 0 back, ~0 undecided."""

    facing: float
    cues: dict[str, float]


def view_evidence(det: PoseDetection, labels: np.ndarray | None = None) -> ViewEvidence:
    """Combine cues: left/right shoulder order, nose depth (BlazePose z) and the parser's face pixels.

    Facing the camera, the person's left shoulder is on the image's right, the nose is nearer the
    camera than the shoulders, and the head shows face pixels; seen from the back, all three flip.
    """
    lm = det.landmarks
    shoulder_w = float(np.linalg.norm(lm[11, :2] - lm[12, :2])) or 1.0
    cues: dict[str, float] = {}
    cues["shoulder_order"] = float(np.clip((lm[11, 0] - lm[12, 0]) / shoulder_w, -1, 1))
    nose_ahead = ((lm[11, 2] + lm[12, 2]) / 2 - lm[0, 2]) / shoulder_w
    cues["nose_depth"] = float(np.clip(nose_ahead, -1, 1))
    # BlazePose's face visibility stays high on back views (it is a not-occluded score), so it is no cue.
    weights = {"shoulder_order": 1.0, "nose_depth": 1.0}
    if labels is not None:
        face = int((labels == LIP_ID["face"]).sum())
        hair = int((labels == LIP_ID["hair"]).sum())
        if face + hair > 50:
            cues["face_pixels"] = float(np.clip((face / (face + hair) - 0.2) / 0.2, -1, 1))
            weights["face_pixels"] = 2.0
    facing = sum(weights[k] * cues[k] for k in weights) / sum(weights.values())
    return ViewEvidence(facing=float(facing), cues=cues)


def check_views_on_pose(front: PoseDetection, back: PoseDetection, front_name: str, back_name: str) -> None:
    """Reject clearly wrong views on the pose cues alone, before the parser loads (check_views refines it).

    Not "both show the front": BlazePose takes some back photos for fronts (both its cues flipped; 5 of
    100 women's back renders on one sample), which the parser's face pixels put right; the check after
    the parser still rejects two real fronts.
    """
    early_front, early_back = view_evidence(front), view_evidence(back)
    if early_front.facing > 0 and early_back.facing > 0:
        return
    check_views(early_front, early_back, front_name, back_name, margin=STRONG_VIEW_MARGIN)


def check_views(
    front: ViewEvidence, back: ViewEvidence, front_name: str, back_name: str, margin: float = VIEW_MARGIN
) -> list[QualityWarning]:
    """Front must face the camera and back must not: errors for swapped or same-side pairs.

    `margin`: how far from 0 both facings must be for an error (larger: only clear cases fail).
    """
    f, b = front.facing, back.facing
    if f < -margin and b > margin:
        raise WrongViewError(front_name, f"front and back photos are swapped ({back_name} shows the front)")
    if f > margin and b > margin:
        raise WrongViewError(back_name, f"both photos show the front ({front_name} and {back_name}); "
                             "the second photo must show the back")
    if f < -margin and b < -margin:
        raise WrongViewError(front_name, f"both photos show the back ({front_name} and {back_name}); "
                             "the first photo must show the front")
    if f - b < VIEW_MARGIN:
        return [QualityWarning("view_unsure", f"could not confirm that {front_name} shows the front and "
                               f"{back_name} the back", None)]
    return []
