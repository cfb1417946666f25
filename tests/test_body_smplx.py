"""The optional SMPL-X backend explains where its files go when they (or the package) are missing."""

from __future__ import annotations

import pytest

from body_model.model import BodyModelUnavailable, load_body_model
from body_model.smplx_backend import ENV_VAR, find_model_file


def test_without_model_files_the_error_says_where_to_put_them(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(BodyModelUnavailable, match=ENV_VAR) as info:
        load_body_model("smplx")
    assert "SMPLX_NEUTRAL.npz" in str(info.value) and "model_path" in str(info.value)


def test_an_empty_folder_is_named_in_the_error(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    with pytest.raises(BodyModelUnavailable, match="SMPLX_NEUTRAL.npz") as info:
        load_body_model("smplx")
    assert str(tmp_path) in str(info.value)


def test_model_files_are_found_in_the_folder_or_its_smplx_subfolder(tmp_path):
    (tmp_path / "smplx").mkdir()
    target = tmp_path / "smplx" / "SMPLX_FEMALE.npz"
    target.write_bytes(b"")
    assert find_model_file(tmp_path, "female") == target
    assert find_model_file(target) == target


def test_without_the_package_the_error_says_how_to_install(tmp_path):
    try:
        import smplx  # noqa: F401
    except ImportError:
        (tmp_path / "SMPLX_NEUTRAL.npz").write_bytes(b"")
        with pytest.raises(BodyModelUnavailable, match="pip install"):
            load_body_model("smplx", model_path=str(tmp_path))
    else:
        pytest.skip("smplx is installed here; the missing-package message cannot be shown")


def test_unknown_backend_is_rejected():
    with pytest.raises(ValueError, match="unknown body model backend"):
        load_body_model("nope")


def test_backend_runs_on_a_stand_in_model_file(tmp_path):
    """With the package installed, a random stand-in file (SMPL-X's layout) runs the whole interface."""
    pytest.importorskip("smplx")
    import numpy as np
    import torch

    from body_model.model import stature_m, with_stature

    n_vertices, rng = 10475, np.random.default_rng(0)  # SMPL-X's vertex count: its extra keypoints index it
    grid = rng.normal(0, 0.2, (n_vertices, 3)) + [0.0, 0.9, 0.0]
    faces = rng.integers(0, n_vertices, (20000, 3))
    parents = [-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 15, 15, 15]
    parents += [20] * 15 + [21] * 15  # finger joints hang off the wrists
    kintree = np.stack([np.where(np.array(parents) < 0, 4294967295, parents), np.arange(55)]).astype(np.int64)
    regressor = np.zeros((55, n_vertices))
    regressor[np.arange(55), rng.integers(0, n_vertices, 55)] = 1
    weights = np.zeros((n_vertices, 55))
    weights[np.arange(n_vertices), rng.integers(0, 55, n_vertices)] = 1
    np.savez(tmp_path / "SMPLX_NEUTRAL.npz", f=faces, v_template=grid,
             shapedirs=rng.normal(0, 1e-3, (n_vertices, 3, 400)), posedirs=np.zeros((n_vertices, 3, 486)),
             J_regressor=regressor, weights=weights, kintree_table=kintree,
             hands_componentsl=np.eye(45), hands_componentsr=np.eye(45), hands_meanl=np.zeros(45),
             hands_meanr=np.zeros(45), lmk_faces_idx=np.zeros(51, np.int64), lmk_bary_coords=np.full((51, 3), 1 / 3),
             dynamic_lmk_faces_idx=np.zeros((79, 17), np.int64),
             dynamic_lmk_bary_coords=np.full((79, 17, 3), 1 / 3))
    model = load_body_model("smplx", model_path=str(tmp_path))
    shape = with_stature(model, model.default_shape(2), 172.0)
    rest = model.rest(shape)
    assert torch.allclose(stature_m(rest) * 100, torch.tensor(172.0), atol=1e-3)
    assert torch.allclose(model(shape, model.zero_pose(2)).vertices, rest.vertices, atol=1e-5)
    assert rest.keypoints.shape == (2, 21, 3) and model.vertex_parts.shape == (n_vertices,)
