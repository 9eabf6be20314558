"""XTC/TRR/DCD reading and writing on the real MD trajectories, checked against mdtraj."""

from __future__ import annotations

from pathlib import Path

import mdtraj
import numpy as np
import pytest

from dynafold.ensemble import Ensemble
from dynafold.errors import EmptyEnsembleError, TopologyMismatchError, TruncatedFileError
from dynafold.io import load, save
from dynafold.io.trajectory import read_trajectory, write_trajectory


def test_mdcath_xtc_matches_mdtraj(mdcath_files, mdcath_traj: Ensemble) -> None:
    xtc, pdb = mdcath_files
    ref = mdtraj.load(str(xtc), top=str(pdb))
    assert mdcath_traj.coords.shape == (500, 834, 3)
    assert mdcath_traj.method == "md"
    np.testing.assert_allclose(mdcath_traj.coords, ref.xyz * 10.0, atol=1e-4)
    np.testing.assert_allclose(mdcath_traj.times_ps, ref.time)
    assert mdcath_traj.topology.sequence() == "".join(
        r.code for r in ref.topology.residues)


def test_atlas_dcd_matches_mdtraj(atlas_files, atlas_traj: Ensemble) -> None:
    dcd, pdb = atlas_files
    ref = mdtraj.load(str(dcd), top=str(pdb))
    assert atlas_traj.coords.shape == (10, 531, 3)
    assert atlas_traj.times_ps is None  # DCD stores no frame times
    np.testing.assert_allclose(atlas_traj.coords, ref.xyz * 10.0, atol=1e-4)


def test_adk_gro_topology_protein_atoms_and_rmsf(adk_files, adk_traj: Ensemble) -> None:
    ens = adk_traj
    assert ens.coords.shape == (10, 47681, 3)
    assert int(ens.topology.is_protein().sum()) == 3341
    ca = ens.ca()
    assert ca.n_atoms == 214
    assert set(ca.topology.elements.tolist()) == {"C"}  # not calcium
    # C-alpha RMSF without fitting, float64 loop, against the MDAnalysis fixture
    xyz = ca.coords.astype(np.float64)
    rmsf = np.sqrt(((xyz - xyz.mean(axis=0)) ** 2).sum(axis=2).mean(axis=0))
    np.testing.assert_allclose(rmsf, np.load(adk_files[0].parent / "adk_oplsaa_CA_rmsf.npy"), atol=1e-3)
    np.testing.assert_allclose(ens.times_ps, np.arange(10) * 100.0, atol=1e-3)


def test_gro_topology_matches_mdtraj(adk_files, adk_traj: Ensemble) -> None:
    xtc, gro = adk_files
    topo = adk_traj.topology
    ref = mdtraj.load(str(xtc), top=str(gro), stride=5)
    np.testing.assert_array_equal(np.nonzero(topo.ca())[0], ref.topology.select("protein and name CA"))
    np.testing.assert_array_equal(np.nonzero(topo.is_protein())[0], ref.topology.select("protein"))
    assert topo.is_water().sum() == len(ref.topology.select("water"))
    np.testing.assert_allclose(adk_traj.coords[::5], ref.xyz * 10.0, atol=1e-4)
    stripped = load(xtc, gro, stop=2)
    assert stripped.n_atoms == int(topo.protein_heavy().sum())


@pytest.mark.parametrize("sl", [(None, None, None), (7, 400, 13), (None, None, 50), (-5, None, None),
                                (490, 1000, 3)])
def test_xtc_frame_slice_equals_slicing_full_load(mdcath_files, mdcath_traj: Ensemble, sl) -> None:
    part = read_trajectory(*mdcath_files, *sl)
    np.testing.assert_array_equal(part.coords, mdcath_traj.coords[slice(*sl)])
    np.testing.assert_array_equal(part.times_ps, mdcath_traj.times_ps[slice(*sl)])


@pytest.mark.parametrize("sl", [(2, 9, 3), (None, None, 4), (-3, None, None), (9, None, None)])
def test_dcd_frame_slice_equals_slicing_full_load(atlas_files, atlas_traj: Ensemble, sl) -> None:
    part = read_trajectory(*atlas_files, *sl)
    np.testing.assert_array_equal(part.coords, atlas_traj.coords[slice(*sl)])


@pytest.mark.filterwarnings("ignore:Unlikely unit cell vectors")
@pytest.mark.parametrize("suffix,atol", [(".xtc", 1e-2), (".trr", 1e-4), (".dcd", 1e-4)])
def test_write_read_roundtrip(tmp_path: Path, atlas_traj: Ensemble, suffix: str, atol: float) -> None:
    ens = atlas_traj.select_frames(slice(0, 6))
    ens.times_ps = np.arange(6, dtype=np.float64) * 250.0
    out = write_trajectory(ens, tmp_path / f"t{suffix}")
    back = read_trajectory(out, tmp_path / "t.pdb")
    np.testing.assert_allclose(back.coords, ens.coords, atol=atol)
    np.testing.assert_array_equal(back.topology.atom_names, ens.topology.atom_names)
    if suffix != ".dcd":
        np.testing.assert_allclose(back.times_ps, ens.times_ps)
    # the reference is mdtraj reading our files
    ref = mdtraj.load(str(out), top=str(tmp_path / "t.pdb"))
    np.testing.assert_allclose(ref.xyz * 10.0, ens.coords, atol=atol)
    assert not list(tmp_path.glob(".*"))  # no temporary left behind


def test_save_dispatches_to_trajectory_writer(tmp_path: Path, mdcath_traj: Ensemble) -> None:
    ens = mdcath_traj.select_frames(slice(0, 20))
    save(ens, tmp_path / "a.xtc", tmp_path / "top.pdb")
    back = load(tmp_path / "a.xtc", tmp_path / "top.pdb", keep_hydrogens=True)
    assert back.coords.shape == (20, 834, 3)
    np.testing.assert_allclose(back.coords, ens.coords, atol=1e-2)


def test_truncated_xtc(tmp_path: Path, mdcath_files) -> None:
    xtc, pdb = mdcath_files
    cut = tmp_path / "cut.xtc"
    data = xtc.read_bytes()
    cut.write_bytes(data[: len(data) // 2 + 37])
    with pytest.raises(TruncatedFileError, match="cut.xtc"):
        read_trajectory(cut, pdb)


def test_truncated_dcd(tmp_path: Path, atlas_files) -> None:
    dcd, pdb = atlas_files
    cut = tmp_path / "cut.dcd"
    data = dcd.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(TruncatedFileError, match="header announces 10 frames"):
        read_trajectory(cut, pdb)


def test_empty_trajectory_and_empty_slice(tmp_path: Path, mdcath_files) -> None:
    xtc, pdb = mdcath_files
    (tmp_path / "e.xtc").write_bytes(b"")
    with pytest.raises(EmptyEnsembleError, match="e.xtc"):
        read_trajectory(tmp_path / "e.xtc", pdb)
    with pytest.raises(EmptyEnsembleError, match="no frames"):
        read_trajectory(xtc, pdb, start=600)


def test_atom_count_mismatch_names_both_files(mdcath_files, atlas_files) -> None:
    with pytest.raises(TopologyMismatchError) as err:
        read_trajectory(atlas_files[0], mdcath_files[1])
    assert str(atlas_files[0]) in str(err.value) and str(mdcath_files[1]) in str(err.value)
    assert "531" in str(err.value) and "834" in str(err.value)



def test_silenced_output_in_threads_restores_stdout_and_stderr() -> None:
    """Readers silence C output through fd 1 and 2; threads doing so at once leave both as they found them."""
    import os
    import time
    from concurrent.futures import ThreadPoolExecutor

    from dynafold.io.trajectory import _native_output_silenced

    def silenced(_: int) -> None:
        with _native_output_silenced():
            time.sleep(0.02)  # another thread would start its redirection meanwhile

    before = [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(silenced, range(8)))
    assert [(os.fstat(fd).st_dev, os.fstat(fd).st_ino) for fd in (1, 2)] == before
