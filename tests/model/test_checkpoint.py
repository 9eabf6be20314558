"""Safetensors checkpoints with a JSON config round-trip exactly."""

from __future__ import annotations

import json

import pytest
import torch

from dynafold.errors import DynafoldInputError
from dynafold.model import DynafoldModel, load_model, save_checkpoint
from dynafold.model.config import MODEL_PRESETS


def test_round_trip(tmp_path, trp_batch):
    torch.manual_seed(3)
    model = DynafoldModel(MODEL_PRESETS["tiny"]).eval()
    path = save_checkpoint(tmp_path / "run" / "model.safetensors", model)
    assert json.loads((tmp_path / "run" / "config.json").read_text())["model"] == MODEL_PRESETS["tiny"].to_dict()
    loaded, cfg = load_model(path)
    assert cfg == MODEL_PRESETS["tiny"]
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    torch.testing.assert_close(loaded.sample(trp_batch, 2, steps=3, generator=g1),
                               model.sample(trp_batch, 2, steps=3, generator=g2), atol=0, rtol=0)
    torch.testing.assert_close(loaded.predict_bfactor(trp_batch), model.predict_bfactor(trp_batch), atol=0, rtol=0)


def test_bad_files_raise_typed_errors(tmp_path):
    with pytest.raises(DynafoldInputError, match="not found"):
        load_model(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(DynafoldInputError, match="safetensors"):
        load_model(bad)
    small = save_checkpoint(tmp_path / "a" / "m.safetensors", DynafoldModel(MODEL_PRESETS["tiny"]),
                            state_dict={"x": torch.zeros(1)})
    with pytest.raises(DynafoldInputError, match="do not match"):
        load_model(small)
