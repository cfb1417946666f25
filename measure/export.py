"""Files a measurement can leave behind: result JSON, the fitted mesh (OBJ, GLB) and overlay PNGs.

Overlays show what the measurement was based on: the parser's labels (or, without a parser, the
person mask) tinted over each photo, and the outline of the fitted body drawn where the fit placed
it in that photo, so a user can see at a glance whether the body matches the person.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from measure.result import Result, ViewRecord

OUTLINE_COLOUR = (0, 255, 0)
MASK_COLOUR = (255, 160, 0)
KEYPOINT_COLOUR = (255, 0, 255)


def write_outputs(result: Result, out_dir: str | Path) -> list[Path]:
    """result.json, body.obj, body.glb and overlay_<view>.png in `out_dir`; returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [write_json(result, out / "result.json")]
    if result.mesh is not None:
        written.extend(write_mesh(result, out / "body.obj", out / "body.glb"))
    written.extend(write_overlays(result, out))
    return written


def write_json(result: Result, path: Path) -> Path:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(result.to_json() + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_mesh(result: Result, obj_path: Path, glb_path: Path) -> list[Path]:
    """The fitted rest-pose body (metres, z up) as OBJ and binary glTF."""
    import trimesh

    assert result.mesh is not None
    mesh = trimesh.Trimesh(vertices=np.asarray(result.mesh.vertices, dtype=np.float64),
                           faces=np.asarray(result.mesh.faces, dtype=np.int64), process=False)
    mesh.export(obj_path)
    # glTF is y up: turn z-up metres into y-up so viewers show the body standing.
    gltf = mesh.copy()
    gltf.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
    gltf.export(glb_path)
    return [obj_path, glb_path]


def fitted_outline_masks(result: Result) -> list[np.ndarray | None]:
    """Silhouette of the fitted body in each photo (None where the fit has no placement for it)."""
    fit = result.fit
    if fit is None or not getattr(fit, "views", None):
        return [None] * len(result.views)
    import torch

    from body_model.model import BodyShape, load_body_model
    from body_model.raster import rasterize

    model = load_body_model(result.body.backend)
    masks: list[np.ndarray | None] = []
    by_kind = {vf.kind: vf for vf in fit.views}
    for view in result.views:
        vf = by_kind.get(view.kind)
        if vf is None:
            masks.append(None)
            continue
        shape: BodyShape = fit.shape
        with torch.no_grad():
            verts = model.forward(shape, vf.pose).vertices[0].cpu().numpy()
        masks.append(rasterize(verts, model.faces, vf.camera).mask)
    return masks


def overlay_image(view: ViewRecord, outline: np.ndarray | None) -> np.ndarray:
    """The photo with labels (or the mask) tinted in, keypoints dotted and the fitted outline drawn."""
    import cv2

    rgb = view.rgb.astype(np.float32)
    if view.labels is not None:
        from parsing.datasets.meta import LIP

        palette = np.array(LIP.palette, dtype=np.float32)
        colours = palette[np.clip(view.labels, 0, len(palette) - 1)]
        tint = view.labels > 0
        rgb[tint] = 0.45 * rgb[tint] + 0.55 * colours[tint]
    else:
        tint = view.mask.astype(bool)
        rgb[tint] = 0.6 * rgb[tint] + 0.4 * np.array(MASK_COLOUR, np.float32)
    img = np.clip(rgb, 0, 255).astype(np.uint8)
    thickness = max(1, round(max(img.shape[:2]) / 400))
    if outline is not None and outline.shape == img.shape[:2]:
        contours, _ = cv2.findContours(outline.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(img, contours, -1, OUTLINE_COLOUR, thickness)
    for x, y, conf in view.keypoints:
        if conf > 0.5 and 0 <= x < img.shape[1] and 0 <= y < img.shape[0]:
            cv2.circle(img, (int(round(x)), int(round(y))), thickness + 1, KEYPOINT_COLOUR, -1)
    return img


def write_overlays(result: Result, out: Path) -> list[Path]:
    from PIL import Image

    paths = []
    for view, outline in zip(result.views, fitted_outline_masks(result), strict=True):
        path = out / f"overlay_{view.kind}.png"
        Image.fromarray(overlay_image(view, outline)).save(path)
        paths.append(path)
    return paths
