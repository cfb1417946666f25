"""What a measurement returns: plain data that converts to a dict and to versioned JSON.

JSON schema, version "1.1" (`schema_version`; 1.1 added each measurement's "source" and "body_value").
Keys are stable within a major version; new keys may appear in minor versions, so readers should
ignore keys they do not know.

    {
      "schema_version": "1.1",
      "units": "cm",
      "measurements": {                      # one entry per ISO 8559-1 measurement
        "<name>": {"value": float,           #   cm, of the body standing in its rest pose ("source")
                   "uncertainty": float,     #   cm, about one standard deviation of the estimate
                   "definition": str,        #   what was measured, in words
                   "source": str,            #   "body": measured on the fitted body; "outline": torso
                                             #   and thigh girths read from the photos' outline widths
                   "body_value": float}      #   (outline only) the same girth measured on the fitted body
      },
      "sizes": [                             # one per garment of the chosen size chart
        {"chart": str, "garment": str, "size": str | null,   # null: the person is outside the chart
         "runner_up": str | null, "near_edge": bool,         # near_edge: a primary measurement lies
                                                             # within its uncertainty of a band edge
         "fit": {"<measurement>": "tight" | "fits" | "loose" | "short" | "long"},
         "note": str,                                        # the advice in words
         "nearest": str | null,                              # nearest size, also outside the chart
         "out_of_chart": null | "below_smallest" | "above_largest"}
      ],
      "body": {"backend": str, "phenotypes": {"<name>": float}, "local": [float] | null,
               "height_cm": float, "weight_kg": float | null, "sex": str | null},
      "warnings": [{"code": str, "message": str, "subject": str | null}],
      "timings": {"<stage>": seconds},       # load, pose, parse, checks, fit, measure, size, total
      "inputs": {"front": str, "back": str, "side": str | null, "height_cm": float,
                 "weight_kg": float | null, "sex": str | null}
    }

The fitted mesh and per-view drawing data stay on the Python object (`mesh`, `views`) for exports
(OBJ/GLB, overlays) and are not part of the JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA_VERSION = "1.1"


@dataclass
class Measurement:
    """One body measurement in cm with its uncertainty (about 1 sd), its definition and where it came from:
    "body" (measured on the fitted body) or "outline" (from the photos' outline widths, measure.profile_girths)."""

    value: float
    uncertainty: float
    definition: str
    source: str = "body"
    body_value: float | None = None  # source "outline": the same measurement taken on the fitted body

    def to_dict(self) -> dict[str, Any]:
        out = {"value": round(float(self.value), 2), "uncertainty": round(float(self.uncertainty), 2),
               "definition": self.definition, "source": self.source}
        if self.body_value is not None:
            out["body_value"] = round(float(self.body_value), 2)
        return out


@dataclass
class SizeRecommendation:
    """The recommended size of one garment from one chart."""

    chart: str
    garment: str
    size: str | None
    runner_up: str | None = None
    near_edge: bool = False
    fit: dict[str, str] = field(default_factory=dict)
    note: str = ""
    nearest: str | None = None          # the nearest size, also when the person is outside the chart
    out_of_chart: str | None = None     # None, "below_smallest" or "above_largest"

    def to_dict(self) -> dict[str, Any]:
        return {"chart": self.chart, "garment": self.garment, "size": self.size, "runner_up": self.runner_up,
                "near_edge": bool(self.near_edge), "fit": dict(self.fit), "note": self.note,
                "nearest": self.nearest, "out_of_chart": self.out_of_chart}


@dataclass
class QualityWarning:
    """A problem that did not stop the measurement but lowers trust in it."""

    code: str
    message: str
    subject: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "subject": self.subject}


@dataclass
class BodyParameters:
    """The fitted body model's parameters (enough to rebuild the body)."""

    backend: str
    phenotypes: dict[str, float]
    local: list[float] | None
    height_cm: float
    weight_kg: float | None = None
    sex: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "phenotypes": {k: round(float(v), 5) for k, v in self.phenotypes.items()},
                "local": None if self.local is None else [round(float(v), 5) for v in self.local],
                "height_cm": float(self.height_cm), "weight_kg": self.weight_kg, "sex": self.sex}


@dataclass
class FittedMesh:
    """The fitted body in its standing rest pose (metres, z up)."""

    vertices: np.ndarray   # (V, 3) float
    faces: np.ndarray      # (F, 3) int


@dataclass
class ViewRecord:
    """What was seen and fitted in one photo, for overlays and debugging."""

    kind: str                       # front / back / side
    source: str
    rgb: np.ndarray                 # the upright photo (H, W, 3) uint8
    mask: np.ndarray                # (H, W) bool person mask used by the fit
    labels: np.ndarray | None       # (H, W) LIP ids from the parser, or None without parser weights
    keypoints: np.ndarray           # (21, 3) x, y, confidence


@dataclass
class Result:
    """Everything one measurement produced."""

    measurements: dict[str, Measurement]
    sizes: list[SizeRecommendation]
    body: BodyParameters
    warnings: list[QualityWarning]
    timings: dict[str, float]
    inputs: dict[str, Any]
    schema_version: str = SCHEMA_VERSION
    mesh: FittedMesh | None = field(default=None, repr=False, compare=False)
    views: list[ViewRecord] = field(default_factory=list, repr=False, compare=False)
    fit: Any = field(default=None, repr=False, compare=False)  # body_model.fit.FitResult, for exports

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "units": "cm",
            "measurements": {name: m.to_dict() for name, m in self.measurements.items()},
            "sizes": [s.to_dict() for s in self.sizes],
            "body": self.body.to_dict(),
            "warnings": [w.to_dict() for w in self.warnings],
            "timings": {k: round(float(v), 4) for k, v in self.timings.items()},
            "inputs": dict(self.inputs),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def value(self, name: str) -> float:
        """A measurement's value in cm (KeyError naming the known ones when absent)."""
        if name not in self.measurements:
            raise KeyError(f"{name}: not measured; known: {', '.join(sorted(self.measurements))}")
        return self.measurements[name].value
