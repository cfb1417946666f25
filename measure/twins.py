"""Body twins: an Anny body fitted to one real person's tape measurements (ANSUR II).

The end-to-end accuracy benchmark needs bodies shaped like real people, whose real tape values
are known: render the twin, measure the renders with the pipeline, compare with the tape. A twin
has the subject's exact stature and, as closely as Anny's shape space allows, their weight (body
volume x density), chest, waist, hip, neck and thigh girths, crotch height, and the caliper
breadths and depths ANSUR II took at chest, waist and hip level (body_model.breadths).

Fitting: girths are convex-hull perimeters taken by `measure_body` (not differentiable, ~0.5 s), so
a surrogate is learned per sex: random Anny bodies (phenotypes, stature and a few local changes)
are measured for real and a quadratic ridge regression maps their parameters to the twin targets.
Per subject the surrogate is minimised (L-BFGS-B within the parameter bounds, a few starts); the
body is then built and measured for real, the surrogate's error on that body is taken off the
targets and the solve is repeated (`refinements` times), keeping the body whose real values are
closest. The local changes are deliberately ones the photo fit (body_model.fit) never moves, so
the fit cannot succeed merely by inverting the twin's parameterisation.

The default surrogates ship in `assets/twins/`; others are trained on first use and cached in
`.cache/twins/` (both keyed by their settings); `benchmarks/ansur_consistency.py`
fits stature/chest/waist/hip the same way and should later import this module.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from body_model.data_paths import REPO_ROOT
from body_model.fit import BODY_DENSITY  # the photo fit's own value: twins weigh what the fit assumes

SEX_GENDER: dict[str, tuple[float, float]] = {"male": (0.0, 0.15), "female": (0.85, 1.0)}
PHENOTYPE_BOUNDS: dict[str, tuple[float, float]] = {"age": (0.55, 1.0), "muscle": (0.0, 1.0),
                                                    "weight": (0.0, 1.0), "proportions": (0.0, 1.0)}
# Local changes of the twin (never moved by body_model.fit, see module docstring).
TWIN_LOCALS: tuple[str, ...] = (
    "measure-bust-circ-incr", "measure-waist-circ-incr", "measure-hips-circ-incr", "measure-neck-circ-incr",
    "measure-thigh-circ-incr", "torso-vshape-incr", "stomach-navel-out", "torso-muscle-pectoral-incr",
    "pelvis-tone-incr", "measure-upperleg-height-incr", "neck-scale-depth-incr",
)
LOCAL_BOUND = 1.0        # random training bodies use the full range of the local changes ...
SOLVE_LOCAL_BOUND = 0.8  # ... and twins stay inside it, where the surrogate was trained
LOCAL_REG = 2.0          # squared-cm cost of a local change at 1: phenotypes explain what they can
TRAIN_STATURE_CM: dict[str, tuple[float, float]] = {"male": (155.0, 198.0), "female": (145.0, 185.0)}
DENSITY_SD = 10.0      # spread of adult body density used when a twin's density is drawn


@dataclass(frozen=True)
class TwinTarget:
    """One value a twin is fitted to: ANSUR column `ansur`, read on the body as `source`:`name`."""

    ansur: str
    source: str   # 'measure' (measure_body name), 'level' (body_model.breadths name) or 'weight'
    name: str
    weight: float  # importance in the fit (residuals in cm, or kg for the weight)


TWIN_TARGETS: tuple[TwinTarget, ...] = (
    TwinTarget("weightkg", "weight", "weight_kg", 1.0),
    TwinTarget("chestcircumference", "measure", "bust_girth", 2.0),
    TwinTarget("waistcircumference", "measure", "waist_girth", 2.0),
    TwinTarget("buttockcircumference", "measure", "hip_girth", 2.0),
    TwinTarget("neckcircumferencebase", "measure", "neck_girth", 1.0),
    TwinTarget("thighcircumference", "measure", "thigh_girth", 1.0),
    TwinTarget("crotchheight", "measure", "inside_leg", 1.0),
    TwinTarget("chestbreadth", "level", "chestbreadth", 0.25),
    TwinTarget("chestdepth", "level", "chestdepth", 0.25),
    TwinTarget("waistbreadth", "level", "waistbreadth", 0.25),
    TwinTarget("waistdepth", "level", "waistdepth", 0.25),
    TwinTarget("hipbreadth", "level", "hipbreadth", 0.25),
    TwinTarget("buttockdepth", "level", "buttockdepth", 0.25),
    TwinTarget("bideltoidbreadth", "level", "bideltoidbreadth", 0.1),
)
TARGET_COLUMNS: tuple[str, ...] = tuple(t.ansur for t in TWIN_TARGETS)
FREE_PHENOTYPES: tuple[str, ...] = ("gender", "age", "muscle", "weight", "proportions")
CACHE_DIR = REPO_ROOT / ".cache" / "twins"
SHIPPED_DIR = REPO_ROOT / "assets" / "twins"  # the default surrogates (300 bodies, seed 0), ~20 KB each


class TwinError(ValueError):
    """A subject cannot be made into a twin (missing tape value, stature out of the body model's reach)."""


# ---------------------------------------------------------------- parameters <-> bodies

def _bounds(sex: str, local_bound: float = LOCAL_BOUND) -> list[tuple[float, float]]:
    ph = [SEX_GENDER[sex]] + [PHENOTYPE_BOUNDS[n] for n in FREE_PHENOTYPES[1:]]
    return ph + [(-local_bound, local_bound)] * len(TWIN_LOCALS)


def _check_sex(sex: str) -> None:
    if sex not in SEX_GENDER:
        raise TwinError(f"sex must be 'male' or 'female', got {sex!r}")


def make_shape(model, sex: str, params: np.ndarray, stature_cm: float):
    """The BodyShape of twin parameters (free phenotypes then TWIN_LOCALS) at the exact stature."""
    import torch

    from body_model.model import PHENOTYPES, BodyShape

    ph = np.full(len(PHENOTYPES), 0.5)
    for i, name in enumerate(FREE_PHENOTYPES):
        ph[PHENOTYPES.index(name)] = params[i]
    local = np.zeros(len(model.local_names))
    names = list(model.local_names)
    for j, name in enumerate(TWIN_LOCALS):
        if name in names:
            local[names.index(name)] = params[len(FREE_PHENOTYPES) + j]
    shape = BodyShape(torch.tensor(ph[None], dtype=torch.float32), torch.tensor(local[None], dtype=torch.float32))
    try:
        return model.with_stature(shape, float(stature_cm))
    except ValueError as exc:
        raise TwinError(f"stature {stature_cm:.1f} cm: {exc}") from None


@dataclass
class BodyValues:
    """A body's values of every twin target (ANSUR column -> cm or kg) and all its measurements."""

    targets: dict[str, float]
    measurements: dict[str, float]
    volume_l: float
    rest_vertices: np.ndarray


def body_values(model, shape, density: float = BODY_DENSITY, sex: str | None = None) -> BodyValues:
    """Measure a rest body the way the twin targets read it (measure_body, ANSUR-level calipers, volume)."""
    import torch

    from body_model.breadths import level_dimensions, select_levels
    from body_model.fit_losses import mesh_volume_m3
    from measure.measurements import measure_body

    with torch.no_grad():
        verts_t = model.rest(shape).vertices[0]
    verts = verts_t.numpy().astype(np.float64)
    meas = measure_body(verts, model.faces, model.vertex_parts, sex=sex).as_cm()
    with torch.no_grad():
        levels = {k: float(v) for k, v in level_dimensions(verts_t, select_levels(verts, model.vertex_parts)).items()}
    volume = float(mesh_volume_m3(verts_t.double(), torch.as_tensor(model.faces)))
    values = {}
    for t in TWIN_TARGETS:
        if t.source == "weight":
            values[t.ansur] = volume * density
        elif t.source == "measure":
            values[t.ansur] = meas[t.name]
        else:
            values[t.ansur] = levels[t.name]
    return BodyValues(values, meas, volume * 1000.0, verts)


# ---------------------------------------------------------------- surrogate

def _features(params, stature_cm):
    """Quadratic features (numpy or torch in, same out): phenotypes and stature (quadratic), locals
    (linear, squared, and times the phenotypes)."""
    import torch

    as_numpy = not isinstance(params, torch.Tensor)
    p_all = torch.as_tensor(np.array(np.atleast_2d(params), dtype=np.float64) if as_numpy else params,
                            dtype=torch.float64)
    if p_all.ndim == 1:
        p_all = p_all[None]
    h = (torch.as_tensor(np.array(stature_cm, dtype=np.float64) if not isinstance(stature_cm, torch.Tensor)
                         else stature_cm, dtype=torch.float64).reshape(-1, 1).expand(len(p_all), 1) - 170.0) / 20.0
    n_ph = len(FREE_PHENOTYPES)
    p = torch.cat([p_all[:, :n_ph], h], dim=1)
    loc = p_all[:, n_ph:]
    iu = torch.triu_indices(p.shape[1], p.shape[1])
    quad = (p[:, :, None] * p[:, None, :])[:, iu[0], iu[1]]
    cross = (loc[:, :, None] * p[:, None, :]).reshape(len(p), -1)
    out = torch.cat([torch.ones(len(p), 1, dtype=torch.float64), p, quad, loc, loc**2, cross], dim=1)
    return out.numpy() if as_numpy else out


@dataclass
class Surrogate:
    """Ridge regression from twin parameters + stature to the twin targets (TARGET_COLUMNS order)."""

    sex: str
    coef: np.ndarray          # (features, targets)
    rmse: np.ndarray          # (targets,) in-sample, cm / kg
    n_train: int
    key: str = ""

    def __call__(self, params: np.ndarray, stature_cm: float | np.ndarray) -> np.ndarray:
        params = np.atleast_2d(params)
        stature = np.broadcast_to(np.asarray(stature_cm, dtype=np.float64), (len(params),))
        return _features(params, stature) @ self.coef

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, coef=self.coef, rmse=self.rmse, n_train=self.n_train,
                 meta=json.dumps({"sex": self.sex, "key": self.key}))

    @staticmethod
    def load(path: Path) -> Surrogate:
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            return Surrogate(meta["sex"], data["coef"], data["rmse"], int(data["n_train"]), meta["key"])


def surrogate_key(sex: str, n_train: int, seed: int) -> str:
    """Cache key: changes when the targets, locals, bounds or training set change."""
    targets = [(t.ansur, t.source, t.name) for t in TWIN_TARGETS]  # not the loss weights: they do not train
    spec = json.dumps([sex, n_train, seed, targets, TWIN_LOCALS, SEX_GENDER, PHENOTYPE_BOUNDS, LOCAL_BOUND,
                       TRAIN_STATURE_CM, BODY_DENSITY, 2], default=str)
    return hashlib.sha1(spec.encode()).hexdigest()[:12]


def train_surrogate(model, sex: str, n_train: int = 300, seed: int = 0, progress=None, ridge: float = 1e-3
                    ) -> Surrogate:
    """Measure `n_train` random bodies of `sex` and fit the surrogate (minutes: ~0.6 s a body)."""
    from measure.landmarks import LandmarkError

    _check_sex(sex)
    rng = np.random.default_rng(seed)
    bounds = np.array(_bounds(sex))
    xs, hs, ys = [], [], []
    for _ in range(n_train):
        x = rng.uniform(bounds[:, 0], bounds[:, 1])
        h = rng.uniform(*TRAIN_STATURE_CM[sex])
        try:
            vals = body_values(model, make_shape(model, sex, x, h), sex=sex).targets
        except (LandmarkError, TwinError):
            continue
        finally:
            if progress is not None:
                progress()
        xs.append(x)
        hs.append(h)
        ys.append([vals[c] for c in TARGET_COLUMNS])
    if len(xs) < 50:
        raise TwinError(f"{sex}: only {len(xs)} of {n_train} random bodies could be measured")
    a = _features(np.array(xs), np.array(hs))
    y = np.array(ys)
    coef = np.linalg.solve(a.T @ a + ridge * np.eye(a.shape[1]), a.T @ y)
    rmse = np.sqrt(((a @ coef - y) ** 2).mean(axis=0))
    return Surrogate(sex, coef, rmse, len(xs), surrogate_key(sex, n_train, seed))


def load_or_train_surrogate(model, sex: str, n_train: int = 300, seed: int = 0, cache_dir: Path | None = CACHE_DIR,
                            progress=None) -> Surrogate:
    """The cached surrogate for these settings, else a freshly trained one (then cached)."""
    key = surrogate_key(sex, n_train, seed)
    name = f"surrogate-{sex}-{key}.npz"
    if (SHIPPED_DIR / name).is_file():
        return Surrogate.load(SHIPPED_DIR / name)
    path = None if cache_dir is None else Path(cache_dir) / name
    if path is not None and path.is_file():
        return Surrogate.load(path)
    sur = train_surrogate(model, sex, n_train, seed, progress)
    if path is not None:
        sur.save(path)
    return sur


# ---------------------------------------------------------------- twins

@dataclass
class BodyTwin:
    """An Anny body fitted to one subject's tape values; `achieved` are the twin's own values of them."""

    subject_id: str
    sex: str
    stature_cm: float
    params: np.ndarray               # free phenotypes (FREE_PHENOTYPES) then TWIN_LOCALS
    phenotypes: dict[str, float]     # all six Anny phenotypes of the final body (height set for the stature)
    density: float                   # kg/m^3 used to turn volume into weight
    targets: dict[str, float]        # the subject's tape values fitted (ANSUR column -> cm / kg)
    achieved: dict[str, float]       # the twin's values of the same
    measurements: dict[str, float]   # measure_body on the twin, cm
    volume_l: float
    loss: float
    solves: int
    rest_vertices: np.ndarray = field(repr=False)

    def residuals(self) -> dict[str, float]:
        """twin - tape per fitted target (cm; kg for weightkg)."""
        return {k: self.achieved[k] - v for k, v in self.targets.items()}

    def shape(self, model):
        """The twin's BodyShape (rebuilt from its parameters, exact stature)."""
        return make_shape(model, self.sex, self.params, self.stature_cm)

    def to_dict(self) -> dict:
        return {"subject_id": self.subject_id, "sex": self.sex, "stature_cm": round(self.stature_cm, 2),
                "params": [round(float(v), 5) for v in self.params],
                "phenotypes": {k: round(v, 5) for k, v in self.phenotypes.items()},
                "density": round(self.density, 1), "volume_l": round(self.volume_l, 3),
                "targets": {k: round(v, 2) for k, v in self.targets.items()},
                "achieved": {k: round(v, 2) for k, v in self.achieved.items()},
                "measurements": {k: round(v, 2) for k, v in self.measurements.items()},
                "loss": round(self.loss, 4), "solves": self.solves}


def _loss_weights() -> np.ndarray:
    return np.array([t.weight for t in TWIN_TARGETS])


def _solve(sur: Surrogate, target: np.ndarray, stature_cm: float, starts: list[np.ndarray], sex: str,
           steps: int = 300, lr: float = 0.03) -> np.ndarray:
    """Minimise the surrogate's weighted squared error from several starts at once (projected Adam, autograd)."""
    import torch

    w = torch.tensor(_loss_weights(), dtype=torch.float64)
    coef = torch.from_numpy(np.array(sur.coef, dtype=np.float64))
    tgt = torch.from_numpy(np.array(target, dtype=np.float64))
    n_ph = len(FREE_PHENOTYPES)
    lo, hi = (torch.tensor(b, dtype=torch.float64) for b in np.array(_bounds(sex, SOLVE_LOCAL_BOUND)).T)
    x = torch.tensor(np.stack(starts), dtype=torch.float64).clamp(lo, hi).requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)

    def losses(xs: torch.Tensor) -> torch.Tensor:
        r = _features(xs, torch.full((len(xs),), float(stature_cm), dtype=torch.float64)) @ coef - tgt
        return (w * r**2).sum(dim=1) + LOCAL_REG * (xs[:, n_ph:] ** 2).sum(dim=1)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: extra threads only spin (15 ms a step on a loaded machine)
    try:
        for _ in range(steps):
            opt.zero_grad()
            losses(x).sum().backward()
            opt.step()
            with torch.no_grad():
                x.copy_(torch.maximum(torch.minimum(x, hi), lo))
        with torch.no_grad():
            final = losses(x)
    finally:
        torch.set_num_threads(threads)
    return x[int(torch.argmin(final))].detach().numpy().copy()


def _start_points(sex: str) -> list[np.ndarray]:
    lo, hi = np.array(_bounds(sex)).T
    mid = 0.5 * (lo + hi)  # locals at 0
    heavy, light = mid.copy(), mid.copy()
    heavy[FREE_PHENOTYPES.index("weight")] = 0.8
    light[FREE_PHENOTYPES.index("weight")] = 0.2
    return [mid, heavy, light]


def make_twin(model, surrogate: Surrogate, subject: dict[str, float], sex: str, subject_id: str = "",
              density: float = BODY_DENSITY, refinements: int = 3) -> BodyTwin:
    """Fit a twin to one subject's ANSUR record (cm / kg, as from `AnsurTable.records()`)."""
    from measure.landmarks import LandmarkError

    _check_sex(sex)
    if surrogate.sex != sex:
        raise TwinError(f"the surrogate is for {surrogate.sex}, the subject is {sex}")
    missing = [c for c in ("stature", *TARGET_COLUMNS) if c not in subject or not np.isfinite(subject[c])]
    if missing:
        raise TwinError(f"subject {subject_id or '?'}: no tape value for {', '.join(missing)}")
    stature = float(subject["stature"])
    target = np.array([float(subject[c]) for c in TARGET_COLUMNS])
    w = _loss_weights()
    aim = target.copy()
    starts = _start_points(sex)
    best = None
    solves = 0
    for _ in range(max(1, refinements + 1)):
        x = _solve(surrogate, aim, stature, starts, sex)
        solves += 1
        shape = make_shape(model, sex, x, stature)
        try:
            vals = body_values(model, shape, density, sex)
        except LandmarkError as exc:
            if best is not None:  # a refinement went somewhere measure_body cannot read: keep the best so far
                break
            raise TwinError(f"subject {subject_id or '?'}: the twin body cannot be measured ({exc})") from None
        real = np.array([vals.targets[c] for c in TARGET_COLUMNS])
        loss = float((w * (real - target) ** 2).sum() / w.sum())
        if best is None or loss < best[0]:
            best = (loss, x, shape, vals)
        aim = target - (real - surrogate(x, stature)[0])
        starts = [x] + starts[1:]
    loss, x, shape, vals = best
    from body_model.model import PHENOTYPES

    return BodyTwin(
        subject_id=str(subject_id), sex=sex, stature_cm=stature, params=np.asarray(x, dtype=np.float64),
        phenotypes={n: float(v) for n, v in zip(PHENOTYPES, shape.phenotypes[0].tolist(), strict=True)},
        density=float(density), targets={c: float(subject[c]) for c in TARGET_COLUMNS},
        achieved=dict(vals.targets), measurements=dict(vals.measurements), volume_l=vals.volume_l, loss=loss,
        solves=solves, rest_vertices=vals.rest_vertices)


class TwinMaker:
    """Makes twins of many subjects: loads the body model and the per-sex surrogates once."""

    def __init__(self, model=None, n_train: int = 300, seed: int = 0, cache_dir: Path | None = CACHE_DIR,
                 refinements: int = 4) -> None:
        if model is None:
            from body_model.model import load_body_model

            model = load_body_model()
        self.model = model
        self.n_train, self.seed, self.cache_dir, self.refinements = n_train, seed, cache_dir, refinements
        self._surrogates: dict[str, Surrogate] = {}

    def surrogate(self, sex: str, progress=None) -> Surrogate:
        _check_sex(sex)
        if sex not in self._surrogates:
            self._surrogates[sex] = load_or_train_surrogate(self.model, sex, self.n_train, self.seed,
                                                            self.cache_dir, progress)
        return self._surrogates[sex]

    def make(self, subject: dict[str, float], sex: str, subject_id: str = "", density: float = BODY_DENSITY
             ) -> BodyTwin:
        return make_twin(self.model, self.surrogate(sex), subject, sex, subject_id, density, self.refinements)


def draw_density(rng: np.random.Generator) -> float:
    """A plausible adult body density (kg/m^3): the photo fit assumes 1030, real people differ."""
    return float(np.clip(rng.normal(BODY_DENSITY, DENSITY_SD), BODY_DENSITY - 3 * DENSITY_SD,
                         BODY_DENSITY + 3 * DENSITY_SD))


__all__ = ["TWIN_TARGETS", "TWIN_LOCALS", "TARGET_COLUMNS", "TwinTarget", "TwinError", "Surrogate", "BodyTwin",
           "BodyValues", "TwinMaker", "body_values", "make_shape", "make_twin", "train_surrogate",
           "load_or_train_surrogate", "surrogate_key", "draw_density"]
