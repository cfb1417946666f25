"""Body measurements and a clothing size from a front and a back photo: the public Python API.

    from measure import Measurer
    measurer = Measurer()                       # loads the models once
    result = measurer.measure("front.jpg", "back.jpg", height_cm=170)
    result.value("waist_girth"); result.sizes; result.to_json()

or, for a one-off script, `measure.measure("front.jpg", "back.jpg", 170)`. Errors are
`measure.errors.MeasureError` subclasses. Importing this package is cheap: the torch-heavy parts
load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from measure import errors
from measure.result import SCHEMA_VERSION, Measurement, QualityWarning, Result, SizeRecommendation

if TYPE_CHECKING:
    from measure.pipeline import Measurer, measure

__all__ = ["Measurer", "measure", "Result", "Measurement", "SizeRecommendation", "QualityWarning", "errors",
           "SCHEMA_VERSION"]


def __getattr__(name: str) -> Any:
    if name in ("Measurer", "measure"):
        from measure import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'measure' has no attribute {name!r}")
