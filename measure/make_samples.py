"""Regenerate assets/samples: a front/back photo pair of a synthetic person and their true measurements.

The person is an Anny body of known shape, dressed as body-measurement protocols ask (ISO 20685-1
scanning attire: bare torso for men, tight shorts; measuring apps ask for the same or for
form-fitting clothes) and rendered by `body_model.render` as phone-like JPEGs that carry EXIF
FocalLengthIn35mmFilm (26 mm, the lens the renderer used). `truth.json` holds the stature and the
measurements of the bare body in its rest pose, taken by `measure.measurements` exactly as the
pipeline takes them on a fitted body, so `measure` on the pair can be checked against it.

    python -m measure.make_samples [--out assets/samples]
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import numpy as np

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "samples"
SEED = 7
IMAGE_SIZE = (1280, 960)  # (H, W): a phone photo at a modest resolution
F35_MM = 26.0
PERSON = {"sex": "male", "stature_cm": 176.0,
          "phenotypes": {"gender": 0.05, "age": 0.8, "muscle": 0.55, "weight": 0.55, "proportions": 0.5}}


def sample_look():
    """Bare torso and tight shorts (3 mm off the skin), short hair, a plain wall."""
    from body_model.looks import Garment, Look, Material

    return Look(
        skin=Material((198.0, 152.0, 120.0), roughness=0.03),
        upper=None,
        lower=Garment("shorts", Material((40.0, 70.0, 130.0), roughness=0.05), slack_m=0.003, extent=0.4),
        hair="short",
        hair_material=Material((45.0, 32.0, 25.0), roughness=0.15),
        hair_thickness_m=0.008,
        shoes=Material((230.0, 230.0, 225.0), roughness=0.04),
        shoe_height=0.02,
        background="wall",
        background_colours=((214.0, 208.0, 196.0), (150.0, 140.0, 128.0)),
        light_dir=(0.25, -0.85, 0.45),
        ambient=0.45,
        noise_sigma=2.5,
        blur_sigma=0.5,
    )


def jpeg_with_focal(rgb: np.ndarray, f35_mm: float, quality: int = 90) -> bytes:
    from PIL import Image

    from parsing.image_io import EXIF_FOCAL_35MM, EXIF_IFD

    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[EXIF_FOCAL_35MM] = int(round(f35_mm))
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def make_samples(out_dir: Path = SAMPLES_DIR) -> dict:
    import torch

    from body_model.camera import focal_px_from_f35
    from body_model.model import PHENOTYPES, BodyShape, load_body_model
    from body_model.render import render_person
    from measure.measurements import measure_body

    model = load_body_model()
    values = [PERSON["phenotypes"].get(n, 0.5) for n in PHENOTYPES]
    shape = model.with_stature(BodyShape(torch.tensor([values], dtype=torch.float32)), PERSON["stature_cm"])
    height, width = IMAGE_SIZE
    focal = focal_px_from_f35(F35_MM, width, height)
    out_dir.mkdir(parents=True, exist_ok=True)
    look = sample_look()
    rng = np.random.default_rng(SEED)
    distance = None
    for view in ("front", "back"):
        photo = render_person(model, shape, view=view, image_size=IMAGE_SIZE, focal_px=focal, distance_m=distance,
                              look=look, rng=rng)
        distance = float(np.linalg.norm(photo.camera.center[:2]))  # same distance for both photos
        (out_dir / f"{view}.jpg").write_bytes(jpeg_with_focal(photo.rgb, F35_MM))
    with torch.no_grad():
        rest = model.rest(shape).vertices[0].numpy()
    truth = measure_body(rest, model.faces, model.vertex_parts, sex=PERSON["sex"])
    record = {
        "description": "Synthetic person rendered by body_model.render (regenerate: python -m measure.make_samples)",
        "sex": PERSON["sex"],
        "height_cm": PERSON["stature_cm"],
        "phenotypes": {n: round(float(v), 4) for n, v in zip(PHENOTYPES, shape.phenotypes[0].tolist(), strict=True)},
        "clothing": "bare torso, shorts 3 mm off the skin (ISO 20685-1 scanning attire)",
        "focal_35mm": F35_MM,
        "camera_distance_m": round(distance, 3),
        "measurements_cm": {name: round(m.value_cm, 2) for name, m in truth.values.items()},
    }
    (out_dir / "truth.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR)
    args = parser.parse_args(argv)
    record = make_samples(args.out)
    m = record["measurements_cm"]
    print(f"wrote {args.out}/front.jpg, back.jpg, truth.json: stature {m['stature']:.1f}, "
          f"chest {m['chest_girth']:.1f}, waist {m['waist_girth']:.1f}, hip {m['hip_girth']:.1f} cm")


if __name__ == "__main__":
    main()
