"""Width profiles: the photo reader agrees with the mesh's own sections on a clean render, takes garment
stand-offs off, leaves unreadable levels out, and is not fooled by arms in front of the torso."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from body_model.fit_synthetic import face_lip_labels, photo_camera
from body_model.lip_labels import LIP_ID
from body_model.model import BodyShape, load_body_model
from body_model.raster import rasterize
from measure.outline_profile import (
    PROFILE_LEVELS,
    THIGH_LEVELS,
    WidthProfile,
    as_features,
    feature_names,
    mesh_profile,
    photo_profile,
)


def test_profile_mean_fill_and_names():
    a = WidthProfile(np.array([30.0, np.nan, 34.0]), np.array([np.nan]))
    b = WidthProfile(np.array([32.0, 31.0, np.nan]), np.array([np.nan]))
    m = WidthProfile.mean([a, b])
    assert m.torso_cm.tolist() == [31.0, 31.0, 34.0] and np.isnan(m.thigh_cm[0])
    filled = m.filled_from(WidthProfile(np.zeros(3), np.array([20.0])))
    assert filled.values().tolist() == [31.0, 31.0, 34.0, 20.0] and filled.missing() == 0
    names = feature_names("breadth")
    assert len(names) == len(PROFILE_LEVELS) + len(THIGH_LEVELS) and names[0] == "breadth_0.46"
    full = WidthProfile(np.arange(len(PROFILE_LEVELS), dtype=float), np.arange(len(THIGH_LEVELS), dtype=float))
    assert list(as_features(full, "depth")) == list(feature_names("depth"))


@pytest.fixture(scope="module")
def body():
    model = load_body_model()
    shape = model.with_stature(BodyShape(torch.tensor([[0.0, 0.8, 0.5, 0.7, 0.5, 0.5]])), 174.0)
    with torch.no_grad():
        verts = model.rest(shape).vertices[0].numpy().astype(np.float64)
    return model, verts


def _read(model, verts, kind, clothes="tight", relabel=None):
    cam = photo_camera(kind, float(np.ptp(verts[:, 2])), 960, 1280)
    drawn = rasterize(verts, model.faces, cam, face_values=face_lip_labels(model), cull_backfaces=True)
    labels = drawn.labels.astype(np.uint8)
    if relabel is not None:
        labels = relabel(labels, cam)
    return photo_profile(kind, drawn.mask, labels, clothes, cam, verts, verts, model.faces, model.vertex_parts)


@pytest.mark.slow
@pytest.mark.parametrize("kind,axis", [("front", 0), ("back", 0), ("side", 1)])
def test_clean_render_reads_like_the_mesh_sections(body, kind, axis):
    model, verts = body
    breadth, depth = mesh_profile(verts, model.faces, model.vertex_parts)
    truth = (breadth, depth)[axis]
    read = _read(model, verts, kind)
    err = np.abs(read.torso_cm - truth.torso_cm)
    assert read.missing() == 0
    # A pixel is ~0.17 cm here; the armpit levels, where arm and torso meet, are the least sure.
    assert np.median(err) < 0.4 and np.percentile(err, 90) < 1.2, np.round(read.torso_cm - truth.torso_cm, 2)
    # In a side photo the arm hangs in front of the torso: it must not cut the torso's depth short.
    assert err.max() < 2.5
    assert np.all(np.abs(read.thigh_cm - truth.thigh_cm) < 2.5)


@pytest.mark.slow
def test_garment_stand_off_comes_off_each_edge(body):
    model, verts = body
    tight = _read(model, verts, "front", "tight")
    fitted = _read(model, verts, "front", "fitted")
    # The bare render labels the torso as upper clothes: fitted takes 0.5 cm off each edge there.
    clothed = fitted.torso_cm < tight.torso_cm - 0.5
    assert clothed.sum() >= len(PROFILE_LEVELS) // 2
    assert np.allclose((tight.torso_cm - fitted.torso_cm)[clothed], 1.0, atol=1e-6)


@pytest.mark.slow
def test_a_skirt_at_the_edge_makes_the_level_unknown(body):
    model, verts = body
    skirt_level = PROFILE_LEVELS.index(0.5)
    stature = float(np.ptp(verts[:, 2]))

    def relabel(labels, cam):
        z = float(verts[:, 2].min()) + 0.5 * stature
        row = int(round(float(cam.project(np.array([[0.0, 0.0, z]]))[0, 1])))
        out = labels.copy()
        out[row - 30:row + 30][out[row - 30:row + 30] > 0] = LIP_ID["skirt"]
        return out

    read = _read(model, verts, "front", "everyday", relabel)
    assert np.isnan(read.torso_cm[skirt_level])
    assert not np.isnan(read.torso_cm[PROFILE_LEVELS.index(0.7)])
