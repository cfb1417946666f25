"""Fit the body model to front/back (and optional side) photo observations plus the known height.

`fit(views, height_cm, weight_kg=None, sex=None) -> FitResult`.

Method (family (a) of DESIGN.md, with family (b)'s ANSUR II prior where it is measured to help):
1. Placement: per view, a global rotation (front 0, back = front turned 180 deg, side +-90 deg) and
   translation, started by PnP on the keypoints of an average body of the given height (which also
   recovers the phone's pitch) and refined with the silhouettes. The focal length comes from the view
   and the distance follows from the known height: the stature is exactly `height_cm` throughout
   (`with_stature` inside the loop, differentiable).
2. Pose and shape against the photos: limbs of the standing A-pose and the Anny phenotypes, with the
   distance-transform silhouette terms and keypoints of fit_losses (why not soft silhouettes: there).
   Each start (one per sex when the sex is unknown) begins from the muscle/weight build of a small grid
   whose body matches the placed photos best; with the sex unknown both run the whole phenotype stage
   and the one whose body matches the front and back photos better goes on. A known weight adds
   a volume term (volume x 1030 kg/m^3 = weight, 2% std, weighted 0.3 against the outlines: at full
   weight it overrode them, e.g. a woman's waist +9.5 cm, fitted as a man, on the round trip), and only
   in the third stage, once the depths are free. Without a side view that stage frees the depth
   locals (below; in tight clothes the breadth ones too): the front and back photos do not see depth, the
   weight does, so the volume the outlines leave over goes there instead of the phenotypes bending
   the seen breadths to it (round trip: the weight used to make hip and waist worse). With the
   volume term in the phenotype stage too, it still did: on 48 people it pulled some bodies off their
   outlines (waist +7 to +12 cm); fitting the phenotypes to the photos alone took chest/waist/hip
   1.79/1.85/1.81 -> 1.68/1.10/1.55.
   With a side view the depths are free from the phenotype stage on (with the sex unknown, from the
   third stage on: the sexes are compared on phenotypes alone), and the weight comes in there;
   so it does in looser clothes, whose outline is the garment's and leaves the body's size in doubt.
   Then a third stage frees a few regularised local parameters: with a side view, torso/hip/thigh
   breadths and depths, belly and buttocks, which the three outlines together pin down; without one,
   the depths with a weight, and in tight clothes (`front_breadth_clothes`) the breadths the front and
   back outlines see, which take up what the phenotypes leave of the outline.
   Each start keeps its sex's Anny gender range (0-0.1 male, 0.9-1 female): left free in 0-0.2, men
   drifted to ~0.2, whose hips are a woman's (hip +2 to +5 cm on the round trip).
3. Depth from front/back alone comes from the phenotypes: Anny's own coupling of breadth and depth.
   The ANSUR II ridge prior (shape_prior.py) reads the fitted body's caliper breadths at ANSUR levels
   (breadths.py) and predicts depths and girths; its cross-validated residual std is returned as the
   per-measurement uncertainty hint and its predictions as `prior_targets_cm`. Two ways of letting it
   steer the shape exist and are off by default because the synthetic round trip got worse with them
   (4 people, chest/waist/hip MAE cm): an absolute depth term on the phenotypes
   (`FitConfig.w_ansur_depth=1`: 3.2/3.2/3.3 -> 5.1/6.2/4.4) and depth locals that follow breadth
   changes as ANSUR II says (`follow_depth`: waist 1.4 -> 2.7). ANSUR's real
   people and Anny's bodies relate depth to breadth differently (ANSUR predicts Anny's depths with
   2-3 cm MAE), and the round trip's truth is Anny; on real photos the trade-off may differ.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
import roma
import torch

from body_model.breadths import level_dimensions, select_levels
from body_model.camera import FRONT_ROTATION, Camera
from body_model.fit_init import initial_translation, initial_yaw, pnp_placement
from body_model.fit_losses import coverage_loss, inside_loss, keypoint_loss, mesh_volume_m3, project, rim_vertices
from body_model.fit_views import PreparedView, View, ViewError, prepare_view
from body_model.garment_ease import CLOTHES, DEFAULT_CLOTHES, garment_band
from body_model.model import PHENOTYPES, BodyModel, BodyOutput, BodyPose, BodyShape, load_body_model
from body_model.raster import rasterize
from body_model.shape_prior import TARGET_LABELS, load_shape_prior

__all__ = ["View", "ViewError", "FitError", "FitConfig", "ViewFit", "FitQuality", "FitResult", "fit",
           "BREADTH_LOCALS", "DEPTH_LOCALS", "POOR_MATCH_IOU"]

# Local parameter groups the fit may move (one scalar per group; left/right tied).
BREADTH_LOCALS: tuple[tuple[str, ...], ...] = (
    ("torso-scale-horiz-incr",),
    ("hip-scale-horiz-incr",),
    ("measure-shoulder-dist-incr",),
    ("l-upperleg-scale-horiz-incr", "r-upperleg-scale-horiz-incr"),
    ("l-upperarm-scale-horiz-incr", "r-upperarm-scale-horiz-incr"),
    ("neck-scale-horiz-incr",),
)
DEPTH_LOCALS: tuple[tuple[str, ...], ...] = (
    ("torso-scale-depth-incr",),
    ("hip-scale-depth-incr",),
    ("stomach-pregnant-incr",),
    ("buttocks-volume-incr",),
    ("l-upperleg-scale-depth-incr", "r-upperleg-scale-depth-incr"),
)
FREE_PHENOTYPES = ("gender", "age", "muscle", "weight", "proportions")
SEX_GENDER = {"male": (0.0, 0.1), "female": (0.9, 1.0)}  # Anny gender 0 = male, 1 = female
AGE_RANGE = (0.55, 1.0)  # adults
POOR_MATCH_IOU = 0.8  # a view whose fitted body overlaps the person less than this is warned about
RIM_RASTER_SCALE = 0.5  # the body's own silhouette, for its rim vertices, at half the photo's size
MIN_RIM_VERTICES = 20  # fewer (a body far off the photo): all candidates stand in for the rim
BODY_DENSITY = 1030.0  # kg/m^3, a mid value for adults (lean ~1070, obese ~1010)
WEIGHT_REL_STD = 0.02  # volume-to-weight uncertainty (density spread) as a relative std


class FitError(ValueError):
    """Inputs a fit cannot use (no views, absurd height, unknown sex ...)."""


@dataclass
class FitConfig:
    """Iteration counts, learning rates and term weights; the defaults meet the 10 s two-view budget."""

    iters_place: int = 12
    iters_shape: int = 45
    iters_local: int = 60  # measured: 25 steps left the side view's depths short of its outline
    # Without a side view, the third stage frees the breadth locals in these clothes (() = never). Measured on
    # the round trip (seed 2, 48 people, chest/waist/hip MAE): front+back 2.05/1.38/1.47 -> 1.73/1.21/1.12,
    # +weight 1.63/0.94/1.47 -> 1.47/0.83/1.13. Not in looser clothes: their outline is the garment's.
    front_breadth_clothes: tuple[str, ...] = ("tight",)
    lr_shape: float = 0.025
    lr_pose: float = 0.01
    lr_trans: float = 0.004  # Adam steps ~lr: 4 mm is ~2 px at 2 m; larger steps jitter the outline
    w_inside: float = 1.0
    w_cover: float = 1.0
    w_keypoints: float = 0.3
    w_prior_depth: float = 1.0
    depth_follow_std_cm: float = 0.5
    w_ansur_depth: float = 0.0  # measured: 1.0 fixes some fits and breaks others (see module docstring)
    ansur_depth_std_cm: float = 2.5  # ANSUR residual (~1.2) widened by how ANSUR people and Anny bodies differ
    follow_depth: bool = False  # depth locals follow breadth changes per ANSUR II (see module docstring)
    weight_depth_locals: bool = True  # with a weight and no side view, free the depth locals in a third stage
    restart_lr_scale: float = 0.3  # learning rate of already settled parameters in a later stage
    w_weight: float = 0.3  # measured: at 1.0 the volume term outweighs the outlines (one woman fitted as a man)
    # True: the volume term in the phenotype stage always; False: only with a side view or looser clothes
    # (_fit's early_weight, measured there and in the module docstring).
    weight_in_shape_stage: bool = False
    w_side_depth: float = 1.0
    reg_local: float = 0.1  # measured (+side, n=12): 0.5 held the depth locals back (hip +1.7 cm bias)
    reg_pose: float = 20.0
    reg_phenotype: float = 0.5
    clothes: str = DEFAULT_CLOTHES  # what the person wears: body_model.garment_ease.CLOTHES
    max_outline_points: int = 600
    rim_every: int = 12  # steps between finding the body's rim vertices anew (a raster per view, ~20 ms)
    silhouette_vertex_fraction: float = 0.5
    build_grid: tuple[float, ...] = (0.2, 0.5, 0.8)  # muscle x weight builds the start is chosen from; () = 0.5


@dataclass
class ViewFit:
    """Where the fitted body stands in one photo: model.forward(shape, pose) projected by camera."""

    kind: str
    name: str
    camera: Camera
    pose: BodyPose
    silhouette_iou: float | None
    keypoint_residual_px: float | None
    outline_residual_px: float


@dataclass
class FitQuality:
    views: list[ViewFit]
    converged: bool
    warnings: list[str] = field(default_factory=list)
    final_loss: float = float("nan")
    iterations: int = 0
    seconds: float = 0.0


@dataclass
class FitResult:
    """The fitted body in its rest pose (where it is measured) and how well it matched the photos."""

    shape: BodyShape
    vertices: np.ndarray        # (V, 3) rest pose, metres, feet at z=0
    faces: np.ndarray           # (F, 3)
    vertex_parts: np.ndarray    # (V,) body_model.parts.Part ids
    stature_cm: float
    volume_l: float
    views: list[ViewFit]
    quality: FitQuality
    uncertainty_cm: dict[str, float]     # ANSUR II residual std per measurement for the inputs used
    prior_targets_cm: dict[str, float]   # what the ANSUR II prior predicted (depths, girths)
    inputs_used: str                     # 'front', 'front+weight', 'front+side', 'front+side+weight'


# ---------------------------------------------------------------------------------------------------
def _local_matrix(model: BodyModel, groups: tuple[tuple[str, ...], ...]) -> torch.Tensor:
    """(G, L) 0/1 matrix mapping group scalars onto the model's local parameters."""
    names = list(model.local_names)
    mat = torch.zeros(len(groups), len(names))
    for g, group in enumerate(groups):
        for n in group:
            if n in names:
                mat[g, names.index(n)] = 1.0
    return mat


_SILHOUETTE_CACHE: dict[tuple[int, str], torch.Tensor] = {}


def _view_camera(pv: PreparedView) -> Camera:
    """The fit's camera for a view: at the origin looking along +y, the principal point at the centre."""
    return Camera(pv.focal_px, (pv.width - 1) / 2.0, (pv.height - 1) / 2.0, pv.width, pv.height,
                  FRONT_ROTATION.copy(), np.zeros(3))


def _silhouette_candidates(model: BodyModel, kind: str) -> torch.Tensor:
    """Vertices that can lie on the outline for a view kind: normals roughly across the viewing ray."""
    key = (id(model), kind)
    if key not in _SILHOUETTE_CACHE:
        with torch.no_grad():
            v = model.rest(model.default_shape()).vertices[0].numpy()
        f = model.faces
        fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
        vn = np.zeros_like(v)
        for k in range(3):
            np.add.at(vn, f[:, k], fn)
        vn /= np.linalg.norm(vn, axis=1, keepdims=True) + 1e-12
        axis = 0 if kind == "side" else 1
        idx = np.nonzero(np.abs(vn[:, axis]) < 0.55)[0]
        _SILHOUETTE_CACHE[key] = torch.from_numpy(idx)
    return _SILHOUETTE_CACHE[key]


def _subset(indices: torch.Tensor, fraction: float) -> torch.Tensor:
    """A fixed random `fraction` of `indices` (same every call): fewer points, same coverage of the body."""
    if fraction >= 1.0:
        return indices
    gen = torch.Generator().manual_seed(0)
    keep = torch.randperm(len(indices), generator=gen)[: max(1, int(len(indices) * fraction))]
    return indices[keep.sort().values]


def _check_inputs(views: list[View], height_cm: float, weight_kg: float | None, sex: str | None) -> None:
    if not views:
        raise FitError("fit needs at least one view")
    if not (100.0 <= float(height_cm) <= 230.0):
        raise FitError(f"height {height_cm} cm is outside 100-230 cm")
    if weight_kg is not None and not (25.0 <= float(weight_kg) <= 300.0):
        raise FitError(f"weight {weight_kg} kg is outside 25-300 kg")
    if sex not in (None, "male", "female"):
        raise FitError(f"sex must be 'male', 'female' or None, got {sex!r}")
    kinds = [v.kind for v in views]
    if "front" not in kinds and "back" not in kinds:
        raise FitError("fit needs a front or a back view")


class _Problem:
    """The optimisation state: free parameters, and the body/projections they give."""

    def __init__(self, model: BodyModel, pvs: list[PreparedView], height_cm: float, sex: str | None,
                 cfg: FitConfig, gender_init: float | None = None, tracks_volume: bool = False) -> None:
        self.model, self.pvs, self.height_cm, self.cfg = model, pvs, height_cm, cfg
        n = len(pvs)
        init = {"gender": 0.5, "age": 0.78, "muscle": 0.5, "weight": 0.5, "proportions": 0.5}
        self.gender_range = SEX_GENDER.get(sex or "", (0.0, 1.0))
        init["gender"] = float(np.mean(self.gender_range)) if gender_init is None else gender_init
        self.pheno = torch.tensor([init[k] for k in FREE_PHENOTYPES], requires_grad=True)
        self.pheno_init = self.pheno.detach().clone()
        self.breadth_map = _local_matrix(model, BREADTH_LOCALS)
        self.depth_map = _local_matrix(model, DEPTH_LOCALS)
        self.breadth = torch.zeros(len(BREADTH_LOCALS), requires_grad=True)
        self.depth = torch.zeros(len(DEPTH_LOCALS), requires_grad=True)
        self.joints = torch.zeros(n, len(model.pose_joint_names), 3, requires_grad=True)
        self.rot_delta = torch.zeros(n, 3, requires_grad=True)
        with torch.no_grad():
            model_kp = model.rest(self.shape()).keypoints[0].numpy()
        rots, trans = [], []
        for pv in pvs:
            yaw, t0 = initial_yaw(pv), initial_translation(pv, height_cm / 100.0)
            placed = pnp_placement(pv, model_kp, yaw, t0)
            if placed is None:
                rots.append(roma.rotvec_to_rotmat(torch.tensor([0.0, 0.0, yaw])))
                trans.append(t0)
            else:
                rots.append(torch.from_numpy(placed[0]))
                trans.append(placed[1])
        self.base_rot = torch.stack(rots)
        self.trans = torch.tensor(np.stack(trans), requires_grad=True)
        self.candidates = [_subset(_silhouette_candidates(model, pv.view.kind), cfg.silhouette_vertex_fraction)
                           for pv in pvs]
        # A step poses only the vertices some view's terms look at; each view's candidates index into them.
        self.step_vertices = torch.unique(torch.cat(self.candidates))
        self.step_candidates = [torch.searchsorted(self.step_vertices, c) for c in self.candidates]
        self.rims: list[torch.Tensor | None] = [None] * n  # rim vertices: indices into candidates, per view
        self.px_to_cm = [height_cm / max(pv.mask_bottom - pv.mask_top, 1.0) for pv in pvs]
        self.faces_t = torch.from_numpy(model.faces)
        self.tracks_volume = tracks_volume  # a weight is given: refresh_volume_offset runs with the rims
        self.volume_offset = torch.zeros(())  # m^3: the first view's posed body's volume minus the rest body's

    def shape(self) -> BodyShape:
        ph = dict(zip(FREE_PHENOTYPES, self.pheno, strict=True))
        full = torch.stack([ph[k] if k in ph else torch.tensor(0.5) for k in PHENOTYPES])[None]
        local = (self.breadth @ self.breadth_map + self.depth @ self.depth_map)[None]
        return self.model.with_stature(BodyShape(full, local), self.height_cm)

    def pose(self) -> BodyPose:
        rot = torch.stack([roma.rotvec_to_rotmat(d) @ b for d, b in zip(self.rot_delta, self.base_rot, strict=True)])
        return BodyPose(self.joints, roma.rotmat_to_rotvec(rot), self.trans)

    def clamp_(self) -> None:
        with torch.no_grad():
            lo = torch.tensor([self.gender_range[0], AGE_RANGE[0], 0.0, 0.0, 0.0])
            hi = torch.tensor([self.gender_range[1], AGE_RANGE[1], 1.0, 1.0, 1.0])
            self.pheno.copy_(torch.maximum(torch.minimum(self.pheno, hi), lo))
            self.breadth.clamp_(-1.0, 1.0)
            self.depth.clamp_(-1.0, 1.0)
            self.joints.clamp_(-0.6, 0.6)

    def refresh_rims(self, verts: torch.Tensor, scale: float = RIM_RASTER_SCALE) -> None:
        """Which candidate vertices lie on the body's own outline in each view (a raster at `scale`)."""
        with torch.no_grad():
            for i, pv in enumerate(self.pvs):
                full = _view_camera(pv)
                small = full.scaled(scale)
                mask = rasterize(verts[i].numpy(), self.model.faces, small, cull_backfaces=True).mask
                uv = project(verts[i, self.candidates[i]], pv.focal_px, full.cx, full.cy)
                rim = rim_vertices(uv, mask, small.width / pv.width)
                self.rims[i] = rim if len(rim) >= MIN_RIM_VERTICES else None

    def refresh_volume_offset(self, shape: BodyShape, first_view_vertices: torch.Tensor) -> None:
        """How much posing changes the body's volume (all vertices of the first view's posed body)."""
        with torch.no_grad():
            rest = self.model.rest(shape).vertices[0]
            self.volume_offset = (mesh_volume_m3(first_view_vertices, self.faces_t)
                                  - mesh_volume_m3(rest, self.faces_t))

    def volume_m3(self, shape: BodyShape) -> torch.Tensor:
        """The body's volume as the first photo shows it: the rest body's (differentiable) plus the offset
        posing adds, refreshed with the rims. Skinning the whole mesh every step for the volume cost a
        third of a weighted fit's time; the limbs' small moves change the offset little between refreshes."""
        return mesh_volume_m3(self.model.rest(shape).vertices[0], self.faces_t) + self.volume_offset

    def posed(self, shape: BodyShape) -> BodyOutput:
        """The body in each view's pose, at the step's vertices only (`step_vertices`)."""
        return self.model.forward(shape, self.pose(), vertex_ids=self.step_vertices)

    def view_terms(self, out: BodyOutput) -> list[dict[str, torch.Tensor]]:
        """Per view: inside, coverage and keypoint terms in cm^2 (`out` from `posed`)."""
        verts, keypoints = out.vertices, out.keypoints
        result = []
        for i, pv in enumerate(self.pvs):
            cx, cy = (pv.width - 1) / 2.0, (pv.height - 1) / 2.0
            uv = project(verts[i, self.step_candidates[i]], pv.focal_px, cx, cy)
            kuv = project(keypoints[i], pv.focal_px, cx, cy)
            s2 = self.px_to_cm[i] ** 2
            rim = self.rims[i]
            result.append({"inside": inside_loss(uv, pv) * s2,
                           "cover": coverage_loss(uv if rim is None else uv[rim], pv, 1.0 / self.px_to_cm[i]) * s2,
                           "keypoints": keypoint_loss(kuv, pv) * s2})
        return result


def _optimise(problem: _Problem, params: list[dict], iters: int, extra_loss, cfg: FitConfig,
              decay: float = 0.0) -> tuple[float, list]:
    """Adam for `iters` steps; `decay` > 0 lowers the learning rates linearly by that fraction to settle."""
    # Copies: the scheduler writes 'lr'/'initial_lr' into the groups, which must not leak into a later stage.
    opt = torch.optim.Adam([dict(g) for g in params])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: 1.0 - decay * it / max(iters, 1))
    history: list[float] = []
    for it in range(iters):
        opt.zero_grad()
        shape = problem.shape()
        n = len(problem.pvs)
        if it % cfg.rim_every == 0:
            with torch.no_grad():
                whole = problem.model.forward(shape, problem.pose()).vertices
                problem.refresh_rims(whole)
                if problem.tracks_volume:
                    problem.refresh_volume_offset(shape, whole[0])
        out = problem.posed(shape)
        terms = problem.view_terms(out)
        loss = sum(cfg.w_inside * t["inside"] + cfg.w_cover * t["cover"] + cfg.w_keypoints * t["keypoints"]
                   for t in terms)
        loss = loss + cfg.reg_pose * (problem.joints ** 2).sum() / n + cfg.reg_pose * (problem.rot_delta ** 2).sum()
        loss = loss + cfg.reg_local * ((problem.breadth ** 2).sum() + (problem.depth ** 2).sum())
        loss = loss + cfg.reg_phenotype * ((problem.pheno - problem.pheno_init) ** 2).sum()
        if extra_loss is not None:
            loss = loss + extra_loss(problem, shape)
        loss.backward()
        opt.step()
        sched.step()
        problem.clamp_()
        history.append(float(loss.detach()))
    return history[-1] if history else float("nan"), history


def _shape_term(model: BodyModel, prior, levels, fixed_inputs: dict[str, float], ansur_depths: list[str],
                cfg: FitConfig, weight_term=None):
    """The phenotype stage's extra terms: the weight (when it comes in there), and the ANSUR II depth prior:
    depths near what real people with these breadths have (off by default, see the module docstring)."""

    def term(pr: _Problem, shape: BodyShape) -> torch.Tensor:
        total = weight_term(pr, shape) if weight_term is not None else torch.zeros(())
        if cfg.w_ansur_depth <= 0 or not ansur_depths:
            return total
        d = level_dimensions(model.rest(shape).vertices[0], levels)
        pred = prior.predict_torch({**d, **fixed_inputs})
        for n in ansur_depths:
            z = (d[n] - pred[n]) / cfg.ansur_depth_std_cm
            total = total + cfg.w_ansur_depth * z * z
        return total

    return term


def _third_stage_locals(problem: _Problem, cfg: FitConfig, has_side: bool, depth_in_shape_stage: bool,
                        weight_given: bool, follow_depth: bool) -> list[torch.Tensor]:
    """The local parameters the third stage frees (none: no third stage).

    With a side view: the breadths, and the depths unless they were free since the phenotype stage. Without
    one: the breadths in `cfg.front_breadth_clothes`, and the depths with a weight (why: module docstring,
    point 2) or when they follow the breadths as ANSUR II says (`follow_depth`)."""
    if has_side:
        return [problem.breadth] + ([] if depth_in_shape_stage else [problem.depth])
    free = [problem.breadth] if cfg.clothes in cfg.front_breadth_clothes else []
    if (weight_given and cfg.weight_depth_locals) or follow_depth:
        free.append(problem.depth)
    return free


def _choose_build(problem: _Problem, cfg: FitConfig) -> None:
    """Start the phenotype stage from the muscle/weight build (of `cfg.build_grid`) whose body matches the
    placed photos best. From the average build the phenotypes can slide into the wrong basin: on the round
    trip a slim man (BMI 18) became a muscular body at the weight floor (IoU 0.93, waist +11 cm), and
    a muscular woman a slimmer one (IoU 0.95, chest -9 cm). Scored on every outline candidate rather than
    on each body's own rims (a raster per body): the same picks on the 4 people compared, 0.2-0.6 s less."""
    muscle, weight = FREE_PHENOTYPES.index("muscle"), FREE_PHENOTYPES.index("weight")
    problem.rims = [None] * len(problem.pvs)  # the next stage finds the chosen body's rims at its first step
    scores = {}
    with torch.no_grad():
        for build in itertools.product(cfg.build_grid, repeat=2):
            problem.pheno[muscle], problem.pheno[weight] = build
            scores[build] = _photo_loss(problem, cfg, ("front", "back"))
        problem.pheno[muscle], problem.pheno[weight] = min(scores, key=scores.get)


def _photo_loss(problem: _Problem, cfg: FitConfig, kinds: tuple[str, ...]) -> float:
    """The outline and keypoint terms of the current body in the views of `kinds`, without priors or weight."""
    with torch.no_grad():
        terms = problem.view_terms(problem.posed(problem.shape()))
    return float(sum(cfg.w_inside * t["inside"] + cfg.w_cover * t["cover"] + cfg.w_keypoints * t["keypoints"]
                     for t, pv in zip(terms, problem.pvs, strict=True) if pv.view.kind in kinds))


def fit(views: list[View], height_cm: float, weight_kg: float | None = None, sex: str | None = None,
        model: BodyModel | None = None, config: FitConfig | None = None) -> FitResult:
    """Fit shape and per-view pose to the views; the rest body has stature exactly `height_cm`.

    Runs torch single-threaded (restored afterwards): the fit's tensors are small, and intra-op
    threads cost more than they give (measured on the 2-core CPU: 10 s with 1 thread, 60 s with 2
    while other processes compete). Batch callers get their parallelism from processes instead.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _fit(views, height_cm, weight_kg, sex, model, config)
    finally:
        torch.set_num_threads(threads)


def _fit(views: list[View], height_cm: float, weight_kg: float | None, sex: str | None,
         model: BodyModel | None, config: FitConfig | None) -> FitResult:
    t0 = time.perf_counter()
    _check_inputs(views, height_cm, weight_kg, sex)
    cfg = config or FitConfig()
    for clothes in (cfg.clothes, *cfg.front_breadth_clothes):
        if clothes not in CLOTHES:
            raise FitError(f"clothes must be one of {', '.join(CLOTHES)}, got {clothes!r}")
    # The fit moves only these locals: a model blending just them is ~4x cheaper per step (same bodies).
    model = (model or load_body_model()).only_locals(tuple(n for g in BREADTH_LOCALS + DEPTH_LOCALS for n in g))
    pvs = [prepare_view(v, cfg.clothes, cfg.max_outline_points) for v in views]
    has_side = any(v.kind == "side" for v in views)
    prior = load_shape_prior().model(sex, with_weight=weight_kg is not None, with_side=has_side)
    warnings: list[str] = []
    faces_t = torch.from_numpy(model.faces)

    def weight_term(pr: _Problem, shape: BodyShape) -> torch.Tensor:
        if weight_kg is None:
            return torch.zeros(())
        # The body as the first photo shows it. Measured: the rest body's volume alone (no posing offset)
        # tipped one slim woman's start to the male one on the round trip (seed 1: waist +7.8 cm).
        rel = (pr.volume_m3(shape) * BODY_DENSITY - weight_kg) / (weight_kg * WEIGHT_REL_STD)
        return cfg.w_weight * rel * rel

    def groups(pr: _Problem, with_depth: bool = has_side) -> tuple[list[dict], list[dict]]:
        place = [{"params": [pr.trans], "lr": cfg.lr_trans}, {"params": [pr.rot_delta, pr.joints], "lr": cfg.lr_pose}]
        shape = place + [{"params": [pr.pheno] + ([pr.depth] if with_depth else []), "lr": cfg.lr_shape}]
        return place, shape

    # The weight before the depth stage: with a side view (the depths are free from the phenotype stage on;
    # without it there, +side+weight waist 1.10 -> 1.34 cm, n=12), and under looser clothes, whose outline
    # is the garment's and leaves the body's size in doubt (everyday renders, men's chest/waist/hip
    # 4.07/3.58/5.16 with it in the phenotype stage, 4.69/3.84/5.28 without).
    early_weight = cfg.weight_in_shape_stage or has_side or cfg.clothes != "tight"

    # 1. placement and limbs, shape fixed; 2. phenotypes: Anny's own coupling of breadth and depth (and
    # the side outline when there is one). Unknown sex: the whole phenotype stage from each sex, the
    # better one goes on.
    starts = [sex] if sex else ["male", "female"]
    fixed_inputs = {"stature": float(height_cm)} | ({"weightkg": float(weight_kg)} if weight_kg is not None else {})
    ansur_depths = [n for n in ("chestdepth", "waistdepth", "buttockdepth") if n not in prior.inputs]
    # The sexes are compared on phenotypes alone: with the side view's depth locals free as well, a
    # woman's start bent its depths to a man's side outline and won (men's waist -5 to -7 cm). With a
    # known sex the side view's depths are free from this stage on.
    depth_in_shape_stage = has_side and len(starts) == 1
    candidates = []
    for start in starts:
        # Each start keeps its sex's gender range: a man let free drifts to gender ~0.2, a partly female
        # body whose hips are too big (+2 to +5 cm on the round trip).
        pr = _Problem(model, pvs, float(height_cm), start, cfg, gender_init=float(np.mean(SEX_GENDER[start])),
                      tracks_volume=weight_kg is not None)
        place, stage2 = groups(pr, with_depth=depth_in_shape_stage)
        _optimise(pr, place, cfg.iters_place, None, cfg)
        if cfg.build_grid:
            _choose_build(pr, cfg)
        with torch.no_grad():
            levels = select_levels(model.rest(pr.shape()).vertices[0].numpy(), model.vertex_parts)
        shape_term = _shape_term(model, prior, levels, fixed_inputs, ansur_depths, cfg,
                                 weight_term if early_weight else None)
        _, shape_history = _optimise(pr, stage2, cfg.iters_shape, shape_term, cfg, decay=0.6)
        # Compared on the photos alone: with the weight term in, a heavy man was taken for a woman of his
        # weight (measured on the round trip: waist -8 cm, hip +4 cm). And on front/back only: the side
        # outline, which phenotypes alone match poorly, sometimes tipped a man to the woman's start
        # (waist -6 to -7 cm). Compared after the whole stage, not after a short start: 16 steps left
        # a near tie that the wrong sex won (round trip seed 3 #3: final loss 1.28 against 0.37).
        # On the silhouettes' overlap, not on the loss: on the shipped sample's photos the woman's start
        # ended with a 3% lower loss at IoU 0.95 against the man's 0.974 (waist -10.5 cm); and the loss
        # scores the cover term on rims from the stage's last refresh, 9 steps before its end, which
        # once put a man's body at 4x its loss (round trip seed 2 #10: the woman's won, waist -12 cm).
        mismatch = 0.0  # 1 - mean IoU of the front and back views
        if len(starts) > 1:
            with torch.no_grad():
                posed = model.forward(pr.shape(), pr.pose()).vertices
            mismatch = 1.0 - float(np.mean([_silhouette_iou(model, pv, posed[i], cfg.clothes, pr.px_to_cm[i])
                                            for i, pv in enumerate(pvs) if pv.view.kind in ("front", "back")]))
        candidates.append((mismatch, pr, stage2, levels, shape_history))
    _, problem, stage2, levels, shape_history = min(candidates, key=lambda c: c[0])
    # 3. local breadths the outline asks for; without a side view, the depths follow them as ANSUR II
    #    says depth changes with breadth (the prior's prediction at the new breadths minus at the old).
    with torch.no_grad():
        dims0 = {k: float(v) for k, v in level_dimensions(model.rest(problem.shape()).vertices[0], levels).items()}
    prior_pred = prior.predict({**dims0, **fixed_inputs})
    prior_std = prior.std()
    depth_names = [n for n in ("chestdepth", "waistdepth", "buttockdepth")
                   if n not in prior.inputs and cfg.follow_depth]

    def depth_term(pr: _Problem, shape: BodyShape) -> torch.Tensor:
        total = weight_term(pr, shape)
        if not depth_names:
            return total
        d = level_dimensions(model.rest(shape).vertices[0], levels)
        pred = prior.predict_torch({**d, **fixed_inputs})
        for n in depth_names:
            target = dims0[n] + (pred[n] - prior_pred[n])
            z = (d[n] - target) / cfg.depth_follow_std_cm
            total = total + cfg.w_prior_depth * z * z
        return total

    # A fresh Adam's first steps are ~lr on every parameter whatever its gradient: the settled parameters
    # go on at a reduced rate, or the new stage starts by knocking the body off the photos (measured: an
    # 8-step settle at the full rate moved it 3-4 px sideways and cost ~10 cm of waist with a weight).
    settled = [g | {"lr": g["lr"] * cfg.restart_lr_scale} for g in stage2]
    new_locals = _third_stage_locals(problem, cfg, has_side, depth_in_shape_stage, weight_kg is not None,
                                     bool(depth_names))
    stage3 = settled + [{"params": new_locals, "lr": cfg.lr_shape}]
    iters_local = cfg.iters_local if new_locals else 0
    final_loss, history = shape_history[-1], []
    if iters_local > 0:
        final_loss, history = _optimise(problem, stage3, iters_local, depth_term, cfg, decay=0.8)
    history = shape_history + history
    with torch.no_grad():
        final_dims = {k: float(v) for k, v in level_dimensions(model.rest(problem.shape()).vertices[0], levels).items()}
    prior_pred = prior.predict({**final_dims, **fixed_inputs})

    # Final body: exact stature, rest pose.
    with torch.no_grad():
        shape = problem.shape().detach()
        rest = model.rest(shape).vertices[0]
        volume_l = float(mesh_volume_m3(rest, faces_t)) * 1000.0
        pose = problem.pose()
        pose = BodyPose(pose.joint_rotations.detach().clone(), pose.global_rotation.detach().clone(),
                        pose.translation.detach().clone())
        out = model.forward(shape, pose)
    stature = float(rest[:, 2].max() - rest[:, 2].min()) * 100.0
    view_fits = _view_quality(model, pvs, out, pose, warnings, cfg.clothes, problem.px_to_cm)
    converged = _converged(history)
    if not converged:
        warnings.append("fit did not converge: the loss was still falling at the last iteration")
    if weight_kg is not None:
        implied = volume_l / 1000.0 * BODY_DENSITY
        if abs(implied - weight_kg) > 0.08 * weight_kg:
            warnings.append(f"fitted body volume implies {implied:.0f} kg, given {weight_kg:.0f} kg: "
                            "the photos and the weight disagree")
    inputs_used = "front" + ("+side" if has_side else "") + ("+weight" if weight_kg is not None else "")
    uncertainty = {TARGET_LABELS[k]: round(v, 2) for k, v in prior_std.items() if v > 0.05}
    iterations = len(starts) * (cfg.iters_place + cfg.iters_shape) + iters_local
    quality = FitQuality(views=view_fits, converged=converged, warnings=warnings, final_loss=final_loss,
                         iterations=iterations, seconds=time.perf_counter() - t0)
    return FitResult(shape=shape, vertices=rest.numpy().copy(), faces=model.faces, vertex_parts=model.vertex_parts,
                     stature_cm=stature, volume_l=volume_l, views=view_fits, quality=quality,
                     uncertainty_cm=uncertainty, prior_targets_cm={TARGET_LABELS[k]: round(v, 2)
                                                                   for k, v in prior_pred.items()},
                     inputs_used=inputs_used)


def _converged(history: list[float]) -> bool:
    """Settled when the last 8 iterations improve on the 8 before by under 3% (Adam is noisy)."""
    if len(history) < 16:
        return True
    recent, before = np.mean(history[-8:]), np.mean(history[-16:-8])
    return bool(before - recent <= 0.03 * max(abs(before), 1e-6) + 1e-3)


def _silhouette_iou(model: BodyModel, pv: PreparedView, verts: torch.Tensor, clothes: str,
                    px_to_cm: float | None) -> float:
    """Overlap of the body posed in a view (`verts`) with the person's body mask, on the pixels that can
    tell: hair, hat and shoes cover parts of the body by an unknown amount, so those pixels are not
    scored; nor are those within a garment's expected stand-off of the outline (body or cloth, no telling)."""
    r = rasterize(verts.numpy(), model.faces, _view_camera(pv), cull_backfaces=True)  # closed mesh: exact, 2x faster
    scored = ~(pv.view.mask.astype(bool) & ~pv.body_mask)
    if pv.view.part_labels is not None and px_to_cm is not None:
        scored &= ~garment_band(pv.view.mask, pv.view.part_labels, clothes, 1.0 / px_to_cm)
    inter = (np.logical_and(r.mask, pv.body_mask) & scored).sum()
    union = (np.logical_or(r.mask, pv.body_mask) & scored).sum()
    return float(inter / max(union, 1))


def _view_quality(model: BodyModel, pvs: list[PreparedView], out, pose: BodyPose, warnings: list[str],
                  clothes: str = DEFAULT_CLOTHES, px_to_cm: list[float] | None = None) -> list[ViewFit]:
    """Camera, pose, silhouette IoU and residuals per view."""
    fits = []
    for i, pv in enumerate(pvs):
        cam = _view_camera(pv)
        verts = out.vertices[i]
        uv = project(verts, pv.focal_px, cam.cx, cam.cy)
        kuv = project(out.keypoints[i], pv.focal_px, cam.cx, cam.cy)
        conf = pv.keypoints[:, 2]
        kp_res = None
        if float(conf.sum()) > 0:
            kp_res = float(((kuv - pv.keypoints[:, :2]).norm(dim=1) * conf).sum() / conf.sum())
        cand = _silhouette_candidates(model, pv.view.kind)
        with torch.no_grad():
            d = torch.cdist(pv.boundary_xy, uv[cand]).min(dim=1).values
        outline_res = float(d.mean()) if len(d) else float("nan")
        iou = _silhouette_iou(model, pv, verts, clothes, None if px_to_cm is None else px_to_cm[i])
        if iou < POOR_MATCH_IOU:
            warnings.append(f"{pv.view.label()}: the fitted body matches the person poorly (IoU {iou:.2f})")
        if kp_res is not None and kp_res > 0.03 * pv.height:
            warnings.append(f"{pv.view.label()}: keypoints are far from the fitted body ({kp_res:.0f} px)")
        view_pose = BodyPose(pose.joint_rotations[i:i + 1].clone(), pose.global_rotation[i:i + 1].clone(),
                             pose.translation[i:i + 1].clone())
        fits.append(ViewFit(kind=pv.view.kind, name=pv.view.label(), camera=cam, pose=view_pose,
                            silhouette_iou=iou, keypoint_residual_px=kp_res, outline_residual_px=outline_res))
    return fits

