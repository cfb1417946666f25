"""Pinhole camera shared by the renderer, the rasteriser and the fitting.

Conventions: world metres, z up, the person faces -y. Camera coordinates are OpenCV's (x right,
y down, z forward); pixel (0, 0) is the centre of the top-left pixel. A front photo is a camera at
y = -distance looking along +y, so the person's left (+x) appears on the image's right.

The focal length in pixels comes from the photo's EXIF 35 mm-equivalent focal length when present
(f_px = f35 * image_diagonal_px / 43.27 mm, the 35 mm frame diagonal), otherwise a phone-like
default (26 mm equivalent, the main camera of most phones). With the focal length and the known
stature, the person's distance follows from their height in pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

FULL_FRAME_DIAGONAL_MM = 43.27  # diagonal of a 36 x 24 mm frame
PHONE_F35_MM = 26.0  # typical phone main camera, 35 mm equivalent
EXIF_IFD_POINTER = 0x8769
EXIF_FOCAL_35MM = 0xA405

# World -> camera rotation of a level camera looking along +y (at the person's front).
FRONT_ROTATION = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


@dataclass
class Camera:
    """p_cam = rotation @ p_world + translation; pixel = focal * (x/z, y/z) + (cx, cy)."""

    focal_px: float
    cx: float
    cy: float
    width: int
    height: int
    rotation: np.ndarray = field(default_factory=lambda: FRONT_ROTATION.copy())  # (3, 3) world -> camera
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))  # (3,)

    @property
    def center(self) -> np.ndarray:
        """Camera position in world coordinates."""
        return -self.rotation.T @ self.translation

    def to_camera(self, points: Any) -> Any:
        """World (..., 3) -> camera coordinates; numpy or torch (differentiable) in, same type out."""
        if isinstance(points, torch.Tensor):
            rot = torch.as_tensor(self.rotation, dtype=points.dtype, device=points.device)
            trans = torch.as_tensor(self.translation, dtype=points.dtype, device=points.device)
            return points @ rot.T + trans
        return np.asarray(points, dtype=np.float64) @ self.rotation.T + self.translation

    def project(self, points: Any) -> Any:
        """World (..., 3) -> pixels (..., 2); numpy or torch (differentiable) in, same type out."""
        cam = self.to_camera(points)
        z = cam[..., 2:3]
        if isinstance(cam, torch.Tensor):
            z = z.clamp_min(1e-6)
            centre = torch.tensor([self.cx, self.cy], dtype=cam.dtype, device=cam.device)
        else:
            z = np.maximum(z, 1e-6)
            centre = np.array([self.cx, self.cy])
        return self.focal_px * cam[..., :2] / z + centre

    def scaled(self, factor: float) -> Camera:
        """The same camera for the image resized by `factor` (pixel centres stay consistent)."""
        return replace(self, focal_px=self.focal_px * factor, cx=(self.cx + 0.5) * factor - 0.5,
                       cy=(self.cy + 0.5) * factor - 0.5, width=round(self.width * factor),
                       height=round(self.height * factor))

    @staticmethod
    def looking_at(eye: np.ndarray, target: np.ndarray, focal_px: float, width: int, height: int,
                   up: np.ndarray = np.array([0.0, 0.0, 1.0])) -> Camera:
        """A camera at `eye` looking at `target` with image up along world `up`, principal point centred."""
        forward = np.asarray(target, float) - np.asarray(eye, float)
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, up)
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        rotation = np.stack([right, down, forward])
        return Camera(focal_px, (width - 1) / 2, (height - 1) / 2, width, height, rotation,
                      -rotation @ np.asarray(eye, float))


def focal_px_from_f35(f35_mm: float, width: int, height: int) -> float:
    """Pixels from a 35 mm-equivalent focal length: f35 / 43.27 mm of diagonal."""
    return float(f35_mm) * math.hypot(width, height) / FULL_FRAME_DIAGONAL_MM


def default_focal_px(width: int, height: int, f35_mm: float = PHONE_F35_MM) -> float:
    """Phone-like focal length for a photo without EXIF."""
    return focal_px_from_f35(f35_mm, width, height)


def exif_f35_mm(image: Any) -> float | None:
    """EXIF FocalLengthIn35mmFilm of a photo (path or PIL image), or None when absent or zero."""
    from PIL import Image

    try:
        img = Image.open(image) if isinstance(image, (str, Path)) else image
        exif = img.getexif()
    except (OSError, AttributeError):
        return None
    value = exif.get_ifd(EXIF_IFD_POINTER).get(EXIF_FOCAL_35MM) or exif.get(EXIF_FOCAL_35MM)
    try:
        f35 = float(value) if value is not None else 0.0
    except (TypeError, ValueError):
        return None
    return f35 if f35 > 0 else None


@dataclass
class FocalEstimate:
    focal_px: float
    source: str  # "exif" or "default"
    f35_mm: float


def focal_for_image(image: Any, width: int | None = None, height: int | None = None) -> FocalEstimate:
    """Focal length in pixels for a photo (path or PIL image) at `width` x `height` (default: its own size).

    Pass the size the photo is used at (e.g. after downscaling): the 35 mm equivalent is size-free.
    """
    from PIL import Image

    img = Image.open(image) if isinstance(image, (str, Path)) else image
    w, h = (width, height) if width and height else img.size
    f35 = exif_f35_mm(img)
    if f35 is None:
        return FocalEstimate(default_focal_px(w, h), "default", PHONE_F35_MM)
    return FocalEstimate(focal_px_from_f35(f35, w, h), "exif", f35)


def distance_for_height(stature_m: float, height_px: float, focal_px: float) -> float:
    """Camera-to-person distance (m) at which an upright body of `stature_m` spans `height_px` pixels."""
    if height_px <= 0 or focal_px <= 0:
        raise ValueError(f"height_px and focal_px must be positive, got {height_px}, {focal_px}")
    return float(focal_px) * float(stature_m) / float(height_px)


def person_camera(focal_px: float, width: int, height: int, distance_m: float, camera_height_m: float,
                  view: str = "front", pitch_deg: float = 0.0, aim_height_m: float | None = None) -> Camera:
    """A camera at `distance_m` from the body axis (x=y=0), `camera_height_m` above the floor.

    view 'front' looks along +y at the person's front; a back photo is the same camera with the
    person turned 180 degrees (see render/fit), so only 'front' and 'side' (looking along -x, at
    the person's left side) are camera placements here. `aim_height_m` (default: camera height)
    tilts the camera to look at that height on the body axis; `pitch_deg` adds a tilt (down > 0).
    """
    if view not in ("front", "side"):
        raise ValueError(f"view must be 'front' or 'side', got {view!r}")
    aim = camera_height_m if aim_height_m is None else aim_height_m
    if view == "front":
        eye = np.array([0.0, -distance_m, camera_height_m])
        direction = np.array([0.0, distance_m, aim - camera_height_m])
    else:
        eye = np.array([distance_m, 0.0, camera_height_m])
        direction = np.array([-distance_m, 0.0, aim - camera_height_m])
    if pitch_deg:
        horiz = math.hypot(direction[0], direction[1])
        angle = math.atan2(direction[2], horiz) - math.radians(pitch_deg)
        direction = np.array([direction[0] / horiz * math.cos(angle), direction[1] / horiz * math.cos(angle),
                              math.sin(angle)])
    return Camera.looking_at(eye, eye + direction, focal_px, width, height)


def framing_camera(stature_m: float, focal_px: float, width: int, height: int, fill: float = 0.85,
                   view: str = "front", camera_height_m: float | None = None) -> Camera:
    """A level camera placed so a standing body of `stature_m` fills `fill` of the image height."""
    distance = distance_for_height(stature_m, fill * height, focal_px)
    cam_h = 0.55 * stature_m if camera_height_m is None else camera_height_m
    # Aim at the body's middle (a slight tilt, as people hold phones), principal point centred.
    return person_camera(focal_px, width, height, distance, cam_h, view=view, aim_height_m=stature_m / 2)
