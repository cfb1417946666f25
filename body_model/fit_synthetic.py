"""Synthetic people and their photo observations, for the fit's round-trip test and benchmark.

A random adult (both sexes, BMI 17-38) is drawn as Anny phenotypes plus random local shape changes
that the fit never moves (ROUNDTRIP_LOCALS is disjoint from fit.BREADTH_LOCALS/DEPTH_LOCALS), so the
fit cannot succeed by merely inverting its own parameterisation. Its rest body is rendered by the
rasteriser from a front, back or side camera into a person mask, a LIP part map and keypoints with
2-pixel noise: the observations a parser and pose detector would give on a perfect day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from body_model.camera import Camera, default_focal_px
from body_model.fit import BODY_DENSITY, View
from body_model.fit_losses import mesh_volume_m3
from body_model.model import BodyModel, BodyPose, BodyShape
from body_model.parts import PART_TO_LIP, Part
from body_model.raster import rasterize

# Local changes applied to the true bodies and never used by the fit.
ROUNDTRIP_LOCALS: tuple[str, ...] = (
    "measure-bust-circ-incr", "measure-waist-circ-incr", "measure-hips-circ-incr", "measure-underbust-circ-incr",
    "torso-muscle-pectoral-incr", "torso-muscle-dorsi-incr", "stomach-navel-out", "pelvis-tone-incr",
    "l-upperleg-fat-incr", "r-upperleg-fat-incr", "neck-double-incr", "measure-thigh-circ-incr",
    "measure-neck-circ-incr", "torso-vshape-incr",
)
LOCAL_AMPLITUDE = 0.2


@dataclass
class SyntheticPerson:
    sex: str
    shape: BodyShape
    stature_cm: float
    weight_kg: float
    bmi: float
    rest_vertices: np.ndarray


def sample_person(model: BodyModel, rng: np.random.Generator, sex: str, bmi_range=(17.0, 38.0),
                  draws: int = 40, local_amplitude: float = LOCAL_AMPLITUDE) -> SyntheticPerson:
    """A random adult of `sex` with BMI (volume x density / stature^2) near a target drawn uniformly in
    `bmi_range`: the closest of `draws` random phenotype draws (heavier targets draw heavier phenotypes).
    The unseen local changes are drawn in +-`local_amplitude` (0: none). The random draws stay the same
    whatever it is, so 0 gives the same people without them, unless the changes' volume tipped which of
    the draws came closest to the target BMI."""
    target_bmi = rng.uniform(*bmi_range)
    heavy = (target_bmi - bmi_range[0]) / (bmi_range[1] - bmi_range[0])
    names = list(model.local_names)
    faces = torch.from_numpy(model.faces)
    best: SyntheticPerson | None = None
    for _ in range(draws):
        gender = rng.uniform(0.0, 0.1) if sex == "male" else rng.uniform(0.9, 1.0)
        weight_ph = float(np.clip(rng.normal(heavy, 0.25), 0.0, 1.0))
        ph = torch.tensor([[gender, rng.uniform(0.6, 1.0), rng.uniform(0.1, 0.9), weight_ph,
                            0.5, rng.uniform(0.25, 0.75)]], dtype=torch.float32)
        local = torch.zeros(1, len(names))
        for n in ROUNDTRIP_LOCALS:
            local[0, names.index(n)] = float(rng.uniform(-local_amplitude, local_amplitude))
        stature = rng.uniform(160.0, 192.0) if sex == "male" else rng.uniform(150.0, 180.0)
        shape = model.with_stature(BodyShape(ph, local), stature)
        with torch.no_grad():
            rest = model.rest(shape).vertices[0]
            weight = float(mesh_volume_m3(rest, faces)) * BODY_DENSITY
        bmi = weight / (stature / 100.0) ** 2
        if not bmi_range[0] <= bmi <= bmi_range[1]:
            continue
        if best is None or abs(bmi - target_bmi) < abs(best.bmi - target_bmi):
            best = SyntheticPerson(sex, shape.detach(), stature, weight, bmi, rest.numpy().copy())
    if best is None:
        raise RuntimeError(f"no body with BMI in {bmi_range} in {draws} draws")
    return best


def face_lip_labels(model: BodyModel) -> np.ndarray:
    """(F,) LIP id of each face: the bare-body label of its first vertex's part."""
    lut = np.zeros(len(Part), np.uint8)
    for part, lip in PART_TO_LIP.items():
        lut[int(part)] = lip
    return lut[model.vertex_parts[model.faces[:, 0]]]


def photo_camera(kind: str, stature_m: float, width: int = 720, height: int = 960,
                 camera_height_m: float = 1.2) -> Camera:
    """A phone-like camera at chest height, tilted to the person's middle, framing ~80% of the image height."""
    focal = default_focal_px(width, height)
    distance = focal * stature_m / (0.80 * height)
    eye = {"front": (0.0, -distance, camera_height_m), "back": (0.0, distance, camera_height_m),
           "side": (distance, 0.0, camera_height_m)}[kind]
    return Camera.looking_at(np.array(eye), np.array([0.0, 0.0, 0.5 * stature_m]), focal, width, height)


def observe(model: BodyModel, person: SyntheticPerson, kind: str, rng: np.random.Generator,
            keypoint_noise_px: float = 2.0, width: int = 720, height: int = 960) -> View:
    """Mask, LIP part map and noisy keypoints of the person's rest body seen from `kind`."""
    cam = photo_camera(kind, person.stature_cm / 100.0, width, height)
    with torch.no_grad():
        out = model.forward(person.shape, BodyPose.zeros(len(model.pose_joint_names)))
    verts = out.vertices[0].numpy()
    raster = rasterize(verts, model.faces, cam, face_values=face_lip_labels(model))
    kp_xy = cam.project(out.keypoints[0].numpy())
    kp = np.concatenate([kp_xy + rng.normal(0.0, keypoint_noise_px, kp_xy.shape), np.ones((len(kp_xy), 1))], axis=1)
    return View(kind=kind, mask=raster.mask, part_labels=raster.labels.astype(np.uint8),
                keypoints=kp.astype(np.float32), focal_px=cam.focal_px, name=f"synthetic {kind}")


@dataclass
class RoundTripCase:
    """One person of the round trip: the body, the weight a scale would show, and the three photos."""

    sex: str
    person: SyntheticPerson
    weight_kg: float
    views: dict[str, View]


def round_trip_case(model: BodyModel, seed: int, index: int, local_amplitude: float = LOCAL_AMPLITUDE
                    ) -> RoundTripCase:
    """Person `index` of the round trip with `seed` (benchmarks/fit_roundtrip.py), the sexes alternating.

    The weight is the true volume times a density drawn from N(1030, 10) kg/m^3 (the fit assumes 1030),
    so it carries real-life uncertainty. Tests draw the benchmark's people here to pin its cases down."""
    rng = np.random.default_rng(seed * 1000 + index)
    sex = "male" if index % 2 == 0 else "female"
    person = sample_person(model, rng, sex, local_amplitude=local_amplitude)
    weight = person.weight_kg * float(np.clip(rng.normal(BODY_DENSITY, 10.0), 1000.0, 1060.0)) / BODY_DENSITY
    views = {k: observe(model, person, k, rng) for k in ("front", "back", "side")}
    return RoundTripCase(sex, person, weight, views)
