"""Constants: method labels, bin edges, residue tables agree with each other."""

from __future__ import annotations

import numpy as np
import pytest

from dynafold import const
from dynafold.errors import DynafoldInputError


@pytest.mark.parametrize("label, canonical", [("md", "md"), (" X-Ray ", "xray"), ("Cryo-EM", "em"),
                                               ("solution NMR", "nmr"), ("AFDB", "afdb")])
def test_canonical_method(label, canonical):
    assert const.canonical_method(label) == canonical


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(DynafoldInputError, match="unknown method 'crystal'; valid: md, xray, em, nmr, other, afdb"):
        const.canonical_method("crystal")


def test_check_method_takes_only_canonical_labels():
    assert [const.check_method(m) for m in const.METHOD_IDS] == list(const.METHOD_IDS)
    with pytest.raises(DynafoldInputError, match="unknown method 'X-ray'; valid: md, xray"):
        const.check_method("X-ray")


def test_method_tables():
    assert sorted(const.METHOD_IDS.values()) == list(range(const.NUM_METHODS))
    assert const.DEFAULT_METHOD in const.METHOD_IDS
    assert set(const.METHOD_ALIASES.values()) <= set(const.METHOD_IDS)


def test_bin_edges():
    assert len(const.DISTOGRAM_BOUNDARIES_A) == const.DISTOGRAM_NUM_BINS - 1
    assert const.DISTOGRAM_BOUNDARIES_A[[0, -1]].tolist() == [const.DISTOGRAM_MIN_A, const.DISTOGRAM_MAX_A]
    assert len(const.BFACTOR_BOUNDARIES_A2) == const.BFACTOR_NUM_BINS - 1
    assert np.all(np.diff(const.BFACTOR_BOUNDARIES_A2) > 0)
    assert const.DEBYE_WALLER_FACTOR == pytest.approx(26.3189, abs=1e-4)  # 8 pi^2 / 3


def test_residue_tables():
    assert len(const.AMINO_ACIDS_3TO1) == 20 and len(set(const.AMINO_ACIDS_3TO1.values())) == 20
    assert const.RESIDUE_TYPES[-1] == "UNK" and const.NUM_RESIDUE_TYPES == 21
    assert set(const.RESIDUE_HEAVY_ATOMS) == set(const.AMINO_ACIDS_3TO1)
    for res, atoms in const.RESIDUE_HEAVY_ATOMS.items():
        assert atoms[:4] == const.BACKBONE_ATOMS, res
        assert len(set(atoms)) == len(atoms) <= 14, res
        assert ("CB" in atoms) == (res != "GLY"), res
    assert set(const.RESIDUE_ALIASES.values()) <= set(const.AMINO_ACIDS_3TO1)
    assert const.canonical_residue("HIE") == "HIS" and const.canonical_residue("ALA") == "ALA"
    assert const.canonical_residue("LIG") == "LIG"
    assert not const.WATER_NAMES & const.ION_NAMES


def test_atom14_layout_names_its_slots():
    assert const.CA_SLOT == 1 and const.CB_SLOT == 4 and const.NUM_ATOM_SLOTS == 14
    assert all(const.ATOM14_SLOT[res]["CA"] == const.CA_SLOT for res in const.RESIDUE_TYPES)
    assert all(const.ATOM14_SLOT[res]["CB"] == const.CB_SLOT for res in const.RESIDUE_HEAVY_ATOMS if res != "GLY")
    assert max(len(atoms) for atoms in const.RESIDUE_HEAVY_ATOMS.values()) == const.NUM_ATOM_SLOTS
    elements = const.slot_elements()
    cys = const.RESIDUE_TYPES.index("CYS")
    assert elements.shape == (const.NUM_RESIDUE_TYPES, const.NUM_ATOM_SLOTS)
    assert const.ATOM_ELEMENTS[elements[cys, const.ATOM14_SLOT["CYS"]["SG"]]] == "S"
    assert (elements[const.RESIDUE_TYPES.index("GLY"), 4:] == len(const.ATOM_ELEMENTS)).all()
