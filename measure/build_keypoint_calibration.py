"""Rebuild assets/priors/keypoint_offsets.json: the pose detector's keypoints against the body model's.

    python -m measure.build_keypoint_calibration [--n 60] [--seed 0]

Renders `--n` random Anny adults (body_model.fit_synthetic.sample_person: both sexes, BMI 17-38;
not ANSUR twins, so no benchmark subject is involved) front, back and side in the instructed pose
(measure.synth.instructed_pose), each in a random look (everyday, fitted or tight clothes), from a
phone-like camera at a random distance; runs BlazePose on the JPEG at the pipeline's working size,
exactly as the pipeline does (measure.pipeline.orient_keypoints), and keeps each keypoint's offset
from the renderer's true one (where the renderer sees it and BlazePose is confident), divided by
the person's height in the photo. The asset holds the per-view median offsets and their spread.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from measure.keypoint_calibration import ASSET_PATH, VIEW_KINDS

MIN_CONFIDENCE = 0.5
WORK_SIDE = 1024  # measure.pipeline.DEFAULT_WORK_SIDE


def measure_offsets(n: int, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """{kind: (n_photos, K, 2) offsets / height (NaN where unusable)} and the same for the counts."""
    from rich.progress import track

    from body_model.camera import distance_for_height, focal_px_from_f35
    from body_model.fit_synthetic import sample_person
    from body_model.looks import random_look
    from body_model.model import load_body_model
    from body_model.render import render_person
    from measure.pipeline import orient_keypoints
    from measure.synth import F35_RANGE_MM, FILL_RANGE, fitted_look, instructed_pose, jpeg_bytes, tight_look
    from parsing import image_io
    from parsing.pose import PoseDetector

    model, detector = load_body_model(), PoseDetector()
    rng = np.random.default_rng(seed)
    found: dict[str, list[np.ndarray]] = {k: [] for k in VIEW_KINDS}
    height, width = 1280, 960
    for i in track(range(n), description="renders"):
        person = sample_person(model, rng, "male" if i % 2 == 0 else "female")
        look = random_look(rng, float(person.shape.phenotypes[0, 0]))
        look = (look, fitted_look(look), tight_look(look, rng))[int(rng.integers(3))]
        f35 = int(rng.integers(F35_RANGE_MM[0], F35_RANGE_MM[1] + 1))
        focal = focal_px_from_f35(f35, width, height)
        for kind in VIEW_KINDS:
            distance = distance_for_height(person.stature_cm / 100.0, float(rng.uniform(*FILL_RANGE)) * height, focal)
            photo = render_person(model, person.shape, pose=instructed_pose(model, rng), view=kind,
                                  image_size=(height, width), focal_px=focal, distance_m=distance, look=look, rng=rng)
            rgb, scale = image_io.downscale(image_io.load_image(jpeg_bytes(photo.rgb, f35)).rgb, WORK_SIDE)
            detection = detector.detect(rgb)
            if detection is None:
                continue
            kp = orient_keypoints(detection.keypoints, kind)
            truth = photo.keypoints.copy()
            truth[:, :2] *= scale
            rows = np.nonzero(photo.mask.any(axis=1))[0]
            person_px = (rows[-1] - rows[0] + 1) * scale
            usable = (truth[:, 2] >= 1.0) & (kp[:, 2] > MIN_CONFIDENCE)
            found[kind].append(np.where(usable[:, None], (kp[:, :2] - truth[:, :2]) / person_px, np.nan))
    return {k: np.array(v) for k, v in found.items()}


def summarise(found: dict[str, np.ndarray], min_count: int = 5) -> dict:
    """Median offsets per kind and keypoint (0 where fewer than `min_count` photos saw it), spread, counts."""
    from body_model.keypoints import KEYPOINT_NAMES

    offsets, spread, counts = {}, {}, {}
    for kind, arr in found.items():
        count = np.sum(~np.isnan(arr[..., 1]), axis=0)
        seen = count >= min_count  # (a keypoint the renderer never shows, e.g. the nose from behind: no offset)
        med = np.zeros((arr.shape[1], 2))
        mad = np.zeros((arr.shape[1], 2))
        if seen.any():
            med[seen] = np.nanmedian(arr[:, seen], axis=0)
            mad[seen] = np.nanmedian(np.abs(arr[:, seen] - med[None, seen]), axis=0)
        offsets[kind] = np.round(med, 5).tolist()
        spread[kind] = np.round(1.4826 * mad, 5).tolist()
        counts[kind] = count.tolist()
    return {"keypoints": list(KEYPOINT_NAMES), "units": "fraction of the person's height in the photo; "
            "detector minus body model; subtract from detections", "offsets": offsets, "spread": spread,
            "counts": counts}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60, help="random bodies (three photos each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ASSET_PATH)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    asset = summarise(measure_offsets(args.n, args.seed))
    asset["source"] = (f"{args.n} random Anny bodies (seed {args.seed}) rendered front/back/side in the "
                       "instructed pose; BlazePose (mediapipe 0.10.14) at the pipeline's working size")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(asset, indent=1))
    print(f"wrote {args.out} in {time.perf_counter() - t0:.0f} s; offsets in 1/1000 of the person's height (dx, dy):")
    for kind in VIEW_KINDS:
        pairs = zip(asset["keypoints"], asset["offsets"][kind], strict=True)
        cells = [f"{n} {1000 * o[0]:+.0f},{1000 * o[1]:+.0f}" for n, o in pairs if any(o)]
        print(f"  {kind}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
