"""Written structures keep ligand bonds: PDB CONECT and mmCIF _chem_comp_bond, read back the same."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import gemmi
import numpy as np
import pytest

from dynafold.ensemble import Ensemble, Ligand
from dynafold.io import load, save, strip
from dynafold.io.ligand_files import ligand_from_code

POCKET_DIR = Path(__file__).resolve().parents[1] / "data" / "prolif_pocket"


def _renamed(ens: Ensemble, code: str) -> Ensemble:
    """The ensemble with its ligand renamed to a code outside the dictionary, so only the file's bonds describe it."""
    from dynafold.ensemble import Topology

    topo = ens.topology
    names = topo.res_names.astype(object)
    for lig in ens.ligands:
        names[lig.atom_index] = code
    fields = {f: getattr(topo, f) for f in ("chain_ids", "res_ids", "ins_codes", "atom_names", "elements", "hetero")}
    return replace(ens, topology=Topology(**fields, res_names=names.astype(str)), notes=[])


@pytest.fixture(scope="module")
def atp_like() -> Ensemble:
    """ATP's heavy atoms with the dictionary's orders, aromatic bonds and a -1 charge, as an unknown code."""
    ens = strip(ligand_from_code("ATP"))
    (lig,) = ens.ligands
    charges = lig.formal_charges.copy()
    charges[list(ens.topology.atom_names).index("O1G")] = -1
    return _renamed(replace(ens, ligands=(replace(lig, formal_charges=charges),)), "ZQX")


def _same_chemistry(a: Ligand, b: Ligand, aromatic: bool = True) -> None:
    assert np.array_equal(a.atom_index, b.atom_index)
    assert np.array_equal(a.bonds, b.bonds)
    assert np.array_equal(a.bond_orders, b.bond_orders)
    assert np.array_equal(a.formal_charges, b.formal_charges)
    if aromatic:
        assert np.array_equal(a.aromatic, b.aromatic)


def test_pdb_conect_round_trip_keeps_bonds_orders_and_charges(atp_like, tmp_path) -> None:
    kekule = replace(atp_like, ligands=(replace(atp_like.ligands[0],
                                                aromatic=np.zeros_like(atp_like.ligands[0].aromatic)),))
    save(kekule, tmp_path / "lig.pdb")
    text = (tmp_path / "lig.pdb").read_text()
    assert "CONECT" in text
    back = load(tmp_path / "lig.pdb")
    (lig,) = back.ligands
    assert lig.source == "file" and lig.formal_charges.sum() == -1
    assert (lig.bond_orders == 2).sum() == (kekule.ligands[0].bond_orders == 2).sum() > 0
    _same_chemistry(lig, kekule.ligands[0])


def test_mmcif_chem_comp_bond_round_trip_keeps_aromatic_bonds(atp_like, tmp_path) -> None:
    save(atp_like, tmp_path / "lig.cif")
    block = gemmi.cif.read(str(tmp_path / "lig.cif")).sole_block()
    assert len(block.find("_chem_comp_bond.", ["comp_id", "atom_id_1", "atom_id_2"])) == len(atp_like.ligands[0].bonds)
    back = load(tmp_path / "lig.cif")
    (lig,) = back.ligands
    assert lig.source == "file" and lig.aromatic.sum() == 10
    _same_chemistry(lig, atp_like.ligands[0])


@pytest.mark.parametrize("suffix", [".pdb", ".cif"])
def test_md_pocket_round_trip_keeps_distance_bonds_of_all_frames(tmp_path, suffix) -> None:
    ens = load(POCKET_DIR / "pocket.xtc", POCKET_DIR / "pocket.pdb", stop=3)
    out = tmp_path / f"pocket{suffix}"
    save(ens, out)
    back = load(out)
    assert back.n_conformers == 3 and len(back.ligands) == 1
    (lig,), (ref,) = back.ligands, ens.ligands
    assert ref.source == "coordinates" and lig.source == "file"
    assert np.array_equal(lig.atom_index, ref.atom_index) and np.array_equal(lig.bonds, ref.bonds)
    # orders found from coordinates are unknown (0): mmCIF keeps that, PDB CONECT states each bond once
    assert (lig.bond_orders == (0 if suffix == ".cif" else 1)).all() and (ref.bond_orders == 0).all()


def test_protein_only_pdb_has_no_conect(tmp_path) -> None:
    ens = load(POCKET_DIR / "pocket.pdb").protein()
    save(ens, tmp_path / "p.pdb")
    assert "CONECT" not in (tmp_path / "p.pdb").read_text()


def test_dictionary_ligand_keeps_dictionary_chemistry_after_writing(tmp_path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        atp = strip(ligand_from_code("ATP"))
    save(atp, tmp_path / "atp.pdb")
    back = load(tmp_path / "atp.pdb")
    assert back.ligands[0].source == "ccd"
    _same_chemistry(back.ligands[0], atp.ligands[0])
