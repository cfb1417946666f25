"""The Anny body model behind body_model.model: stature, parts, keypoints, pose and gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from body_model.keypoints import KEYPOINT_ID, NUM_KEYPOINTS
from body_model.model import BodyPose, BodyShape, load_body_model, stature_m, with_stature
from body_model.parts import Part


@pytest.fixture(scope="module")
def model():
    return load_body_model("anny")


def _shapes(n: int, seed: int, local_scale: float = 0.0, num_local: int = 0) -> BodyShape:
    g = torch.Generator().manual_seed(seed)
    ph = torch.rand(n, 6, generator=g)
    ph[:, 1] = 0.55 + 0.45 * ph[:, 1]  # adults
    local = (torch.rand(n, num_local, generator=g) - 0.5) * 2 * local_scale if num_local else None
    return BodyShape(ph, local)


def test_model_is_cached_per_process(model):
    assert load_body_model("anny") is model


def test_sizes_and_rest_on_floor(model):
    out = model.rest(model.default_shape())
    n_vertices = model.vertex_parts.shape[0]
    assert out.vertices.shape == (1, n_vertices, 3)
    assert model.faces.dtype == np.int64 and model.faces.shape[1] == 3 and model.faces.max() < n_vertices
    assert out.keypoints.shape == (1, NUM_KEYPOINTS, 3)
    assert float(out.vertices[0, :, 2].min()) == pytest.approx(0.0, abs=1e-6)
    assert 1.5 < float(stature_m(out)[0]) < 2.0


@pytest.mark.parametrize("stature_cm", [148.0, 163.5, 177.0, 194.0])
def test_with_stature_is_exact(model, stature_cm):
    shapes = _shapes(5, seed=int(stature_cm), local_scale=0.4, num_local=len(model.local_names))
    fixed = with_stature(model, shapes, stature_cm)
    heights_cm = stature_m(model.rest(fixed)) * 100
    assert torch.all((heights_cm - stature_cm).abs() < 0.01), heights_cm  # 0.1 mm
    # Only the height phenotype changed.
    keep = [0, 1, 2, 3, 5]
    assert torch.equal(fixed.phenotypes[:, keep], shapes.phenotypes[:, keep])


def test_with_stature_out_of_reach_raises(model):
    with pytest.raises(ValueError, match="outside"):
        with_stature(model, model.default_shape(), 320.0)


def test_parts_cover_every_part_and_sides_are_the_persons_own(model):
    parts = model.vertex_parts
    assert set(np.unique(parts).tolist()) == {int(p) for p in Part if p != Part.BACKGROUND}
    v = model.rest(model.default_shape()).vertices[0].numpy()
    for part in Part:
        if part.name.startswith("LEFT_"):
            # Person faces -y, so the person's left is +x.
            assert v[parts == part, 0].mean() > 0.05, part.name
            assert v[parts == Part[part.name.replace("LEFT_", "RIGHT_")], 0].mean() < -0.05
    kp = model.rest(model.default_shape()).keypoints[0].numpy()
    hair, head = v[parts == Part.HAIR], v[parts == Part.HEAD]
    assert hair[:, 2].min() > kp[KEYPOINT_ID["left_ear"], 2] - 0.03
    assert hair[:, 2].mean() > head[:, 2].mean()
    assert v[parts == Part.LEFT_FOOT, 2].max() < v[parts == Part.LEFT_CALF, 2].mean()
    assert v[parts == Part.LEFT_HAND, 2].mean() < v[parts == Part.LEFT_UPPER_ARM, 2].mean()


def test_keypoints_are_anatomically_ordered(model):
    kp = model.rest(model.default_shape()).keypoints[0].numpy()

    def k(name):
        return kp[KEYPOINT_ID[name]]

    for side in ("left", "right"):
        sign = 1 if side == "left" else -1
        assert sign * k(f"{side}_shoulder")[0] > 0.1 and sign * k(f"{side}_hip")[0] > 0.03
        chain = [f"{side}_shoulder", f"{side}_hip", f"{side}_knee", f"{side}_ankle"]
        heights = [k(n)[2] for n in chain]
        assert heights == sorted(heights, reverse=True)
        assert k(f"{side}_elbow")[2] > k(f"{side}_wrist")[2]
        assert k(f"{side}_heel")[1] > k(f"{side}_big_toe")[1]  # toes point forward (-y)
        assert k(f"{side}_ankle")[2] > k(f"{side}_heel")[2]
    assert k("nose")[2] > k("left_shoulder")[2] and k("nose")[1] < k("left_ear")[1]


def test_zero_pose_is_rest_and_global_motion_is_rigid(model):
    shape = model.default_shape()
    rest = model.rest(shape)
    posed = model(shape, model.zero_pose())
    assert torch.allclose(posed.vertices, rest.vertices, atol=1e-5)
    turned = BodyPose(torch.zeros(1, len(model.pose_joint_names), 3), torch.tensor([[0.0, 0.0, math.pi]]),
                      torch.tensor([[0.1, 2.0, 0.0]]))
    back = model(shape, turned)
    expected = rest.vertices * torch.tensor([-1.0, -1.0, 1.0]) + torch.tensor([0.1, 2.0, 0.0])
    assert torch.allclose(back.vertices, expected, atol=1e-4)
    assert torch.allclose(back.keypoints, rest.keypoints * torch.tensor([-1.0, -1.0, 1.0]) +
                          torch.tensor([0.1, 2.0, 0.0]), atol=1e-4)


def test_shoulder_rotation_moves_only_that_arm(model):
    shape = model.default_shape()
    pose = model.zero_pose()
    j = model.pose_joint_names.index("left_shoulder")
    pose.joint_rotations[0, j] = torch.tensor([0.0, -0.4, 0.0])
    moved = model(shape, pose).keypoints[0] - model.rest(shape).keypoints[0]
    assert moved[KEYPOINT_ID["left_wrist"]].norm() > 0.1
    assert moved[KEYPOINT_ID["right_wrist"]].norm() < 1e-5
    assert moved[KEYPOINT_ID["left_knee"]].norm() < 1e-5


def test_gradients_flow_to_shape_and_pose(model):
    ph = torch.full((2, 6), 0.5, requires_grad=True)
    local = torch.zeros(2, len(model.local_names), requires_grad=True)
    pose = BodyPose(torch.zeros(2, len(model.pose_joint_names), 3, requires_grad=True),
                    torch.zeros(2, 3, requires_grad=True), torch.zeros(2, 3, requires_grad=True))
    out = model(BodyShape(ph, local), pose)
    loss = out.vertices[..., 0].abs().sum() + out.keypoints[..., 2].sum() + out.vertices[..., 1].pow(2).sum()
    loss.backward()
    for name, grad in [("phenotypes", ph.grad), ("local", local.grad), ("joints", pose.joint_rotations.grad),
                       ("global", pose.global_rotation.grad), ("translation", pose.translation.grad)]:
        assert grad is not None and torch.isfinite(grad).all() and grad.abs().sum() > 0, name
    # The stature-fixed shape stays differentiable in the other phenotypes.
    ph2 = torch.full((1, 6), 0.5, requires_grad=True)
    fixed = with_stature(model, BodyShape(ph2), 170.0)
    model.rest(fixed).vertices[..., 0].abs().sum().backward()
    assert ph2.grad is not None and ph2.grad[0, 3].abs() > 0


def _anny_reference_posing(model, shape: BodyShape, pose: BodyPose) -> tuple[torch.Tensor, torch.Tensor]:
    """Vertices and joints by Anny's own rest model, 104-bone chain and dense skinning, placed as the backend
    places bodies."""
    import roma

    from body_model.anny_backend import POSE_JOINTS

    core = model.core
    rest = core.get_rest_model(model.coefficients(shape))
    batch = pose.joint_rotations.shape[0]
    deltas = torch.eye(4).repeat(batch, len(model.joint_names), 1, 1)
    deltas[:, 0] = rest["rest_bone_poses"][:, 0]
    posed = [model.joint_names.index(b) for b in POSE_JOINTS.values()]
    deltas[:, posed, :3, :3] = roma.rotvec_to_rotmat(pose.joint_rotations)
    transforms, poses = core.get_bone_transforms(deltas, rest["rest_bone_poses"], pose_parameterization="local-ref")
    verts = core.get_skinned_vertices(rest["rest_vertices"], transforms)
    joints = poses[..., :3, 3].clone()
    floor = rest["rest_vertices"][..., 2].amin(dim=1)[:, None]
    verts[..., 2] -= floor
    joints[..., 2] -= floor
    glob = roma.rotvec_to_rotmat(pose.global_rotation).transpose(1, 2)
    return verts @ glob + pose.translation[:, None], joints @ glob + pose.translation[:, None]


def test_posed_bodies_match_annys_full_skinning(model):
    """The backend poses 11 bones (root + posed joints) instead of Anny's 104: the same vertices and joints."""
    shape = _shapes(2, seed=3)
    g = torch.Generator().manual_seed(4)
    pose = BodyPose(torch.randn(2, len(model.pose_joint_names), 3, generator=g) * 0.3,
                    torch.randn(2, 3, generator=g) * 0.2, torch.randn(2, 3, generator=g))
    ours = model.forward(shape, pose)
    verts, joints = _anny_reference_posing(model, shape, pose)
    assert torch.allclose(ours.vertices, verts, atol=1e-5)
    assert torch.allclose(ours.joints, joints, atol=1e-5)


def test_only_locals_gives_the_same_bodies_and_refuses_other_locals(model):
    names = ("hip-scale-horiz-incr", "torso-scale-depth-incr", "buttocks-volume-incr")
    fast = model.only_locals(names)
    assert model.only_locals(tuple(reversed(names))) is fast  # built once per set of names
    local = torch.zeros(2, len(model.local_names))
    for i, n in enumerate(names):
        local[:, model.local_names.index(n)] = torch.tensor([0.4, -0.3])[i % 2] * (i + 1) / 3
    shape = BodyShape(_shapes(2, seed=5).phenotypes, local)
    pose = BodyPose(torch.full((1, len(model.pose_joint_names), 3), 0.1), torch.zeros(1, 3), torch.zeros(1, 3))
    assert torch.allclose(fast.rest(shape).vertices, model.rest(shape).vertices, atol=1e-5)
    one = BodyShape(shape.phenotypes[:1], local[:1])
    assert torch.allclose(fast.forward(one, pose).vertices, model.forward(one, pose).vertices, atol=1e-5)
    assert torch.allclose(fast.with_stature(shape, 171.0).phenotypes, model.with_stature(shape, 171.0).phenotypes)
    other = local.clone()
    other[0, model.local_names.index("measure-waist-circ-incr")] = 0.2
    with pytest.raises(ValueError, match="only_locals"):
        fast.rest(BodyShape(shape.phenotypes, other))
    with pytest.raises(ValueError, match="unknown local"):
        model.only_locals(("no-such-target",))


def test_one_shape_in_several_poses(model):
    """A batch-1 shape with a batch of poses: the fit's views all show the same body."""
    shape = _shapes(1, seed=6)
    pose = BodyPose(torch.randn(3, len(model.pose_joint_names), 3) * 0.2, torch.zeros(3, 3), torch.zeros(3, 3))
    together = model.forward(shape, pose).vertices
    for i in range(3):
        single = BodyPose(pose.joint_rotations[i:i + 1], pose.global_rotation[i:i + 1], pose.translation[i:i + 1])
        assert torch.allclose(together[i], model.forward(shape, single).vertices[0], atol=1e-6)


def test_with_stature_coefficients_are_reused_only_for_that_very_shape(model):
    """with_stature keeps its shape's coefficients for the next forward pass; a changed shape is computed anew."""
    fresh = model.only_locals(("hip-scale-horiz-incr",))
    shape = fresh.with_stature(_shapes(1, seed=8), 172.0)
    reused = fresh.rest(shape).vertices
    recomputed = fresh.rest(BodyShape(shape.phenotypes.clone(), None if shape.local is None else shape.local.clone()))
    assert torch.allclose(reused, recomputed.vertices, atol=1e-5)
    before = fresh.rest(shape).vertices.clone()
    with torch.no_grad():
        shape.phenotypes[0, 0] = 1.0 - shape.phenotypes[0, 0]  # in place: the kept coefficients no longer apply
    assert not torch.allclose(fresh.rest(shape).vertices, before, atol=1e-3)


def test_with_stature_gradient_is_the_stature_fixed_bodys_derivative(model):
    """The stature solve's gradient runs through the top and bottom vertices alone: it must still be the
    derivative of the stature-fixed body (checked against central differences)."""
    fast = model.only_locals(("hip-scale-horiz-incr",))
    base = _shapes(1, seed=12).phenotypes

    def loss(ph: torch.Tensor) -> torch.Tensor:
        v = fast.rest(fast.with_stature(BodyShape(ph), 171.0)).vertices[0]
        return v[:, 0].abs().mean() + v[:, 2].mean()  # widths, and how high the body's mass sits

    ph = base.clone().requires_grad_(True)
    loss(ph).backward()
    for i in (0, 3, 5):  # gender, weight, proportions: each moves the height phenotype the solve sets
        step = torch.zeros_like(base)
        step[0, i] = 1e-2
        with torch.no_grad():
            central = (loss(base + step) - loss(base - step)) / 2e-2
        assert float(ph.grad[0, i]) == pytest.approx(float(central), rel=0.05, abs=2e-5), i


def test_posed_floor_of_a_with_stature_shape_is_the_whole_bodys(model):
    """forward() takes the floor of a with_stature shape from its bottom vertex alone: the same as over all."""
    fast = model.only_locals(("hip-scale-horiz-incr",))
    g = torch.Generator().manual_seed(13)
    pose = BodyPose(torch.randn(2, len(model.pose_joint_names), 3, generator=g) * 0.2,
                    torch.zeros(2, 3), torch.zeros(2, 3))
    for seed in (14, 15, 16):
        shape = fast.with_stature(_shapes(1, seed=seed), 165.0 + seed)
        known = fast.forward(shape, pose).vertices
        anew = fast.forward(BodyShape(shape.phenotypes.clone()), pose).vertices
        assert torch.allclose(known, anew, atol=1e-5)


def test_posing_a_few_vertices_gives_the_same_points_and_keypoints(model):
    """forward(..., vertex_ids) poses only what a fit step looks at: same positions, keypoints and joints."""
    shape = _shapes(1, seed=9)
    g = torch.Generator().manual_seed(10)
    pose = BodyPose(torch.randn(2, len(model.pose_joint_names), 3, generator=g) * 0.2,
                    torch.randn(2, 3, generator=g) * 0.2, torch.randn(2, 3, generator=g))
    ids = torch.randperm(model.num_vertices, generator=g)[:500]
    full, few = model.forward(shape, pose), model.forward(shape, pose, vertex_ids=ids)
    assert few.vertices.shape == (2, 500, 3)
    assert torch.allclose(few.vertices, full.vertices[:, ids], atol=1e-5)
    assert torch.allclose(few.keypoints, full.keypoints, atol=1e-5)
    assert torch.allclose(few.joints, full.joints, atol=1e-5)


def test_body_mesh_is_closed_and_outward(model):
    """The fit culls back faces when it rasterises the body (exact only for a closed, outward-wound mesh)."""
    import trimesh

    mesh = trimesh.Trimesh(model.rest(model.default_shape()).vertices[0].numpy(), model.faces, process=False)
    assert mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
