"""Shared pytest set-up: Anny's cache inside the clone, and skips for tests that need ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("ANNY_CACHE_DIR", str(REPO / ".cache" / "anny"))

from body_model.data_paths import shared_data_dir  # noqa: E402


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder; tests using it are skipped (with the reason) when it is absent."""
    root = shared_data_dir()
    if root is None:
        pytest.skip("needs the shared data (set MEASURE_DATA or keep ../shared/data beside the repo)")
    return root


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny tensors: one torch thread is as fast and immune to a busy machine's oversubscription."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
