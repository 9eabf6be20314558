"""B-factor bin centres and the expected value."""

from __future__ import annotations

import numpy as np
import torch

from dynafold.const import BFACTOR_BOUNDARIES_A2
from dynafold.model.heads import BfactorHead, DistogramHead, bfactor_bin_centers


def test_bin_centres_lie_in_their_bins():
    centres = bfactor_bin_centers().numpy()
    assert centres.shape == (64,)
    # each centre falls in its own class under the loss's binning (bucketize, right=False)
    np.testing.assert_array_equal(np.searchsorted(BFACTOR_BOUNDARIES_A2, centres[1:], side="left"), np.arange(1, 64))
    np.testing.assert_allclose(centres[1:63], (BFACTOR_BOUNDARIES_A2[1:] + BFACTOR_BOUNDARIES_A2[:-1]) / 2)


def test_expected_value_of_a_sharp_distribution():
    head = BfactorHead(8)
    logits = torch.full((1, 2, 64), -1e4)
    logits[0, 0, 10] = 0.0
    logits[0, 1, 40] = logits[0, 1, 42] = 0.0
    c = bfactor_bin_centers()
    torch.testing.assert_close(head.expected(logits), torch.stack([c[10], (c[40] + c[42]) / 2])[None])


def test_distogram_logits_symmetric():
    z = torch.randn(2, 7, 7, 8)
    out = DistogramHead(8)(z)
    assert out.shape == (2, 7, 7, 64)
    torch.testing.assert_close(out, out.transpose(1, 2))
