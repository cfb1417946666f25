"""Rebuild assets/priors/ansur_depth_prior.json from ANSUR II.

    python -m body_model.build_shape_prior --data ../shared/data/ansur2 [--out PATH] [--alpha 1.0]

Ridge regression on standardised inputs, per sex and pooled ('any', with a sex indicator left out on
purpose: it is the model for unknown sex). Residual std and MAE are 5-fold cross-validated so the
asset states honestly how far its predictions are from real tape measurements.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from body_model.ansur import AnsurTable, read_ansur_both
from body_model.shape_prior import INPUT_SETS, PRIOR_PATH, TARGETS, LinearPrior


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, scale, coef, intercept) of a ridge fit on standardised x."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-9
    xs = (x - mean) / scale
    intercept = y.mean(axis=0)
    a = xs.T @ xs + alpha * np.eye(xs.shape[1])
    coef = np.linalg.solve(a, xs.T @ (y - intercept))
    return mean, scale, coef, intercept


def fit_huber_ridge(x: np.ndarray, y: np.ndarray, alpha: float, delta: float, iters: int = 30
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """`fit_ridge` with a Huber loss (residuals beyond `delta` count linearly), by iteratively reweighted
    least squares: a few bad rows (a photo read far off) pull the fit less than under squares."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-9
    xs = (x - mean) / scale
    coef = np.zeros((xs.shape[1], y.shape[1]))
    intercept = np.zeros(y.shape[1])
    for t in range(y.shape[1]):
        w = np.ones(len(xs))
        for _ in range(iters):
            x_mean = w @ xs / w.sum()
            y_mean = w @ y[:, t] / w.sum()
            xc = xs - x_mean
            a = (xc * w[:, None]).T @ xc + alpha * np.eye(xs.shape[1])
            coef[:, t] = np.linalg.solve(a, (xc * w[:, None]).T @ (y[:, t] - y_mean))
            intercept[t] = y_mean - x_mean @ coef[:, t]
            r = np.abs(y[:, t] - intercept[t] - xs @ coef[:, t])
            w = np.minimum(1.0, delta / np.maximum(r, 1e-9))
    return mean, scale, coef, intercept


def _fitter(alpha: float, huber_delta: float | None):
    if huber_delta is None:
        return lambda x, y: fit_ridge(x, y, alpha)
    return lambda x, y: fit_huber_ridge(x, y, alpha, huber_delta)


def cross_validated_residuals(x: np.ndarray, y: np.ndarray, alpha: float, folds: int = 5, seed: int = 0,
                              huber_delta: float | None = None) -> np.ndarray:
    """Out-of-fold residuals (N, T) of the ridge (Huber ridge when `huber_delta` is given)."""
    fitter = _fitter(alpha, huber_delta)
    order = np.random.default_rng(seed).permutation(len(x))
    res = np.zeros_like(y)
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        mean, scale, coef, intercept = fitter(x[train], y[train])
        res[test] = y[test] - (intercept + ((x[test] - mean) / scale) @ coef)
    return res


def build_model(table_x: np.ndarray, table_y: np.ndarray, inputs: tuple[str, ...], alpha: float,
                targets: tuple[str, ...] = TARGETS, huber_delta: float | None = None) -> LinearPrior:
    mean, scale, coef, intercept = _fitter(alpha, huber_delta)(table_x, table_y)
    res = cross_validated_residuals(table_x, table_y, alpha, huber_delta=huber_delta)
    return LinearPrior(
        inputs=inputs, targets=targets, mean=mean, scale=scale, coef=coef, intercept=intercept,
        residual_std=res.std(axis=0), residual_mae=np.abs(res).mean(axis=0), n_subjects=len(table_x),
    )


def build_prior(data_dir: Path, alpha: float = 1.0) -> dict:
    tables = read_ansur_both(data_dir)
    pooled = {"any": _concat(tables["male"], tables["female"])}
    models = []
    for sex, table in {**tables, **pooled}.items():
        for set_name, inputs in INPUT_SETS.items():
            x = table.get(*inputs)
            y = table.get(*TARGETS)
            model = build_model(x, y, inputs, alpha)
            models.append({"sex": sex, "input_set": set_name, **model.to_json()})
    return {
        "source": "ANSUR II public (US Army 2012), ridge on standardised inputs, 5-fold CV residuals",
        "alpha": alpha,
        "units": "cm, kg",
        "models": models,
    }


def _concat(a: AnsurTable, b: AnsurTable) -> AnsurTable:
    names = [n for n in a.columns if n in b.columns]
    cols = {n: np.concatenate([a.columns[n], b.columns[n]]) for n in names}
    return AnsurTable(sex="any", columns=cols, subject_ids=np.concatenate([a.subject_ids, b.subject_ids]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the ansur2 folder")
    parser.add_argument("--out", type=Path, default=PRIOR_PATH)
    parser.add_argument("--alpha", type=float, default=1.0)
    args = parser.parse_args(argv)
    prior = build_prior(args.data, args.alpha)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(prior, indent=1))
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)")
    print(f"{'sex':7s} {'inputs':18s} " + " ".join(f"{t[:10]:>10s}" for t in TARGETS) + "   (CV MAE cm)")
    for m in prior["models"]:
        print(f"{m['sex']:7s} {m['input_set']:18s} " + " ".join(f"{v:10.2f}" for v in m["residual_mae"]))


if __name__ == "__main__":
    main()
