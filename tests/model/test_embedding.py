"""Relative position and template features against plain loops on real structures."""

from __future__ import annotations

import numpy as np
import torch

from dynafold.const import DISTOGRAM_BOUNDARIES_A
from dynafold.model.embedding import relative_position, template_pair_features

from rigid_motion import random_rigid, transform


def test_relative_position_chain_aware():
    res = torch.tensor([[1, 2, 3, 50, 1, 2]])
    chain = torch.tensor([[0, 0, 0, 0, 1, 1]])
    onehot = relative_position(res, chain, r_max=32)
    assert onehot.shape == (1, 6, 6, 66)
    for i in range(6):
        for j in range(6):
            expect = 65 if chain[0, i] != chain[0, j] else min(max(int(res[0, i] - res[0, j]), -32), 32) + 32
            assert onehot[0, i, j].argmax() == expect and onehot[0, i, j].sum() == 1


def test_template_distogram_matches_numpy(trp_batch):
    feats = template_pair_features(trp_batch["template_coords"], trp_batch["atom_mask"])
    coords = trp_batch["template_coords"][0].double().numpy()
    mask = trp_batch["atom_mask"][0].numpy()
    r = 20
    rep = np.where(mask[:r, 4:5], coords[:r, 4], coords[:r, 1])  # CB, CA for glycine
    d = np.linalg.norm(rep[:, None] - rep[None], axis=-1)
    bins = np.searchsorted(DISTOGRAM_BOUNDARIES_A, d, side="left")
    np.testing.assert_array_equal(feats[0, :r, :r, :64].argmax(-1).numpy(), bins)
    assert feats[0, r:, :, :].abs().sum() == 0  # padding tokens carry nothing


def test_template_features_invariant_to_rigid_motion(trp_batch):
    rot, shift = random_rigid(3)
    a = template_pair_features(trp_batch["template_coords"], trp_batch["atom_mask"])
    b = template_pair_features(transform(trp_batch["template_coords"], rot, shift), trp_batch["atom_mask"])
    diff = (a - b).abs()
    # distogram classes may flip only for distances within float error of a boundary
    assert (diff[..., :64].sum(-1) > 0).float().mean() < 1e-3
    torch.testing.assert_close(a[..., 64:], b[..., 64:], atol=1e-4, rtol=0)
