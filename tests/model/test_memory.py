"""Memory estimate of sampling: it grows with the protein and with the model."""

from __future__ import annotations

from dynafold.model.config import MODEL_PRESETS
from dynafold.model.memory import denoiser_bytes_per_sample, fixed_bytes


def test_estimate_grows_with_residues_and_model_size() -> None:
    tiny, small, base = (MODEL_PRESETS[name] for name in ("tiny", "small", "base"))
    for estimate in (fixed_bytes, denoiser_bytes_per_sample):
        assert 0 < estimate(100, small) < estimate(200, small)
        assert estimate(200, small) < estimate(200, base)
    assert denoiser_bytes_per_sample(200, tiny) < denoiser_bytes_per_sample(200, small)
    # residue pairs: twice the residues, more than twice the bytes per sample (at most four times)
    assert 2 < denoiser_bytes_per_sample(2000, small) / denoiser_bytes_per_sample(1000, small) <= 4
