"""The ANSUR II depth prior: what front/back photos cannot see, predicted from what they can.

Front and back photos show breadths, not depths. On ANSUR II (5,000+ real people) the torso
depths and the girths are well predicted by linear models of stature and the front breadths, and
better still with weight or the depths a side photo sees. `build_shape_prior` fits ridge models
per sex (and pooled, for unknown sex) for several sets of known inputs and stores their
coefficients and cross-validated residual std in a small JSON asset; this module loads it and
predicts. The residual std is the prior's confidence: the fit weights its depth targets by it and
reports it as the per-measurement uncertainty hint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from body_model.data_paths import REPO_ROOT

PRIOR_PATH = REPO_ROOT / "assets" / "priors" / "ansur_depth_prior.json"

# ANSUR column names used as inputs (cm / kg).
FRONT_INPUTS: tuple[str, ...] = ("stature", "chestbreadth", "waistbreadth", "hipbreadth", "bideltoidbreadth")
WEIGHT_INPUTS: tuple[str, ...] = ("weightkg",)
SIDE_INPUTS: tuple[str, ...] = ("chestdepth", "waistdepth", "buttockdepth")
# What the prior predicts.
TARGETS: tuple[str, ...] = (
    "chestdepth", "waistdepth", "buttockdepth",
    "chestcircumference", "waistcircumference", "buttockcircumference",
    "thighcircumference", "neckcircumferencebase",
)
# The model families: name -> inputs.
INPUT_SETS: dict[str, tuple[str, ...]] = {
    "front": FRONT_INPUTS,
    "front+weight": FRONT_INPUTS + WEIGHT_INPUTS,
    "front+side": FRONT_INPUTS + SIDE_INPUTS,
    "front+side+weight": FRONT_INPUTS + SIDE_INPUTS + WEIGHT_INPUTS,
}
SEXES = ("male", "female", "any")
# Friendly names for the uncertainty hints.
TARGET_LABELS = {
    "chestdepth": "chest_depth", "waistdepth": "waist_depth", "buttockdepth": "hip_depth",
    "chestcircumference": "chest", "waistcircumference": "waist", "buttockcircumference": "hip",
    "thighcircumference": "thigh", "neckcircumferencebase": "neck",
}


class PriorError(ValueError):
    """The prior asset is missing or does not hold the requested model."""


@dataclass
class LinearPrior:
    """One ridge model: targets = intercept + (x - mean) / scale @ coef; residual_std per target (cm)."""

    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    mean: np.ndarray       # (I,)
    scale: np.ndarray      # (I,)
    coef: np.ndarray       # (I, T)
    intercept: np.ndarray  # (T,)
    residual_std: np.ndarray  # (T,) cross-validated
    residual_mae: np.ndarray  # (T,) cross-validated
    n_subjects: int

    def predict(self, values: dict[str, float]) -> dict[str, float]:
        """Targets (cm) from a dict holding every input (cm/kg)."""
        missing = [k for k in self.inputs if k not in values]
        if missing:
            raise PriorError(f"prior needs input {missing[0]!r}")
        x = (np.array([values[k] for k in self.inputs], dtype=np.float64) - self.mean) / self.scale
        y = self.intercept + x @ self.coef
        return dict(zip(self.targets, map(float, y), strict=True))

    def predict_torch(self, values: dict) -> dict:
        """Differentiable `predict` for torch scalars (cm); plain floats are accepted too."""
        import torch

        missing = [k for k in self.inputs if k not in values]
        if missing:
            raise PriorError(f"prior needs input {missing[0]!r}")
        x = torch.stack([torch.as_tensor(values[k], dtype=torch.float32) for k in self.inputs])
        mean = torch.as_tensor(self.mean, dtype=torch.float32)
        scale = torch.as_tensor(self.scale, dtype=torch.float32)
        y = torch.as_tensor(self.intercept, dtype=torch.float32) + ((x - mean) / scale) @ torch.as_tensor(
            self.coef, dtype=torch.float32)
        return {t: y[i] for i, t in enumerate(self.targets)}

    def std(self) -> dict[str, float]:
        return dict(zip(self.targets, map(float, self.residual_std), strict=True))

    def to_json(self) -> dict:
        return {
            "inputs": list(self.inputs), "targets": list(self.targets),
            "mean": self.mean.round(6).tolist(), "scale": self.scale.round(6).tolist(),
            "coef": self.coef.round(6).tolist(), "intercept": self.intercept.round(6).tolist(),
            "residual_std": self.residual_std.round(4).tolist(),
            "residual_mae": self.residual_mae.round(4).tolist(), "n_subjects": self.n_subjects,
        }

    @classmethod
    def from_json(cls, d: dict) -> LinearPrior:
        return cls(
            inputs=tuple(d["inputs"]), targets=tuple(d["targets"]), mean=np.asarray(d["mean"]),
            scale=np.asarray(d["scale"]), coef=np.asarray(d["coef"]), intercept=np.asarray(d["intercept"]),
            residual_std=np.asarray(d["residual_std"]), residual_mae=np.asarray(d["residual_mae"]),
            n_subjects=int(d["n_subjects"]),
        )


@dataclass
class ShapePrior:
    """All models of the asset, keyed by (sex, input set)."""

    models: dict[tuple[str, str], LinearPrior]
    source: str
    path: str = ""

    def model(self, sex: str | None, with_weight: bool, with_side: bool) -> LinearPrior:
        key_sex = sex if sex in ("male", "female") else "any"
        name = "front" + ("+side" if with_side else "") + ("+weight" if with_weight else "")
        try:
            return self.models[(key_sex, name)]
        except KeyError as exc:
            raise PriorError(f"{self.path or PRIOR_PATH}: no model for sex={key_sex} inputs={name}") from exc


def load_shape_prior(path: str | Path | None = None) -> ShapePrior:
    """The shipped asset (or `path`), cached per process."""
    return _load(str(Path(path) if path else PRIOR_PATH))


@lru_cache(maxsize=4)
def _load(path: str) -> ShapePrior:
    p = Path(path)
    if not p.is_file():
        raise PriorError(f"{p}: shape prior asset missing; rebuild with python -m body_model.build_shape_prior")
    try:
        raw = json.loads(p.read_text())
        models = {
            (m["sex"], m["input_set"]): LinearPrior.from_json(m) for m in raw["models"]
        }
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise PriorError(f"{p}: unreadable shape prior ({exc})") from exc
    return ShapePrior(models=models, source=str(raw.get("source", "")), path=str(p))
