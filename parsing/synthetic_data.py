"""Synthetic parser training images: clothed Anny bodies rendered by `body_model.render.render_person`.

Each item is drawn from its own seed (`seed`, index), so item i is the same image in every process
and every run: a random adult body (Anny phenotypes, age kept adult), a relaxed standing pose, a
view (front, back, side, with a small extra turn), a clothing look and a background. Labels are
LIP ids with the person's own left/right, as the renderer writes them.

Rendering costs ~0.3-0.8 s per 512 x 384 image on one CPU core, so for training the images are
rendered once into a folder (`python -m parsing.synthetic_data --out DIR --n N`, or `cache_dir=`),
in the same layout as the CCP pack (`parsing.data_pack.open_pack` reads both).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from body_model.lip_labels import LIP_CLASSES

VIEWS = ("front", "back", "side")


@dataclass(frozen=True)
class SyntheticConfig:
    """What varies between renders, and how much."""

    image_size: tuple[int, int] = (448, 336)            # (h, w), portrait like the CCP pack
    view_weights: tuple[float, float, float] = (0.55, 0.35, 0.10)  # front, back, side
    yaw_jitter_rad: float = 0.3                         # extra turn about the vertical
    age_range: tuple[float, float] = (0.6, 1.0)         # Anny age phenotype (0.78 ~ 25 years): adults
    seed: int = 0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["image_size"] = list(self.image_size)
        return d


def sample_rng(config: SyntheticConfig, index: int) -> np.random.Generator:
    return np.random.default_rng([config.seed, index])


def render_sample(model, config: SyntheticConfig, index: int):
    """The `index`-th synthetic photo (body_model.render.SyntheticPhoto) of this configuration."""
    import torch

    from body_model.model import BodyPose, BodyShape
    from body_model.render import random_standing_pose, render_person

    rng = sample_rng(config, index)
    phen = rng.uniform(0.0, 1.0, 6)
    phen[1] = rng.uniform(*config.age_range)
    shape = BodyShape(torch.tensor(phen[None], dtype=torch.float32))
    pose = random_standing_pose(model, rng)
    yaw = float(rng.uniform(-config.yaw_jitter_rad, config.yaw_jitter_rad))
    pose = BodyPose(pose.joint_rotations, torch.tensor([[0.0, 0.0, yaw]], dtype=torch.float32), pose.translation)
    weights = np.asarray(config.view_weights, dtype=np.float64)
    view = VIEWS[int(rng.choice(len(VIEWS), p=weights / weights.sum()))]
    return render_person(model, shape, pose, view=view, image_size=config.image_size, rng=rng)


class SyntheticPersons(Dataset):
    """Item i -> (rgb (H, W, 3) uint8, labels (H, W) uint8 LIP ids), rendered on demand (or read from `cache_dir`).

    The body model is loaded lazily in each process (DataLoader workers load their own).
    """

    def __init__(self, n: int, config: SyntheticConfig = SyntheticConfig(), cache_dir: str | Path | None = None,
                 backend: str = "anny", quality: int = 90) -> None:
        if n <= 0:
            raise ValueError(f"n = {n}: need at least one image")
        self.n, self.config, self.backend, self.quality = n, config, backend, quality
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._model = None

    def __len__(self) -> int:
        return self.n

    @property
    def model(self):
        if self._model is None:
            from body_model.model import load_body_model

            self._model = load_body_model(self.backend)
        return self._model

    def item_paths(self, i: int) -> tuple[Path, Path]:
        assert self.cache_dir is not None
        name = f"s{self.config.seed}_{i:06d}"
        return self.cache_dir / "images" / f"{name}.jpg", self.cache_dir / "labels" / f"{name}.png"

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= i < self.n:
            raise IndexError(i)
        from PIL import Image

        if self.cache_dir is not None:
            image_path, label_path = self.item_paths(i)
            if image_path.exists() and label_path.exists():
                return np.asarray(Image.open(image_path).convert("RGB")), np.asarray(Image.open(label_path))
        photo = render_sample(self.model, self.config, i)
        if self.cache_dir is not None:
            image_path, label_path = self.item_paths(i)
            image_path.parent.mkdir(parents=True, exist_ok=True)
            label_path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(photo.rgb).save(image_path, quality=self.quality)
            Image.fromarray(photo.labels).save(label_path)
        return photo.rgb, photo.labels


def write_synthetic_folder(out: Path, n: int, config: SyntheticConfig = SyntheticConfig(), quality: int = 85,
                           progress: bool = True) -> int:
    """Render n images into `out` (pack layout, all in the train split); existing ones are kept. Returns bytes."""
    from parsing.data_pack import PACK_FORMAT

    out = Path(out)
    data = SyntheticPersons(n, config, cache_dir=out, quality=quality)
    indices: Sequence[int] = range(n)
    if progress:
        from rich.progress import track

        indices = track(range(n), description="rendering synthetic persons")
    names = []
    for i in indices:
        data[i]
        names.append(data.item_paths(i)[0].stem)
    (out / "list").mkdir(parents=True, exist_ok=True)
    (out / "list" / "train_id.txt").write_text("".join(f"{name}\n" for name in names))
    meta = {"format": PACK_FORMAT, "dataset": "synthetic", "label_set": "lip", "classes": list(LIP_CLASSES),
            "ignore_index": 255, "n": n, "config": config.to_dict(), "jpeg_quality": quality,
            "source": "body_model.render.render_person (Anny bodies, procedural clothing)"}
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to render into (keep it outside the repository)")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quality", type=int, default=85, help="JPEG quality")
    parser.add_argument("--size", default="448x336", help="HxW of the renders")
    args = parser.parse_args(argv)
    h, w = (int(v) for v in args.size.lower().split("x"))
    size = write_synthetic_folder(Path(args.out), args.n, SyntheticConfig(image_size=(h, w), seed=args.seed),
                                  args.quality)
    print(f"{args.out}: {args.n} synthetic images, {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
