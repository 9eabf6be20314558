"""MISATO: the layout reader (io) and the curation filters (data) on files built from a real protein."""

from __future__ import annotations

import json

import numpy as np
import pytest
from dataset_files import write_misato

from dynafold.data.misato import misato_rejection
from dynafold.data.store import read_system
from dynafold.io.misato import misato_ensemble, misato_ids, misato_ligand, read_misato_system

N_FRAMES = 6


@pytest.fixture(scope="module")
def protein(shared_data):
    from dynafold.io import load

    return load(shared_data / "nmr/1l2y.pdb").protein().select_frames(slice(0, N_FRAMES))


def _ligand_near(protein, offset: np.ndarray | float = 0.0, n_atoms: int = 6) -> np.ndarray:
    """A small molecule 4 A beside the protein's last CA, shifted per frame by ``offset``."""
    ca = protein.coords[:, protein.topology.ca()][:, -1]  # (K, 3)
    ring = np.stack([np.cos(np.arange(n_atoms)), np.sin(np.arange(n_atoms)), np.zeros(n_atoms)], -1) * 1.4
    shift = np.zeros((protein.n_conformers, 1, 3))
    shift[:, 0, 0] = offset
    return (ca[:, None] + np.array([4.0, 0, 0]) + ring[None] + shift).astype(np.float32)


@pytest.fixture(scope="module")
def misato_file(protein, tmp_path_factory):
    path = tmp_path_factory.mktemp("misato") / "MD.hdf5"
    carbons = np.full(6, 6)
    drift = np.zeros(N_FRAMES)
    drift[3] = 30.0
    write_misato(path, "1KEP", protein, [(_ligand_near(protein), carbons, 0)])
    write_misato(path, "2GLY", protein, [(_ligand_near(protein), carbons, 0),
                                         (_ligand_near(protein, 3.0), carbons, 0)])
    write_misato(path, "3PEP", protein, [(_ligand_near(protein), np.array([7, 6, 6, 8, 6, 6]), 2)])
    write_misato(path, "4DRF", protein, [(_ligand_near(protein, drift), carbons, 0)])
    return path


def test_reader_recovers_protein_atoms(protein, misato_file) -> None:
    assert misato_ids(misato_file) == ["1KEP", "2GLY", "3PEP", "4DRF"]
    ens = misato_ensemble(read_misato_system(misato_file, "1KEP"))
    assert ens.n_conformers == N_FRAMES and ens.n_residues == protein.n_residues == 20
    assert ens.topology.sequence() == protein.topology.sequence()
    # every heavy atom comes back with its name, in residue order
    for res in range(20):
        ref = protein.topology.residue_index() == res
        got = ens.topology.residue_index() == res
        ref_atoms = dict(zip(protein.topology.atom_names[ref], protein.coords[:, ref].transpose(1, 0, 2)))
        got_atoms = dict(zip(ens.topology.atom_names[got], ens.coords[:, got].transpose(1, 0, 2)))
        assert ref_atoms.keys() == got_atoms.keys()
        for name in ref_atoms:
            assert np.allclose(ref_atoms[name], got_atoms[name], atol=1e-5)


def test_filters_one_system_per_rule(misato_file) -> None:
    reasons = {pid: misato_rejection(read_misato_system(misato_file, pid)) for pid in misato_ids(misato_file)}
    assert reasons["1KEP"] is None
    assert "spans 2 residues" in reasons["2GLY"]
    assert "peptide" in reasons["3PEP"]
    assert "12 A" in reasons["4DRF"]
    assert "peptide" in misato_rejection(read_misato_system(misato_file, "1KEP"), frozenset({"1kep"}))


def test_prepare_misato_keeps_only_good_system(misato_file, tmp_path) -> None:
    from click.testing import CliRunner

    from dynafold.cli.prepare import prepare

    result = CliRunner().invoke(prepare, ["misato", str(misato_file), "--out", str(tmp_path / "s"), "--quiet"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "s/manifest.json").read_text())
    assert [(s["name"], s["n_conformers"], s["method"]) for s in manifest["systems"]] == [("1kep", N_FRAMES, "md")]
    assert sorted(r["name"] for r in manifest["rejected"]) == ["2gly", "3pep", "4drf"]


def test_prepare_misato_stores_the_ligand(protein, misato_file, tmp_path) -> None:
    from dynafold.data.prepare import prepare_store

    prepare_store("misato", [misato_file], tmp_path / "s")
    stored = read_system(tmp_path / "s/1kep.npz")
    lig = stored.ligands
    assert lig.coords.shape == (N_FRAMES, 6, 3)
    assert np.allclose(lig.coords, _ligand_near(protein), atol=1e-5)
    assert lig.topology.res_names.tolist() == ["MOL"] * 6 and lig.topology.chain_ids.tolist() == ["B"] * 6
    assert lig.topology.atom_names.tolist() == ["C1", "C2", "C3", "C4", "C5", "C6"]
    (chem,) = lig.ligands
    assert chem.source == "coordinates" and len(chem.bonds) > 0
    assert stored.meta["ligands"][0]["n_atoms"] == 6


def _two_chains(protein):
    """The protein and a copy 30 A away as chain B."""
    from dataclasses import replace

    from dynafold.ensemble import Ensemble, Topology

    topo = protein.topology
    fields = ("chain_ids", "res_ids", "ins_codes", "res_names", "atom_names", "elements", "hetero")
    joined = {f: np.concatenate([getattr(topo, f), getattr(topo, f)]) for f in fields}
    joined["chain_ids"] = np.array(["A"] * topo.n_atoms + ["B"] * topo.n_atoms)
    coords = np.concatenate([protein.coords, protein.coords + np.float32(30.0)], axis=1)
    return replace(Ensemble(topology=Topology(**joined), coords=coords, method="md"), notes=[])


def test_chains_in_one_molecule_and_element_codes_only(protein, tmp_path) -> None:
    # MISATO stores several chains in one molecule (a C-terminal OXT inside it); atoms_element holds
    # MISATO's element codes (1 H, 2 C, 3 N, 4 O, ...), not atomic numbers
    both = _two_chains(protein)
    path = write_misato(tmp_path / "MD.hdf5", "5ABC", both, [(_ligand_near(both), np.full(6, 6), 0)],
                        one_molecule=True, atoms_number=False)
    system = read_misato_system(path, "5ABC")
    assert len(system.molecule_ranges()) == 2
    ens = misato_ensemble(system)
    assert ens.topology.chain_ids[ens.topology.residue_starts()].tolist() == ["A"] * 20 + ["B"] * 20
    assert ens.topology.sequence() == protein.topology.sequence() * 2
    assert sorted(ens.topology.elements.tolist()) == sorted(both.topology.elements.tolist())
    assert misato_ligand(system).topology.chain_ids[0] == "C"


def test_empty_last_molecule_is_ignored(protein, tmp_path) -> None:
    import h5py

    path = write_misato(tmp_path / "MD.hdf5", "1KEP", protein, [(_ligand_near(protein), np.full(6, 6), 0)])
    with h5py.File(path, "a") as f:
        starts = f["1KEP/molecules_begin_atom_index"][()]
        del f["1KEP/molecules_begin_atom_index"]
        f["1KEP/molecules_begin_atom_index"] = np.append(starts, len(f["1KEP/atoms_residue"]))
    system = read_misato_system(path, "1KEP")
    assert misato_rejection(system) is None and misato_ligand(system).n_atoms == 6
