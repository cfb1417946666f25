"""Torso and thigh girths from the photos' width profiles, by models learned on ANSUR II body twins.

Family (b) of DESIGN.md section 4: read the body's widths off the photos (measure.outline_profile),
then predict the girths from them. The models are ridge regressions per sex (and pooled, for an
unknown sex) and per set of inputs: stature and the front/back breadth profile, plus the weight
and/or the side photo's depth profile when given. They are learned on the rest bodies of Anny
twins of ANSUR II subjects (measure.twins: Anny fitted to each person's tape values), whose
profiles are read by the same code off clean renders and whose girths are taken by `measure_body`:
real people's body proportions in the body model's own terms. Only training-fold subjects are used
(measure.ansur_split), so the end-to-end benchmark's evaluation subjects stay unseen.

Why not the fitted mesh's own girths: the fit's shape space does not reach every real body (on
twins fitted to their own perfect front/back silhouettes, waist and hip girths still missed by 3-5 cm
on average), while a girth read from the outline's widths only needs the widths to be right. What
this does not fix: in front/back photos the depth is a prior's guess (each cm of breadth read too wide
adds ~4-6 cm of girth, since deeper bodies go with broader ones), and garment ease (clothes standing
off the skin by more or less than `--clothes` assumes) enters the widths directly.

Those clean-render models assume the widths are read perfectly; the pipeline reads them wide (its fit's
placement, the mask's edge, the garment's stand-off). For clothes with a `photo_girths_<clothes>.json`
asset, models learned on the pipeline's own readings of rendered training-fold twins against their real
tape values are used instead (measure.build_photo_girths): they take the reading's bias out and trust
each width only as far as it held up, at the price of learning our renders' garments. Without a weight
they also take the fitted body's own girths (BODY_INPUT_SETS), which add the body model's depth.

The asset `assets/priors/profile_girths.json` is rebuilt by `python -m measure.build_profile_girths`,
`photo_girths_<clothes>.json` by `python -m measure.build_photo_girths --clothes <clothes>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from body_model.data_paths import REPO_ROOT
from body_model.shape_prior import LinearPrior, PriorError, ShapePrior, load_shape_prior
from measure.outline_profile import WidthProfile, as_features, feature_names

ASSET_PATH = REPO_ROOT / "assets" / "priors" / "profile_girths.json"
TARGETS: tuple[str, ...] = ("chest_girth", "bust_girth", "waist_girth", "hip_girth", "thigh_girth")
INPUT_SETS: dict[str, tuple[bool, bool]] = {  # name -> (with weight, with side)
    "front": (False, False), "front+weight": (True, False),
    "front+side": (False, True), "front+side+weight": (True, True),
}


# Models learned on photo readings also take the fitted body's own girths (`body_<girth>`), which carry
# the body model's depth for the breadths it was fitted to (with a side photo, the side's depth too):
# cross-validated on the tight training readings, 0.03-0.12 cm better per girth than the widths alone
# (men's hip from front and back 1.99 -> 1.93, with a side photo 1.64 -> 1.54). Not for the input sets
# with a weight: the readings were taken from fits without it, and a weight moves the body's depths.
BODY_INPUT_SETS: tuple[str, ...] = ("front", "front+side")


def body_input_names() -> tuple[str, ...]:
    return tuple(f"body_{t}" for t in TARGETS)


def input_names(with_weight: bool, with_side: bool, with_body: bool = False) -> tuple[str, ...]:
    return (("stature",) + (("weightkg",) if with_weight else ()) + feature_names("breadth")
            + (feature_names("depth") if with_side else ()) + (body_input_names() if with_body else ()))


def set_name(with_weight: bool, with_side: bool) -> str:
    return next(k for k, v in INPUT_SETS.items() if v == (with_weight, with_side))


@dataclass
class ProfileGirths:
    """Girths (cm) the profile model predicts, with its cross-validated residual sd (cm), the input set
    used and what the model learned from ("clean renders", or "<clothes> photos": measure.build_photo_girths)."""

    values_cm: dict[str, float]
    residual_sd_cm: dict[str, float]
    inputs_used: str
    learned_from: str = "clean renders"


class ProfileGirthModel:
    """The shipped models; `predict` picks the one for the inputs and clothes at hand.

    `prior`: learned on the profiles of clean renders (the body as it is), for any clothes. `photo_priors`:
    per clothes (body_model.garment_ease), learned on what the pipeline itself reads off rendered photos of
    twins in those clothes, against their real tape values; used instead when the clothes match.
    """

    def __init__(self, prior: ShapePrior, photo_priors: dict[str, ShapePrior] | None = None) -> None:
        self.prior = prior
        self.photo_priors = dict(photo_priors or {})

    def learned_on_photos(self, clothes: str | None) -> bool:
        """Whether a model learned on the pipeline's readings of photos in `clothes` is at hand."""
        return clothes in self.photo_priors

    def model(self, sex: str | None, with_weight: bool, with_side: bool, clothes: str | None = None) -> LinearPrior:
        return self.photo_priors.get(clothes, self.prior).model(sex, with_weight, with_side)

    def predict(self, breadth: WidthProfile, stature_cm: float, sex: str | None = None,
                weight_kg: float | None = None, depth: WidthProfile | None = None,
                clothes: str | None = None, body_girths: dict[str, float] | None = None) -> ProfileGirths:
        """Girths from complete profiles (no NaN: fill missing levels first, WidthProfile.filled_from);
        `body_girths`: the fitted body's own girths (TARGETS), which some models take as inputs."""
        with_weight, with_side = weight_kg is not None, depth is not None
        model = self.model(sex, with_weight, with_side, clothes)
        values = {"stature": float(stature_cm)} | as_features(breadth, "breadth")
        if with_weight:
            values["weightkg"] = float(weight_kg)
        if with_side:
            values |= as_features(depth, "depth")
        values |= {f"body_{t}": float(v) for t, v in (body_girths or {}).items()}
        missing = [k for k in model.inputs if k not in values]
        if missing:
            raise PriorError(f"this girth model also needs {', '.join(missing)}")
        if not np.all(np.isfinite([values[k] for k in model.inputs])):
            raise PriorError("profile girths need complete profiles (missing levels filled)")
        name = set_name(with_weight, with_side)
        source = f"{clothes} photos" if self.learned_on_photos(clothes) else "clean renders"
        return ProfileGirths(model.predict(values), model.std(), name, source)


MAX_MISSING_SHARE = 0.34  # a photo missing more of its levels than this is not read at all


@dataclass
class PhotoOutline:
    """One photo as the profile reader needs it: kind, person mask, LIP labels (None: unlabelled)."""

    kind: str
    mask: np.ndarray
    labels: np.ndarray | None


@dataclass
class OutlineReading:
    """The width profiles read off the photos (breadth: front and back averaged; depth: the side photo, None
    without one), levels they do not show filled from the fitted body; `notes` say what was left out."""

    breadth: WidthProfile | None
    depth: WidthProfile | None
    notes: list[str]


def read_outline(photos: list[PhotoOutline], fit_result, body_model, clothes: str) -> OutlineReading:
    """Read the photos' width profiles with the fitted body (`fit_result`, one ViewFit per photo, in order).

    Levels a photo does not show are taken from its partner (front/back) or else from the fitted body
    itself; a photo missing too many levels is left out (breadth None: the front and back both were), and
    so is one the fitted body matches poorly: its levels' rows and arm pixels come from that body's
    placement (measured: a back photo fitted at IoU 0.28 read a hip of 165 cm against a tape's 106).
    """
    import torch

    from body_model.fit import POOR_MATCH_IOU
    from body_model.model import BodyPose
    from measure.outline_profile import mesh_profile, photo_profile

    notes: list[str] = []
    levels = len(feature_names("breadth"))
    readings: dict[str, list[WidthProfile]] = {"breadth": [], "depth": []}
    for photo, view in zip(photos, fit_result.views, strict=True):
        iou = view.silhouette_iou
        if iou is not None and iou < POOR_MATCH_IOU:
            notes.append(f"{photo.kind} photo: the fitted body matches the person poorly (IoU {iou:.2f}), so its "
                         "outline was not read")
            continue
        pose = BodyPose(view.pose.joint_rotations, view.pose.global_rotation, view.pose.translation)
        with torch.no_grad():
            posed = body_model.forward(fit_result.shape, pose).vertices[0].numpy()
        profile = photo_profile(photo.kind, photo.mask, photo.labels, clothes, view.camera, posed,
                                fit_result.vertices, fit_result.faces, fit_result.vertex_parts)
        if profile.missing() > MAX_MISSING_SHARE * levels:
            notes.append(f"{photo.kind} photo: the outline shows only {levels - profile.missing()} of {levels} "
                         "body levels clearly (hair, a skirt or the arms at the body's edge)")
            continue
        readings["depth" if photo.kind == "side" else "breadth"].append(profile)
    if not readings["breadth"]:
        return OutlineReading(None, None, notes)
    body_breadth, body_depth = mesh_profile(fit_result.vertices, fit_result.faces, fit_result.vertex_parts)
    breadth = WidthProfile.mean(readings["breadth"]).filled_from(body_breadth)
    depth = WidthProfile.mean(readings["depth"]).filled_from(body_depth) if readings["depth"] else None
    return OutlineReading(breadth, depth, notes)


def outline_girths(photos: list[PhotoOutline], fit_result, body_model, clothes: str, sex: str | None,
                   weight_kg: float | None, girth_model: ProfileGirthModel,
                   body_girths: dict[str, float] | None = None) -> tuple[ProfileGirths | None, list[str]]:
    """Girths from the photos' width profiles (`read_outline`) and, where the model takes them, the fitted
    body's own girths; (None, reasons) when the front and back photos show too few levels."""
    reading = read_outline(photos, fit_result, body_model, clothes)
    if reading.breadth is None:
        return None, reading.notes
    return girth_model.predict(reading.breadth, fit_result.stature_cm, sex, weight_kg, reading.depth,
                               clothes=clothes, body_girths=body_girths), reading.notes


def photo_girths_path(clothes: str) -> Path:
    """Where the models learned on pipeline readings of photos in `clothes` are shipped."""
    return ASSET_PATH.with_name(f"photo_girths_{clothes}.json")


def load_profile_girth_model(path: str | Path | None = None, photo_paths: dict[str, Path] | None = None
                             ) -> ProfileGirthModel:
    """The shipped models (or the ones at `path` and `photo_paths`: clothes -> file; by default every
    `photo_girths_<clothes>.json` beside the clean-render asset that exists)."""
    from body_model.garment_ease import CLOTHES

    p = Path(path) if path else ASSET_PATH
    if not p.is_file():
        raise PriorError(f"{p}: profile girth model missing; rebuild with python -m measure.build_profile_girths")
    if photo_paths is None:
        beside = {c: p.with_name(photo_girths_path(c).name) for c in CLOTHES}
        photo_paths = {c: f for c, f in beside.items() if f.is_file()}
    return ProfileGirthModel(load_shape_prior(p), {c: load_shape_prior(f) for c, f in photo_paths.items()})


__all__ = ["ASSET_PATH", "TARGETS", "INPUT_SETS", "BODY_INPUT_SETS", "OutlineReading", "PhotoOutline",
           "ProfileGirths", "ProfileGirthModel", "body_input_names", "input_names", "load_profile_girth_model",
           "outline_girths", "photo_girths_path", "read_outline", "set_name"]
