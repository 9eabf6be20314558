"""Per-step batches are a pure function of (seed, step, rank)."""

from __future__ import annotations

import torch

from dynafold.data.dataset import EnsembleDataset
from dynafold.train.batches import StepBatches, step_batch


def test_same_step_same_batch_other_step_other_batch(nmr_store):
    ds = EnsembleDataset(nmr_store, crop_size=16)
    a = step_batch(ds, 2, seed=3, step=7, rank=0)
    b = step_batch(ds, 2, seed=3, step=7, rank=0)
    for k in a:
        torch.testing.assert_close(a[k], b[k], atol=0, rtol=0)
    assert a["res_type"].shape == (2, 16) and a["coords"].shape == (2, 16, 14, 3)
    others = [step_batch(ds, 2, seed=3, step=s, rank=r) for s, r in ((8, 0), (7, 1))]
    for o in others:
        assert int(o["noise_seed"]) != int(a["noise_seed"])
        assert not torch.equal(o["coords"], a["coords"])


def test_step_batches_resume_in_the_middle(nmr_store):
    ds = EnsembleDataset(nmr_store, crop_size=12)
    full = list(StepBatches(ds, 1, seed=0, start=0, stop=5))
    tail = list(StepBatches(ds, 1, seed=0, start=3, stop=5))
    assert len(full) == 5 and len(tail) == 2
    for x, y in zip(full[3:], tail):
        assert int(x["step"]) == int(y["step"])
        torch.testing.assert_close(x["coords"], y["coords"], atol=0, rtol=0)


def test_ensemble_weight_draws_ensembles_more_often(nmr_store):
    import numpy as np

    from dynafold.train.batches import system_probabilities

    ds = EnsembleDataset(nmr_store)
    assert system_probabilities(ds, 1.0) is None
    # pretend one system is a single conformer: it must be drawn 4x less often
    ds.entries = [dict(e, n_conformers=1) if i == 0 else e for i, e in enumerate(ds.entries)]
    p = system_probabilities(ds, 4.0)
    np.testing.assert_allclose(p, np.array([1.0, 4.0, 4.0]) / 9.0)
    n_res = [e["n_residues"] for e in ds.entries]
    drawn = [n_res.index(step_batch(ds, 1, seed=0, step=s, rank=0, probabilities=p)["res_type"].shape[1])
             for s in range(200)]
    counts = np.bincount(drawn, minlength=3)
    assert counts[0] < counts[1] / 2 and counts[0] < counts[2] / 2
