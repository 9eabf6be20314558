"""Precision, recall and diversity from lDDT matrices, with a plain loop as reference."""

from __future__ import annotations

import numpy as np

from dynafold.io import load
from dynafold.metrics.ensemble import (lddt_diversity, lddt_precision, lddt_recall,
                                       pairwise_rmsd_stats)
from dynafold.metrics.lddt import lddt_matrix


def test_scores_on_nmr_models(shared_data):
    ens = load(shared_data / "nmr" / "1l2y.pdb").ca()
    pred, ref = ens.coords[:8], ens.coords[8:20]
    res_idx = ens.topology.residue_index()
    to_ref = lddt_matrix(pred, ref, res_idx).global_
    within = lddt_matrix(pred, pred, res_idx).global_
    k, m = to_ref.shape
    assert lddt_precision(to_ref) == sum(max(to_ref[i, j] for j in range(m)) for i in range(k)) / k
    assert lddt_recall(to_ref) == sum(max(to_ref[i, j] for i in range(k)) for j in range(m)) / m
    div = [1 - within[i, j] for i in range(k) for j in range(k) if i != j]
    assert abs(lddt_diversity(within) - sum(div) / len(div)) < 1e-12
    assert 0 < lddt_diversity(within) < 0.5
    # an ensemble scored against itself has precision = recall = 1
    assert lddt_precision(within) == 1.0 and lddt_recall(within) == 1.0


def test_pairwise_rmsd_stats():
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(5, 12, 3))
    s = pairwise_rmsd_stats(coords)
    assert s["n_pairs"] == 10 and s["min"] <= s["median"] <= s["max"]
    assert np.isnan(pairwise_rmsd_stats(coords[:1])["mean"])
    assert np.isnan(lddt_diversity(np.ones((1, 1))))
