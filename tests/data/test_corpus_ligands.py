"""The corpus keeps the ligands of its two GPCR trajectories: real excerpts through the corpus conversion and prepare."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from dynafold.data.prepare import prepare_store
from dynafold.data.sources import SourceOptions
from dynafold.data.store import read_system
from training_scripts import training_script

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def corpus():
    with training_script("corpus") as module:
        yield module


@pytest.fixture(scope="module")
def store(corpus, tmp_path_factory) -> Path:
    """Both excerpts prepared as training/corpus.py prepares the full trajectories."""
    work = tmp_path_factory.mktemp("corpus")
    (b2ar,) = [s for s in corpus.SYSTEMS if s.name == "mdciao_gs_b2ar"]
    src = DATA / "b2ar_pocket"
    note = corpus._convert([src / "pocket.xtc", src / "pocket.pdb"], work / "b2ar.xtc", work / "b2ar.pdb", work,
                           b2ar)
    assert note.endswith("ligands kept: P0G (27 heavy atoms)")
    out = work / "store"
    prepare_store("traj", [work / "b2ar.xtc"], out, SourceOptions(topology=str(work / "b2ar.pdb")))
    prolif = DATA / "prolif_pocket"
    prepare_store("traj", [prolif / "pocket.xtc"], out, SourceOptions(topology=str(prolif / "pocket.pdb")))
    return out


def test_store_counts_of_the_two_gpcr_excerpts(store) -> None:
    manifest = json.loads((store / "manifest.json").read_text())
    counts = {s["name"]: (s["n_conformers"], s["n_residues"], s["n_atoms"],
                          [(lig["res_name"], lig["n_atoms"], lig["n_bonds"]) for lig in s["ligands"]])
              for s in manifest["systems"]}
    assert counts == {"b2ar": (6, 33, 283, [("P0G", 27, 29)]), "pocket": (25, 82, 675, [("LIG", 43, 50)])}
    assert manifest["counts"] == {"traj": {"systems": 2, "conformers": 31}}
    assert manifest["rejected"] == [] and manifest["failed"] == []


def test_b2ar_chains_split_where_numbers_fall_and_ligand_frames_kept(store) -> None:
    stored = read_system(store / "b2ar.npz")
    keys = stored.ensemble.topology.residue_keys()
    assert [k[:2] for k in keys[:4]] == [("A", 392), ("A", 393), ("A", 394), ("B", 82)]
    lig = stored.ligands
    assert lig.coords.shape == (6, 27, 3) and set(lig.topology.chain_ids.tolist()) == {"B"}
    assert sorted(set(lig.topology.elements.tolist())) == ["C", "N", "O"]
    assert (lig.topology.elements == "C").sum() == 21
    # the ligand moves with the protein: every frame stays in the pocket
    protein = stored.ensemble.coords
    for k in range(6):
        gap = np.linalg.norm(protein[k][:, None] - lig.coords[k][None], axis=2).min()
        assert 2.5 < gap < 4.5


def test_a_strided_conversion_keeps_every_nth_frame(corpus, tmp_path) -> None:
    import mdtraj

    (b2ar,) = [s for s in corpus.SYSTEMS if s.name == "mdciao_gs_b2ar"]
    src = [DATA / "b2ar_pocket" / "pocket.xtc", DATA / "b2ar_pocket" / "pocket.pdb"]
    whole = corpus._convert(src, tmp_path / "all.xtc", tmp_path / "all.pdb", tmp_path, b2ar)
    note = corpus._convert(src, tmp_path / "some.xtc", tmp_path / "some.pdb", tmp_path,
                           dataclasses.replace(b2ar, stride=2))
    assert "6 frames" in whole and "3 frames" in note and note.endswith("one frame in 2 kept")
    every = mdtraj.load(str(tmp_path / "all.xtc"), top=str(tmp_path / "all.pdb"))
    some = mdtraj.load(str(tmp_path / "some.xtc"), top=str(tmp_path / "some.pdb"))
    np.testing.assert_array_equal(some.xyz, every.xyz[::2])


def test_inputs_are_converted_again_when_the_conversion_settings_change(corpus, tmp_path) -> None:
    (b2ar,) = [s for s in corpus.SYSTEMS if s.name == "mdciao_gs_b2ar"]
    system = dataclasses.replace(b2ar, name="b2ar", files=("b2ar_pocket/pocket.xtc", "b2ar_pocket/pocket.pdb"))
    _, first = corpus.make_inputs(system, DATA, tmp_path)
    _, again = corpus.make_inputs(system, DATA, tmp_path)
    _, strided = corpus.make_inputs(dataclasses.replace(system, stride=2), DATA, tmp_path)
    assert "6 frames" in first and again == first
    assert "3 frames" in strided and strided.endswith("one frame in 2 kept")
