"""Anny (NAVER, Apache-2.0, MakeHuman CC0 data) as the default `BodyModel` backend.

Plain-torch linear blend skinning in float32, everything differentiable. Anny's own zero pose is a
reference pose that differs from its rest mesh; here the rest orientations are used as reference,
so zero joint rotations give exactly the rest A-pose mesh where measurements are taken. Each pose
rotation is an axis-angle in world-aligned axes at the bone's head (Anny's 'local-ref'): x is the
person's left, y their back, z up. E.g. +y on 'left_shoulder' (or -y on 'right_shoulder') lowers
that arm towards the body; -y on 'left_hip' (+y on 'right_hip') spreads that leg outwards.

Local changes (254 MakeHuman targets, e.g. 'measure-waist-circ-incr') use Anny's
`local_changes="default"` build; the first build from an existing base cache takes ~20 s and writes
~0.6 GB to ANNY_CACHE_DIR, later loads take well under a second.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import numpy as np
import roma
import torch

from body_model.data_paths import anny_cache_dir
from body_model.keypoints import KEYPOINT_NAMES
from body_model.model import PHENOTYPES, BodyModel, BodyModelUnavailable, BodyOutput, BodyPose, BodyShape
from body_model.part_labels import vertex_parts_from_skinning

# Joints a standing-A-pose fit may bend (friendly name -> Anny bone). Order is the BodyPose order.
POSE_JOINTS: dict[str, str] = {
    "left_shoulder": "upperarm01.L",
    "right_shoulder": "upperarm01.R",
    "left_elbow": "lowerarm01.L",
    "right_elbow": "lowerarm01.R",
    "left_hip": "upperleg01.L",
    "right_hip": "upperleg01.R",
    "left_knee": "lowerleg01.L",
    "right_knee": "lowerleg01.R",
    "spine": "spine03",
    "neck": "neck01",
}


@dataclass(frozen=True)
class _Blend:
    """The blendshape tensors a body is built from: all of Anny's columns, or the phenotypes' and a few locals'.

    Anny blends 136 phenotype columns and 508 local ones (254 signed targets) over 13,718 vertices on every
    call; a fit moves about 20 of the locals, so blending only those reads ~4x less memory per step.
    """

    vertices: torch.Tensor      # (K, V, 3)
    bone_heads: torch.Tensor    # (K, J, 3)
    orientations: torch.Tensor  # (K, J, 3, 3)
    z: torch.Tensor             # (K, V) the vertices' z, for the stature alone
    local_ids: torch.Tensor | None  # indices into local_names kept; None = all


def _build_anny(device: str):
    os.environ.setdefault("ANNY_CACHE_DIR", str(anny_cache_dir()))
    try:
        import anny
    except ImportError as exc:  # pragma: no cover - anny is a hard dependency
        raise BodyModelUnavailable("the 'anny' package is not installed: pip install anny") from exc
    model = anny.Anny(skinning_method="lbs", local_changes="default").to(torch.float32)
    return anny, model.to(device)


def _posed_skinning(weights: torch.Tensor, parents, posed: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Skinning weights summed onto the root and the posed bones: (bone ids (G,), weights (V, G)).

    A bone left at its rest relation to its parent moves exactly as that parent does, so with only
    `posed` bones rotated every vertex follows its bones' nearest posed ancestors (or the root): blending
    11 transforms instead of Anny's 104 gives the same vertices, ~9x cheaper forward and backward.
    """
    parents = [int(p) for p in parents]
    kept = [0] + [int(b) for b in posed if int(b) != 0]
    group = []
    for bone in range(len(parents)):
        b = bone
        while b not in kept:
            b = parents[b]
        group.append(kept.index(b))
    summed = torch.zeros(weights.shape[0], len(kept), dtype=weights.dtype, device=weights.device)
    summed.index_add_(1, torch.tensor(group, device=weights.device), weights)
    return torch.tensor(kept), summed


class AnnyBodyModel(BodyModel):
    backend = "anny"

    def __init__(self, device: str = "cpu") -> None:
        super().__init__()
        anny, core = _build_anny(device)
        if list(core.phenotype_labels) != list(PHENOTYPES):
            raise BodyModelUnavailable(f"unexpected Anny phenotypes {core.phenotype_labels}")
        # Rest orientations as the pose reference: zero rotations = the rest mesh (A-pose).
        core.reference_bone_orientations = None
        self.core = core
        self.joint_names = tuple(core.bone_labels)
        self.local_names = tuple(core.local_change_labels)
        self.pose_joint_names = tuple(POSE_JOINTS)
        self.register_buffer("_pose_bone_ids", torch.tensor([self.joint_names.index(b) for b in POSE_JOINTS.values()]),
                             persistent=False)
        faces = core.faces if core.faces.shape[1] == 3 else core.get_triangular_faces()
        self.faces = faces.detach().cpu().numpy().astype(np.int64)
        self._skin_bones, skin_weights = _posed_skinning(core.dense_vertex_bone_weights, core.bone_parents,
                                                         self._pose_bone_ids)
        self.register_buffer("_skin_weights", skin_weights, persistent=False)
        regressor = anny.KeypointsRegressor.coco(core, labels=list(KEYPOINT_NAMES))
        self.register_buffer("_keypoint_weights", regressor.regression_weights.detach().clone(), persistent=False)
        if core.bone_orientation != "cached" or core.rest_orientation_refiner is not None:
            raise BodyModelUnavailable(f"unsupported Anny build (bone orientation {core.bone_orientation!r})")
        self._blend = _Blend(core.blendshapes, core.bone_heads_blendshapes, core.bone_orientation_blendshapes,
                             core.blendshapes[:, :, 2].clone(), None)
        self._restricted: dict[tuple[str, ...], AnnyBodyModel] = {}
        with torch.no_grad():
            rest = self.rest(self.default_shape())
        self.vertex_parts = vertex_parts_from_skinning(
            rest.vertices[0].cpu().numpy(), core.dense_vertex_bone_weights.cpu().numpy(), self.joint_names,
            rest.keypoints[0].cpu().numpy())

    # -- shape -----------------------------------------------------------------------------------
    def coefficients(self, shape: BodyShape) -> torch.Tensor:
        """(B, K) blendshape coefficients for phenotypes and local changes (vectorised Anny recipe)."""
        from anny.models.phenotype import phenotype_blendshape_weights

        core = self.core
        ph = shape.phenotypes.to(device=core.device, dtype=core.dtype)
        if ph.dim() != 2 or ph.shape[1] != len(PHENOTYPES):
            raise ValueError(f"phenotypes must be (B, {len(PHENOTYPES)}), got {tuple(ph.shape)}")
        local = shape.local
        batch = max(ph.shape[0], 1 if local is None else local.shape[0])
        ph = ph.expand(batch, -1)
        weights = phenotype_blendshape_weights(ph, core.phenotype_labels, core.anchors,
                                               core.stacked_phenotype_blend_shapes_mask, extrapolate=False)
        if core.phenotype_blendshape_projection is not None:
            weights = weights @ core.phenotype_blendshape_projection
        if local is None:
            local = ph.new_zeros(batch, len(self.local_names))
        local = local.to(device=core.device, dtype=core.dtype).expand(batch, -1)
        if local.shape[1] != len(self.local_names):
            raise ValueError(f"local must be (B, {len(self.local_names)}), got {tuple(local.shape)}")
        kept = self._blend.local_ids
        if kept is not None:
            others = torch.ones(local.shape[1], dtype=torch.bool, device=local.device)
            others[kept] = False
            if bool(local.detach()[:, others].any()):
                raise ValueError("this model blends only some local changes (only_locals); the shape moves others")
            local = local[:, kept]
        # Anny's signed split into (positive, negative) targets, gradient 1 at zero on both sides.
        pos = local * (local >= 0).to(local.dtype)
        neg = -local * (-local >= 0).to(local.dtype)
        local_weights = torch.stack([pos, neg], dim=2).reshape(batch, -1)
        return torch.cat([weights, local_weights], dim=1)

    def only_locals(self, names: tuple[str, ...]) -> AnnyBodyModel:
        """This model blending only the local changes `names` (any other must stay 0): same bodies, less work.

        Shares everything else with this model; built once per set of names.
        """
        key = tuple(sorted(set(names)))
        if key not in self._restricted:
            unknown = [n for n in key if n not in self.local_names]
            if unknown:
                raise ValueError(f"unknown local changes: {', '.join(unknown)}")
            ids = torch.tensor([self.local_names.index(n) for n in key], dtype=torch.long)
            n_pheno = self._blend.vertices.shape[0] - 2 * len(self.local_names)
            # Columns: phenotypes, then each local's (positive, negative) pair as coefficients() stacks them.
            cols = torch.cat([torch.arange(n_pheno), (n_pheno + 2 * ids[:, None] + torch.arange(2)).reshape(-1)])
            full = self._blend
            reduced = copy.copy(self)
            reduced._blend = _Blend(full.vertices[cols].contiguous(), full.bone_heads[cols].contiguous(),
                                    full.orientations[cols].contiguous(), full.z[cols].contiguous(), ids)
            reduced._restricted = {}
            self._restricted[key] = reduced
        return self._restricted[key]

    def _rest_model(self, coeffs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Rest vertices, bone heads and bone poses (Anny's 'cached' orientation recipe on this model's blend)."""
        from anny.skinning.skinning import apply_linear_blendshape

        core, blend = self.core, self._blend
        verts = apply_linear_blendshape(core.template_vertices, blend.vertices, coeffs)
        heads = apply_linear_blendshape(core.template_bone_heads, blend.bone_heads, coeffs)
        m = core.bone_template_orientation_matrices[None] + torch.einsum("ba,akij->bkij", coeffs, blend.orientations)
        poses = roma.Rigid(linear=roma.special_procrustes(m), translation=heads).to_homogeneous()
        if core.root_identity_orientation:
            poses[:, 0, :3, :3] = torch.eye(3, device=poses.device, dtype=poses.dtype)
        return verts, heads, poses

    def rest_height_m(self, shape: BodyShape) -> torch.Tensor:
        """(B,) stature in metres of the rest body (only the z coordinates are computed)."""
        coeffs = self.coefficients(shape)
        z = self.core.template_vertices[:, 2][None] + coeffs @ self._blend.z
        return z.amax(dim=1) - z.amin(dim=1)

    def rest(self, shape: BodyShape) -> BodyOutput:
        """The standing rest A-pose, feet at z=0: where bodies are measured."""
        from anny.skinning.skinning import apply_linear_blendshape

        coeffs = self.coefficients(shape)
        verts = apply_linear_blendshape(self.core.template_vertices, self._blend.vertices, coeffs)
        heads = apply_linear_blendshape(self.core.template_bone_heads, self._blend.bone_heads, coeffs)
        floor = verts[..., 2].amin(dim=1)
        shift = torch.stack([torch.zeros_like(floor), torch.zeros_like(floor), floor], dim=1)[:, None]
        verts = verts - shift
        return BodyOutput(verts, heads - shift, self._keypoints(verts))

    def forward(self, shape: BodyShape, pose: BodyPose | None = None) -> BodyOutput:
        if pose is None:
            return self.rest(shape)
        rot = pose.joint_rotations
        if not (rot.requires_grad or torch.is_grad_enabled()) and not bool(rot.detach().abs().gt(0).any()):
            return self._place_rigid(self.rest(shape), pose)  # no limb motion: skip the skinning
        core = self.core
        coeffs = self.coefficients(shape)
        rest_verts, _, rest_poses = self._rest_model(coeffs)
        batch = max(coeffs.shape[0], pose.joint_rotations.shape[0])
        rest_poses = rest_poses.expand(batch, -1, -1, -1)
        n_bones = len(self.joint_names)
        deltas = torch.eye(4, dtype=core.dtype, device=core.device).repeat(batch, n_bones, 1, 1)
        deltas[:, 0] = rest_poses[:, 0]  # root keeps its rest place; global motion is applied below
        rot = roma.rotvec_to_rotmat(pose.joint_rotations.to(core.dtype).expand(batch, -1, -1))
        deltas[:, self._pose_bone_ids, :3, :3] = rot
        transforms, bone_poses = core.get_bone_transforms(deltas, rest_poses, pose_parameterization="local-ref")
        posed = transforms[:, self._skin_bones, :3, :]
        linear = torch.einsum("ng,bgik->bnik", self._skin_weights, posed[..., :3])
        verts = (linear * rest_verts.expand(batch, -1, -1)[..., None, :]).sum(-1)
        verts = verts + torch.einsum("ng,bgi->bni", self._skin_weights, posed[..., 3])
        floor = rest_verts[..., 2].amin(dim=1).expand(batch)
        shift = torch.stack([torch.zeros_like(floor), torch.zeros_like(floor), floor], dim=1)[:, None]
        glob = roma.rotvec_to_rotmat(pose.global_rotation.to(core.dtype).expand(batch, -1))
        trans = pose.translation.to(core.dtype).expand(batch, -1)[:, None]

        def place(points: torch.Tensor) -> torch.Tensor:
            return (points - shift) @ glob.transpose(1, 2) + trans

        verts = place(verts)
        return BodyOutput(verts, place(bone_poses[..., :3, 3]), self._keypoints(verts))

    def _place_rigid(self, out: BodyOutput, pose: BodyPose) -> BodyOutput:
        batch = max(out.vertices.shape[0], pose.global_rotation.shape[0])
        glob = roma.rotvec_to_rotmat(pose.global_rotation.to(out.vertices.dtype).expand(batch, -1))
        trans = pose.translation.to(out.vertices.dtype).expand(batch, -1)[:, None]
        return BodyOutput(*(x.expand(batch, -1, -1) @ glob.transpose(1, 2) + trans
                            for x in (out.vertices, out.joints, out.keypoints)))

    def _keypoints(self, verts: torch.Tensor) -> torch.Tensor:
        return torch.einsum("kv,bvd->bkd", self._keypoint_weights, verts)

    # -- stature ---------------------------------------------------------------------------------
    def with_stature(self, shape: BodyShape, stature_cm: float | torch.Tensor) -> BodyShape:
        """Set the height phenotype so the rest stature is exactly `stature_cm`.

        Every vertex is linear in Anny's height phenotype (two anchors), so stature is linear too
        as long as the same vertices stay top and bottom: solve from heights at 0 and 1, then
        secant-refine in case the extreme vertex changed.
        """
        ph = shape.phenotypes
        batch = ph.shape[0]
        target = torch.as_tensor(stature_cm, dtype=ph.dtype, device=ph.device).reshape(-1).expand(batch) / 100.0
        h_idx = PHENOTYPES.index("height")

        def with_h(h: torch.Tensor) -> BodyShape:
            cols = [ph[:, i] if i != h_idx else h for i in range(len(PHENOTYPES))]
            return BodyShape(torch.stack(cols, dim=1), shape.local)

        zeros, ones = torch.zeros_like(target), torch.ones_like(target)
        s0, s1 = self.rest_height_m(with_h(zeros)), self.rest_height_m(with_h(ones))
        if bool(((target < s0 - 1e-4) | (target > s1 + 1e-4)).any()):
            lo, hi = float(s0.min()) * 100, float(s1.max()) * 100
            raise ValueError(f"stature {target.detach().cpu().numpy() * 100} cm is outside what this body shape "
                             f"reaches ({lo:.1f}-{hi:.1f} cm)")
        h = (target - s0) / (s1 - s0)
        for _ in range(3):
            s = self.rest_height_m(with_h(h))
            err = s - target
            if float(err.detach().abs().max()) < 2e-6:
                break
            # Secant against the nearer anchor keeps the step exact for a linear stretch.
            h_ref = torch.where(h > 0.5, zeros, ones)
            s_ref = torch.where(h > 0.5, s0, s1)
            h = h - err * (h - h_ref) / (s - s_ref)
        return with_h(h.clamp(0.0, 1.0))
