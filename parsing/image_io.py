"""Reading photos from paths, bytes or arrays, the way a phone meant them to be seen.

Phone photos are stored sideways with an EXIF orientation tag and carry the lens focal length; both
matter for measuring (a sideways person fails every check, and the focal length sets the camera's
perspective). Every failure is a typed `ImageReadError` whose message names the source and the
reason, so callers can turn it into a one-line error.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# A phone photo is at most ~50 MP; anything far beyond is a mistake or a decompression bomb.
MAX_PIXELS = 80_000_000
MAX_FILE_BYTES = 200 * 1024 * 1024
MIN_SIDE = 32  # below this there is no person to measure, only an icon

EXIF_ORIENTATION = 0x0112
EXIF_IFD = 0x8769
EXIF_FOCAL_LENGTH = 0x920A
EXIF_FOCAL_35MM = 0xA405

ImageSource = str | Path | bytes | bytearray | np.ndarray


class ImageReadError(ValueError):
    """An input image that cannot be used; `source` names it, `reason` says why."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


class ImageNotFoundError(ImageReadError):
    """The path does not exist or cannot be opened."""


class EmptyImageError(ImageReadError):
    """A zero-byte file or an array without pixels."""


class NotAnImageError(ImageReadError):
    """The bytes are not any image format we can decode."""


class CorruptImageError(ImageReadError):
    """An image format was recognised but its data is truncated or broken."""


class ImageTooLargeError(ImageReadError):
    """More pixels (or bytes) than any phone photo has."""


class ImageTooSmallError(ImageReadError):
    """Too few pixels to contain a measurable person."""


@dataclass
class LoadedImage:
    """An upright RGB photo and what its EXIF says about the camera."""

    rgb: np.ndarray                      # (H, W, 3) uint8, EXIF orientation already applied
    source: str                          # the name used in messages (path, "<bytes>", "<array>")
    focal_35mm: float | None = None      # EXIF FocalLengthIn35mmFilm (mm), when present
    focal_mm: float | None = None        # EXIF FocalLength (mm), when present
    orientation: int = 1                 # the EXIF orientation that was applied (1 = as stored)

    @property
    def height(self) -> int:
        return int(self.rgb.shape[0])

    @property
    def width(self) -> int:
        return int(self.rgb.shape[1])


def describe_source(source: ImageSource, name: str | None = None) -> str:
    """How a source is named in messages."""
    if name:
        return name
    if isinstance(source, str | Path):
        return str(source)
    if isinstance(source, np.ndarray):
        return "<array>"
    return "<bytes>"


def load_image(source: ImageSource, name: str | None = None) -> LoadedImage:
    """Read a photo from a path, encoded bytes or an (H, W[, C]) array as upright uint8 RGB."""
    label = describe_source(source, name)
    if isinstance(source, np.ndarray):
        return LoadedImage(rgb=_array_to_rgb(source, label), source=label)
    if isinstance(source, str | Path):
        data = _read_file(Path(source), label)
    elif isinstance(source, bytes | bytearray):
        data = bytes(source)
    else:
        raise NotAnImageError(label, f"unsupported input type {type(source).__name__}")
    return _decode(data, label)


def _read_file(path: Path, label: str) -> bytes:
    if not path.exists():
        raise ImageNotFoundError(label, "file not found")
    if path.is_dir():
        raise ImageNotFoundError(label, "is a folder, not an image file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageTooLargeError(label, f"file is {size / 2**20:.0f} MB; at most {MAX_FILE_BYTES // 2**20} MB")
        return path.read_bytes()
    except PermissionError:
        raise ImageNotFoundError(label, "permission denied") from None
    except OSError as exc:
        raise ImageNotFoundError(label, f"cannot be read ({exc.strerror or exc})") from None


def _decode(data: bytes, label: str) -> LoadedImage:
    if len(data) == 0:
        raise EmptyImageError(label, "empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Our own limit (MAX_PIXELS) decides; Pillow's warning just below it is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
        width, height = probe.size
        probe.close()
        if width * height > MAX_PIXELS:
            megapixels = width * height / 1e6
            raise ImageTooLargeError(
                label, f"image is {width}x{height} ({megapixels:.0f} MP); at most {MAX_PIXELS // 10**6} MP"
            )
    except UnidentifiedImageError:
        raise NotAnImageError(label, "not an image (unknown or unsupported format)") from None
    except Image.DecompressionBombError:
        raise ImageTooLargeError(label, f"image has too many pixels; at most {MAX_PIXELS // 10**6} MP") from None
    except ImageTooLargeError:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptImageError(label, f"corrupt image ({exc})") from None
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            exif = img.getexif()
            orientation = int(exif.get(EXIF_ORIENTATION, 1) or 1)
            focal_35mm, focal_mm = _focal_from_exif(exif)
            upright = ImageOps.exif_transpose(img)
            rgb = np.asarray(upright.convert("RGB"), dtype=np.uint8).copy()
    except Image.DecompressionBombError:
        raise ImageTooLargeError(label, f"image has too many pixels; at most {MAX_PIXELS // 10**6} MP") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise CorruptImageError(label, f"corrupt or truncated image ({exc})") from None
    _check_size(rgb, label)
    return LoadedImage(rgb=rgb, source=label, focal_35mm=focal_35mm, focal_mm=focal_mm, orientation=orientation)


def _focal_from_exif(exif: Image.Exif) -> tuple[float | None, float | None]:
    """FocalLengthIn35mmFilm and FocalLength (mm) from the Exif sub-IFD (or the main IFD)."""
    try:
        sub = exif.get_ifd(EXIF_IFD)
    except (KeyError, OSError, ValueError):
        sub = {}
    values: list[float | None] = []
    for tag in (EXIF_FOCAL_35MM, EXIF_FOCAL_LENGTH):
        raw = sub.get(tag, exif.get(tag))
        try:
            value = float(raw) if raw is not None else None
        except (TypeError, ValueError, ZeroDivisionError):
            value = None
        values.append(value if value and np.isfinite(value) and value > 0 else None)
    return values[0], values[1]


def _array_to_rgb(arr: np.ndarray, label: str) -> np.ndarray:
    if arr.size == 0:
        raise EmptyImageError(label, "array has no pixels")
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
        raise NotAnImageError(label, f"array of shape {arr.shape} is not an (H, W, 3) image")
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    arr = arr[:, :, :3]
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise ImageTooLargeError(label, f"array is {arr.shape[1]}x{arr.shape[0]}; at most {MAX_PIXELS // 10**6} MP")
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.number):
            raise NotAnImageError(label, f"array of dtype {arr.dtype} is not an image")
        values = arr.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise CorruptImageError(label, "array contains NaN or infinite values")
        scale = 255.0 if values.max(initial=0.0) <= 1.0 else 1.0
        arr = np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
    rgb = np.ascontiguousarray(arr)
    _check_size(rgb, label)
    return rgb


def _check_size(rgb: np.ndarray, label: str) -> None:
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise ImageTooSmallError(label, f"image is {rgb.shape[1]}x{rgb.shape[0]}; needs at least {MIN_SIDE} px a side")


def downscale(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Shrink so the longer side is at most `max_side` (area filter); returns the image and the scale used."""
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale >= 1.0:
        return rgb, 1.0
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale
