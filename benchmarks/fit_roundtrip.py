"""Fit round trip: synthetic people -> front/back(/side) observations -> fit -> measurements vs truth.

    python benchmarks/fit_roundtrip.py --n 20 [--seed 0] [--conditions fb,fb+weight,fb+side,fb+sex]

Bodies: both sexes alternating, BMI 17-38, random local shape changes the fit never moves
(body_model.fit_synthetic). Observations: rasterised masks, LIP part maps, keypoints + 2 px noise,
720x960 phone-like camera at chest height. The weight given to the fit is the true body volume times a
density drawn from N(1030, 10) kg/m^3 (the fit assumes 1030), so weight carries real-life
uncertainty (body_model.fit_synthetic.round_trip_case draws each person). Measurements on both
bodies by measure.measurements.measure_body. Prints per measurement MAE (cm) per condition (fb =
front+back+height, sex unknown; +weight; +side; +sex = sex given), stature error and fit time per person.
`--no-front-breadths` runs front+back without the breadth locals the fit frees in tight clothes
(body_model.fit.FitConfig.front_breadth_clothes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from body_model.fit import FitConfig, fit
from body_model.fit_synthetic import LOCAL_AMPLITUDE, round_trip_case
from body_model.model import load_body_model
from measure.measurements import measure_body

MEASURES = {"chest": "chest_girth", "waist": "waist_girth", "hip": "hip_girth", "thigh": "thigh_girth",
            "neck": "neck_girth", "inside_leg": "inside_leg"}
# name -> (views, weight given, sex given)
CONDITIONS = {"fb": (("front", "back"), False, False), "fb+weight": (("front", "back"), True, False),
              "fb+side": (("front", "back", "side"), False, False), "fb+sex": (("front", "back"), False, True)}


def measure(vertices: np.ndarray, model, sex: str) -> dict[str, float]:
    m = measure_body(vertices, model.faces, model.vertex_parts, sex=sex)
    return {k: m.values[v].value_cm for k, v in MEASURES.items()} | {"stature": m.values["stature"].value_cm}


def run(n: int, seed: int, conditions: list[str], verbose: bool = False,
        hidden_amplitude: float = LOCAL_AMPLITUDE, config: FitConfig | None = None
        ) -> dict[str, dict[str, list[float]]]:
    model = load_body_model()
    errors: dict[str, dict[str, list[float]]] = {c: {k: [] for k in [*MEASURES, "stature", "seconds", "cpu"]}
                                                 for c in conditions}
    for i in range(n):
        case = round_trip_case(model, seed, i, hidden_amplitude)
        sex, person, weight, views = case.sex, case.person, case.weight_kg, case.views
        truth = measure(person.rest_vertices, model, sex)
        for cond in conditions:
            kinds, with_weight, with_sex = CONDITIONS[cond]
            t0, c0 = time.perf_counter(), time.process_time()
            result = fit([views[k] for k in kinds], person.stature_cm, weight_kg=weight if with_weight else None,
                         sex=sex if with_sex else None, config=config)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            got = measure(result.vertices, model, sex)
            for k in [*MEASURES, "stature"]:
                errors[cond][k].append(got[k] - truth[k])
            errors[cond]["seconds"].append(seconds)
            errors[cond]["cpu"].append(cpu)
            if verbose:
                print(f"  #{i} {sex:6s} BMI {person.bmi:4.1f} {cond:10s} {seconds:5.1f}s "
                      + " ".join(f"{k}={got[k] - truth[k]:+.1f}" for k in MEASURES)
                      + f" iou={[round(v.silhouette_iou or 0, 3) for v in result.views]}", flush=True)
    return errors


def print_table(errors: dict[str, dict[str, list[float]]], n: int, hidden_amplitude: float = LOCAL_AMPLITUDE
                ) -> None:
    print(f"\nFit round trip on {n} synthetic Anny people (both sexes, BMI 17-38, unseen local changes in "
          f"+-{hidden_amplitude:g}); MAE in cm vs the true body, measured by measure_body")
    cols = [*MEASURES, "stature"]
    print(f"{'condition':12s} " + " ".join(f"{c:>10s}" for c in cols) + f" {'wall s':>7s} {'cpu s':>6s}")
    for cond, e in errors.items():
        maes = [np.mean(np.abs(e[c])) for c in cols]
        print(f"{cond:12s} " + " ".join(f"{v:10.2f}" for v in maes)
              + f" {np.mean(e['seconds']):7.1f} {np.mean(e['cpu']):6.1f}")
    print("wall s / cpu s: mean fit time per person (cpu = process CPU time, the fair number on a shared machine)")
    print("(stature column: max abs error "
          + ", ".join(f"{c} {np.max(np.abs(e['stature'])):.3f}" for c, e in errors.items()) + " cm)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--hidden-amplitude", type=float, default=LOCAL_AMPLITUDE,
                        help="range (+-) of the unseen local changes; 0 = the same people without them")
    parser.add_argument("--no-front-breadths", action="store_true",
                        help="keep the breadth locals still without a side view (FitConfig.front_breadth_clothes=())")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    conditions = [c for c in args.conditions.split(",") if c]
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise SystemExit(f"unknown condition {unknown[0]!r}; choose from {', '.join(CONDITIONS)}")
    config = FitConfig(front_breadth_clothes=()) if args.no_front_breadths else None
    if config is not None:
        print("fit: FitConfig(front_breadth_clothes=()): breadth locals still without a side view")
    print_table(run(args.n, args.seed, conditions, args.verbose, args.hidden_amplitude, config), args.n,
                args.hidden_amplitude)


if __name__ == "__main__":
    main()
