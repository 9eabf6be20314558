"""The result cache key: every input a per-target result depends on, the model's weights included."""

from __future__ import annotations

from pathlib import Path

import pytest

from dynafold.bench.generators import parse_generators
from dynafold.bench.runner import Settings, cache_key
from dynafold.bench.targets import Target
from dynafold.errors import DynafoldInputError
from dynafold.model import checkpoint

TARGET = Target(name="t", reference=Path("/ref.pdb"), reference_topology=None, input=Path("/in.pdb"))


def key(spec: str, settings: Settings = Settings()) -> str:
    return cache_key(settings, parse_generators([spec])[0], TARGET, {"reference": "0" * 64})


def test_retrained_shipped_model_misses_the_cache(tmp_path, monkeypatch):
    weights = tmp_path / "shipped.safetensors"
    monkeypatch.setattr(checkpoint, "SHIPPED_CHECKPOINT", weights)
    weights.write_bytes(b"old weights")
    before = {spec: key(spec) for spec in ("dynafold-md", "dynafold-xray", "anm")}
    assert key("dynafold-md") == before["dynafold-md"]
    weights.write_bytes(b"new weights")
    assert key("dynafold-md") != before["dynafold-md"]
    assert key("dynafold-xray") != before["dynafold-xray"]
    assert key("anm") == before["anm"]  # no model, no change


def test_changed_checkpoint_argument_misses_the_cache(tmp_path):
    weights = tmp_path / "mine.safetensors"
    weights.write_bytes(b"a")
    before = key(f"dynafold-md:{weights}")
    weights.write_bytes(b"b")
    assert key(f"dynafold-md:{weights}") != before


def test_model_identity_is_the_sha256_of_the_checkpoint(tmp_path):
    weights = tmp_path / "m.safetensors"
    weights.write_bytes(b"abc")
    gen = parse_generators([f"dynafold-md:{weights}"])[0]
    assert gen.model_sha256() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert parse_generators(["gnm"])[0].model_sha256() is None
    with pytest.raises(DynafoldInputError, match="checkpoint not found"):
        parse_generators([f"dynafold-md:{tmp_path / 'missing'}"])[0].model_sha256()


def test_sampler_settings_are_part_of_the_key(tmp_path, monkeypatch):
    weights = tmp_path / "shipped.safetensors"
    weights.write_bytes(b"w")
    monkeypatch.setattr(checkpoint, "SHIPPED_CHECKPOINT", weights)
    keys = {key("dynafold-md", Settings(**change)) for change in
            ({}, {"steps": 10}, {"step_scale": 1.0}, {"noise_scale": 1.0}, {"enm_noise": 0.0}, {"relax": False})}
    assert len(keys) == 6


def test_sampler_defaults_are_part_of_the_key(tmp_path, monkeypatch):
    """A release that changes a method's default sampler settings does not reuse older results."""
    from dynafold import const

    weights = tmp_path / "shipped.safetensors"
    weights.write_bytes(b"w")
    monkeypatch.setattr(checkpoint, "SHIPPED_CHECKPOINT", weights)
    before = key("dynafold-md")
    monkeypatch.setitem(const.METHOD_ENM_NOISE, "md", 0.5)
    assert key("dynafold-md") != before


@pytest.mark.parametrize("bad", [{"steps": 1}, {"step_scale": 0.0}, {"noise_scale": -1.0}, {"enm_noise": 1.5}])
def test_bad_sampler_settings_are_refused(bad):
    with pytest.raises(DynafoldInputError):
        Settings(**bad)
