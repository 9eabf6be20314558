"""A small untrained checkpoint for the mechanics of prediction (files, seeds, errors)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    import torch

    from dynafold.model import DynafoldModel, save_checkpoint
    from dynafold.model.config import MODEL_PRESETS

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny") / "model.safetensors"
    return save_checkpoint(path, DynafoldModel(MODEL_PRESETS["tiny"]))
