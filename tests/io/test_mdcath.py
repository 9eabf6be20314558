"""mdCATH HDF5 files built from the real 2hbaA00 trajectory."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from dataset_files import write_mdcath

from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError, EmptyEnsembleError, TopologyMismatchError
from dynafold.io import load
from dynafold.io.mdcath import MDCATH_FRAME_PS, mdcath_runs, read_mdcath


@pytest.fixture()
def h5(tmp_path: Path, mdcath_traj: Ensemble) -> Path:
    path = write_mdcath(mdcath_traj, tmp_path / "mdcath_dataset_2hbaA00.h5", domain="2hbaA00")
    write_mdcath(mdcath_traj.select_frames(slice(100, 160)), path, domain="2hbaA00",
                 temperature=348, replica=2)
    return path


def test_layout_matches_mdcath(h5: Path) -> None:
    with h5py.File(h5) as f:
        assert list(f) == ["2hbaA00"]
        assert isinstance(f["2hbaA00"]["pdbProteinAtoms"][()], bytes)
        assert f["2hbaA00"]["320"]["0"]["coords"].shape == (500, 834, 3)
        assert f["2hbaA00"]["348"]["2"]["coords"].shape == (60, 834, 3)


def test_roundtrip_equals_real_trajectory(h5: Path, mdcath_traj: Ensemble) -> None:
    ens = read_mdcath(h5)
    assert ens.method == "md" and ens.name == "2hbaA00_320_0"
    np.testing.assert_array_equal(ens.coords, mdcath_traj.coords)
    for field in ("chain_ids", "res_ids", "res_names", "atom_names", "elements", "hetero"):
        np.testing.assert_array_equal(getattr(ens.topology, field), getattr(mdcath_traj.topology, field))
    np.testing.assert_allclose(ens.times_ps, np.arange(500) * MDCATH_FRAME_PS)
    other = read_mdcath(h5, "2hbaA00", temperature="348", replica="2")
    np.testing.assert_array_equal(other.coords, mdcath_traj.coords[100:160])


@pytest.mark.parametrize("sl", [(10, 300, 7), (None, None, 100), (-4, None, None)])
def test_frame_slice_equals_slicing_full_read(h5: Path, mdcath_traj: Ensemble, sl) -> None:
    part = read_mdcath(h5, start=sl[0], stop=sl[1], stride=sl[2])
    np.testing.assert_array_equal(part.coords, mdcath_traj.coords[slice(*sl)])
    np.testing.assert_allclose(part.times_ps, np.arange(500)[slice(*sl)] * MDCATH_FRAME_PS)


def test_missing_groups_list_what_exists(h5: Path) -> None:
    with pytest.raises(DynafoldInputError, match=r"no temperature '413'.*available: 320, 348"):
        read_mdcath(h5, temperature="413")
    with pytest.raises(DynafoldInputError, match=r"no replica '3'.*available: 0"):
        read_mdcath(h5, replica=3)
    with pytest.raises(DynafoldInputError, match=r"no domain '1abcA00'.*available: 2hbaA00"):
        read_mdcath(h5, domain="1abcA00")
    with pytest.raises(EmptyEnsembleError):
        read_mdcath(h5, start=500)


def test_appending_a_different_system_is_refused(h5: Path, atlas_traj: Ensemble) -> None:
    with pytest.raises(TopologyMismatchError):
        write_mdcath(atlas_traj, h5, domain="2hbaA00", temperature="379")


def test_load_cuts_corrupt_frames_at_the_end(h5: Path, mdcath_traj: Ensemble) -> None:
    with h5py.File(h5, "a") as f:
        coords = f["2hbaA00"]["320"]["0"]["coords"]
        coords[480:490] = 0.0  # all-zero frames
        coords[490:] = 2.0e9  # integer overflow garbage
    ens = load(h5)
    assert ens.n_conformers == 480
    assert ens.notes and "cut at frame 480 of 500" in ens.notes[0]
    heavy = mdcath_traj.topology.protein_heavy()
    np.testing.assert_array_equal(ens.coords, mdcath_traj.coords[:480][:, heavy])
    assert load(h5, temperature="348", replica="2").n_conformers == 60


def test_runs_at_the_wanted_temperatures(h5: Path) -> None:
    assert mdcath_runs(h5, ("320",)) == [("2hbaA00", "320", "0")]
    assert mdcath_runs(h5, ("348", "320", "400")) == [("2hbaA00", "348", "2"), ("2hbaA00", "320", "0")]
