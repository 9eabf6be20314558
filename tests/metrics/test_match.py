"""Residue and atom matching between ensembles of one protein."""

from __future__ import annotations

import numpy as np
import pytest

from dynafold.errors import TopologyMismatchError
from dynafold.io import load
from dynafold.metrics.match import match_ensembles


@pytest.fixture(scope="module")
def ntl9(shared_data):
    md = shared_data / "md" / "mdcath_2hbaA00"
    return load(md / "2hbaA00_320_0.xtc", md / "2hbaA00.pdb", stop=4)


def test_same_numbering_matches_every_heavy_atom(ntl9):
    pred, ref, info = match_ensembles(ntl9, ntl9)
    assert info == {"residues": 52, "atoms": ntl9.protein().n_atoms, "ref_residues": 52, "by": "numbering"}
    np.testing.assert_array_equal(pred.coords, ref.coords)


def test_renumbered_prediction_falls_back_to_sequence(ntl9):
    from dataclasses import replace

    topo = ntl9.topology
    shifted = replace(ntl9, topology=replace(topo, res_ids=topo.res_ids + 100))
    # drop the first residue of the prediction: 51 of 52 residues (98 %) still match
    shifted = shifted.select_atoms(shifted.topology.residue_index() > 0)
    pred, ref, info = match_ensembles(shifted, ntl9)
    assert info["by"] == "sequence" and info["residues"] == 51
    assert list(pred.topology.atom_names) == list(ref.topology.atom_names)
    np.testing.assert_array_equal(pred.topology.res_ids - 100, ref.topology.res_ids)
    np.testing.assert_array_equal(pred.coords, ref.coords)


def test_other_protein_fails_with_sequence_message(shared_data, ntl9):
    trp_cage = load(shared_data / "nmr" / "1l2y.pdb")
    with pytest.raises(TopologyMismatchError, match="sequences disagree"):
        match_ensembles(trp_cage, ntl9)


def test_missing_side_chain_atoms_are_left_out(ntl9):
    keep = ~((ntl9.topology.residue_index() == 3) & ~np.isin(ntl9.topology.atom_names, ["N", "CA", "C", "O"]))
    pred, ref, info = match_ensembles(ntl9.select_atoms(keep), ntl9)
    assert info["residues"] == 52
    assert info["atoms"] == ntl9.protein().n_atoms - (~keep & ntl9.topology.protein_heavy()).sum()
    np.testing.assert_array_equal(pred.coords, ref.coords)
