"""Reading photos: paths, bytes, arrays, EXIF orientation and focal length, and every bad input's error."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from parsing import image_io
from parsing.image_io import (
    CorruptImageError,
    EmptyImageError,
    ImageNotFoundError,
    ImageTooLargeError,
    ImageTooSmallError,
    NotAnImageError,
    load_image,
)


def jpeg_bytes(width: int = 40, height: int = 60, orientation: int | None = None, f35: int | None = None) -> bytes:
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[: height // 2] = (255, 0, 0)  # top half red: shows which way is up after rotation
    img = Image.fromarray(rgb)
    exif = Image.Exif()
    if orientation is not None:
        exif[image_io.EXIF_ORIENTATION] = orientation
    if f35 is not None:
        exif.get_ifd(image_io.EXIF_IFD)[image_io.EXIF_FOCAL_35MM] = f35
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR that claims a huge size (no real pixel data)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_reads_path_bytes_and_array_alike(tmp_path):
    data = jpeg_bytes()
    path = tmp_path / "p.jpg"
    path.write_bytes(data)
    from_path = load_image(path)
    from_bytes = load_image(data)
    from_array = load_image(from_path.rgb)
    assert from_path.rgb.shape == (60, 40, 3) and from_path.rgb.dtype == np.uint8
    assert np.array_equal(from_path.rgb, from_bytes.rgb) and np.array_equal(from_path.rgb, from_array.rgb)
    assert from_path.source == str(path) and from_bytes.source == "<bytes>" and from_array.source == "<array>"


def test_exif_orientation_is_applied():
    # Orientation 6: stored sideways, displayed rotated 90 degrees clockwise.
    loaded = load_image(jpeg_bytes(40, 60, orientation=6))
    assert loaded.rgb.shape == (40, 60, 3) and loaded.orientation == 6
    # The red (stored top) half now lies on the right.
    assert loaded.rgb[:, -5:, 0].mean() > 200 and loaded.rgb[:, :5, 0].mean() < 50


def test_exif_focal_length_is_returned():
    assert load_image(jpeg_bytes(f35=28)).focal_35mm == 28.0
    assert load_image(jpeg_bytes()).focal_35mm is None


def test_array_conversions():
    gray = np.full((50, 40), 128, np.uint8)
    assert load_image(gray).rgb.shape == (50, 40, 3)
    unit = np.full((50, 40, 3), 0.5, np.float32)
    assert load_image(unit).rgb[0, 0, 0] == 128
    rgba = np.zeros((50, 40, 4), np.uint8)
    assert load_image(rgba).rgb.shape == (50, 40, 3)


@pytest.mark.parametrize(
    "make, error, reason",
    [
        (lambda d: d / "missing.jpg", ImageNotFoundError, "file not found"),
        (lambda d: d, ImageNotFoundError, "folder"),
        (lambda d: _write(d / "empty.jpg", b""), EmptyImageError, "empty file"),
        (lambda d: _write(d / "notes.jpg", b"these are not pixels\n" * 20), NotAnImageError, "not an image"),
        (lambda d: _write(d / "cut.jpg", jpeg_bytes(200, 300)[:400]), CorruptImageError, "corrupt"),
        (lambda d: _write(d / "huge.png", png_header_only(20000, 20000)), ImageTooLargeError, "at most 80 MP"),
        (lambda d: _write(d / "big.png", png_header_only(10000, 9000)), ImageTooLargeError, "90 MP"),
        (lambda d: _write(d / "tiny.jpg", jpeg_bytes(8, 8)), ImageTooSmallError, "at least"),
    ],
)
def test_bad_files_raise_typed_errors_naming_the_file(tmp_path, make, error, reason):
    path = make(tmp_path)
    with pytest.raises(error, match=reason) as info:
        load_image(path)
    assert str(info.value).startswith(str(path)) and isinstance(info.value, image_io.ImageReadError)


@pytest.mark.parametrize(
    "arr, error",
    [
        (np.zeros((0, 10, 3), np.uint8), EmptyImageError),
        (np.zeros((40, 40, 5), np.uint8), NotAnImageError),
        (np.full((40, 40, 3), np.nan, np.float32), CorruptImageError),
        (np.zeros((40, 40, 3), dtype=object), NotAnImageError),
    ],
)
def test_bad_arrays(arr, error):
    with pytest.raises(error, match="<array>"):
        load_image(arr)


def test_unsupported_type_and_empty_bytes():
    with pytest.raises(NotAnImageError, match="unsupported input type"):
        load_image(12345)  # type: ignore[arg-type]
    with pytest.raises(EmptyImageError):
        load_image(b"")


def test_downscale_keeps_aspect():
    rgb = np.zeros((3000, 2000, 3), np.uint8)
    small, scale = image_io.downscale(rgb, 1024)
    assert small.shape == (1024, 683, 3) and scale == pytest.approx(1024 / 3000)
    same, one = image_io.downscale(small, 2048)
    assert same is small and one == 1.0


def _write(path, data: bytes):
    path.write_bytes(data)
    return path
