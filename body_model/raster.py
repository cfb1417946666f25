"""Fast CPU z-buffer rasteriser: silhouette, per-pixel face values (part labels) and depth of a mesh.

Vectorised numpy: every triangle's pixel-centre candidates inside its bounding box are tested with
edge functions at once, and the nearest surface per pixel is kept by one sort. Depth is the camera
z, interpolated perspective-correctly (1/z is linear in screen space). Pixel (0, 0) is the centre
of the top-left pixel, as in `body_model.camera`. Not differentiable: fitting uses projected
points and distance transforms of these masks instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from body_model.camera import Camera

_MAX_CANDIDATES = 3_000_000  # pixel candidates per chunk (bounds memory for close-up meshes)


@dataclass
class Raster:
    mask: np.ndarray  # (H, W) bool, a surface covers the pixel
    labels: np.ndarray  # (H, W) face_values of the visible face (0 where empty)
    depth: np.ndarray  # (H, W) float32 camera z in metres (inf where empty)
    face_index: np.ndarray  # (H, W) int32 index of the visible face (-1 where empty)
    barycentric: np.ndarray | None = None  # (H, W, 3) float32 perspective-correct weights, when asked


def _as_numpy(array) -> np.ndarray:
    if hasattr(array, "detach"):
        array = array.detach().cpu().numpy()
    return np.asarray(array)


def face_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(F, 3) unit normals by the right-hand rule of the face winding."""
    tri = vertices[faces]
    n = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return n / np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)


def rasterize(vertices, faces: np.ndarray, camera: Camera, face_values: np.ndarray | None = None,
              cull_backfaces: bool | np.ndarray = False, near: float = 1e-3, with_barycentric: bool = False) -> Raster:
    """Rasterise a triangle mesh (world (V, 3), numpy or torch) seen by `camera`.

    face_values (F,) are written where each face is visible (default: 1 everywhere, so labels is a
    uint8 silhouette). cull_backfaces drops faces whose outward normal (counter-clockwise winding)
    points away from the camera: exact for closed meshes, about twice as fast; an (F,) bool array
    culls only those faces (e.g. a closed body among open garment shells).
    """
    verts = _as_numpy(vertices).astype(np.float64)
    faces = np.asarray(faces, dtype=np.int64)
    height, width = int(camera.height), int(camera.width)
    values = np.ones(len(faces), np.uint8) if face_values is None else np.asarray(face_values)
    if values.shape[0] != faces.shape[0]:
        raise ValueError(f"face_values has {values.shape[0]} entries for {faces.shape[0]} faces")

    cam = camera.to_camera(verts)
    z = cam[:, 2]
    xy = camera.focal_px * cam[:, :2] / np.maximum(z, near)[:, None] + np.array([camera.cx, camera.cy])
    keep = (z[faces] > near).all(axis=1)
    cullable = np.asarray(cull_backfaces, dtype=bool)
    if cullable.any():
        normals = face_normals(verts, faces)
        to_camera = camera.center[None] - verts[faces[:, 0]]
        keep &= ((normals * to_camera).sum(axis=1) > 0) | ~cullable
    face_ids = np.nonzero(keep)[0]
    tri = xy[faces[face_ids]].astype(np.float32)  # (F, 3, 2)
    tz = z[faces[face_ids]].astype(np.float32)  # (F, 3)

    x0 = np.clip(np.ceil(tri[:, :, 0].min(axis=1)), 0, width).astype(np.int64)
    x1 = np.clip(np.floor(tri[:, :, 0].max(axis=1)), -1, width - 1).astype(np.int64)
    y0 = np.clip(np.ceil(tri[:, :, 1].min(axis=1)), 0, height).astype(np.int64)
    y1 = np.clip(np.floor(tri[:, :, 1].max(axis=1)), -1, height - 1).astype(np.int64)
    area = ((tri[:, 1, 0] - tri[:, 0, 0]) * (tri[:, 2, 1] - tri[:, 0, 1])
            - (tri[:, 2, 0] - tri[:, 0, 0]) * (tri[:, 1, 1] - tri[:, 0, 1]))
    ok = (x1 >= x0) & (y1 >= y0) & (np.abs(area) > 1e-9)
    sel = np.nonzero(ok)[0]

    pixel_chunks, depth_chunks, face_chunks, bary_chunks = [], [], [], []
    box_w = (x1 - x0 + 1)[sel]
    counts = box_w * (y1 - y0 + 1)[sel]
    start = 0
    while start < len(sel):
        stop = start + max(1, int(np.searchsorted(np.cumsum(counts[start:]), _MAX_CANDIDATES)))
        idx = sel[start:stop]
        n = counts[start:stop]
        rep = np.repeat(np.arange(len(idx)), n)
        offsets = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        bw = box_w[start:stop][rep]
        px = (x0[idx][rep] + offsets % bw).astype(np.float32)
        py = (y0[idx][rep] + offsets // bw).astype(np.float32)
        t = tri[idx][rep]
        inv_area = (1.0 / area[idx])[rep]
        w0 = ((t[:, 1, 0] - px) * (t[:, 2, 1] - py) - (t[:, 2, 0] - px) * (t[:, 1, 1] - py)) * inv_area
        w1 = ((t[:, 2, 0] - px) * (t[:, 0, 1] - py) - (t[:, 0, 0] - px) * (t[:, 2, 1] - py)) * inv_area
        w2 = 1.0 - w0 - w1
        inside = (w0 >= -1e-6) & (w1 >= -1e-6) & (w2 >= -1e-6)
        rep, px, py, w0, w1, w2 = rep[inside], px[inside], py[inside], w0[inside], w1[inside], w2[inside]
        tzr = tz[idx][rep]
        inv_z = w0 / tzr[:, 0] + w1 / tzr[:, 1] + w2 / tzr[:, 2]
        pixel_chunks.append(py.astype(np.int64) * width + px.astype(np.int64))
        depth_chunks.append(1.0 / inv_z)
        face_chunks.append(face_ids[idx[rep]])
        if with_barycentric:
            pw = np.stack([w0 / tzr[:, 0], w1 / tzr[:, 1], w2 / tzr[:, 2]], axis=1) / inv_z[:, None]
            bary_chunks.append(pw.astype(np.float32))
        start = stop

    mask = np.zeros(height * width, bool)
    labels = np.zeros(height * width, values.dtype)
    depth = np.full(height * width, np.inf, np.float32)
    face_index = np.full(height * width, -1, np.int32)
    bary = np.zeros((height * width, 3), np.float32) if with_barycentric else None
    if pixel_chunks:
        pixels = np.concatenate(pixel_chunks)
        depths = np.concatenate(depth_chunks)
        owners = np.concatenate(face_chunks)
        order = np.lexsort((depths, pixels))  # by pixel, nearest first
        pixels_sorted = pixels[order]
        first = np.ones(len(order), bool)
        first[1:] = pixels_sorted[1:] != pixels_sorted[:-1]
        win = order[first]
        pix = pixels[win]
        mask[pix] = True
        labels[pix] = values[owners[win]]
        depth[pix] = depths[win]
        face_index[pix] = owners[win]
        if bary is not None:
            bary[pix] = np.concatenate(bary_chunks)[win]
    shape = (height, width)
    return Raster(mask.reshape(shape), labels.reshape(shape), depth.reshape(shape), face_index.reshape(shape),
                  None if bary is None else bary.reshape(height, width, 3))
