"""Where the pose detector puts a keypoint against where the body model has it, per view.

BlazePose and Anny's keypoint regressor place some joints differently: measured on renders of Anny
bodies in the instructed pose (`python -m measure.build_keypoint_calibration`, medians), BlazePose's
hips sit ~1% of the person's height above Anny's in every view, its ankles and heels ~1% above in
back photos and its knees and ankles ~1.7% above in side photos. The fit pins the body's size in
the photo with the keypoints (hair and shoes hide the head top and the soles), so feet found too
high make the body's image too short: the fit then stands it farther away and widens it to fill the
outline (measured on ANSUR II twin renders in tight clothes: the torso read 0.6-1.3 cm too broad
from the fitted placement alone, 0.4-0.9 cm with these offsets). The shipped offsets
(`assets/priors/keypoint_offsets.json`, in units of the person's height in the photo) are
subtracted from the detector's keypoints before the fit.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from body_model.data_paths import REPO_ROOT
from body_model.keypoints import KEYPOINT_NAMES

ASSET_PATH = REPO_ROOT / "assets" / "priors" / "keypoint_offsets.json"
VIEW_KINDS = ("front", "back", "side")


@lru_cache(maxsize=2)
def load_offsets(path: str | None = None) -> dict[str, np.ndarray] | None:
    """{view kind: (K, 2) mean detector-minus-model offset / person height}; None when the asset is missing."""
    p = Path(path) if path else ASSET_PATH
    if not p.is_file():
        return None
    raw = json.loads(p.read_text())
    if list(raw["keypoints"]) != list(KEYPOINT_NAMES):
        raise ValueError(f"{p}: keypoint order differs from body_model.keypoints")
    return {kind: np.asarray(raw["offsets"][kind], dtype=np.float64) for kind in VIEW_KINDS}


def calibrated(keypoints: np.ndarray, kind: str, person_height_px: float,
               offsets: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Detector keypoints (K, 3) moved onto the body model's definitions for a photo of `kind`.

    person_height_px: the person's height in the photo (the mask's rows), which scales the offsets.
    """
    table = load_offsets() if offsets is None else offsets
    kp = np.asarray(keypoints, dtype=np.float32).copy()
    if table is None or kind not in table or not person_height_px > 0:
        return kp
    seen = kp[:, 2] > 0
    kp[seen, :2] -= (table[kind][seen] * person_height_px).astype(np.float32)
    return kp


__all__ = ["ASSET_PATH", "VIEW_KINDS", "calibrated", "load_offsets"]
