"""Adapters read folders laid out like each tool's output, built from real NMR/MD data."""

from __future__ import annotations

import numpy as np
import pytest

from dynafold.bench import adapters
from dynafold.errors import DynafoldInputError, TopologyMismatchError
from dynafold.io import load, save


@pytest.fixture(scope="module")
def trp_cage(shared_data):
    return load(shared_data / "nmr" / "1l2y.pdb").select_frames(slice(0, 6))


def _same(ens, expected, atol=1.5e-3):
    assert ens.n_conformers == expected.n_conformers
    np.testing.assert_array_equal(ens.topology.atom_names, expected.topology.atom_names)
    np.testing.assert_allclose(ens.coords, expected.coords, atol=atol)


@pytest.mark.parametrize("suffix", ["cif", "pdb"])
def test_boltz2_layout(tmp_path, trp_cage, suffix):
    # boltz predict writes OUT/boltz_results_{input}/predictions/{id}/{id}_model_{k}.cif; ids lower-case
    pred = tmp_path / "boltz_results_targets" / "predictions" / "1l2y"
    for k in range(trp_cage.n_conformers):
        save(trp_cage.select_frames([k]), pred / f"1l2y_model_{k}.{suffix}")
    (pred / "confidence_1l2y_model_0.json").write_text("{}")
    files = adapters.find_prediction("boltz2", tmp_path, "1L2Y")
    assert [f.name for f in files][:3] == [f"1l2y_model_{k}.{suffix}" for k in range(3)]
    _same(adapters.read_files(files, "1L2Y"), trp_cage)
    with pytest.raises(DynafoldInputError, match="Boltz-2"):
        adapters.find_prediction("boltz2", tmp_path, "2axd")


def test_boltz2_models_must_share_atoms(tmp_path, trp_cage):
    pred = tmp_path / "predictions" / "x"
    save(trp_cage.select_frames([0]), pred / "x_model_0.pdb")
    save(trp_cage.select_frames([1]).ca(), pred / "x_model_1.pdb")
    with pytest.raises(TopologyMismatchError):
        adapters.read_files(adapters.find_prediction("boltz2", tmp_path, "x"), "x")


def test_alphaflow_layout(tmp_path, trp_cage):
    save(trp_cage, tmp_path / "1l2y.pdb")
    _same(adapters.read_files(adapters.find_prediction("alphaflow", tmp_path, "1l2y"), "1l2y"), trp_cage)
    with pytest.raises(DynafoldInputError, match="AlphaFlow"):
        adapters.find_prediction("alphaflow", tmp_path, "other")


def test_files_layout_structure_and_cif(tmp_path, trp_cage):
    save(trp_cage, tmp_path / "a.cif")
    _same(adapters.read_files(adapters.find_prediction("files", tmp_path, "a"), "a"), trp_cage)
    with pytest.raises(DynafoldInputError, match="no ensemble file named b"):
        adapters.find_prediction("files", tmp_path, "b")


def test_bioemu_and_files_trajectory_layouts(tmp_path, shared_data):
    md = load(shared_data / "md" / "mdcath_2hbaA00" / "2hbaA00_320_0.xtc",
              shared_data / "md" / "mdcath_2hbaA00" / "2hbaA00.pdb", stop=20)
    bio = tmp_path / "bioemu" / "2hbaA00"
    save(md, bio / "samples.xtc", bio / "topology.pdb")
    got = adapters.read_files(adapters.find_prediction("bioemu", tmp_path / "bioemu", "2hbaA00"), "2hbaA00")
    _same(got, md, atol=0.01)
    save(md, tmp_path / "files" / "t.xtc", tmp_path / "files" / "t.pdb")
    _same(adapters.read_files(adapters.find_prediction("files", tmp_path / "files", "t"), "t"), md, atol=0.01)
    (bio / "topology.pdb").unlink()
    with pytest.raises(DynafoldInputError, match="topology.pdb"):
        adapters.find_prediction("bioemu", tmp_path / "bioemu", "2hbaA00")


def test_unknown_tool_and_missing_folder(tmp_path):
    with pytest.raises(DynafoldInputError, match="valid: boltz2"):
        adapters.find_prediction("foo", tmp_path, "x")
    with pytest.raises(DynafoldInputError, match="not found"):
        adapters.find_prediction("files", tmp_path / "nope", "x")
