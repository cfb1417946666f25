"""What a shopper could do without photos: predict body measurements from height (and weight) alone.

The accuracy benchmark puts these next to the photo pipeline so its numbers mean something: a
method that needs two photos must beat a linear formula in height and weight. The formulas are
ordinary least squares fitted per sex on ANSUR II subjects (US Army 2012 tape measurements), with
the evaluated subjects left out of the training set so the baseline never sees the people it is
scored on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from body_model.ansur import AnsurTable

HEIGHT_ONLY = "height"
HEIGHT_WEIGHT = "height+weight"
BASELINE_INPUTS: dict[str, tuple[str, ...]] = {HEIGHT_ONLY: ("stature",), HEIGHT_WEIGHT: ("stature", "weightkg")}


class BaselineError(ValueError):
    """A baseline cannot be fitted or used (unknown kind, too few subjects, missing input)."""


@dataclass
class LinearBaseline:
    """targets = [1, inputs] @ coef, fitted on `n_train` subjects of one sex (ANSUR columns, cm / kg)."""

    kind: str                       # 'height' or 'height+weight'
    sex: str
    inputs: tuple[str, ...]         # ANSUR columns: 'stature' (cm), 'weightkg' (kg)
    targets: tuple[str, ...]        # ANSUR columns predicted (cm)
    coef: np.ndarray                # (1 + len(inputs), len(targets))
    n_train: int
    train_mae: np.ndarray           # (len(targets),) in-sample MAE, cm (for reports)

    def predict(self, stature_cm: float | np.ndarray, weight_kg: float | np.ndarray | None = None
                ) -> dict[str, np.ndarray]:
        """{ANSUR column: prediction(s) in cm} for one or many people."""
        stature = np.atleast_1d(np.asarray(stature_cm, dtype=np.float64))
        cols = [np.ones_like(stature), stature]
        if "weightkg" in self.inputs:
            if weight_kg is None:
                raise BaselineError(f"the {self.kind} baseline needs the weight")
            cols.append(np.broadcast_to(np.asarray(weight_kg, dtype=np.float64), stature.shape))
        pred = np.stack(cols, axis=1) @ self.coef
        return {t: pred[:, j] for j, t in enumerate(self.targets)}


def fit_baseline(table: AnsurTable, kind: str, targets: Sequence[str],
                 exclude_ids: Iterable[str] = ()) -> LinearBaseline:
    """Least-squares `kind` baseline for `targets` on `table`'s subjects except `exclude_ids`."""
    if kind not in BASELINE_INPUTS:
        raise BaselineError(f"unknown baseline {kind!r}; use one of {', '.join(BASELINE_INPUTS)}")
    inputs = BASELINE_INPUTS[kind]
    excluded = {str(s) for s in exclude_ids}
    keep = np.array([str(s) not in excluded for s in table.subject_ids])
    if keep.sum() < 10 * (len(inputs) + 1):
        raise BaselineError(f"{table.sex}: only {int(keep.sum())} ANSUR subjects left to fit the {kind} baseline")
    try:
        x = table.get(*inputs)[keep]
        y = table.get(*targets)[keep]
    except KeyError as exc:
        raise BaselineError(str(exc.args[0])) from None
    a = np.concatenate([np.ones((len(x), 1)), x], axis=1)
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    mae = np.abs(a @ coef - y).mean(axis=0)
    return LinearBaseline(kind, table.sex, inputs, tuple(targets), coef, int(keep.sum()), mae)


def fit_baselines(table: AnsurTable, targets: Sequence[str], exclude_ids: Iterable[str] = ()
                  ) -> dict[str, LinearBaseline]:
    """Both baselines ('height', 'height+weight') for one sex, fitted without `exclude_ids`."""
    excluded = list(exclude_ids)
    return {kind: fit_baseline(table, kind, targets, excluded) for kind in BASELINE_INPUTS}


__all__ = ["BASELINE_INPUTS", "HEIGHT_ONLY", "HEIGHT_WEIGHT", "BaselineError", "LinearBaseline", "fit_baseline",
           "fit_baselines"]
