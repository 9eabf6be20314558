"""evaluate_ensembles on real trajectories, checked against the separate metric functions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from dynafold.io import load
from dynafold.metrics.evaluate import evaluate_ensembles, subsample_frames
from dynafold.metrics.lddt import lddt_matrix
from dynafold.metrics.superpose import fit_to_mean


@pytest.fixture(scope="module")
def halves(shared_data):
    md = shared_data / "md" / "mdcath_2hbaA00"
    ens = load(md / "2hbaA00_320_0.xtc", md / "2hbaA00.pdb")
    return ens.select_frames(slice(0, 250, 25)), ens.select_frames(slice(250, 500, 5))


def _ca_rmsf(coords):
    x = fit_to_mean(coords)
    return np.sqrt(((x - x.mean(0)) ** 2).sum(-1).mean(0))


def test_first_half_against_second_half(halves):
    pred, ref = halves
    out = evaluate_ensembles(pred, ref, atoms="ca", ref_frames=20, seed=3)
    json.dumps(out)  # JSON-ready
    assert out["n_pred"] == 10 and out["n_ref"] == 20 and out["seed"] == 3
    assert out["matched"]["residues"] == 52 and out["matched"]["ref_residues"] == 52
    frames = out["ref_frame_indices"]
    assert len(set(frames)) == 20 and frames == subsample_frames(50, 20, 3).tolist()
    ref_sub = ref.select_frames(np.array(frames))
    pred_rmsf, ref_rmsf = _ca_rmsf(pred.ca().coords), _ca_rmsf(ref_sub.ca().coords)
    np.testing.assert_allclose(out["rmsf"]["pred_A"], pred_rmsf, atol=1e-6)
    np.testing.assert_allclose(out["rmsf"]["ref_A"], ref_rmsf, atol=1e-6)
    assert out["rmsf"]["pearson"] == pytest.approx(stats.pearsonr(pred_rmsf, ref_rmsf)[0], abs=1e-9)
    assert out["rmsf"]["spearman"] == pytest.approx(stats.spearmanr(pred_rmsf, ref_rmsf)[0], abs=1e-9)
    res_idx = ref.ca().topology.residue_index()
    mat = lddt_matrix(pred.ca().coords, ref_sub.ca().coords, res_idx).global_
    assert out["lddt"]["precision"] == pytest.approx(mat.max(1).mean())
    assert out["lddt"]["recall"] == pytest.approx(mat.max(0).mean())
    # the same trajectory: its flexible C-terminus dominates, so the profiles agree
    assert out["rmsf"]["pearson"] > 0.8
    assert 0 < out["lddt"]["diversity"] < 1
    assert out["pairwise_rmsd_A"]["ref"]["n_pairs"] == 190


def test_frames_are_reproducible_and_capped():
    assert subsample_frames(10, 200, 0).tolist() == list(range(10))
    a, b = subsample_frames(500, 200, 7), subsample_frames(500, 200, 7)
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == 200
    assert not np.array_equal(a, subsample_frames(500, 200, 8))


def test_heavy_atoms_and_bad_selection(halves):
    pred, ref = halves
    out = evaluate_ensembles(pred.select_frames(slice(0, 4)), ref, atoms="heavy", ref_frames=5)
    assert out["atoms"] == "heavy" and out["matched"]["lddt_atoms"] == pred.protein().n_atoms
    from dynafold.errors import DynafoldInputError

    with pytest.raises(DynafoldInputError):
        evaluate_ensembles(pred, ref, atoms="backbone")
