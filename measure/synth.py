"""Synthetic subjects for accuracy tests: real people's body twins rendered as phone photos.

`write_synth` takes ANSUR II-format rows (real tape measurements), picks a seeded sample per sex,
fits each subject's body twin (measure.twins), dresses and renders it front, back and (optionally)
side with the photo-like renderer (body_model.render: varied clothes, hair, backgrounds, lighting,
a relaxed standing pose per photo, the camera's distance and 35 mm-equivalent focal length drawn
per person), and writes:

- `photos/<id>_<view>.jpg`: JPEGs carrying the focal length in EXIF FocalLengthIn35mmFilm, as phones do;
- `manifest.csv`: id,front,back,height_cm,weight_kg,sex,side,clothes, ready for `measure batch` (clothes:
  what the renders wear, as a user would say it: body_model.garment_ease);
- `truth.csv`: per id the subject's real tape values and the twin's own values of the same
  measurements (so errors can be split into twin error and pipeline error), with the camera;
- `twins.jsonl`: per id the twin's parameters, fitted targets and residuals, and the look.

Everything is drawn from `seed`, so the same arguments give the same files. Photos are renders of
Anny bodies, not photos of the people: they test the pipeline on real body proportions, not on
real clothing, hair or cameras.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from measure.ansur_tape import TAPE_PAIRS

VIEWS = ("front", "back", "side")
SEXES = ("male", "female")
DEFAULT_IMAGE_SIZE = (1280, 960)  # (H, W) portrait, a phone photo at modest resolution
F35_RANGE_MM = (22, 35)           # phone main cameras ~24-28 mm; some users zoom a little
FILL_RANGE = (0.6, 0.88)          # share of the image height the person spans
MANIFEST_COLUMNS = ("id", "front", "back", "height_cm", "weight_kg", "sex", "side", "clothes")
CLOTHES = ("everyday", "fitted", "tight")
MAX_ARM_LOWERING_RAD = 0.12  # keeps the arms 14-45 degrees from the torso, as the photo checks ask


class SynthError(ValueError):
    """Bad input for the synthetic subjects (unreadable CSV, unknown sex or view); carries a CLI exit code."""

    exit_code = 2


@dataclass
class AnsurSubject:
    """One row of an ANSUR II-format CSV, in cm and kg."""

    subject_id: str
    sex: str
    values: dict[str, float]


def read_ansur_csv(path: str | Path, sex: str | None = None) -> list[AnsurSubject]:
    """Rows of an ANSUR II CSV (mm, weightkg in 0.1 kg) as cm / kg; sex from `sex` or the Gender column."""
    path = Path(path)
    if not path.is_file():
        raise SynthError(f"{path}: file not found")
    try:
        with path.open(encoding="latin-1", newline="") as fh:
            reader = csv.reader(fh)
            header = [h.strip().lower() for h in next(reader, [])]
            rows = [r for r in reader if r]
    except OSError as exc:
        raise SynthError(f"{path}: cannot be read ({exc})") from None
    id_col = next((i for i, h in enumerate(header) if h == "subjectid"), None)
    if id_col is None or "stature" not in header or not rows:
        raise SynthError(f"{path}: not an ANSUR II table (needs subjectid and stature columns and rows)")
    gender_col = header.index("gender") if "gender" in header else None
    if sex is None and gender_col is None:
        raise SynthError(f"{path}: no Gender column; pass the sex")
    wanted = set(c for p in TAPE_PAIRS for c in (p.ansur,)) | {"stature", "weightkg"}
    from measure.twins import TARGET_COLUMNS

    wanted |= set(TARGET_COLUMNS)
    cols = {h: i for i, h in enumerate(header) if h in wanted}
    out = []
    for line, row in enumerate(rows, start=2):
        row_sex = sex or row[gender_col].strip().lower()
        if row_sex not in SEXES:
            raise SynthError(f"{path}:{line}: sex {row_sex!r} is not male or female")
        try:
            values = {h: float(row[i]) / 10.0 for h, i in cols.items()}  # mm -> cm; weightkg 0.1 kg -> kg
        except (ValueError, IndexError):
            raise SynthError(f"{path}:{line}: unreadable measurement value") from None
        out.append(AnsurSubject(row[id_col].strip(), row_sex, values))
    return out


def sample_order(subjects: Sequence[AnsurSubject], sex: str, seed: int) -> list[int]:
    """Indices of `sex`'s subjects in a seeded random order: the first n that make good twins are the sample."""
    idx = [i for i, s in enumerate(subjects) if s.sex == sex]
    rng = np.random.default_rng([seed, SEXES.index(sex)])
    return [idx[i] for i in rng.permutation(len(idx))]


def fitted_look(look):
    """A look as measuring apps ask for: close-fitting top and trousers/shorts, no coat or dress."""
    from dataclasses import replace

    from body_model.looks import Garment, Material

    upper, lower = look.upper, look.lower
    if upper is None or upper.kind in ("coat", "dress_top"):
        upper = Garment("tshirt", upper.material if upper else Material((60.0, 60.0, 70.0)), 0.004, 0.45)
    if lower is None or lower.kind in ("skirt", "dress"):
        lower = Garment("pants", lower.material if lower else Material((45.0, 45.0, 55.0)), 0.004, 1.9)
    upper = replace(upper, slack_m=min(upper.slack_m, 0.008))
    lower = replace(lower, slack_m=min(lower.slack_m, 0.008))
    return replace(look, upper=upper, lower=lower)


TIGHT_SLACK_M = (0.001, 0.003)  # compression wear, leggings, swimwear: 1-3 mm off the skin
BARE_TORSO_SHARE = 0.35  # men in tight clothes photographed bare-chested (ISO 20685-1 scanning attire)


def tight_look(look, rng: np.random.Generator, bare_torso_share: float = 0.0):
    """A look as measuring apps ask for at best: a skin-tight top (short or long sleeves) and leggings or
    shorts, 1-3 mm off the skin (body_model.garment_ease's `tight`); with `bare_torso_share`'s chance no
    top at all, as scanning protocols ask of men."""
    from dataclasses import replace

    from body_model.looks import Garment

    upper, lower = look.upper, look.lower
    top_kind = upper.kind if upper is not None and upper.kind in ("tshirt", "longsleeve") else "tshirt"
    top_extent = upper.extent if upper is not None and upper.kind in ("tshirt", "longsleeve") else 0.4
    bottom_kind = lower.kind if lower is not None and lower.kind in ("pants", "shorts") else "pants"
    bottom_extent = lower.extent if lower is not None and lower.kind in ("pants", "shorts") else 1.9
    upper = Garment(top_kind, upper.material if upper else look.skin, float(rng.uniform(*TIGHT_SLACK_M)), top_extent)
    lower = Garment(bottom_kind, lower.material if lower else look.skin, float(rng.uniform(*TIGHT_SLACK_M)),
                    bottom_extent)
    if bare_torso_share > 0 and rng.random() < bare_torso_share:  # drawn only then: other callers' draws stay
        upper = None
    return replace(look, upper=upper, lower=lower)


def jpeg_bytes(rgb: np.ndarray, f35_mm: int, quality: int = 92) -> bytes:
    """A JPEG whose EXIF says FocalLengthIn35mmFilm = f35_mm, as phone photos do."""
    from PIL import Image

    from parsing.image_io import EXIF_FOCAL_35MM, EXIF_IFD

    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[EXIF_FOCAL_35MM] = int(f35_mm)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


@dataclass
class RenderedSubject:
    """What was written for one subject."""

    id: str
    subject_id: str
    sex: str
    stature_cm: float
    weight_kg: float
    files: dict[str, str]                       # view -> path relative to the output folder
    f35_mm: int
    distance_m: dict[str, float]
    look: dict
    tape: dict[str, float]                      # TapePair label -> real tape value (cm)
    twin: dict[str, float]                      # TapePair label -> the twin's own value (cm)
    twin_record: dict = field(default_factory=dict)
    seconds_twin: float = 0.0
    seconds_render: float = 0.0


def instructed_pose(model, rng: np.random.Generator):
    """A relaxed standing pose as the app asks for it: arms held away from the body (lowered at most
    MAX_ARM_LOWERING_RAD from the rest A-pose), elbows and legs varied (body_model.render's poses)."""
    from body_model.render import random_standing_pose

    pose = random_standing_pose(model, rng)
    names = list(model.pose_joint_names)
    rot = pose.joint_rotations.clone()
    for joint, sign in (("left_shoulder", 1.0), ("right_shoulder", -1.0)):
        if joint in names:
            j = names.index(joint)
            lowering = sign * rot[0, j, 1]
            rot[0, j, 1] = sign * lowering.clamp(max=MAX_ARM_LOWERING_RAD)
    pose.joint_rotations = rot
    return pose


def render_subject(model, twin, views: Sequence[str], rng: np.random.Generator, image_size=DEFAULT_IMAGE_SIZE,
                   clothes: str = "everyday") -> tuple[dict[str, np.ndarray], int, dict[str, float], object]:
    """Photos of a twin: one look, one phone (focal), a per-photo pose, distance close to the same."""
    from body_model.camera import distance_for_height, focal_px_from_f35
    from body_model.looks import random_look
    from body_model.render import render_person

    shape = twin.shape(model)
    gender = float(shape.phenotypes[0, 0])
    look = random_look(rng, gender)
    if clothes == "fitted":
        look = fitted_look(look)
    elif clothes == "tight":
        look = tight_look(look, rng, BARE_TORSO_SHARE if gender < 0.5 else 0.0)
    height, width = image_size
    f35 = int(rng.integers(F35_RANGE_MM[0], F35_RANGE_MM[1] + 1))
    focal = focal_px_from_f35(f35, width, height)
    fill = float(rng.uniform(*FILL_RANGE))
    photos, distances = {}, {}
    for view in views:
        view_fill = float(np.clip(fill + rng.normal(0.0, 0.02), FILL_RANGE[0] - 0.03, FILL_RANGE[1]))
        pose = instructed_pose(model, rng)
        for _ in range(4):  # a user retakes a photo that cuts them off: step back a little
            distance = distance_for_height(twin.stature_cm / 100.0, view_fill * height, focal)
            photo = render_person(model, shape, pose=pose, view=view, image_size=image_size, focal_px=focal,
                                  distance_m=distance, look=look, rng=rng)
            if not _touches_border(photo.mask, margin=max(2, height // 100)):
                break
            view_fill -= 0.06
        photos[view] = photo.rgb
        distances[view] = round(distance, 3)
    return photos, f35, distances, look


def _touches_border(mask: np.ndarray, margin: int) -> bool:
    """Whether the person reaches within `margin` pixels of an image edge (cut off, or nearly)."""
    return bool(mask[:margin].any() or mask[-margin:].any() or mask[:, :margin].any() or mask[:, -margin:].any())


def _look_summary(look) -> dict:
    def garment(g):
        return None if g is None else {"kind": g.kind, "slack_cm": round(100 * g.slack_m, 1),
                                       "extent": round(g.extent, 2)}

    return {"upper": garment(look.upper), "lower": garment(look.lower), "hair": look.hair,
            "background": look.background}


@dataclass
class SynthSummary:
    out_dir: Path
    subjects: list[RenderedSubject]
    skipped: list[tuple[str, str]]   # (subject id, why): subjects that could not be made into twins
    seconds_twin: float = 0.0
    seconds_render: float = 0.0
    clothes: str = "everyday"        # what the subjects wear (CLOTHES)

    @property
    def manifest(self) -> Path:
        return self.out_dir / "manifest.csv"

    @property
    def truth(self) -> Path:
        return self.out_dir / "truth.csv"


@dataclass(frozen=True)
class _Job:
    """One candidate subject: the k-th of its sex's seeded order (its rng and id derive from k)."""

    subject: AnsurSubject
    sex: str
    k: int
    seed: int
    views: tuple[str, ...]
    image_size: tuple[int, int]
    clothes: str
    out_dir: str


def _synth_one(maker, job: _Job) -> RenderedSubject | tuple[str, str]:
    """Twin + photos + files of one candidate, or (subject id, why) when it cannot be made a twin."""
    import time

    from measure.twins import TwinError, draw_density

    subj = job.subject
    rng = np.random.default_rng([job.seed, SEXES.index(job.sex), job.k])
    t0 = time.perf_counter()
    try:
        twin = maker.make(subj.values, job.sex, subj.subject_id, density=draw_density(rng))
    except TwinError as exc:
        return (subj.subject_id, str(exc))
    t1 = time.perf_counter()
    pid = f"{job.sex[0]}{job.k + 1:04d}_{subj.subject_id}"
    photos, f35, distances, look = render_subject(maker.model, twin, job.views, rng, job.image_size, job.clothes)
    files = {}
    for view, rgb in photos.items():
        rel = f"photos/{pid}_{view}.jpg"
        (Path(job.out_dir) / rel).write_bytes(jpeg_bytes(rgb, f35))
        files[view] = rel
    return RenderedSubject(
        id=pid, subject_id=subj.subject_id, sex=job.sex, stature_cm=subj.values["stature"],
        weight_kg=subj.values["weightkg"], files=files, f35_mm=f35, distance_m=distances, look=_look_summary(look),
        tape={p.label: subj.values[p.ansur] for p in TAPE_PAIRS if p.ansur in subj.values},
        twin={p.label: twin.measurements[p.ours] for p in TAPE_PAIRS}, twin_record=twin.to_dict(),
        seconds_twin=t1 - t0, seconds_render=time.perf_counter() - t1)


_WORKER_MAKER = None


def _init_worker(spec: dict) -> None:
    global _WORKER_MAKER
    import cv2
    import torch

    from measure.twins import TwinMaker

    # One thread per library per worker: the workers already fill the cores, and OpenCV's own threads on
    # top of them cost time (measured, 2 workers: 3.1 s of renders a subject, 2.4 s with one thread each;
    # the photos come out byte-identical).
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    _WORKER_MAKER = TwinMaker(**spec)


def _work(job: _Job):
    return _synth_one(_WORKER_MAKER, job)


def write_synth(subjects: Sequence[AnsurSubject], out_dir: str | Path, n: int, seed: int = 0,
                sexes: Sequence[str] = SEXES, views: Sequence[str] = VIEWS, image_size=DEFAULT_IMAGE_SIZE,
                clothes: str = "everyday", twin_maker=None, workers: int = 1,
                progress: Callable[[str, int, int], None] | None = None) -> SynthSummary:
    """Render `n` subjects per sex (seeded sample) into `out_dir`; see the module docstring for the files.

    workers > 1 spreads subjects over processes (each loads the body model and the cached surrogates;
    needs a `TwinMaker`, not a stand-in). The output does not depend on `workers`.
    """
    from measure.twins import TwinMaker

    views = tuple(views)
    bad = [v for v in views if v not in VIEWS]
    if bad or "front" not in views or "back" not in views:
        raise SynthError(f"views must include front and back and be among {', '.join(VIEWS)}; got {', '.join(views)}")
    if clothes not in CLOTHES:
        raise SynthError(f"clothes must be one of {', '.join(CLOTHES)}, got {clothes!r}")
    for s in sexes:
        if s not in SEXES:
            raise SynthError(f"sex must be male or female, got {s!r}")
    if n < 1:
        raise SynthError(f"n must be at least 1, got {n}")
    out = Path(out_dir)
    (out / "photos").mkdir(parents=True, exist_ok=True)
    maker = twin_maker or TwinMaker()
    pool = None
    if workers > 1:
        if not isinstance(maker, TwinMaker):
            raise SynthError("workers > 1 needs a TwinMaker")
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        spec = {"n_train": maker.n_train, "seed": maker.seed, "cache_dir": maker.cache_dir,
                "refinements": maker.refinements}
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                   initializer=_init_worker, initargs=(spec,))
    done: list[RenderedSubject] = []
    skipped: list[tuple[str, str]] = []
    try:
        for sex in sexes:
            order = sample_order(subjects, sex, seed)
            if not order:
                continue
            if progress is not None:
                progress(f"{sex}: surrogate", 0, n)
            maker.surrogate(sex)  # trained (and cached) here, once, before any worker needs it
            count, k = 0, 0
            while count < n and k < len(order):
                jobs = [_Job(subjects[i], sex, k + j, seed, views, tuple(image_size), clothes, str(out))
                        for j, i in enumerate(order[k:k + n - count])]
                k += len(jobs)
                results = pool.map(_work, jobs) if pool else (_synth_one(maker, job) for job in jobs)
                for res in results:  # in candidate order, so skips are replaced the same way every time
                    if isinstance(res, tuple):
                        skipped.append(res)
                        continue
                    done.append(res)
                    count += 1
                    if progress is not None:
                        progress(sex, count, n)
    finally:
        if pool is not None:
            pool.shutdown()
    summary = SynthSummary(out, done, skipped, sum(r.seconds_twin for r in done),
                           sum(r.seconds_render for r in done), clothes)
    _write_files(summary)
    return summary


def _write_files(summary: SynthSummary) -> None:
    out = summary.out_dir
    with open(out / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(MANIFEST_COLUMNS)
        for s in summary.subjects:
            w.writerow([s.id, s.files["front"], s.files["back"], f"{s.stature_cm:.1f}", f"{s.weight_kg:.1f}", s.sex,
                        s.files.get("side", ""), summary.clothes])
    labels = [p.label for p in TAPE_PAIRS]
    with open(out / "truth.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "subject_id", "sex", "stature_cm", "weight_kg", "f35_mm", "distance_front_m",
                    *[f"tape_{_col(lab)}" for lab in labels], *[f"twin_{_col(lab)}" for lab in labels]])
        for s in summary.subjects:
            w.writerow([s.id, s.subject_id, s.sex, f"{s.stature_cm:.1f}", f"{s.weight_kg:.1f}", s.f35_mm,
                        s.distance_m.get("front", ""),
                        *[f"{s.tape.get(lab, float('nan')):.1f}" for lab in labels],
                        *[f"{s.twin[lab]:.2f}" for lab in labels]])
    with open(out / "twins.jsonl", "w", encoding="utf-8") as fh:
        for s in summary.subjects:
            rec = asdict(s)
            fh.write(json.dumps(rec, separators=(",", ":")) + "\n")


def _col(label: str) -> str:
    return label.replace(" ", "_")


def read_truth(path: str | Path) -> dict[str, dict[str, str]]:
    """truth.csv as {id: row}."""
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


__all__ = ["AnsurSubject", "RenderedSubject", "SynthError", "SynthSummary", "read_ansur_csv", "read_truth",
           "render_subject", "sample_order", "write_synth", "jpeg_bytes", "fitted_look", "tight_look", "VIEWS",
           "MANIFEST_COLUMNS"]
