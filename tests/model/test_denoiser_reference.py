"""The denoiser against stored outputs of its reference path.

``data/denoiser_reference.npz`` holds float64 outputs of the shipped weights through the
denoiser as it was at 5d01aed, which built every sample's atom-pair bias as one
tensor (offset and distance terms) at every call. Today the template- and
trunk-only terms are prepared once per input and the noisy offsets travel as
query and key channels; in float64 the two agree to rounding, in float32 to the
float32 path's own rounding (2e-3 A for the reference path itself). New shipped weights
get new outputs from that code: `training/denoiser_reference.py` (a worktree at 5d01aed with the
weights copied in; 5e-8 A from today's path for the weights of 2026-11-30).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dynafold.model.checkpoint import default_checkpoint, load_model

REFERENCE = Path(__file__).parent / "data" / "denoiser_reference.npz"
SIGMAS_A = (0.3, 3.0, 30.0)


def _denoised(batch: dict[str, torch.Tensor], dtype: torch.dtype, prepare: bool) -> dict[str, np.ndarray]:
    """Outputs on the heavy atoms for 2 noisy copies per item at each sigma (the reference's noise draws)."""
    model = load_model(default_checkpoint())[0].eval().to(dtype)
    batch = {k: v.to(dtype) if v.is_floating_point() else v for k, v in batch.items()}
    mask = batch["atom_mask"][:, None, :, :14].expand(-1, 2, -1, -1).numpy()
    g = torch.Generator().manual_seed(0)
    out = {}
    with torch.no_grad():
        cond = model.condition(batch)
        if prepare:
            cond = model.denoiser.prepare(cond)
        for sigma in SIGMAS_A:
            x = batch["coords"][:, None].expand(-1, 2, -1, -1, -1).double()
            x = x + sigma * torch.randn(x.shape, generator=g, dtype=torch.float64)
            y = model.denoiser(x.to(dtype), torch.full((2, 2), sigma, dtype=dtype), cond)
            out[f"sigma_{sigma}"] = y.double().numpy()[mask]
    return out


@pytest.mark.parametrize("dtype,tolerance_A", [(torch.float64, 1e-6), (torch.float32, 5e-3)])
def test_denoiser_matches_reference_outputs(trp_batch, dtype, tolerance_A):
    ref = np.load(REFERENCE)
    got = _denoised(trp_batch, dtype, prepare=True)
    for key, value in got.items():
        assert value.shape == ref[key].shape
        assert np.abs(value - ref[key]).max() < tolerance_A, key
    # the test can fail: the outputs move with sigma by far more than the tolerance
    assert np.abs(got["sigma_0.3"] - ref["sigma_3.0"]).max() > 100 * tolerance_A


def test_prepared_conditioning_gives_the_same_outputs(trp_batch):
    a = _denoised(trp_batch, torch.float32, prepare=True)
    b = _denoised(trp_batch, torch.float32, prepare=False)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
