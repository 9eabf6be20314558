"""Amber NetCDF trajectories and PSF / Amber prmtop topologies, read through mdtraj.

The PSF and prmtop files are written here from the ATLAS PDB topology, with
only the sections mdtraj reads; the NetCDF file is the ATLAS DCD rewritten.
"""

from __future__ import annotations

from pathlib import Path

import mdtraj
import numpy as np
import pytest

from dynafold.ensemble import Ensemble, Topology
from dynafold.errors import DynafoldInputError, TruncatedFileError
from dynafold.io import load
from dynafold.io.trajectory import read_topology, read_trajectory, write_trajectory

_MASS = {"C": 12.011, "N": 14.007, "O": 15.999, "S": 32.06, "H": 1.008}
_NUMBER = {"C": 6, "N": 7, "O": 8, "S": 16, "H": 1}


def _residue_starts(topo: Topology) -> list[int]:
    keys = list(zip(topo.chain_ids, topo.res_ids, topo.ins_codes))
    return [i for i in range(len(keys)) if i == 0 or keys[i] != keys[i - 1]]


def _write_psf(topo: Topology, path: Path, segments: tuple[str, str] = ("PROA", "PROA")) -> None:
    """Minimal CHARMM PSF (NATOM and an empty NBOND section); the second half of the
    residues gets segment ``segments[1]``."""
    starts = _residue_starts(topo)
    second = starts[len(starts) // 2]
    lines = ["PSF", "", "       1 !NTITLE", " REMARKS test topology", "", f"{topo.n_atoms:8d} !NATOM"]
    for i in range(topo.n_atoms):
        seg = segments[1] if i >= second else segments[0]
        el = str(topo.elements[i])
        lines.append(f"{i + 1:8d} {seg:<4s} {int(topo.res_ids[i]):<4d} {topo.res_names[i]:<4s} "
                     f"{topo.atom_names[i]:<4s} {el:<4s} {0.0:10.6f} {_MASS[el]:13.4f}           0")
    lines += ["", "       0 !NBOND: bonds", "", ""]
    path.write_text("\n".join(lines))


def _write_prmtop(topo: Topology, path: Path) -> None:
    """Minimal Amber prmtop: pointers, atom names, residue labels and pointers, elements."""
    starts = _residue_starts(topo)

    def section(flag: str, fmt: str, width: int, per_line: int, items: list) -> list[str]:
        cells = [f"{x:>{width}}" if isinstance(x, int) else f"{x:<{width}}" for x in items]
        body = ["".join(cells[i:i + per_line]) for i in range(0, len(cells), per_line)] or [""]
        return [f"%FLAG {flag}", f"%FORMAT({fmt})", *body]

    pointers = [0] * 31
    pointers[0], pointers[11] = topo.n_atoms, len(starts)
    lines = ["%VERSION  VERSION_STAMP = V0001.000  DATE = 01/01/00  00:00:00"]
    lines += section("POINTERS", "10I8", 8, 10, pointers)
    lines += section("ATOM_NAME", "20a4", 4, 20, [str(n) for n in topo.atom_names])
    lines += section("RESIDUE_LABEL", "20a4", 4, 20, [str(topo.res_names[i]) for i in starts])
    lines += section("RESIDUE_POINTER", "10I8", 8, 10, [i + 1 for i in starts])
    lines += section("ATOMIC_NUMBER", "10I8", 8, 10, [_NUMBER[str(e)] for e in topo.elements])
    lines += section("BONDS_INC_HYDROGEN", "10I8", 8, 10, [])
    lines += section("BONDS_WITHOUT_HYDROGEN", "10I8", 8, 10, [])
    path.write_text("\n".join(lines) + "\n")


def _mdtraj_heavy_names(pdb: Path) -> np.ndarray:
    """Heavy-atom names of a PDB as mdtraj standardises them (OT1/OT2 -> O/OXT)."""
    top = mdtraj.load_topology(str(pdb))
    return np.array([a.name for a in top.atoms if a.element.symbol != "H"])


def test_netcdf_matches_dcd_and_mdtraj(tmp_path: Path, atlas_files, atlas_traj: Ensemble) -> None:
    nc = write_trajectory(atlas_traj.select_frames(slice(None)), tmp_path / "atlas.nc", tmp_path / "top.pdb")
    ens = read_trajectory(nc, atlas_files[1])
    np.testing.assert_allclose(ens.coords, atlas_traj.coords, atol=1e-3)
    np.testing.assert_allclose(ens.times_ps, np.arange(10.0))
    ref = mdtraj.load(str(nc), top=str(atlas_files[1]))
    np.testing.assert_allclose(ens.coords, ref.xyz * 10.0, atol=1e-4)
    part = read_trajectory(nc, atlas_files[1], start=2, stop=9, stride=3)
    np.testing.assert_allclose(part.coords, ens.coords[2:9:3])


def test_psf_topology_chains_from_segments(tmp_path: Path, atlas_files, atlas_traj: Ensemble) -> None:
    pdb_topo = atlas_traj.topology
    psf = tmp_path / "atlas.psf"
    _write_psf(pdb_topo, psf, segments=("PROA", "PROB"))
    topo = read_topology(psf)
    heavy = pdb_topo.elements != "H"
    np.testing.assert_array_equal(topo.atom_names[heavy], _mdtraj_heavy_names(atlas_files[1]))
    np.testing.assert_array_equal(topo.res_ids, pdb_topo.res_ids)
    np.testing.assert_array_equal(topo.elements, pdb_topo.elements)
    assert topo.sequence() == pdb_topo.sequence()
    assert sorted(set(topo.chain_ids.tolist())) == ["A", "B"]  # one chain per segment
    ens = load(atlas_files[0], psf)
    np.testing.assert_allclose(ens.coords, load(*atlas_files).coords)


def test_prmtop_topology_one_chain_numbered_from_one(tmp_path: Path, atlas_files, atlas_traj: Ensemble) -> None:
    pdb_topo = atlas_traj.topology
    for suffix in (".prmtop", ".parm7"):
        prmtop = tmp_path / f"atlas{suffix}"
        _write_prmtop(pdb_topo, prmtop)
        topo = read_topology(prmtop)
        heavy = pdb_topo.elements != "H"
        np.testing.assert_array_equal(topo.atom_names[heavy], _mdtraj_heavy_names(atlas_files[1]))
        np.testing.assert_array_equal(topo.elements, pdb_topo.elements)
        assert topo.sequence() == pdb_topo.sequence()
        assert set(topo.chain_ids.tolist()) == {"A"}
        assert topo.res_ids[0] == 1 and topo.res_ids[-1] == pdb_topo.n_residues
        ens = read_trajectory(atlas_files[0], prmtop, stop=3)
        np.testing.assert_allclose(ens.coords, atlas_traj.coords[:3])


@pytest.mark.parametrize("suffix", [".psf", ".prmtop", ".parm7"])
def test_unreadable_topology_is_an_input_error(tmp_path: Path, atlas_files, suffix: str) -> None:
    bad = tmp_path / f"bad{suffix}"
    bad.write_text("this is not a topology\n")
    with pytest.raises(TruncatedFileError, match=f"cannot parse {suffix[1:].upper()} topology"):
        read_topology(bad)
    with pytest.raises(DynafoldInputError):
        load(atlas_files[0], bad)


def test_truncated_netcdf_is_an_input_error(tmp_path: Path, atlas_files, atlas_traj: Ensemble) -> None:
    nc = write_trajectory(atlas_traj, tmp_path / "atlas.nc", tmp_path / "top.pdb")
    cut = tmp_path / "cut.nc"
    cut.write_bytes(nc.read_bytes()[: nc.stat().st_size // 2])
    with pytest.raises(TruncatedFileError, match="NC"):
        read_trajectory(cut, atlas_files[1])


def test_prepare_lists_netcdf_trajectories(tmp_path: Path, atlas_traj: Ensemble) -> None:
    from dynafold.data.sources import SourceOptions, list_jobs

    write_trajectory(atlas_traj, tmp_path / "atlas.nc", tmp_path / "top.pdb")
    jobs, failed = list_jobs("traj", [tmp_path], SourceOptions(topology=str(tmp_path / "top.pdb")))
    assert [(j.name, Path(j.path).name) for j in jobs] == [("atlas", "atlas.nc")] and not failed
