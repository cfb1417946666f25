"""`Measurer`: two photos and a height in, measurements and sizes out.

Stages (each timed in `Result.timings`):
1. load: read each photo (path, bytes or array), EXIF orientation applied, EXIF focal length kept;
   photos are processed at a working size (longest side `work_side` px).
2. pose: BlazePose keypoints and person mask per photo (parsing.pose).
3. parse: the person outline is BlazePose's mask sharpened by GrabCut on the photo's colours
   (parsing.pose.refine_person_mask); the human parser's LIP label map (the shipped default or
   `parser_weights`) tells which outline pixels are skin, clothing, hair or shoes (`outline="parser"`
   takes the parser's own outline instead). Without parser weights there are no part labels, and a
   quality warning says so.
4. checks: one whole, large-enough person per photo, arms away from the body, front and back the
   right way round (measure.checks); fatal problems raise `measure.errors`, others become warnings.
   The side photo is optional: one that fails a photo check, or whose outline is in doubt, is left
   out with a `side_unused` warning.
5. fit: the body model fitted to the views with the stature fixed to the given height (body_model.fit),
   the pose detector's keypoints first moved onto the body model's definitions (measure.keypoint_calibration).
6. measure: ISO 8559-1 measurements on the fitted rest-pose body, each with an uncertainty; with
   `girths="outline"` the torso and thigh girths (chest, bust, waist, hip, thigh) come instead from
   the photos' outline widths, read with the fitted body and turned into girths by models learned on
   ANSUR II body twins (measure.profile_girths); `girths="auto"` does so only where such a model is
   learned on the pipeline's own readings of photos in the clothes at hand.
7. size: the recommendation per garment of the chosen size chart.

Models load once per `Measurer` (lazily, at the first photo that gets that far), so a batch worker
or a web service keeps one `Measurer` and calls `measure` many times.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from body_model.garment_ease import DEFAULT_CLOTHES
from measure import checks
from measure.errors import (
    FitError,
    InputFileError,
    MissingComponentError,
    OutOfRangeError,
    PhotoCheckError,
    from_image_error,
)
from measure.girth_sources import DEFAULT_GIRTHS
from measure.photo_cache import PhotoAnalysis, PhotoCache, photo_key
from measure.result import (
    BodyParameters,
    FittedMesh,
    Measurement,
    QualityWarning,
    Result,
    SizeRecommendation,
    ViewRecord,
)
from parsing import image_io
from parsing.pose import PoseDetection, PoseDetector, combine_person_mask, labels_on_mask, refine_person_mask

DEFAULT_WORK_SIDE = 1024
# Where the person's outline comes from when the parser ran: "pose" = BlazePose's mask sharpened by
# GrabCut, with the parser's labels carried onto it (the default: the shipped CPU parser's outline is
# less exact, see the model card); "parser" = the parser's own foreground, joined with BlazePose's.
OUTLINE_SOURCES = ("pose", "parser")


def resolve_device(device: str = "auto") -> str:
    """'auto' -> 'cuda' when a GPU is present, else 'cpu'."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@dataclass
class _Photo:
    """One photo on its way through the pipeline."""

    kind: str
    image: image_io.LoadedImage
    rgb: np.ndarray                 # at working size
    scale: float                    # working size / original size
    detection: PoseDetection | None = None
    labels: np.ndarray | None = None
    mask: np.ndarray | None = None
    evidence: checks.ViewEvidence | None = None
    outline_agreement: float | None = None  # IoU of the pose detector's and the parser's person, when both ran
    other_person: bool | None = None        # a second person was found (None: not looked for)
    key: str | None = None                  # photo cache key (None: not cached)
    known: PhotoAnalysis | None = None      # this photo's earlier analysis, from the cache

    @property
    def name(self) -> str:
        return self.image.source


class Measurer:
    """Loads the models once; `measure(front, back, height_cm, ...)` per person.

    device: 'auto' (CUDA when present), 'cpu' or 'cuda', for the parser network; the body fit is a
    small problem (one body, a few hundred iterations) and runs on the CPU. parser_weights: a
    parser checkpoint; None uses the shipped default when it exists, else the BlazePose mask
    alone. use_parser=False skips the parser. chart: a size chart file, shipped name or family
    (None: EN 13402-3 letter sizes); garments: which garment types to size (None: all the chart
    has); preference: slim, regular or loose fit. parser: a ready parser object (anything with
    `predict(rgb) -> (H, W) LIP ids`), used instead of loading one. outline: where the person's
    outline comes from when the parser ran (OUTLINE_SOURCES). clothes: what people wear in the
    photos unless `measure` is told otherwise: 'tight' (the default, what measuring apps ask for),
    'fitted' or 'everyday' (body_model.garment_ease: the fit subtracts the garments' typical ease).
    photo_cache: remembers the analysis (pose, mask, parser labels) of photos already measured, so the
    same photos with other inputs skip it (measure.photo_cache): True keeps the last few in memory, a
    PhotoCache may also keep them in a folder, False analyses every photo afresh. girths: where the
    torso and thigh girths come from (measure.girth_sources.GIRTH_SOURCES): "body" (measured on the
    fitted body like every other measurement), "outline" (the photos' outline widths through models
    learned on ANSUR II twins: for tight clothes on the pipeline's own readings of rendered photos,
    otherwise on clean renders, which read a few cm high; see the README) or "auto" ("outline" where a
    model learned on photo readings exists for the clothes, "body" otherwise); default DEFAULT_GIRTHS.
    girth_model: a ready measure.profile_girths.ProfileGirthModel, used instead of the shipped ones.
    """

    def __init__(
        self,
        device: str = "auto",
        parser_weights: str | Path | None = None,
        use_parser: bool = True,
        chart: str | Path | None = None,
        garments: Sequence[str] | None = None,
        body_backend: str = "anny",
        work_side: int = DEFAULT_WORK_SIDE,
        check_other_people: bool = True,
        preference: str = "regular",
        parser: Any = None,
        outline: str = "pose",
        clothes: str = DEFAULT_CLOTHES,
        photo_cache: PhotoCache | bool = True,
        girths: str = DEFAULT_GIRTHS,
        girth_model: Any = None,
    ) -> None:
        self.device = device
        self.parser_weights = parser_weights
        self.use_parser = use_parser
        self.chart_spec = chart
        self.garments = tuple(garments) if garments else None
        self.body_backend = body_backend
        self.work_side = work_side
        self.check_other_people = check_other_people
        self._pose: PoseDetector | None = None
        self._parser: Any = parser
        self._parser_note: str | None = None
        self._parser_loaded = self._parser_given = parser is not None
        self._body_model: Any = None
        self._chart: Any = None
        if preference not in ("slim", "regular", "loose"):
            raise OutOfRangeError("preference", f"{preference!r} is not one of slim, regular, loose")
        self.preference = preference
        if outline not in OUTLINE_SOURCES:
            raise OutOfRangeError("outline", f"{outline!r} is not one of {', '.join(OUTLINE_SOURCES)}")
        self.outline = outline
        self.clothes = checks.check_clothes(clothes)
        self.girths = checks.check_girths(girths)
        self._girth_model: Any = girth_model
        self._girth_model_loaded = girth_model is not None
        self.photo_cache = PhotoCache() if photo_cache is True else (photo_cache or None)
        self._load_chart()  # a bad chart or garment is a usage error: fail before any photo is read

    # ------------------------------------------------------------------ models, loaded once

    @property
    def pose_detector(self) -> PoseDetector:
        if self._pose is None:
            self._pose = PoseDetector()
        return self._pose

    def _get_parser(self) -> Any:
        if self._parser_loaded:
            return self._parser
        self._parser_loaded = True
        if not self.use_parser:
            self._parser_note = "the human parser is switched off"
            return None
        from parsing.checkpoint import NoDefaultWeightsError
        from parsing.inference import Parser

        try:
            parser = Parser(weights=self.parser_weights, device=resolve_device(self.device))
        except NoDefaultWeightsError:
            self._parser_note = ("no parser weights are installed; the fit used the pose detector's person mask "
                                 "without part labels (clothing and hair are not told apart from the body)")
            return None
        from body_model.lip_labels import LIP_CLASSES

        if len(parser.classes) != len(LIP_CLASSES):
            self._parser_note = (f"parser label set {parser.meta.name!r} is not LIP's 20 classes; "
                                 "its labels are not used")
            return None
        self._parser = parser
        return parser

    def _get_body_model(self) -> Any:
        if self._body_model is None:
            from body_model.model import load_body_model

            self._body_model = load_body_model(self.body_backend, device="cpu")
        return self._body_model

    @property
    def body_model(self) -> Any:
        """The body model the fits use (loaded at first use): a `Result.fit` is posed with it."""
        return self._get_body_model()

    def _get_girth_model(self) -> Any:
        """The outline girth model (None: girths from the fitted body; a missing asset is noted once)."""
        if not self._girth_model_loaded:
            self._girth_model_loaded = True
            if self.girths != "body":
                from body_model.shape_prior import PriorError
                from measure.profile_girths import load_profile_girth_model

                try:
                    self._girth_model = load_profile_girth_model()
                except PriorError:
                    self._girth_model = None
        return self._girth_model

    def _load_chart(self) -> Any:
        if self._chart is None:
            from measure.chart_selection import load_charts

            self._chart = load_charts(self.chart_spec, self.garments)
        return self._chart

    def warm_up(self) -> Measurer:
        """Load every model now (servers call this before taking traffic)."""
        _ = self.pose_detector
        self._get_parser()
        self._get_body_model()
        return self

    # ------------------------------------------------------------------ the job

    def measure(
        self,
        front: image_io.ImageSource,
        back: image_io.ImageSource,
        height_cm: float,
        weight_kg: float | None = None,
        sex: str | None = None,
        side: image_io.ImageSource | None = None,
        clothes: str | None = None,
    ) -> Result:
        """Measure one person; raises a `measure.errors.MeasureError` subclass for unusable input.
        clothes: what they wear in the photos (None: the Measurer's setting)."""
        timings: dict[str, float] = {}
        t_all = time.perf_counter()
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[stage] = timings.get(stage, 0.0) + now - clock
            clock = now

        height_cm = float(height_cm)
        weight_kg = None if weight_kg is None else float(weight_kg)
        sex, warnings = checks.check_body_values(height_cm, weight_kg, sex)
        clothes = self.clothes if clothes is None or not str(clothes).strip() else checks.check_clothes(clothes)

        photos = [self._load("front", front), self._load("back", back)]
        if side is not None:
            photos.append(self._load("side", side))
        side_name = photos[2].name if side is not None else None
        lap("load")

        settings = self._analysis_settings() if self.photo_cache is not None else None
        for photo in photos if settings is not None else ():  # photos seen before skip pose and parser
            photo.key = photo_key(photo.rgb, settings)
            photo.known = self.photo_cache.get(photo.key)
        # The side photo is optional: one the checks reject is left out (a warning), the others must pass.
        for photo in list(photos):
            photo.detection = photo.known.detection if photo.known else self.pose_detector.detect(photo.rgb)
            ok, frame = _checked(photo, photos, warnings, checks.check_person, photo.detection, photo.name)
            if ok:
                warnings.extend(frame.warnings)
        lap("pose")
        for photo in list(photos):
            if self.check_other_people:
                # (the cache key includes check_other_people: an entry made with it on has the answer)
                other = (photo.known.other_person if photo.known
                         else self.pose_detector.detect_other_person(photo.rgb, photo.detection))
                photo.other_person = other
                ok, _ = _checked(photo, photos, warnings, checks.check_single_person, photo.detection, photo.name,
                                 other_person_found=other)
                if not ok:
                    continue
            if photo.kind != "side":
                warnings.extend(checks.check_arms(photo.detection, photo.name))
        # Clearly wrong views fail here, before the parser loads; the parser's face pixels refine it below.
        checks.check_views_on_pose(photos[0].detection, photos[1].detection, photos[0].name, photos[1].name)
        lap("checks")

        parser = self._get_parser()
        if parser is None:
            warnings.append(QualityWarning("no_parser", self._parser_note or "no parser", None))
        for photo in photos:
            disagrees = self._parse(photo, parser)
            if disagrees:
                warnings.append(QualityWarning(
                    "parser_disagrees", f"the parser's person outline disagrees with the pose detector's "
                    f"(IoU {photo.outline_agreement:.2f}); its labels were not used", photo.name))
        lap("parse")

        for photo in list(photos):
            ok, _ = _checked(photo, photos, warnings, checks.check_single_person, photo.detection, photo.name,
                             labels=photo.labels)
            if not ok:
                continue
            photo.evidence = checks.view_evidence(photo.detection, photo.labels)
            warnings.extend(checks.check_loose_garments(photo.labels, clothes, photo.name))
        warnings.extend(checks.check_views(photos[0].evidence, photos[1].evidence, photos[0].name, photos[1].name))
        if len(photos) == 3:
            doubt = checks.side_photo_doubt(photos[2].mask, photos[2].outline_agreement,
                                            [p.mask for p in photos[:2]])
            if doubt:
                warnings.append(_side_unused(photos[2].name, doubt))
                photos = photos[:2]
        lap("checks")

        fit_result = self._fit(photos, height_cm, weight_kg, sex, clothes)
        warnings.extend(QualityWarning("fit", msg, None) for msg in fit_result.quality.warnings)
        lap("fit")

        gender = float(fit_result.shape.phenotypes[0, 0])
        sizing_sex = sex or ("female" if gender >= 0.5 else "male")
        measurements = self._measure_body(fit_result, sex, weight_kg, len(photos) == 3)
        outline = self._outline_girths(photos, fit_result, sizing_sex, weight_kg, clothes, warnings, measurements)
        measurements = _with_outline_girths(measurements, outline)
        lap("measure")

        if sex is None:
            warnings.append(QualityWarning("sex_inferred", f"sex not given: sized on {sizing_sex} charts, as the "
                                           "fitted body suggests; pass sex for the right charts", None))
        sizes = self._sizes(measurements, sizing_sex)
        lap("size")
        timings["total"] = time.perf_counter() - t_all

        from body_model.model import PHENOTYPES

        shape = fit_result.shape
        body = BodyParameters(
            backend=self.body_backend,
            phenotypes={name: float(v) for name, v in zip(PHENOTYPES, shape.phenotypes[0].tolist(), strict=True)},
            local=None if shape.local is None else [float(v) for v in shape.local[0].tolist()],
            height_cm=height_cm, weight_kg=weight_kg, sex=sex,
        )
        inputs = {"front": photos[0].name, "back": photos[1].name,
                  "side": side_name,
                  "height_cm": height_cm, "weight_kg": weight_kg, "sex": sex, "clothes": clothes}
        views = [ViewRecord(kind=p.kind, source=p.name, rgb=p.rgb, mask=p.mask, labels=p.labels,
                            keypoints=p.detection.keypoints) for p in photos]
        result = Result(measurements=measurements, sizes=sizes, body=body, warnings=_dedupe(warnings),
                        timings=timings, inputs=inputs,
                        mesh=FittedMesh(vertices=fit_result.vertices, faces=fit_result.faces), views=views,
                        fit=fit_result)
        return result

    # ------------------------------------------------------------------ stages

    def _analysis_settings(self) -> str | None:
        """Everything besides the pixels that shapes a photo's analysis (photo cache key); None: don't cache."""
        if self._parser_given:
            return None  # a parser object handed in: no stable identity to key on
        if not self.use_parser:
            parser = "off"
        else:
            from parsing.inference import default_weights_path

            path = Path(self.parser_weights) if self.parser_weights else default_weights_path()
            stat = path.stat() if path.is_file() else None
            parser = f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}" if stat else "none"
        return (f"parser={parser}|device={resolve_device(self.device)}|outline={self.outline}|"
                f"work_side={self.work_side}|others={self.check_other_people}")

    def _parse(self, photo: _Photo, parser: Any) -> bool:
        """Person mask and labels of a photo (from the cache when it was analysed before); True when the
        parser's outline was rejected."""
        known = photo.known
        if known is not None:
            photo.labels, photo.mask, photo.outline_agreement = known.labels, known.mask, known.outline_agreement
            return known.parser_disagrees
        if parser is not None:
            photo.labels = parser.predict(photo.rgb)
        combined = combine_person_mask(photo.detection.mask, photo.labels)
        photo.outline_agreement = combined.agreement_iou
        disagrees = photo.labels is not None and combined.source == "pose"
        if disagrees:
            photo.labels = None
        if photo.labels is None or self.outline == "pose":
            photo.mask, _agreement = refine_person_mask(photo.rgb, photo.detection.mask)
        else:
            photo.mask = combined.mask
        if photo.labels is not None:
            photo.labels = labels_on_mask(photo.mask, photo.labels)
        if photo.key is not None and self.photo_cache is not None:
            self.photo_cache.put(photo.key, PhotoAnalysis(photo.detection, photo.other_person, photo.labels,
                                                          photo.mask, photo.outline_agreement, disagrees))
        return disagrees

    def _load(self, kind: str, source: image_io.ImageSource) -> _Photo:
        try:
            image = image_io.load_image(source)
        except image_io.ImageReadError as exc:
            raise from_image_error(exc, f"{kind} photo") from None
        rgb, scale = image_io.downscale(image.rgb, self.work_side)
        return _Photo(kind=kind, image=image, rgb=rgb, scale=scale)

    def _fit(self, photos: list[_Photo], height_cm: float, weight_kg: float | None, sex: str | None,
             clothes: str) -> Any:
        from body_model.camera import default_focal_px, focal_px_from_f35
        from body_model.fit import FitConfig, View, fit
        from body_model.fit import FitError as BodyFitError
        from measure.keypoint_calibration import calibrated

        views = []
        for photo in photos:
            height, width = photo.rgb.shape[:2]
            f35 = photo.image.focal_35mm
            focal = focal_px_from_f35(f35, width, height) if f35 else default_focal_px(width, height)
            rows = np.nonzero(photo.mask.any(axis=1))[0]
            keypoints = calibrated(orient_keypoints(photo.detection.keypoints, photo.kind), photo.kind,
                                   float(rows[-1] - rows[0] + 1) if len(rows) else 0.0)
            views.append(View(kind=photo.kind, mask=photo.mask, part_labels=photo.labels, keypoints=keypoints,
                              focal_px=focal, name=photo.name))
        try:
            return fit(views, height_cm, weight_kg=weight_kg, sex=sex, model=self._get_body_model(),
                       config=FitConfig(clothes=clothes))
        except BodyFitError as exc:
            raise FitError(photos[0].name, f"the body fit failed ({exc})") from None

    def _outline_girths(self, photos: list[_Photo], fit_result: Any, sex: str, weight_kg: float | None,
                        clothes: str, warnings: list[QualityWarning], body: dict[str, Measurement]) -> Any:
        """Girths from the photos' outline widths (measure.profile_girths), or None: the body's own.
        `body`: the measurements taken on the fitted body (its girths are inputs of some models)."""
        if self.girths == "body":
            return None
        model = self._get_girth_model()
        if self.girths == "auto" and (model is None or not model.learned_on_photos(clothes)):
            return None
        if model is None:
            warnings.append(QualityWarning("outline_girths", "the outline girth model is not installed; torso and "
                                           "thigh girths were measured on the fitted body", None))
            return None
        from body_model.shape_prior import PriorError
        from measure.profile_girths import TARGETS, PhotoOutline, outline_girths

        try:
            found, notes = outline_girths([PhotoOutline(p.kind, p.mask, p.labels) for p in photos], fit_result,
                                          self._get_body_model(), clothes, sex, weight_kg, model,
                                          {t: body[t].value for t in TARGETS if t in body})
        except PriorError as exc:  # e.g. a girth the model takes could not be measured on the fitted body
            found, notes = None, [f"the outline girth model could not be used ({exc})"]
        for note in notes:
            warnings.append(QualityWarning("outline_girths", note, None))
        if found is None:
            warnings.append(QualityWarning("outline_girths", "torso and thigh girths were measured on the fitted "
                                           "body: the front and back outlines could not be read", None))
        return found

    def _measure_body(self, fit_result: Any, sex: str | None, weight_kg: float | None,
                      has_side: bool) -> dict[str, Measurement]:
        from measure import uncertainty
        from measure.landmarks import LandmarkError
        from measure.measurements import measure_body

        try:
            raw = measure_body(fit_result.vertices, fit_result.faces, fit_result.vertex_parts, sex=sex)
        except LandmarkError as exc:
            raise FitError("fitted body", f"cannot be measured ({exc})") from None
        out: dict[str, Measurement] = {}
        for name, item in raw.values.items():
            sd = uncertainty.uncertainty_cm(name, item.value_cm, fit_result.uncertainty_cm, sex=sex,
                                            with_weight=weight_kg is not None, with_side=has_side)
            out[name] = Measurement(value=float(item.value_cm), uncertainty=sd, definition=item.definition)
        return out

    def _sizes(self, measurements: dict[str, Measurement], sex: str | None) -> list[SizeRecommendation]:
        from measure.chart_selection import recommend_sizes

        return recommend_sizes(self._load_chart(), measurements, sex, self.preference)


def _with_outline_girths(body: dict[str, Measurement], outline: Any) -> dict[str, Measurement]:
    """The body's measurements with the girths the outline model gave (None: unchanged)."""
    out = dict(body)
    for name, value in ({} if outline is None else outline.values_cm).items():
        if name in out:
            # A model learned on the pipeline's own readings knows its error against real tape; the
            # clean-render one only its error for perfect readings, so the body's estimate stays.
            sd = outline.residual_sd_cm[name] if outline.learned_from != "clean renders" else out[name].uncertainty
            out[name] = Measurement(value=float(value), uncertainty=round(float(sd), 2),
                                    definition=out[name].definition, source="outline", body_value=out[name].value)
    return out


def orient_keypoints(keypoints: np.ndarray, kind: str) -> np.ndarray:
    """Keypoints labelled by the person's own left/right for each view.

    In a back photo the person's left is on the image's left. When the detector's left/right labels
    say otherwise (BlazePose tends to assume a person facing the camera), the pairs are swapped.
    """
    from body_model.keypoints import KEYPOINT_FLIP_PAIRS, KEYPOINT_ID

    kp = np.asarray(keypoints, dtype=np.float32).copy()
    if kind not in ("front", "back"):
        return kp
    left_x = kp[KEYPOINT_ID["left_shoulder"], 0] + kp[KEYPOINT_ID["left_hip"], 0]
    right_x = kp[KEYPOINT_ID["right_shoulder"], 0] + kp[KEYPOINT_ID["right_hip"], 0]
    left_on_image_right = left_x > right_x
    wrong = left_on_image_right if kind == "back" else not left_on_image_right
    if wrong:
        for a, b in KEYPOINT_FLIP_PAIRS:
            kp[[a, b]] = kp[[b, a]]
    return kp


def _checked(photo: _Photo, photos: list[_Photo], warnings: list[QualityWarning], check, *args, **kwargs
             ) -> tuple[bool, Any]:
    """(True, the check's value); a side photo that fails it is removed from `photos` with a warning
    (False, None): it is optional. A front or back photo that fails raises."""
    try:
        return True, check(*args, **kwargs)
    except PhotoCheckError as exc:
        if photo.kind != "side":
            raise
        photos.remove(photo)
        warnings.append(_side_unused(photo.name, exc.reason))
        return False, None


def _side_unused(name: str, why: str) -> QualityWarning:
    return QualityWarning("side_unused", f"the side photo was not used ({why}); measured from the front and back "
                          "photos", name)


def _dedupe(warnings: list[QualityWarning]) -> list[QualityWarning]:
    seen, out = set(), []
    for w in warnings:
        key = (w.code, w.message, w.subject)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def measure(
    front: image_io.ImageSource,
    back: image_io.ImageSource,
    height_cm: float,
    weight_kg: float | None = None,
    sex: str | None = None,
    side: image_io.ImageSource | None = None,
    **measurer_options: Any,
) -> Result:
    """One-call helper for scripts: builds a `Measurer` (cached per options) and measures one person."""
    key = tuple(sorted((k, repr(v)) for k, v in measurer_options.items()))
    measurer = _MEASURERS.get(key)
    if measurer is None:
        measurer = _MEASURERS[key] = Measurer(**measurer_options)
    return measurer.measure(front, back, height_cm, weight_kg=weight_kg, sex=sex, side=side)


_MEASURERS: dict[tuple, Measurer] = {}

__all__ = ["Measurer", "measure", "resolve_device", "orient_keypoints", "InputFileError", "MissingComponentError"]
