"""SMPL-X as an optional `BodyModel` backend, for users who bring their own licensed model files.

SMPL-X's licence is non-commercial, so it is never the default and nothing of it ships here. Install
the package (`pip install 'bodymeasure[smplx]'`) and put SMPLX_NEUTRAL.npz (or _MALE/_FEMALE, from
https://smpl-x.is.tue.mpg.de) in a folder given as `load_body_model("smplx", model_path=...)` or
by the SMPLX_MODEL_DIR environment variable (the file itself, the folder, or its `smplx/` subfolder).

Mapping onto the shared interface: SMPL-X is y-up facing +z; here it is turned to z-up facing -y.
`BodyShape.local` holds the betas (`local_names` beta0..); of the phenotypes only `height` is used,
as a uniform scale 0.75 + 0.5 * height (so 0.5 is the model's own size), which makes `with_stature`
exact. The rest pose is an A-pose (arms 45 degrees down) so zero rotations mean the same as with Anny.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from body_model.keypoints import KEYPOINT_NAMES
from body_model.model import PHENOTYPES, BodyModel, BodyModelUnavailable, BodyOutput, BodyPose, BodyShape
from body_model.part_labels import hair_region
from body_model.parts import Part

ENV_VAR = "SMPLX_MODEL_DIR"
NUM_BETAS = 10
A_POSE_SHOULDER_RAD = np.pi / 4
# SMPL-X (y up, facing +z) -> ours (z up, facing -y): (x, y, z) -> (x, -z, y).
TO_WORLD = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
# Our pose joints -> index into SMPL-X body_pose (joint index - 1).
POSE_JOINTS = {"left_shoulder": 15, "right_shoulder": 16, "left_elbow": 17, "right_elbow": 18, "left_hip": 0,
               "right_hip": 1, "left_knee": 3, "right_knee": 4, "spine": 5, "neck": 11}
_JOINT_PARTS = {
    "pelvis": Part.TORSO, "spine1": Part.TORSO, "spine2": Part.TORSO, "spine3": Part.TORSO,
    "left_collar": Part.TORSO, "right_collar": Part.TORSO, "neck": Part.HEAD, "head": Part.HEAD, "jaw": Part.HEAD,
    "left_hip": Part.LEFT_THIGH, "right_hip": Part.RIGHT_THIGH, "left_knee": Part.LEFT_CALF,
    "right_knee": Part.RIGHT_CALF, "left_ankle": Part.LEFT_FOOT, "right_ankle": Part.RIGHT_FOOT,
    "left_foot": Part.LEFT_FOOT, "right_foot": Part.RIGHT_FOOT, "left_shoulder": Part.LEFT_UPPER_ARM,
    "right_shoulder": Part.RIGHT_UPPER_ARM, "left_elbow": Part.LEFT_FOREARM, "right_elbow": Part.RIGHT_FOREARM,
    "left_wrist": Part.LEFT_HAND, "right_wrist": Part.RIGHT_HAND,
}


def _missing(what: str) -> BodyModelUnavailable:
    return BodyModelUnavailable(
        f"SMPL-X backend: {what}. Install the package with `pip install 'bodymeasure[smplx]'` and put "
        f"SMPLX_NEUTRAL.npz (or SMPLX_MALE/FEMALE.npz, from https://smpl-x.is.tue.mpg.de, licensed "
        f"separately) in a folder passed as model_path=... or set {ENV_VAR}")


def find_model_file(model_path: str | os.PathLike | None, gender: str = "neutral") -> Path:
    """The SMPL-X .npz/.pkl for `gender` under `model_path` (or $SMPLX_MODEL_DIR), or a clear error."""
    root = model_path if model_path is not None else os.environ.get(ENV_VAR)
    if not root:
        raise _missing(f"no model files given (model_path is unset and {ENV_VAR} is empty)")
    root = Path(root).expanduser()
    if root.is_file():
        return root
    names = [f"SMPLX_{gender.upper()}.{ext}" for ext in ("npz", "pkl")]
    for folder in (root, root / "smplx"):
        for name in names:
            if (folder / name).is_file():
                return folder / name
    raise _missing(f"{root}: none of {', '.join(names)} found there (nor in {root / 'smplx'})")


def _part_of_joint(name: str) -> Part:
    if name in _JOINT_PARTS:
        return _JOINT_PARTS[name]
    if "eye" in name:
        return Part.HEAD
    if name.startswith("left_"):
        return Part.LEFT_HAND  # fingers
    if name.startswith("right_"):
        return Part.RIGHT_HAND
    raise KeyError(f"no body part for SMPL-X joint {name!r}")


def _axis_angle_to_matrix(rotvec: torch.Tensor) -> torch.Tensor:
    import roma

    return roma.rotvec_to_rotmat(rotvec)


class SmplxBodyModel(BodyModel):
    backend = "smplx"

    def __init__(self, device: str = "cpu", model_path: str | None = None, gender: str = "neutral") -> None:
        super().__init__()
        path = find_model_file(model_path, gender)
        try:
            import smplx
            from smplx.joint_names import JOINT_NAMES
        except ImportError as exc:
            raise _missing("the 'smplx' package is not installed") from exc
        self.core = smplx.SMPLX(model_path=str(path), gender=gender, num_betas=NUM_BETAS, use_pca=False,
                                flat_hand_mean=True).to(device)
        self.local_names = tuple(f"beta{i}" for i in range(NUM_BETAS))
        self.pose_joint_names = tuple(POSE_JOINTS)
        self.joint_names = tuple(JOINT_NAMES[: self.core.J_regressor.shape[0]])
        self.faces = np.asarray(self.core.faces, dtype=np.int64)
        names = list(JOINT_NAMES)
        self._keypoint_ids = [names.index(n) for n in KEYPOINT_NAMES]
        self.register_buffer("_to_world", TO_WORLD.to(device), persistent=False)
        with torch.no_grad():
            rest = self.rest(self.default_shape())
        weights = self.core.lbs_weights.detach().cpu().numpy()
        joint_parts = np.array([int(_part_of_joint(n)) for n in self.joint_names], dtype=np.uint8)
        part_weights = np.zeros((weights.shape[0], len(Part)))
        np.add.at(part_weights.T, joint_parts, weights.T)
        parts = part_weights.argmax(axis=1).astype(np.uint8)
        verts = rest.vertices[0].cpu().numpy()
        parts[hair_region(verts, parts == Part.HEAD, rest.keypoints[0].cpu().numpy())] = Part.HAIR
        self.vertex_parts = parts

    def _scale(self, shape: BodyShape) -> torch.Tensor:
        return 0.75 + 0.5 * shape.phenotypes[:, PHENOTYPES.index("height")]

    def _run(self, shape: BodyShape, joint_rotations: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        batch = shape.phenotypes.shape[0]
        dtype = self.core.shapedirs.dtype
        betas = shape.local if shape.local is not None else torch.zeros(batch, NUM_BETAS)
        body_pose = torch.zeros(batch, 21, 3, dtype=dtype)
        body_pose[:, POSE_JOINTS["left_shoulder"], 2] = -A_POSE_SHOULDER_RAD
        body_pose[:, POSE_JOINTS["right_shoulder"], 2] = A_POSE_SHOULDER_RAD
        if joint_rotations is not None:
            base = _axis_angle_to_matrix(body_pose[:, list(POSE_JOINTS.values())])
            # World-aligned rotations (z up) expressed in SMPL-X axes, applied after the A-pose.
            user = self._to_world.T @ _axis_angle_to_matrix(joint_rotations.to(dtype)) @ self._to_world
            import roma

            combined = roma.rotmat_to_rotvec(user @ base)
            body_pose = body_pose.clone()
            body_pose[:, list(POSE_JOINTS.values())] = combined
        zeros = {name: torch.zeros(batch, size, dtype=dtype) for name, size in (
            ("global_orient", 3), ("jaw_pose", 3), ("leye_pose", 3), ("reye_pose", 3), ("left_hand_pose", 45),
            ("right_hand_pose", 45), ("expression", self.core.num_expression_coeffs))}
        out = self.core(betas=betas.to(dtype).expand(batch, -1), body_pose=body_pose.reshape(batch, -1),
                        return_verts=True, **zeros)
        scale = self._scale(shape).to(dtype)[:, None, None]
        verts = (out.vertices @ self._to_world.T) * scale
        joints = (out.joints @ self._to_world.T) * scale
        floor = verts[..., 2].amin(dim=1)[:, None, None]
        shift = torch.cat([torch.zeros_like(floor), torch.zeros_like(floor), floor], dim=2)
        return verts - shift, joints - shift

    def rest(self, shape: BodyShape) -> BodyOutput:
        verts, joints = self._run(shape, None)
        return BodyOutput(verts, joints, joints[:, self._keypoint_ids])

    def forward(self, shape: BodyShape, pose: BodyPose | None = None,
                vertex_ids: torch.Tensor | None = None) -> BodyOutput:
        out = self._forward(shape, pose)
        return out if vertex_ids is None else BodyOutput(out.vertices[:, vertex_ids], out.joints, out.keypoints)

    def _forward(self, shape: BodyShape, pose: BodyPose | None) -> BodyOutput:
        if pose is None:
            return self.rest(shape)
        batch = pose.joint_rotations.shape[0]
        if shape.phenotypes.shape[0] == 1 and batch > 1:  # one body in several poses (BodyModel.forward)
            shape = BodyShape(shape.phenotypes.expand(batch, -1),
                              None if shape.local is None else shape.local.expand(batch, -1))
        verts, joints = self._run(shape, pose.joint_rotations)
        glob = _axis_angle_to_matrix(pose.global_rotation.to(verts.dtype))
        trans = pose.translation.to(verts.dtype)[:, None]
        verts = verts @ glob.transpose(1, 2) + trans
        joints = joints @ glob.transpose(1, 2) + trans
        return BodyOutput(verts, joints, joints[:, self._keypoint_ids])

    def with_stature(self, shape: BodyShape, stature_cm: float | torch.Tensor) -> BodyShape:
        """Uniform scale (the height phenotype) so the rest stature is exactly `stature_cm`."""
        out = self.rest(shape)
        z = out.vertices[..., 2]
        current = z.amax(dim=1) - z.amin(dim=1)
        target = torch.as_tensor(stature_cm, dtype=current.dtype).reshape(-1).expand_as(current) / 100.0
        scale = self._scale(shape) * target / current
        h_idx = PHENOTYPES.index("height")
        cols = [shape.phenotypes[:, i] if i != h_idx else (scale - 0.75) / 0.5 for i in range(len(PHENOTYPES))]
        return BodyShape(torch.stack(cols, dim=1), shape.local)
