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

Speed (a fit takes ~60 steps of forward + backward): only the root and the 10 posed bones are
skinned (_Skeleton: exact, the other bones move with them), a fit blends only the locals it moves
(`only_locals`) and poses only the vertices its views look at (`forward(..., vertex_ids)`), and
keypoints come from the coefficients without posing their vertices (_KeypointBlend). Tests compare
every shortcut with Anny's own 104-bone chain and dense skinning.
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
    z: torch.Tensor             # (K, V) the vertices' z, for the stature alone
    local_ids: torch.Tensor | None  # indices into local_names kept; None = all
    dropped: torch.Tensor | None    # (L,) bool: the locals not kept, which a shape must leave at 0


def _build_anny(device: str):
    os.environ.setdefault("ANNY_CACHE_DIR", str(anny_cache_dir()))
    try:
        import anny
    except ImportError as exc:  # pragma: no cover - anny is a hard dependency
        raise BodyModelUnavailable("the 'anny' package is not installed: pip install anny") from exc
    model = anny.Anny(skinning_method="lbs", local_changes="default").to(torch.float32)
    return anny, model.to(device)


@dataclass(frozen=True)
class _Skeleton:
    """The root and the posed bones, all a standing-pose fit rotates: how each vertex and bone follows them.

    In Anny's 'local-ref' pose, a bone left at its rest relation to its parent moves exactly as that parent
    does, and a bone rotated by D about its head h moves as its nearest posed ancestor a, then [D | h - D h]:
    T_c = T_a [D | h - D h] (the rest orientations cancel out). So vertices blend 11 transforms instead of
    Anny's 104, and no rest orientations (a Procrustes solve per bone) or 104-bone chain are computed:
    same vertices, several times cheaper forward and backward.
    """

    bones: tuple[int, ...]       # root first, then pose joints in POSE_JOINTS order (Anny bone ids)
    ancestor: tuple[int, ...]    # per entry of bones: index of its nearest posed ancestor (root: -1)
    bone_group: torch.Tensor     # (J,) per Anny bone: index into bones of the transform it follows
    weights: torch.Tensor        # (V, G) skinning weights summed per group
    # The posed bones by level (a level's ancestors are all in earlier ones), so each level's transforms
    # are one batched product instead of one per bone (op overhead dominates a fit step):
    level_order: torch.Tensor      # (G-1,) the bones but the root, level by level (indices into bones)
    level_bones: torch.Tensor      # (G-1,) the same as Anny bone ids
    level_sizes: tuple[int, ...]   # bones per level
    level_ancestors: torch.Tensor  # (G-1,) per level_order entry: its ancestor's position in [root, *level_order]
    level_restore: torch.Tensor    # (G,) per entry of bones: its position in [root, *level_order]


@dataclass(frozen=True)
class _VertexSet:
    """Vertices posed together (all, or those a fit step looks at), ready for skinning.

    Most vertices follow one group alone: they are sorted by group so each group is one small matrix
    product, and only the rest blend several transforms.
    """

    template: torch.Tensor         # (N, 3) rest template positions
    blend: torch.Tensor            # (K, N, 3) blendshapes of this model's coefficients
    order: torch.Tensor            # (N,) rigid vertices by group first, then the blended ones
    restore: torch.Tensor          # (N,) inverse of order
    rigid_counts: tuple[int, ...]  # per group: how many vertices follow it alone
    blended_weights: torch.Tensor  # (N_b, G) weights of the blended vertices


@dataclass(frozen=True)
class _KeypointBlend:
    """Keypoints straight from the coefficients and the group transforms, without posing their vertices.

    A keypoint is a fixed average of vertices (weights w_kv summing to 1); each vertex is skinned by
    group weights s_vg and is linear in the coefficients, so keypoint k = sum_g R_g A_kg + S_kg t_g with
    A_kg = sum_v w_kv s_vg rest_v(coeffs) linear in the coefficients: exact, and it frees a fit step from
    posing the ~7,000 vertices the 21 keypoints average over (the ears alone use 4,105).
    """

    template: torch.Tensor  # (NUM_KEYPOINTS, G, 3)
    blend: torch.Tensor     # (K, NUM_KEYPOINTS, G, 3)
    weight: torch.Tensor    # (NUM_KEYPOINTS, G) S_kg


def _skeleton(weights: torch.Tensor, parents, posed: list[int]) -> _Skeleton:
    parents = [int(p) for p in parents]
    bones = [0] + [b for b in posed if b != 0]

    def nearest(bone: int) -> int:
        while bone not in bones:
            bone = parents[bone]
        return bones.index(bone)

    ancestor = [-1] + [nearest(parents[b]) for b in bones[1:]]
    group = torch.tensor([nearest(b) for b in range(len(parents))])
    summed = torch.zeros(weights.shape[0], len(bones), dtype=weights.dtype, device=weights.device)
    summed.index_add_(1, group.to(weights.device), weights)
    levels: list[list[int]] = []
    placed = {0}
    while len(placed) < len(bones):
        level = [k for k in range(1, len(bones)) if k not in placed and ancestor[k] in placed]
        levels.append(level)
        placed |= set(level)
    flat = [k for level in levels for k in level]
    position = {k: i for i, k in enumerate([0, *flat])}
    return _Skeleton(tuple(bones), tuple(ancestor), group, summed,
                     level_order=torch.tensor(flat), level_bones=torch.tensor([bones[k] for k in flat]),
                     level_sizes=tuple(len(level) for level in levels),
                     level_ancestors=torch.tensor([position[ancestor[k]] for k in flat]),
                     level_restore=torch.tensor([position[k] for k in range(len(bones))]))


def _blended(template: torch.Tensor, blendshapes: torch.Tensor, coeffs: torch.Tensor) -> torch.Tensor:
    """(B, N, 3) template (N, 3) plus blendshapes (K, N, 3) weighted by coefficients (B, K)."""
    return template[None] + torch.einsum("cpd,bc->bpd", blendshapes, coeffs)


def _identity(shape: BodyShape) -> tuple:
    """The tensors a shape holds and their in-place versions: equal only for the very same, unchanged shape
    (the tensors themselves are kept, so their ids cannot be reused while compared)."""
    return tuple((t, t._version) if t is not None else None for t in (shape.phenotypes, shape.local))


def _same(a: tuple, b: tuple) -> bool:
    return all(x is y if x is None or y is None else (x[0] is y[0] and x[1] == y[1]) for x, y in zip(a, b, strict=True))


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
        faces = core.faces if core.faces.shape[1] == 3 else core.get_triangular_faces()
        self.faces = faces.detach().cpu().numpy().astype(np.int64)
        self._skeleton = _skeleton(core.dense_vertex_bone_weights, core.bone_parents,
                                   [self.joint_names.index(b) for b in POSE_JOINTS.values()])
        regressor = anny.KeypointsRegressor.coco(core, labels=list(KEYPOINT_NAMES))
        self.register_buffer("_keypoint_weights", regressor.regression_weights.detach().clone(), persistent=False)
        self._blend = _Blend(core.blendshapes, core.bone_heads_blendshapes, core.blendshapes[:, :, 2].clone(),
                             None, None)
        self._restricted: dict[tuple[str, ...], AnnyBodyModel] = {}
        self._known_coefficients: tuple[tuple, torch.Tensor, torch.Tensor] | None = None  # shape, coeffs, bottom vertex
        self._vertex_sets: dict[bytes | None, _VertexSet] = {}
        self._keypoints_blend: _KeypointBlend | None = None
        with torch.no_grad():
            rest = self.rest(self.default_shape())
        self.vertex_parts = vertex_parts_from_skinning(
            rest.vertices[0].cpu().numpy(), core.dense_vertex_bone_weights.cpu().numpy(), self.joint_names,
            rest.keypoints[0].cpu().numpy())

    # -- shape -----------------------------------------------------------------------------------
    def coefficients(self, shape: BodyShape) -> torch.Tensor:
        """(B, K) blendshape coefficients for phenotypes and local changes (vectorised Anny recipe)."""
        from anny.models.phenotype import phenotype_blendshape_weights

        known = self._known_coefficients
        if known is not None and _same(known[0], _identity(shape)):
            return known[1]  # the shape with_stature just made (same tensors, unchanged): see there
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
        if self._blend.local_ids is not None:
            if bool(local.detach()[:, self._blend.dropped].any()):
                raise ValueError("this model blends only some local changes (only_locals); the shape moves others")
            local = local[:, self._blend.local_ids]
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
            dropped = torch.ones(len(self.local_names), dtype=torch.bool)
            dropped[ids] = False
            reduced = copy.copy(self)
            reduced._blend = _Blend(full.vertices[cols].contiguous(), full.bone_heads[cols].contiguous(),
                                    full.z[cols].contiguous(), ids, dropped)
            reduced._restricted = {}
            reduced._known_coefficients = None
            reduced._vertex_sets = {}
            reduced._keypoints_blend = None
            self._restricted[key] = reduced
        return self._restricted[key]

    def _vertex_set(self, vertex_ids: torch.Tensor | None) -> _VertexSet:
        """The vertex set for `vertex_ids` (None: all), built once per set of ids."""
        key = None if vertex_ids is None else vertex_ids.detach().cpu().numpy().astype(np.int64).tobytes()
        if key in self._vertex_sets:
            return self._vertex_sets[key]
        core = self.core
        if vertex_ids is None:
            template, blend, weights = core.template_vertices, self._blend.vertices, self._skeleton.weights
        else:
            ids = vertex_ids.long().to(core.template_vertices.device)
            template, blend, weights = core.template_vertices[ids], self._blend.vertices[:, ids].contiguous(), \
                self._skeleton.weights[ids]
        top = weights.max(dim=1)
        group = torch.where(top.values > 1.0 - 1e-6, top.indices, torch.full_like(top.indices, weights.shape[1]))
        order = torch.argsort(group, stable=True)
        counts = tuple(int((group == g).sum()) for g in range(weights.shape[1]))
        vs = _VertexSet(template, blend, order, torch.argsort(order), counts, weights[order[sum(counts):]])
        self._vertex_sets[key] = vs
        return vs

    def _keypoint_blend(self) -> _KeypointBlend:
        if self._keypoints_blend is None:
            # (K, V) x (V, G) per coordinate, keypoint by keypoint: w_kv s_vg summed over the vertices
            kw = self._keypoint_weights[:, :, None] * self._skeleton.weights[None]  # (NUM_KEYPOINTS, V, G)
            template = torch.einsum("kvg,vd->kgd", kw, self.core.template_vertices)
            blend = torch.einsum("kvg,cvd->ckgd", kw, self._blend.vertices)
            self._keypoints_blend = _KeypointBlend(template, blend, kw.sum(dim=1))
        return self._keypoints_blend

    def _blend_rest(self, coeffs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rest vertices and bone heads (not yet on the floor) for blendshape coefficients."""
        core, blend = self.core, self._blend
        return _blended(core.template_vertices, blend.vertices, coeffs), _blended(core.template_bone_heads,
                                                                                    blend.bone_heads, coeffs)

    def rest(self, shape: BodyShape) -> BodyOutput:
        """The standing rest A-pose, feet at z=0: where bodies are measured."""
        verts, heads = self._blend_rest(self.coefficients(shape))
        floor = verts[..., 2].amin(dim=1)
        shift = torch.stack([torch.zeros_like(floor), torch.zeros_like(floor), floor], dim=1)[:, None]
        verts = verts - shift
        return BodyOutput(verts, heads - shift, self._keypoints(verts))

    def forward(self, shape: BodyShape, pose: BodyPose | None = None,
                vertex_ids: torch.Tensor | None = None) -> BodyOutput:
        if pose is None:
            out = self.rest(shape)
            return out if vertex_ids is None else BodyOutput(out.vertices[:, vertex_ids], out.joints, out.keypoints)
        rot = pose.joint_rotations
        if (vertex_ids is None and not (rot.requires_grad or torch.is_grad_enabled())
                and not bool(rot.detach().abs().gt(0).any())):
            return self._place_rigid(self.rest(shape), pose)  # no limb motion: skip the skinning
        core, skel, vs = self.core, self._skeleton, self._vertex_set(vertex_ids)
        coeffs = self.coefficients(shape)
        rest_verts = _blended(vs.template, vs.blend, coeffs)
        heads = _blended(core.template_bone_heads, self._blend.bone_heads, coeffs)
        floor = self._floor(shape, coeffs)
        batch = max(rest_verts.shape[0], rot.shape[0])
        rest_verts, heads = rest_verts.expand(batch, -1, -1), heads.expand(batch, -1, -1)
        rot = roma.rotvec_to_rotmat(rot.to(core.dtype).expand(batch, -1, -1))
        # Transforms [R | t] of the root (identity) and the posed bones, level by level (see _Skeleton):
        # bone k rotated by D about its head h follows its ancestor a as R_k = R_a D, t_k = R_a (h - D h) + t_a.
        d = rot[:, skel.level_order - 1]                                   # (B, G-1, 3, 3)
        h = heads[:, skel.level_bones]                                      # (B, G-1, 3)
        local_t = h - (d @ h[..., None])[..., 0]
        r_done = torch.eye(3, dtype=core.dtype, device=core.device).expand(batch, 1, 3, 3)
        t_done = heads.new_zeros(batch, 1, 3)
        start = 0
        for size in skel.level_sizes:
            part = slice(start, start + size)
            anc = skel.level_ancestors[part]
            r_anc, t_anc = r_done[:, anc], t_done[:, anc]
            r_done = torch.cat([r_done, r_anc @ d[:, part]], dim=1)
            t_done = torch.cat([t_done, (r_anc @ local_t[:, part, :, None])[..., 0] + t_anc], dim=1)
            start += size
        r_all, t_all = r_done[:, skel.level_restore], t_done[:, skel.level_restore]  # (B, G, 3, 3), (B, G, 3)
        ordered = rest_verts[:, vs.order]
        n_rigid = sum(vs.rigid_counts)
        parts = [v @ r_all[:, g].transpose(1, 2) + t_all[:, g, None]
                 for g, v in enumerate(ordered[:, :n_rigid].split(vs.rigid_counts, dim=1))]
        linear = torch.einsum("ng,bgik->bnik", vs.blended_weights, r_all)
        parts.append((linear * ordered[:, n_rigid:, None, :]).sum(-1)
                     + torch.einsum("ng,bgi->bni", vs.blended_weights, t_all))
        verts = torch.cat(parts, dim=1)[:, vs.restore]
        joints = (r_all[:, skel.bone_group] @ heads[..., None])[..., 0] + t_all[:, skel.bone_group]
        shift = torch.stack([torch.zeros_like(floor), torch.zeros_like(floor), floor], dim=1)[:, None]
        glob = roma.rotvec_to_rotmat(pose.global_rotation.to(core.dtype).expand(batch, -1))
        trans = pose.translation.to(core.dtype).expand(batch, -1)[:, None]

        def place(points: torch.Tensor) -> torch.Tensor:
            return (points - shift) @ glob.transpose(1, 2) + trans

        kb = self._keypoint_blend()
        anchors = kb.template[None] + torch.einsum("bc,ckgd->bkgd", coeffs, kb.blend)
        keypoints = (torch.einsum("bgij,bkgj->bki", r_all, anchors.expand(batch, -1, -1, -1))
                     + torch.einsum("kg,bgi->bki", kb.weight, t_all))
        return BodyOutput(place(verts), place(joints), place(keypoints))

    def _floor(self, shape: BodyShape, coeffs: torch.Tensor) -> torch.Tensor:
        """(B,) the lowest rest vertex's z over the whole body: for the shape `with_stature` just made, its
        bottom vertex alone (the same value, without a full-mesh product and its backward)."""
        known = self._known_coefficients
        if known is not None and _same(known[0], _identity(shape)):
            bottom = known[2]
            return self.core.template_vertices[bottom, 2] + (coeffs * self._blend.z[:, bottom].T).sum(dim=1)
        return (self.core.template_vertices[:, 2][None] + coeffs @ self._blend.z).amin(dim=1)

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

        Every blendshape coefficient, so every vertex, is linear in Anny's height phenotype (two anchors):
        the coefficients at heights 0 and 1 give every height's body. Stature is linear too as long as the
        same vertices stay top and bottom: solve, then secant-refine in case the extreme vertex changed.
        The returned shape's coefficients are kept for the next `coefficients` call on it (the fit's
        forward pass), which saves Anny's phenotype weights, the costliest part of a fit step's shape.
        """
        ph = shape.phenotypes
        batch = ph.shape[0]
        target = torch.as_tensor(stature_cm, dtype=ph.dtype, device=ph.device).reshape(-1).expand(batch) / 100.0
        h_idx = PHENOTYPES.index("height")

        def with_h(h: torch.Tensor) -> BodyShape:
            cols = [ph[:, i] if i != h_idx else h for i in range(len(PHENOTYPES))]
            return BodyShape(torch.stack(cols, dim=1), shape.local)

        zeros, ones = torch.zeros_like(target), torch.ones_like(target)
        c0, c1 = self.coefficients(with_h(zeros)), self.coefficients(with_h(ones))
        z_template = self.core.template_vertices[:, 2][None]
        with torch.no_grad():  # the solve, over every vertex; the gradient needs only the two extreme ones
            z0, dz = z_template + c0 @ self._blend.z, (c1 - c0) @ self._blend.z

            def stature(h: torch.Tensor) -> torch.Tensor:
                z = z0 + h[:, None] * dz
                return z.amax(dim=1) - z.amin(dim=1)

            s0, s1 = stature(zeros), stature(ones)
            if bool(((target < s0 - 1e-4) | (target > s1 + 1e-4)).any()):
                lo, hi = float(s0.min()) * 100, float(s1.max()) * 100
                raise ValueError(f"stature {target.detach().cpu().numpy() * 100} cm is outside what this body "
                                 f"shape reaches ({lo:.1f}-{hi:.1f} cm)")
            h = (target - s0) / (s1 - s0)
            for _ in range(3):
                s = stature(h)
                err = s - target
                if float(err.abs().max()) < 2e-6:
                    break
                # Secant against the nearer anchor keeps the step exact for a linear stretch.
                h_ref = torch.where(h > 0.5, zeros, ones)
                s_ref = torch.where(h > 0.5, s0, s1)
                h = h - err * (h - h_ref) / (s - s_ref)
            z = z0 + h.clamp(0.0, 1.0)[:, None] * dz
            top, bottom = z.argmax(dim=1), z.argmin(dim=1)
        # With the top and bottom vertices fixed, stature is exactly linear in h: solve it with gradients
        # through those two vertices alone (the full-mesh product's backward cost ~10% of a fit step).
        ends = torch.stack([top, bottom], dim=1)  # (B, 2)
        cols = self._blend.z[:, ends].permute(1, 2, 0)  # (B, 2, K)
        z_ends = self.core.template_vertices[ends, 2]
        z0_ends = z_ends + (cols @ c0[:, :, None])[..., 0]
        dz_ends = (cols @ (c1 - c0)[:, :, None])[..., 0]
        h = (target - (z0_ends[:, 0] - z0_ends[:, 1])) / (dz_ends[:, 0] - dz_ends[:, 1])
        h = h.clamp(0.0, 1.0)
        out = with_h(h)
        self._known_coefficients = (_identity(out), c0 + h[:, None] * (c1 - c0), bottom)
        return out
