"""Ligand chemistry on load: the Chemical Component Dictionary for known codes, distances otherwise."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dynafold.ensemble import Ensemble, Ligand
from dynafold.errors import LigandError, TopologyMismatchError
from dynafold.io import load
from dynafold.io.ligands import ligand_chemistry

POCKET_DIR = Path(__file__).resolve().parents[1] / "data" / "prolif_pocket"
POCKET = (POCKET_DIR / "pocket.xtc", POCKET_DIR / "pocket.pdb")


def _components(n_atoms: int, bonds: np.ndarray) -> int:
    """Number of connected components of a bond graph."""
    label = np.arange(n_atoms)
    for _ in range(n_atoms):
        for a, b in bonds:
            label[a] = label[b] = min(label[a], label[b])
    return len(np.unique(label))


def _ligand(ens: Ensemble, code: str) -> Ligand:
    return next(lig for lig in ens.ligands if lig.residue_name(ens.topology) == code)


def test_md_ligand_written_as_atom_records_is_kept_and_bonded_from_coordinates() -> None:
    ens = load(*POCKET)
    assert len(ens.ligands) == 1
    lig = ens.ligands[0]
    assert lig.residue_name(ens.topology) == "LIG"
    assert ens.topology.chain_ids[lig.atom_index[0]] == "G"
    # 'LIG' is a dictionary code, but of another molecule: its atom names differ, so bonds come from distances
    assert lig.source == "coordinates"
    assert lig.n_atoms == 43 and (ens.topology.elements[lig.atom_index] != "H").all()
    assert len(lig.bonds) == 50 and _components(lig.n_atoms, lig.bonds) == 1
    assert (lig.bond_orders == 0).all() and not lig.aromatic.any() and not lig.formal_charges.any()
    lengths = np.linalg.norm(np.subtract(*ens.coords[0][lig.atom_index[lig.bonds]].transpose(1, 0, 2)), axis=-1)
    assert 1.15 < lengths.min() and lengths.max() < 1.9


def test_force_field_hydrogens_get_one_bond_each() -> None:
    ens = load(*POCKET, keep_hydrogens=True)
    lig = ens.ligands[0]
    hydrogen = ens.topology.elements[lig.atom_index] == "H"
    assert lig.n_atoms == 79 and hydrogen.sum() == 36
    degree = np.bincount(lig.bonds.ravel(), minlength=lig.n_atoms)
    assert (degree[hydrogen] == 1).all()
    assert len(lig.bonds) == 50 + 36
    # stripping the hydrogens keeps the heavy-atom graph
    heavy = ens.select_atoms(~ens.topology.is_hydrogen())
    np.testing.assert_array_equal(heavy.ligands[0].bonds, load(*POCKET).ligands[0].bonds)


def test_dictionary_chemistry_of_crystal_ligands(shared_data: Path) -> None:
    ens = load(shared_data / "xray" / "3o5r.pdb")
    fk5 = _ligand(ens, "FK5")
    assert fk5.source == "ccd" and fk5.n_atoms == 57
    # FK506: two C=C and five C=O, no aromatic ring, neutral
    assert (fk5.bond_orders == 2).sum() == 7 and not fk5.aromatic.any() and not fk5.formal_charges.any()
    # the dictionary's bond graph is the one the crystal coordinates show
    by_distance = ligand_chemistry("UNKNOWN", ens.topology.atom_names[fk5.atom_index],
                                   ens.topology.elements[fk5.atom_index],
                                   ens.coords[0, fk5.atom_index].astype(np.float64))
    assert by_distance.source == "coordinates"
    np.testing.assert_array_equal(fk5.bonds, by_distance.bonds)

    ens = load(shared_data / "xray" / "3wip.pdb")
    assert _ligand(ens, "SO4").formal_charges.sum() == -2
    assert _ligand(ens, "ACH").formal_charges.sum() == 1  # acetylcholine
    gtp = _ligand(load(shared_data / "xray" / "4gxy.pdb"), "GTP")
    assert gtp.source == "ccd" and gtp.aromatic.sum() == 5  # the dictionary flags the imidazole ring


def test_protein_only_input_has_no_ligands_and_does_not_import_biotite(shared_data: Path) -> None:
    script = ("import sys\nfrom dynafold.io import load\nens = load(sys.argv[1])\n"
              "print(len(ens.ligands), 'biotite' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(shared_data / "nmr" / "1l2y.pdb")],
                          capture_output=True, text=True, timeout=300)
    assert proc.stdout.split() == ["0", "False"]


def test_selections_reindex_and_drop_ligands() -> None:
    ens = load(*POCKET)
    assert ens.protein().ligands == ()
    reverse = ens.select_atoms(np.arange(ens.n_atoms)[::-1])
    a, b = ens.ligands[0], reverse.ligands[0]
    np.testing.assert_array_equal(reverse.topology.atom_names[b.atom_index], ens.topology.atom_names[a.atom_index])
    np.testing.assert_array_equal(reverse.coords[:, b.atom_index], ens.coords[:, a.atom_index])
    np.testing.assert_array_equal(b.bonds, a.bonds)
    assert ens.select_frames(slice(0, 3)).ligands == ens.ligands


def test_ligand_outside_the_topology_is_refused() -> None:
    ens = load(*POCKET)
    with pytest.raises(TopologyMismatchError, match="ligand refers to atom"):
        Ensemble(topology=ens.topology.subset(slice(0, 10)), coords=ens.coords[:, :10], ligands=ens.ligands)


def test_caps_and_nucleotides_are_not_ligands() -> None:
    ens = load(*POCKET)
    topo = ens.topology.subset(slice(0, 3))
    capped = replace(topo, res_names=np.array(["ACE", "NME", "DA"]), hetero=np.array([True, False, False]))
    assert not capped.is_ligand().any()


@pytest.mark.parametrize(("code", "names", "problem"), [
    ("ZZZ9Q", ["C1", "C2"], "ligand ZZZ9Q is not in the Chemical Component Dictionary"),
    ("ATP", ["C1", "C2"], "ligand ATP has atom names that differ from its Chemical Component Dictionary entry"),
])
def test_unresolvable_ligand_is_one_line_error(code: str, names: list[str], problem: str) -> None:
    with pytest.raises(LigandError) as err:
        ligand_chemistry(code, np.array(names), np.array(["C", "C"]), None)
    assert str(err.value) == f"{problem}, and there are no coordinates to find its bonds from"
    with pytest.raises(LigandError):
        ligand_chemistry(code, np.array(names), np.array(["C", "C"]), np.full((2, 3), np.nan))


def test_known_code_without_coordinates_uses_the_dictionary() -> None:
    lig = ligand_chemistry("SO4", np.array(["S", "O1", "O2", "O3", "O4"]), np.array(["S", "O", "O", "O", "O"]), None)
    assert lig.source == "ccd"
    np.testing.assert_array_equal(lig.bonds, [[0, 1], [0, 2], [0, 3], [0, 4]])
    assert sorted(lig.bond_orders.tolist()) == [1, 1, 2, 2]


def test_modified_residue_of_the_chain_is_not_a_ligand(shared_data: Path) -> None:
    ens = load(shared_data / "nmr" / "nmr_neopetrosiamide.pdb")
    sme = ens.topology.res_names == "SME"  # methionine sulfoxide, a HETATM residue with a peptide backbone
    assert sme.any() and ens.topology.hetero[sme].all()
    assert not ens.topology.is_ligand().any() and ens.ligands == ()
