"""The body-model interface every other layer codes against: shape and pose in, mesh and keypoints out.

Backends (Anny by default, SMPL-X optionally) implement `BodyModel`. Units are metres; the world is
z up, the person faces -y (so the person's left is +x), and in the rest pose the feet stand at z=0.
`rest()` is the standing A-pose where measurements are taken; `forward()` adds the limb rotations,
a global rotation and a translation, and stays differentiable for fitting.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

PHENOTYPES: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")


@dataclass
class BodyShape:
    """Identity of a body: Anny phenotypes in [0, 1] and optional local changes in [-1, 1]."""

    phenotypes: torch.Tensor  # (B, 6), PHENOTYPES order
    local: torch.Tensor | None = None  # (B, L), model.local_names order; None = zeros

    @property
    def batch_size(self) -> int:
        return int(self.phenotypes.shape[0])

    @staticmethod
    def from_values(gender: float = 0.5, age: float = 0.78, muscle: float = 0.5, weight: float = 0.5,
                    height: float = 0.5, proportions: float = 0.5) -> BodyShape:
        """A single body (batch 1) from named phenotypes; age 0.78 is about 25 years."""
        values = [gender, age, muscle, weight, height, proportions]
        return BodyShape(torch.tensor([values], dtype=torch.float32))

    def detach(self) -> BodyShape:
        return BodyShape(self.phenotypes.detach().clone(),
                         None if self.local is None else self.local.detach().clone())


@dataclass
class BodyPose:
    """Pose of a body: per-joint axis-angle rotations (world-aligned axes at the rest pose), global rigid motion."""

    joint_rotations: torch.Tensor  # (B, J, 3) axis-angle per model.pose_joint_names; zeros = rest A-pose
    global_rotation: torch.Tensor  # (B, 3) axis-angle, about the origin (floor point under the body)
    translation: torch.Tensor  # (B, 3) metres

    @staticmethod
    def zeros(num_joints: int, batch_size: int = 1, dtype: torch.dtype = torch.float32) -> BodyPose:
        return BodyPose(torch.zeros(batch_size, num_joints, 3, dtype=dtype),
                        torch.zeros(batch_size, 3, dtype=dtype), torch.zeros(batch_size, 3, dtype=dtype))


@dataclass
class BodyOutput:
    vertices: torch.Tensor  # (B, V, 3) metres, z up, person faces -y, feet at z=0 in rest
    joints: torch.Tensor  # (B, J_all, 3), model.joint_names order
    keypoints: torch.Tensor  # (B, NUM_KEYPOINTS, 3) 3D, body_model.keypoints order


class BodyModel(torch.nn.Module):
    """What a backend provides. Subclasses set the attributes and implement forward/rest/with_stature."""

    faces: np.ndarray  # (F, 3) int64 triangles
    vertex_parts: np.ndarray  # (V,) uint8, body_model.parts.Part ids
    local_names: tuple[str, ...]
    pose_joint_names: tuple[str, ...]
    joint_names: tuple[str, ...]
    backend: str

    @property
    def num_vertices(self) -> int:
        return int(self.vertex_parts.shape[0])

    def forward(self, shape: BodyShape, pose: BodyPose | None = None,
                vertex_ids: torch.Tensor | None = None) -> BodyOutput:  # pragma: no cover
        """The body posed; a batch-1 `shape` is one body in each of the pose batch's poses.

        vertex_ids: only these vertices in `vertices` (joints and keypoints as always), which a backend
        may compute for less than the whole mesh (a fit step looks at a few thousand of them).
        """
        raise NotImplementedError

    def only_locals(self, names: tuple[str, ...]) -> BodyModel:
        """This model, free to skip the local parameters not in `names` (which must then stay 0)."""
        return self

    def rest(self, shape: BodyShape) -> BodyOutput:  # pragma: no cover
        raise NotImplementedError

    def with_stature(self, shape: BodyShape, stature_cm: float | torch.Tensor) -> BodyShape:  # pragma: no cover
        raise NotImplementedError

    def default_shape(self, batch_size: int = 1) -> BodyShape:
        """An average young adult (age 0.78 is about 25 years), neutral otherwise."""
        ph = torch.tensor([[0.5, 0.78, 0.5, 0.5, 0.5, 0.5]], dtype=torch.float32).repeat(batch_size, 1)
        return BodyShape(ph)

    def zero_pose(self, batch_size: int = 1) -> BodyPose:
        return BodyPose.zeros(len(self.pose_joint_names), batch_size)


class BodyModelUnavailable(RuntimeError):
    """A backend cannot be loaded (package or model files missing); the message says what to install/put where."""


_CACHE: dict[tuple[str, str, tuple[tuple[str, str], ...]], BodyModel] = {}
_LOCK = threading.Lock()


def load_body_model(backend: str = "anny", device: str = "cpu", **options: str) -> BodyModel:
    """The body model for `backend` ('anny' or 'smplx'), built once per process and then shared.

    Anny needs no files (its build cache lives in ANNY_CACHE_DIR). SMPL-X takes `model_path=...`
    or the SMPLX_MODEL_DIR environment variable.
    """
    key = (backend, str(device), tuple(sorted((k, str(v)) for k, v in options.items())))
    with _LOCK:
        if key not in _CACHE:
            if backend == "anny":
                from body_model.anny_backend import AnnyBodyModel

                model: BodyModel = AnnyBodyModel(device=device)
            elif backend == "smplx":
                from body_model.smplx_backend import SmplxBodyModel

                model = SmplxBodyModel(device=device, **options)
            else:
                raise ValueError(f"unknown body model backend {backend!r}; use 'anny' or 'smplx'")
            model.eval()
            _CACHE[key] = model
        return _CACHE[key]


def with_stature(model: BodyModel, shape: BodyShape, stature_cm: float | torch.Tensor) -> BodyShape:
    """`shape` changed (Anny: its height phenotype) so the rest-pose stature is exactly `stature_cm`.

    Differentiable in the other shape parameters, so a fit can keep the stature fixed while it moves them.
    """
    return model.with_stature(shape, stature_cm)


def stature_m(output: BodyOutput) -> torch.Tensor:
    """(B,) height of a rest-pose body in metres: top of the head above the floor (feet at z=0)."""
    z = output.vertices[..., 2]
    return z.amax(dim=1) - z.amin(dim=1)
