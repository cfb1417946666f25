"""What a synthetic person wears and looks like: skin, garments, hair, shoes, background, camera noise.

A `Look` is plain data, drawn at random by `random_look` (or built by hand in tests), and turned
into geometry by `body_model.garments` and into pixels by `body_model.render`. Garment `slack_m`
is how far the cloth stands off the skin: the reason clothing pixels only bound the body from
outside.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SKIN_TONES = np.array([  # RGB, light to dark
    (255, 224, 196), (241, 194, 167), (224, 172, 138), (198, 134, 99), (161, 102, 66), (120, 74, 46),
    (90, 56, 37),
], dtype=np.float64)
HAIR_COLOURS = np.array([(20, 17, 15), (45, 32, 25), (85, 60, 40), (140, 100, 60), (200, 170, 110),
                         (120, 45, 25), (160, 160, 160)], dtype=np.float64)
CLOTH_COLOURS = np.array([
    (240, 240, 235), (25, 25, 30), (40, 60, 120), (70, 100, 160), (160, 30, 40), (200, 80, 60),
    (40, 110, 70), (120, 140, 80), (230, 200, 80), (200, 160, 120), (130, 130, 135), (90, 60, 110),
    (230, 150, 170), (60, 140, 170), (150, 90, 50), (250, 250, 250), (180, 40, 110), (70, 70, 60),
], dtype=np.float64)
DENIM = np.array([(40, 60, 100), (60, 85, 130), (30, 40, 65), (90, 115, 150)], dtype=np.float64)
PATTERNS = ("solid", "stripes", "checks", "speckle")


@dataclass
class Material:
    colour: tuple[float, float, float]  # RGB 0-255
    pattern: str = "solid"  # one of PATTERNS
    colour2: tuple[float, float, float] = (255.0, 255.0, 255.0)
    period_m: float = 0.04  # stripe/check period on the body
    roughness: float = 0.06  # per-pixel brightness noise


@dataclass
class Garment:
    kind: str  # upper: tshirt, longsleeve, coat; lower: pants, shorts, skirt, dress
    material: Material
    slack_m: float  # how far the cloth stands off the skin
    extent: float  # sleeve/leg/hem length: fraction along the limb (see garments.py)
    flare: float = 0.0  # skirts/dresses: widening towards the hem (fraction of hip radius)


@dataclass
class Look:
    skin: Material
    upper: Garment | None
    lower: Garment | None
    hair: str = "short"  # none, short, long
    hair_material: Material = field(default_factory=lambda: Material((40.0, 30.0, 25.0), roughness=0.12))
    hair_thickness_m: float = 0.012
    hair_length: float = 0.5  # long hair: fraction of the way from the ears to the shoulder blades' bottom
    shoes: Material = field(default_factory=lambda: Material((30.0, 30.0, 30.0)))
    shoe_height: float = 0.03  # m above the ankle keypoint the shoe reaches (boots: more)
    background: str = "wall"  # gradient, wall, texture
    background_colours: tuple[tuple[float, float, float], ...] = ((200.0, 200.0, 195.0), (120.0, 110.0, 100.0))
    light_dir: tuple[float, float, float] = (0.3, -0.8, 0.5)  # towards the light, world
    ambient: float = 0.45
    noise_sigma: float = 3.0  # camera noise, 0-255 units
    blur_sigma: float = 0.6


def _pick(rng: np.random.Generator, table: np.ndarray, jitter: float = 12.0) -> tuple[float, float, float]:
    c = table[rng.integers(len(table))] + rng.normal(0, jitter, 3)
    return tuple(float(v) for v in np.clip(c, 0, 255))


def random_material(rng: np.random.Generator, table: np.ndarray = CLOTH_COLOURS) -> Material:
    pattern = str(rng.choice(PATTERNS, p=[0.55, 0.2, 0.1, 0.15]))
    return Material(_pick(rng, table), pattern, _pick(rng, CLOTH_COLOURS), float(rng.uniform(0.02, 0.08)),
                    float(rng.uniform(0.02, 0.1)))


def random_look(rng: np.random.Generator, gender: float = 0.5) -> Look:
    """A plausible everyday outfit; `gender` is Anny's phenotype (0 male, 1 female) and sways the choices."""
    female = rng.random() < gender
    skin = Material(_pick(rng, SKIN_TONES, 8.0), roughness=0.03)

    lower_kind = str(rng.choice(["pants", "shorts", "skirt", "dress"],
                                p=[0.45, 0.15, 0.2, 0.2] if female else [0.8, 0.2, 0.0, 0.0]))
    if lower_kind == "pants" and rng.random() < 0.5:
        lower_mat = Material(_pick(rng, DENIM, 8.0), "speckle", roughness=0.08)
    else:
        lower_mat = random_material(rng)
    lower_extent = {"pants": rng.uniform(1.85, 1.97), "shorts": rng.uniform(0.3, 0.75),
                    "skirt": rng.uniform(0.45, 1.4), "dress": rng.uniform(0.55, 1.6)}[lower_kind]
    lower_slack = {"pants": rng.uniform(0.004, 0.022), "shorts": rng.uniform(0.008, 0.03),
                   "skirt": rng.uniform(0.01, 0.03), "dress": rng.uniform(0.006, 0.025)}[lower_kind]
    flare = float(rng.uniform(0.05, 0.45)) if lower_kind in ("skirt", "dress") else 0.0
    lower = Garment(lower_kind, lower_mat, float(lower_slack), float(lower_extent), flare)

    if lower_kind == "dress":  # the dress has its own top, in the same cloth
        sleeve = float(rng.choice([0.0, rng.uniform(0.25, 0.6), rng.uniform(1.6, 1.95)], p=[0.4, 0.4, 0.2]))
        upper = Garment("dress_top", lower_mat, float(rng.uniform(0.004, 0.02)), sleeve)
    else:
        upper_kind = str(rng.choice(["tshirt", "longsleeve", "coat"], p=[0.5, 0.35, 0.15]))
        extent = {"tshirt": rng.uniform(0.25, 0.65), "longsleeve": rng.uniform(1.75, 1.97),
                  "coat": rng.uniform(1.85, 1.98)}[upper_kind]
        slack = {"tshirt": rng.uniform(0.004, 0.025), "longsleeve": rng.uniform(0.006, 0.03),
                 "coat": rng.uniform(0.025, 0.05)}[upper_kind]
        upper = Garment(upper_kind, random_material(rng), float(slack), float(extent))

    if rng.random() < (0.05 if female else 0.15):
        hair = "none"
    else:
        hair = "long" if rng.random() < (0.65 if female else 0.08) else "short"
    background = str(rng.choice(["gradient", "wall", "texture"], p=[0.3, 0.45, 0.25]))
    bg = tuple(_pick(rng, CLOTH_COLOURS, 30.0) for _ in range(2))
    light = rng.normal(0, 1, 3) * [0.5, 0.3, 0.3] + [0.0, -1.0, 0.6]
    return Look(
        skin=skin, upper=upper, lower=lower, hair=hair,
        hair_material=Material(_pick(rng, HAIR_COLOURS, 10.0), roughness=0.15),
        hair_thickness_m=float(rng.uniform(0.006, 0.02) if hair == "short" else rng.uniform(0.012, 0.03)),
        hair_length=float(rng.uniform(0.2, 1.0)),
        shoes=Material(_pick(rng, CLOTH_COLOURS), roughness=0.04),
        shoe_height=float(rng.choice([rng.uniform(0.0, 0.04), rng.uniform(0.08, 0.2)], p=[0.85, 0.15])),
        background=background, background_colours=bg,
        light_dir=tuple(float(v) for v in light / np.linalg.norm(light)),
        ambient=float(rng.uniform(0.3, 0.6)), noise_sigma=float(rng.uniform(1.0, 6.0)),
        blur_sigma=float(rng.uniform(0.3, 1.0)),
    )
