"""Shared fixtures: the real data beside the project, single-threaded torch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NO_SHARED_DATA = f"real data not found at {SHARED_DATA} (clone the project beside ../shared)"
SHARED_FUZZ = SHARED_DATA.parent / "fuzz"


@pytest.fixture(autouse=True, scope="session")
def _single_thread() -> None:
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(NO_SHARED_DATA)
    return SHARED_DATA


_SKIP_LINE = next(i for i, line in enumerate(Path(__file__).read_text().splitlines(), start=1)
                  if "pytest.skip(NO_SHARED_DATA)" in line)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Skips for missing real data share one location, so the summary folds them into one line."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and report.longrepr[2].endswith(NO_SHARED_DATA):
        report.longrepr = (str(Path(__file__)), _SKIP_LINE, report.longrepr[2])
    return report


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A small untrained checkpoint for the mechanics of prediction (files, seeds, errors)."""
    import torch

    from dynafold.model import DynafoldModel, save_checkpoint
    from dynafold.model.config import MODEL_PRESETS

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny") / "model.safetensors"
    return save_checkpoint(path, DynafoldModel(MODEL_PRESETS["tiny"]))


@pytest.fixture(scope="session")
def shared_fuzz(shared_data: Path) -> Path:
    """Path of ../shared/fuzz (hostile inputs made from ../shared/data); skips when absent."""
    if not SHARED_FUZZ.is_dir():
        pytest.skip(f"hostile inputs not found at {SHARED_FUZZ}")
    return SHARED_FUZZ
