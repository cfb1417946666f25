"""Reading the ANSUR II survey (US Army 2012, public domain) in cm and kg, per sex.

ANSUR II is the ground truth for the depth prior (body_model.shape_prior) and for the accuracy
benchmarks of the measurement code: tape measurements of 5,000+ real people. The CSVs store
millimetres and `weightkg` in 0.1 kg; this module converts once so every user sees cm and kg.
The self-reported `Heightin`/`Weightlbs` columns are noisy and are never returned.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ANSUR_FILES = {"male": "ANSUR_II_MALE_Public.csv", "female": "ANSUR_II_FEMALE_Public.csv"}
# Columns that are not measurements (ids, demographics, self-reports).
_NON_MEASUREMENT = {
    "subjectid", "gender", "date", "installation", "component", "branch", "primarymos",
    "subjectsbirthlocation", "subjectnumericrace", "ethnicity", "dodrace", "age", "heightin",
    "weightlbs", "writingpreference",
}


class AnsurError(ValueError):
    """The ANSUR folder or one of its files is missing or unreadable."""


@dataclass
class AnsurTable:
    """One sex's subjects: `columns[name]` is an (N,) float array in cm (or kg for `weightkg`)."""

    sex: str
    columns: dict[str, np.ndarray]
    subject_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.subject_ids)

    def get(self, *names: str) -> np.ndarray:
        """(N, len(names)) matrix of the named measurements."""
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise KeyError(f"ANSUR has no column {missing[0]!r}")
        return np.stack([self.columns[n] for n in names], axis=1)

    def records(self) -> list[dict[str, float]]:
        """Per-subject dicts (cm/kg), for code that prefers rows."""
        names = list(self.columns)
        mat = self.get(*names)
        return [dict(zip(names, map(float, row), strict=True)) for row in mat]


def read_ansur(data_dir: str | Path, sex: str) -> AnsurTable:
    """One sex ('male'/'female') from `data_dir` (the `ansur2` folder), measurements in cm, weight in kg."""
    if sex not in ANSUR_FILES:
        raise AnsurError(f"{sex!r}: sex must be 'male' or 'female'")
    path = Path(data_dir) / ANSUR_FILES[sex]
    if not path.is_file():
        raise AnsurError(f"{path}: ANSUR II file not found")
    with path.open(encoding="latin-1", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration as exc:
            raise AnsurError(f"{path}: empty file") from exc
        rows = [r for r in reader if r]
    keep = [i for i, h in enumerate(header) if h not in _NON_MEASUREMENT]
    if "subjectid" not in header or not rows:
        raise AnsurError(f"{path}: not an ANSUR II table (no subject id column or no rows)")
    try:
        raw = np.array([[float(r[i]) for i in keep] for r in rows], dtype=np.float64)
    except (ValueError, IndexError) as exc:
        raise AnsurError(f"{path}: unreadable measurement value ({exc})") from exc
    columns: dict[str, np.ndarray] = {}
    for j, i in enumerate(keep):
        name = header[i]
        columns[name] = raw[:, j] / 10.0  # mm -> cm; weightkg 0.1 kg -> kg
    ids = np.array([r[header.index("subjectid")] for r in rows])
    return AnsurTable(sex=sex, columns=columns, subject_ids=ids)


def read_ansur_both(data_dir: str | Path) -> dict[str, AnsurTable]:
    """Both sexes: {'male': ..., 'female': ...}."""
    return {sex: read_ansur(data_dir, sex) for sex in ANSUR_FILES}
