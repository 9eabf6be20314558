"""Shared fixtures: the real data beside the project, single-threaded torch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SHARED_FUZZ = SHARED_DATA.parent / "fuzz"


@pytest.fixture(autouse=True, scope="session")
def _single_thread() -> None:
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (clone the project beside ../shared)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def shared_fuzz(shared_data: Path) -> Path:
    """Path of ../shared/fuzz (hostile inputs made from ../shared/data); skips when absent."""
    if not SHARED_FUZZ.is_dir():
        pytest.skip(f"hostile inputs not found at {SHARED_FUZZ}")
    return SHARED_FUZZ
