"""Starting values of the per-view rigid placement, from the mask and keypoints alone.

The known stature fixes the scale: a person whose mask spans h pixels at focal f stands at about
f * stature / h from the camera (the mask also holds hair and shoes, ~2-3 cm, which the fit then
absorbs). The feet sit on the mask's bottom row, the body is centred on the mask's columns.
A side view faces the image side its nose points to.
"""

from __future__ import annotations

import math

import numpy as np

from body_model.fit_views import PreparedView
from body_model.keypoints import KEYPOINT_ID

BASE_YAW = {"front": 0.0, "back": math.pi}


def side_yaw(pv: PreparedView) -> float:
    """+90 deg (facing image right) or -90 deg, from the nose relative to the shoulders/hips/mask."""
    kp = pv.keypoints.numpy()
    nose = kp[KEYPOINT_ID["nose"]]
    refs = [kp[KEYPOINT_ID[n]] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip")]
    refs = [r for r in refs if r[2] > 0.2]
    if nose[2] > 0.2 and refs:
        centre = float(np.mean([r[0] for r in refs]))
    else:  # no keypoints: the belly side of a side silhouette is usually wider at waist height
        return math.pi / 2
    return math.pi / 2 if nose[0] >= centre else -math.pi / 2


def initial_yaw(pv: PreparedView) -> float:
    kind = pv.view.kind
    return side_yaw(pv) if kind == "side" else BASE_YAW[kind]


def initial_translation(pv: PreparedView, stature_m: float) -> np.ndarray:
    """(x, y, z) metres of the body's floor point in the fit's camera frame (camera at origin, +y ahead)."""
    pixel_height = max(pv.mask_bottom - pv.mask_top, 1.0)
    distance = pv.focal_px * (stature_m * 1.015) / pixel_height
    cx, cy = (pv.width - 1) / 2.0, (pv.height - 1) / 2.0
    cols = np.nonzero(pv.view.mask.any(axis=0))[0]
    u_centre = 0.5 * (cols[0] + cols[-1])
    tx = (u_centre - cx) * distance / pv.focal_px
    tz = -(pv.mask_bottom - 1.0 - cy) * distance / pv.focal_px
    return np.array([tx, distance, tz], dtype=np.float32)


def pnp_placement(pv: PreparedView, model_keypoints: np.ndarray, yaw: float,
                  translation: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Rotation (3,3) and translation (3,) of the body in the fit's frame from 2D keypoints (PnP).

    The fit's camera sits at the origin with body_model.camera.FRONT_ROTATION; `model_keypoints`
    are the current body's 3D keypoints in its own frame (feet at z=0). The guess (yaw about z,
    `translation`) seeds an iterative PnP, which recovers the camera pitch that a phone held at chest
    height adds: left to gradient descent, pitch and vertical translation trade off into a bad valley.
    Returns None when too few keypoints are confident.
    """
    import cv2

    from body_model.camera import FRONT_ROTATION

    kp = pv.keypoints.numpy()
    ok = kp[:, 2] > 0.3
    if ok.sum() < 6:
        return None
    rz = np.array([[math.cos(yaw), -math.sin(yaw), 0.0], [math.sin(yaw), math.cos(yaw), 0.0], [0.0, 0.0, 1.0]])
    r0 = FRONT_ROTATION @ rz
    t0 = FRONT_ROTATION @ translation.astype(np.float64)
    k = np.array([[pv.focal_px, 0, (pv.width - 1) / 2.0], [0, pv.focal_px, (pv.height - 1) / 2.0], [0, 0, 1]])
    rvec, _ = cv2.Rodrigues(r0)
    found, rvec, tvec = cv2.solvePnP(model_keypoints[ok].astype(np.float64), kp[ok, :2].astype(np.float64), k, None,
                                     rvec.copy(), t0.reshape(3, 1).copy(), useExtrinsicGuess=True,
                                     flags=cv2.SOLVEPNP_ITERATIVE)
    if not found:
        return None
    r_cam, _ = cv2.Rodrigues(rvec)
    rot = FRONT_ROTATION.T @ r_cam
    trans = FRONT_ROTATION.T @ tvec.reshape(3)
    # Keep the PnP answer only if it is a sane standing placement (upright within ~35 deg, in front).
    if rot[2, 2] < 0.8 or trans[1] <= 0.3:
        return None
    return rot.astype(np.float32), trans.astype(np.float32)
