"""How sure each measurement is: about one standard deviation, in cm.

Sources, best first:
1. The fit's own hints (`FitResult.uncertainty_cm`): the cross-validated residual std of the ANSUR II
   prior that predicted the girths the photos cannot see whole (chest, waist, hip, thigh, neck),
   given the breadths the photos do see (and weight / side view when given).
2. For the other measurements, the residual std of ANSUR II's tape value predicted from stature
   (and weight when given) by a 5-fold cross-validated linear fit: what height alone leaves
   unknown. The photos add information, so this is an upper bound (shipped as
   assets/uncertainty/ansur_residuals.json; rebuilt by `python -m measure.uncertainty`).
3. Measurements ANSUR II has no tape value for (knee, elbow girths) use the median relative
   residual of their kind (girth or length) times their value; underbust takes the chest's hint.
Stature equals the given height by construction: its uncertainty is ISO 20685-1's allowable error
for heights (0.4 cm), the floor for any stature measurement.
"""

from __future__ import annotations

import argparse
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

ASSET = "uncertainty/ansur_residuals.json"
STATURE_SD_CM = 0.4
# Our measurement -> ANSUR II column(s) (summed), in mm.
ANSUR_COLUMNS: dict[str, tuple[str, ...]] = {
    "neck_girth": ("neckcircumferencebase",),
    "chest_girth": ("chestcircumference",),
    "bust_girth": ("chestcircumference",),
    "waist_girth": ("waistcircumference",),
    "hip_girth": ("buttockcircumference",),
    "thigh_girth": ("thighcircumference",),
    "calf_girth": ("calfcircumference",),
    "ankle_girth": ("anklecircumference",),
    "upper_arm_girth": ("bicepscircumferenceflexed",),
    "wrist_girth": ("wristcircumference",),
    "head_girth": ("headcircumference",),
    "shoulder_width": ("biacromialbreadth",),
    "biacromial_breadth": ("biacromialbreadth",),
    "across_back": ("interscyei",),
    "arm_length": ("acromionradialelength", "radialestylionlength"),
    "neck_to_wrist": ("sleevelengthspinewrist",),
    "inside_leg": ("crotchheight",),
    "outside_leg": ("waistheightomphalion",),
    "back_waist_length": ("waistbacklength",),
    "front_waist_length": ("waistfrontlengthsitting",),
    "crotch_length": ("crotchlengthomphalion",),
    "shoulder_length": ("shoulderlength",),
}
# FitResult.uncertainty_cm keys (body_model.shape_prior.TARGET_LABELS) -> our measurement names.
FIT_HINTS: dict[str, tuple[str, ...]] = {
    "chest": ("chest_girth", "bust_girth", "underbust_girth"),
    "waist": ("waist_girth",),
    "hip": ("hip_girth",),
    "thigh": ("thigh_girth",),
    "neck": ("neck_girth",),
}
GIRTH_WORD = "girth"


@lru_cache(maxsize=1)
def load_table() -> dict:
    path = Path(str(resources.files("assets") / ASSET))
    if not path.is_file():
        return {}
    return json.loads(path.read_text())


def uncertainty_cm(
    name: str, value: float, fit_hints: dict[str, float] | None = None, sex: str | None = None,
    with_weight: bool = False, with_side: bool = False, table: dict | None = None,
) -> float:
    """About one standard deviation (cm) of measurement `name` (see the module docstring)."""
    if name == "stature":
        return STATURE_SD_CM
    for hint, names in FIT_HINTS.items():
        if name in names and fit_hints and hint in fit_hints:
            return round(float(fit_hints[hint]), 2)
    table = load_table() if table is None else table
    sexes = [sex] if sex in ("male", "female") else ["male", "female"]
    key = "stature_weight" if with_weight else "stature"
    values = [table[s][key][name] for s in sexes if name in table.get(s, {}).get(key, {})]
    if values:
        return round(max(values), 2)
    kind = "girth" if GIRTH_WORD in name else "length"
    rel = [table[s]["relative"][kind][key] for s in sexes if s in table]
    if rel:
        return round(max(rel) * float(value), 2)
    return round(0.05 * float(value), 2)  # no table shipped: a 5% error is what photo apps claim at worst


def build_table(ansur_dir: Path, folds: int = 5, seed: int = 0) -> dict:
    """Cross-validated residual std per measurement and sex, from stature and from stature + weight."""
    import csv

    table: dict = {"source": "ANSUR II public data, 5-fold cross-validated linear fits (cm)"}
    for sex, filename in (("male", "ANSUR_II_MALE_Public.csv"), ("female", "ANSUR_II_FEMALE_Public.csv")):
        with open(ansur_dir / filename, encoding="latin-1") as fh:
            rows = list(csv.DictReader(fh))
        stature = np.array([float(r["stature"]) for r in rows]) / 10.0
        weight = np.array([float(r["weightkg"]) for r in rows]) / 10.0
        rng = np.random.default_rng(seed)
        fold = rng.integers(0, folds, len(rows))
        out: dict = {"stature": {}, "stature_weight": {}, "n": len(rows)}
        rel: dict = {"girth": {"stature": [], "stature_weight": []}, "length": {"stature": [], "stature_weight": []}}
        for name, cols in ANSUR_COLUMNS.items():
            y = sum(np.array([float(r[c]) for r in rows]) for c in cols) / 10.0
            for key, x in (("stature", stature[:, None]), ("stature_weight", np.stack([stature, weight], 1))):
                design = np.concatenate([x, np.ones((len(y), 1))], axis=1)
                resid = np.empty_like(y)
                for k in range(folds):
                    train, test = fold != k, fold == k
                    coef, *_ = np.linalg.lstsq(design[train], y[train], rcond=None)
                    resid[test] = y[test] - design[test] @ coef
                sd = float(np.sqrt(np.mean(resid**2)))
                out[key][name] = round(sd, 3)
                rel["girth" if GIRTH_WORD in name else "length"][key].append(sd / float(np.mean(y)))
        out["relative"] = {kind: {key: round(float(np.median(v)), 4) for key, v in d.items()}
                           for kind, d in rel.items()}
        table[sex] = out
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Rebuild assets/uncertainty/ansur_residuals.json from ANSUR II.")
    parser.add_argument("--ansur", type=Path, default=None, help="ANSUR II folder (default: the shared data)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "assets" / ASSET)
    args = parser.parse_args(argv)
    from body_model.data_paths import require_data_dir

    ansur = args.ansur or require_data_dir("ansur2")
    table = build_table(ansur)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(table, indent=1, sort_keys=True))
    for sex in ("male", "female"):
        print(f"{sex} (n={table[sex]['n']}): residual sd cm from stature / stature+weight")
        for name in ANSUR_COLUMNS:
            print(f"  {name:20s} {table[sex]['stature'][name]:6.2f} {table[sex]['stature_weight'][name]:6.2f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
