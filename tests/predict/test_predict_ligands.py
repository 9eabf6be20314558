"""Predicting a protein-ligand complex: the ligand is sampled with the protein and written with its chemistry."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dynafold.io import load
from dynafold.predict import geometry, sample_ensemble
from dynafold.predict.outputs import summary, write_outputs

POCKET = Path(__file__).resolve().parents[1] / "data" / "prolif_pocket"


@pytest.fixture(scope="module")
def complex_frame():
    return load(POCKET / "pocket.xtc", POCKET / "pocket.pdb", method="md").select_frames(slice(0, 1))


def _heavy_ligand_atoms(ens):
    lig = ens.ligands[0]
    return lig.atom_index[ens.topology.elements[lig.atom_index] != "H"]


def test_complex_is_sampled_with_every_ligand_heavy_atom(complex_frame, tiny_checkpoint, tmp_path):
    pred = sample_ensemble(complex_frame, method="md", n_samples=2, steps=3, checkpoint=tiny_checkpoint)
    heavy = _heavy_ligand_atoms(complex_frame)
    ens = pred.ensemble
    n_residues = len(pred.rmsf_A)  # residues with a complete backbone
    assert ens.n_atoms == int(ens.topology.is_protein().sum()) + len(heavy)
    assert ens.topology.is_protein()[:-len(heavy)].all()
    assert len(ens.ligands) == 1 and ens.ligands[0].n_atoms == len(heavy)
    lig = ens.ligands[0]
    np.testing.assert_array_equal(ens.topology.atom_names[lig.atom_index], complex_frame.topology.atom_names[heavy])
    # the input's heavy-atom bonds, re-indexed onto the output
    first = complex_frame.ligands[0]
    n_heavy_bonds = int(np.isin(first.atom_index[first.bonds], heavy).all(axis=1).sum())
    assert len(lig.bonds) == n_heavy_bonds
    assert pred.ligand_bfactor_A2.shape == (len(heavy),)
    assert pred.ligand_bonds_kept.shape == pred.ligand_clashes.shape == (2,)
    assert pred.bfactor_A2.shape == (n_residues,) and ens.n_residues == n_residues + 1
    block = summary(pred, "pocket.pdb")["ligands"]
    assert block["residues"][0]["name"] == "LIG" and block["residues"][0]["heavy_atoms"] == len(heavy)
    paths = write_outputs(pred, tmp_path, "pocket", "pocket.pdb", plot=False)
    back = load(paths["ensemble"])
    assert back.n_conformers == 2 and len(back.ligands) == 1 and back.ligands[0].n_atoms == len(heavy)
    np.testing.assert_allclose(back.coords, ens.coords, atol=1e-3)


def test_a_model_without_ligand_tokens_leaves_the_ligand_out(complex_frame, tmp_path):
    import torch

    from dynafold.model import DynafoldModel, save_checkpoint
    from dynafold.model.config import MODEL_PRESETS

    torch.manual_seed(0)
    path = save_checkpoint(tmp_path / "old.safetensors",
                           DynafoldModel(replace(MODEL_PRESETS["tiny"], ligand_tokens=False)))
    pred = sample_ensemble(complex_frame, n_samples=1, steps=2, checkpoint=path)
    assert not pred.ensemble.ligands and pred.ensemble.topology.is_protein().all()
    assert any("no ligand tokens" in w and "LIG" in w for w in pred.warnings)


def test_ligand_checks_count_stretched_bonds_and_clashes(complex_frame):
    ens = complex_frame.select_atoms(complex_frame.topology.protein_heavy() | np.isin(
        np.arange(complex_frame.n_atoms), _heavy_ligand_atoms(complex_frame)))
    ref = ens.coords[0]
    same = ens.coords.copy()
    assert geometry.ligand_bonds_kept(same, ens, ref).all()
    assert (geometry.ligand_protein_clashes(same, ens, ref) == 0).all()
    lig = ens.ligands[0]
    i, j = lig.atom_index[lig.bonds[0]]
    stretched = same.copy()
    stretched[0, j] += 0.15 * (ref[j] - ref[i]) / np.linalg.norm(ref[j] - ref[i])
    assert not geometry.ligand_bonds_kept(stretched, ens, ref)[0]
    protein_atom = np.flatnonzero(ens.topology.protein_heavy())[0]
    onto = same.copy()
    onto[0, lig.atom_index[0]] = ref[protein_atom] + 0.5
    assert geometry.ligand_protein_clashes(onto, ens, ref)[0] >= 1
