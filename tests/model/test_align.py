"""weighted_rigid_align against biotite's superimpose on real NMR models."""

from __future__ import annotations

import numpy as np
import torch

from dynafold.io import load
from dynafold.model.align import weighted_rigid_align


def test_matches_biotite_superimpose(shared_data):
    import biotite.structure as struc

    ens = load(shared_data / "nmr" / "1gya.pdb").protein()
    fixed, mobile = ens.coords[0].astype(np.float64), ens.coords[7].astype(np.float64)
    ours = weighted_rigid_align(torch.from_numpy(mobile)[None].float(), torch.from_numpy(fixed)[None].float(),
                                torch.ones(1, len(fixed)))[0].double().numpy()
    ref, _ = struc.superimpose(fixed, mobile)
    np.testing.assert_allclose(ours, ref, atol=2e-3)
    assert np.sqrt(((ours - fixed) ** 2).sum(-1).mean()) < np.sqrt(((mobile - fixed) ** 2).sum(-1).mean())


def test_zero_weights_ignore_atoms_and_batch(shared_data):
    import biotite.structure as struc

    ens = load(shared_data / "nmr" / "1l2y.pdb").protein()
    fixed = torch.from_numpy(ens.coords[:3])
    mobile = torch.from_numpy(ens.coords[3:6]).clone()
    w = torch.ones(3, ens.n_atoms)
    w[:, :40] = 0.0
    mobile_garbage = mobile.clone()
    mobile_garbage[:, :40] += 50.0  # ignored atoms must not matter for the fit
    out = weighted_rigid_align(mobile_garbage, fixed, w)
    for k in range(3):
        sel = np.arange(ens.n_atoms) >= 40
        _, tr = struc.superimpose(ens.coords[k][sel].astype(np.float64), ens.coords[3 + k][sel].astype(np.float64))
        ref = tr.apply(ens.coords[3 + k].astype(np.float64))
        np.testing.assert_allclose(out[k, 40:].double().numpy(), ref[40:], atol=2e-3)


def test_no_reflection():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, 30, 3, generator=g) * 5
    mirrored = x * torch.tensor([-1.0, 1.0, 1.0])
    out = weighted_rigid_align(mirrored, x, torch.ones(1, 30))
    # a proper rotation cannot undo a mirror image: the fit stays imperfect
    assert (out - x).norm(dim=-1).mean() > 1.0
