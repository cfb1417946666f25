"""Where outside files live: the shared data folder and Anny's build cache.

Kept in the lowest layer so parsing/, measure/, benchmarks and tests all resolve paths the same way.
Data is never copied into the project: it is read from `MEASURE_DATA` (or `../shared/data` beside
the checkout, when it exists).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path | None:
    """The data folder (`MEASURE_DATA`, else `../shared/data` beside the repo), or None if absent."""
    env = os.environ.get("MEASURE_DATA")
    candidates = [Path(env)] if env else [REPO_ROOT.parent / "shared" / "data"]
    for path in candidates:
        if path.is_dir():
            return path
    return None


def require_data_dir(sub: str) -> Path:
    """`<data>/<sub>`, or a FileNotFoundError that says how to point at the data."""
    root = shared_data_dir()
    if root is None or not (root / sub).exists():
        raise FileNotFoundError(
            f"{sub}: data folder not found; set MEASURE_DATA to the folder holding '{sub}' "
            "or pass its path explicitly"
        )
    return root / sub


def anny_cache_dir() -> Path:
    """Anny's build cache: `ANNY_CACHE_DIR` if set (tests and CI point it into .cache/)."""
    env = os.environ.get("ANNY_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "anny"
