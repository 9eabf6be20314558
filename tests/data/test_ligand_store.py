"""Ligands in the store: prepare keeps an MD trajectory's ligands (real GPCR pocket excerpt) under the MISATO rules."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dynafold.data.ligands import split_ligands
from dynafold.data.prepare import prepare_store
from dynafold.data.sources import SourceOptions
from dynafold.data.store import read_system, write_system
from dynafold.data.targets import residue_targets
from dynafold.ensemble import Topology
from dynafold.io import load

POCKET_DIR = Path(__file__).resolve().parents[1] / "data" / "prolif_pocket"
POCKET = (POCKET_DIR / "pocket.xtc", POCKET_DIR / "pocket.pdb")
PROTEIN_KEYS = {"chain_ids", "res_ids", "ins_codes", "res_names", "atom_names", "elements", "hetero",
                "rmsf_A", "rmsf_mask", "bfactor_A2", "bfactor_mask", "coords", "mask", "meta"}


@pytest.fixture(scope="module")
def pocket():
    return load(*POCKET)


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("store")
    prepare_store("traj", [POCKET[0]], out, SourceOptions(topology=str(POCKET[1])))
    return out


def test_prepare_keeps_the_ligand_of_the_real_pocket(store, pocket) -> None:
    manifest = json.loads((store / "manifest.json").read_text())
    (entry,) = manifest["systems"]
    assert (entry["n_conformers"], entry["n_residues"], entry["n_atoms"]) == (25, 82, 675)
    assert entry["ligands"] == [{"res_name": "LIG", "chain_id": "G", "res_id": 1, "n_atoms": 43, "n_bonds": 50,
                                 "source": "coordinates"}]
    assert "ligands_dropped" not in entry and manifest["rejected"] == []
    stored = read_system(store / entry["file"])
    lig = stored.ligands
    assert lig.coords.shape == (25, 43, 3) and lig.coords.dtype == np.float32
    source = pocket.ligands[0]
    assert np.array_equal(lig.coords, pocket.coords[:, source.atom_index])
    assert lig.topology.elements.tolist() == pocket.topology.elements[source.atom_index].tolist()
    assert set(lig.topology.res_names.tolist()) == {"LIG"} and not lig.topology.is_hydrogen().any()
    (chem,) = lig.ligands
    assert np.array_equal(chem.bonds, source.bonds) and np.array_equal(chem.bond_orders, source.bond_orders)
    assert np.array_equal(chem.atom_index, np.arange(43)) and chem.source == "coordinates"
    # the protein part is what it was before ligands were kept
    assert stored.ensemble.ligands == () and np.array_equal(stored.ensemble.coords, pocket.protein().coords)


def test_ligand_arrays_of_the_system_file(store) -> None:
    with np.load(store / "pocket.npz") as z:
        assert z["ligand_coords"].shape == (25, 43, 3) and z["ligand_coords"].dtype == np.float32
        assert z["ligand_index"].tolist() == [0] * 43
        assert z["ligand_bonds"].shape == (50, 2) and (z["ligand_bonds"][:, 0] < z["ligand_bonds"][:, 1]).all()
        assert z["ligand_bond_orders"].dtype == np.int8 and z["ligand_bond_aromatic"].dtype == bool
        assert z["ligand_formal_charges"].dtype == np.int8 and z["ligand_sources"].tolist() == ["coordinates"]
        assert z["ligand_res_names"].tolist() == ["LIG"] * 43


def test_protein_only_system_files_keep_their_arrays(pocket, tmp_path) -> None:
    protein = pocket.protein()
    entry = write_system(tmp_path, protein, residue_targets(protein), {"name": "p", "source": "traj"})
    assert "ligands" not in entry
    with np.load(tmp_path / "p.npz") as z:
        assert set(z.files) == PROTEIN_KEYS
    assert read_system(tmp_path / "p.npz").ligands is None


def _moved(ens, frame: int, shift: float):
    coords = ens.coords.copy()
    coords[frame, ens.ligands[0].atom_index, 0] += shift
    return replace(ens, coords=coords, notes=[])


def test_ligand_leaving_the_protein_in_one_frame_is_dropped_and_recorded(pocket) -> None:
    protein, ligands, dropped = split_ligands(_moved(pocket, 7, 60.0))
    assert ligands is None and protein.n_conformers == 25
    assert dropped == [{"ligand": "LIG G 1",
                        "reason": dropped[0]["reason"]}] and "in 1 of 25 frames (first: frame 7" in dropped[0]["reason"]
    assert protein.notes == [f"ligand LIG G 1 dropped: {dropped[0]['reason']}"]
    # within 12 A in every frame: kept
    assert split_ligands(_moved(pocket, 7, 1.0))[1] is not None


def _with_ligand_name(ens, name: str):
    topo = ens.topology
    names = topo.res_names.astype(object)
    names[ens.ligands[0].atom_index] = name
    return replace(ens, topology=Topology(**{**{f: getattr(topo, f) for f in
                                                ("chain_ids", "res_ids", "ins_codes", "atom_names", "elements",
                                                 "hetero")}, "res_names": names.astype(str)}), notes=[])


def test_amino_acid_ligand_is_dropped_as_a_peptide(pocket) -> None:
    # D-alanine: linked as a peptide in the Chemical Component Dictionary
    _, ligands, dropped = split_ligands(_with_ligand_name(pocket, "DAL"))
    assert ligands is None and dropped[0]["reason"] == "peptide or modified amino acid"


def test_bonded_ligand_residues_are_dropped_as_one_multi_residue_ligand(pocket) -> None:
    # cut the real ligand into two residues that stay bonded to each other, as the sugars of a glycan are
    topo = pocket.topology
    atoms = pocket.ligands[0].atom_index
    res_ids = topo.res_ids.copy()
    res_ids[atoms[20:]] = 2
    ens = replace(pocket, topology=Topology(**{**{f: getattr(topo, f) for f in
                                                  ("chain_ids", "ins_codes", "res_names", "atom_names", "elements",
                                                   "hetero")}, "res_ids": res_ids}), notes=[])
    from dynafold.io.ligands import attach_ligands

    ens = attach_ligands(replace(ens, ligands=()))
    assert len(ens.ligands) == 2
    protein, ligands, dropped = split_ligands(ens)
    assert ligands is None
    assert [d["ligand"] for d in dropped] == ["LIG G 1", "LIG G 2"]
    assert all(d["reason"].startswith("multi-residue ligand (2 residues") for d in dropped)


def test_prepare_records_dropped_ligands_in_the_manifest(pocket, tmp_path) -> None:
    from dynafold.io import save

    moved = _moved(pocket, 3, 60.0)
    save(moved, tmp_path / "far.xtc", tmp_path / "far.pdb")
    prepare_store("traj", [tmp_path / "far.xtc"], tmp_path / "s", SourceOptions(topology=str(tmp_path / "far.pdb")))
    (entry,) = json.loads((tmp_path / "s/manifest.json").read_text())["systems"]
    assert "ligands" not in entry
    assert entry["ligands_dropped"][0]["ligand"] == "LIG G 1"
    assert "frame 3" in entry["ligands_dropped"][0]["reason"]
    assert read_system(tmp_path / "s/far.npz").ligands is None
