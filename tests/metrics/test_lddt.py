"""lDDT matrix against biotite.structure.lddt on real NMR and MD ensembles."""

from __future__ import annotations

import biotite.structure as struc
import numpy as np
import pytest

import dynafold.metrics.lddt as lddt_module
from dynafold.errors import DynafoldInputError
from dynafold.io import load
from dynafold.metrics.lddt import lddt_matrix


def _atom_array(ens) -> struc.AtomArray:
    arr = struc.AtomArray(ens.n_atoms)
    arr.chain_id = ens.topology.chain_ids
    arr.res_id = ens.topology.res_ids
    arr.res_name = ens.topology.res_names
    arr.atom_name = ens.topology.atom_names
    return arr


def _biotite_matrix(pred, ref, aggregation):
    arr = _atom_array(ref)
    out = []
    for coords in ref.coords:
        arr.coord = coords
        out.append(struc.lddt(arr, pred.coords, aggregation=aggregation))
    return np.stack(out, axis=1)  # (K, M) or (K, M, R)


@pytest.mark.parametrize("atoms", ["ca", "heavy"])
def test_nmr_models_against_each_other_match_biotite(shared_data, atoms):
    ens = load(shared_data / "nmr" / "1gya.pdb").protein()
    ens = ens.ca() if atoms == "ca" else ens
    pred, ref = ens.select_frames(slice(0, 6)), ens.select_frames(slice(6, 11))
    res = lddt_matrix(pred.coords, ref.coords, ref.topology.residue_index(), per_residue=True)
    assert res.global_.shape == (6, 5)
    np.testing.assert_allclose(res.global_, _biotite_matrix(pred, ref, "all"), atol=1e-6, rtol=0)
    np.testing.assert_allclose(res.per_residue, _biotite_matrix(pred, ref, "residue"), atol=1e-6, rtol=0)
    assert 0.3 < res.global_.mean() < 1.0


def test_md_frames_match_biotite(shared_data):
    md = shared_data / "md" / "mdcath_2hbaA00"
    ens = load(md / "2hbaA00_320_0.xtc", md / "2hbaA00.pdb", stop=60, stride=6).protein()
    pred, ref = ens.select_frames(slice(0, 5)), ens.select_frames(slice(5, 10))
    res = lddt_matrix(pred.coords, ref.coords, ref.topology.residue_index(), per_residue=True)
    np.testing.assert_allclose(res.global_, _biotite_matrix(pred, ref, "all"), atol=1e-6, rtol=0)
    np.testing.assert_allclose(res.per_residue, _biotite_matrix(pred, ref, "residue"), atol=1e-6, rtol=0)
    # without per-residue scores, pairs in contact in some frames only are scored frame by frame
    global_only = lddt_matrix(pred.coords, ref.coords, ref.topology.residue_index())
    assert 0 < (global_only.n_pairs != global_only.n_pairs.max()).sum()
    np.testing.assert_array_equal(global_only.global_, res.global_)
    # the same frames pair with themselves at lDDT 1
    self_scores = lddt_matrix(ref.coords, ref.coords, ref.topology.residue_index()).global_
    np.testing.assert_array_equal(np.diag(self_scores), 1.0)


def test_other_radius_and_thresholds_match_biotite(shared_data):
    ens = load(shared_data / "nmr" / "1l2y.pdb").protein()
    pred, ref = ens.select_frames(slice(0, 4)), ens.select_frames(slice(4, 7))
    thresholds = (0.25, 0.7, 3.0)  # not a doubling series: the per-threshold path
    res = lddt_matrix(pred.coords, ref.coords, ref.topology.residue_index(), radius=8.0,
                      thresholds=thresholds)
    arr = _atom_array(ref)
    for m, coords in enumerate(ref.coords):
        arr.coord = coords
        expected = struc.lddt(arr, pred.coords, inclusion_radius=8.0, distance_bins=thresholds)
        np.testing.assert_allclose(res.global_[:, m], expected, atol=1e-6, rtol=0)


def test_two_workers_give_the_same_arrays(shared_data, monkeypatch):
    ens = load(shared_data / "nmr" / "1gya.pdb").protein()
    pred, ref = ens.select_frames(slice(0, 6)), ens.select_frames(slice(6, 11))
    chunk_pairs = 1 << 10
    monkeypatch.setattr(lddt_module, "_CHUNK_PAIRS", chunk_pairs)
    one = lddt_matrix(pred.coords, ref.coords, ref.topology.residue_index(), per_residue=True, workers=1)
    two = lddt_matrix(pred.coords, ref.coords, ref.topology.residue_index(), per_residue=True, workers=2)
    assert one.n_pairs.min() > 20 * chunk_pairs  # each worker takes many chunks
    np.testing.assert_array_equal(two.global_, one.global_)
    np.testing.assert_array_equal(two.per_residue, one.per_residue)
    np.testing.assert_array_equal(two.n_pairs, one.n_pairs)


@pytest.mark.parametrize("block_elements", [1 << 18, 1 << 12])
def test_ensemble_against_itself_matches_biotite(shared_data, monkeypatch, block_elements):
    # equal coordinates take the unordered-pair path for the pairs in contact in every
    # conformer; large tiles hold several conformers a side, small ones a single one
    monkeypatch.setattr(lddt_module, "_BLOCK_ELEMENTS", block_elements)
    md = shared_data / "md" / "mdcath_2hbaA00"
    ens = load(md / "2hbaA00_320_0.xtc", md / "2hbaA00.pdb", stop=240, stride=30).protein()
    res = lddt_matrix(ens.coords, ens.coords.copy(), ens.topology.residue_index(), workers=2)
    expected = _biotite_matrix(ens, ens, "all")
    np.testing.assert_array_equal(res.global_, expected.astype(np.float64))
    # the same scores as the path for different coordinates, column by column
    for m in range(3):
        column = lddt_matrix(ens.coords, ens.coords[m], ens.topology.residue_index()).global_[:, 0]
        np.testing.assert_array_equal(res.global_[:, m], column)
    self_res = lddt_matrix(ens.coords, ens.coords, ens.topology.residue_index(), per_residue=True)
    np.testing.assert_array_equal(self_res.global_, res.global_)


def test_float64_loop_on_a_threshold_tie():
    # distances 10 A (ref) and 10.5 A (pred): deviation exactly 0.5 counts for all 4 thresholds
    ref = np.array([[[0, 0, 0], [10, 0, 0], [30, 0, 0]]], dtype=np.float32)
    pred = np.array([[[0, 0, 0], [10.5, 0, 0], [30, 0, 0]]], dtype=np.float32)
    res = lddt_matrix(pred, ref, np.arange(3), per_residue=True)
    assert res.n_pairs.tolist() == [1]
    assert res.global_[0, 0] == 1.0
    assert np.isnan(res.per_residue[0, 0, 2])
    pred[0, 1, 0] = 12.5  # deviation 2.5: only the 4 A threshold
    assert lddt_matrix(pred, ref, np.arange(3)).global_[0, 0] == 0.25


def test_same_residue_pairs_are_skipped():
    ref = np.array([[[0, 0, 0], [1, 0, 0], [5, 0, 0]]], dtype=np.float32)
    pred = np.array([[[0, 0, 0], [9, 3, 0], [5, 0, 0]]], dtype=np.float32)
    # atoms 0 and 1 share a residue: their large change must not count;
    # pair (0, 2) is kept (4 of 4), pair (1, 2) changes 4 -> 5 A (3 of 4)
    res = lddt_matrix(pred, ref, np.array([0, 0, 1]))
    assert res.n_pairs.tolist() == [2]
    assert res.global_[0, 0] == pytest.approx(7 / 8)


def test_shape_mismatch_raises():
    with pytest.raises(DynafoldInputError):
        lddt_matrix(np.zeros((2, 5, 3)), np.zeros((2, 4, 3)), np.arange(4))
    with pytest.raises(DynafoldInputError, match="at least one atom"):
        lddt_matrix(np.zeros((2, 0, 3)), np.zeros((2, 0, 3)), np.arange(0))
