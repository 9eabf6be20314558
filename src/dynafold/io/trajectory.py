"""MD trajectories (XTC, TRR, DCD, Amber NetCDF) with a PDB/mmCIF, GRO, PSF or prmtop topology, through mdtraj.

mdtraj reads the coordinates and the GRO, PSF and Amber prmtop topologies; PDB
topologies go through our own gemmi reader so atom names and elements match
every other structure we load.
Coordinates are converted from nm to Angstrom here, at the edge.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import struct
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from dynafold.ensemble import Ensemble, Topology
from dynafold.errors import (
    DynafoldError,
    DynafoldInputError,
    EmptyEnsembleError,
    TopologyMismatchError,
    TruncatedFileError,
    UnknownFormatError,
)
from dynafold.io.atomic import atomic_path
from dynafold.io.headers import check_dcd, check_xtc
from dynafold.io.structure import read_structure, write_structure

NM_TO_A = 10.0
# suffix -> (mdtraj file class name, Angstrom per file length unit, file has frame times)
_FORMATS: dict[str, tuple[str, float, bool]] = {
    ".xtc": ("XTCTrajectoryFile", NM_TO_A, True),
    ".trr": ("TRRTrajectoryFile", NM_TO_A, True),
    ".dcd": ("DCDTrajectoryFile", 1.0, False),
    ".nc": ("NetCDFTrajectoryFile", 1.0, True),
    ".ncdf": ("NetCDFTrajectoryFile", 1.0, True),
}
# topology formats read by mdtraj; the others (PDB, mmCIF) by gemmi
MDTRAJ_TOPOLOGIES = (".gro", ".psf", ".prmtop", ".parm7", ".prm7")


_REDIRECTION = threading.Lock()  # file descriptors 1 and 2 belong to the process: one redirection at a time


@contextlib.contextmanager
def _native_output_silenced() -> Iterator[None]:
    """Swallow what the C readers print on stdout/stderr (dcdplugin, xdrfile).

    Descriptors 1 and 2 are restored on exit. Threads take turns, so each
    restores what it found; what another thread prints meanwhile is swallowed too.
    """
    with _REDIRECTION, tempfile.TemporaryFile() as sink:
        sys.stdout.flush()
        sys.stderr.flush()
        libc = ctypes.CDLL(None)
        saved = (os.dup(1), os.dup(2))
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            libc.fflush(None)
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _file_class(path: Path) -> tuple[type, float, bool]:
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise UnknownFormatError(f"unknown trajectory format {suffix!r}; expected "
                                 f"{', '.join(_FORMATS)}", path)
    from mdtraj import formats

    name, scale, has_time = _FORMATS[suffix]
    return getattr(formats, name), scale, has_time


def read_topology(path: str | os.PathLike) -> Topology:
    """Topology of a PDB/mmCIF (read with gemmi) or GRO, PSF, Amber prmtop (read with mdtraj) file.

    Amber prmtop files have no chains: all residues are in chain A, numbered from 1.
    """
    path = Path(path)
    if not path.exists():
        raise DynafoldInputError("topology file not found", path)
    suffix = path.suffix.lower()
    if suffix not in MDTRAJ_TOPOLOGIES:
        return read_structure(path).topology
    if suffix == ".gro":
        from dynafold.io.gro import read_gro

        return read_gro(path).topology
    import mdtraj
    from mdtraj.formats.psf import PSFError

    from dynafold.io.mdtraj_topology import topology_from_mdtraj

    try:
        md_top = mdtraj.load_topology(str(path))
    except (OSError, ValueError, IndexError, KeyError, RuntimeError, PSFError) as err:
        raise TruncatedFileError(f"cannot parse {suffix[1:].upper()} topology: {err}", path) from err
    topo = topology_from_mdtraj(md_top)
    if suffix in (".prmtop", ".parm7", ".prm7"):  # mdtraj numbers prmtop residues from 0
        topo = replace(topo, res_ids=topo.res_ids + 1)
    return topo


def check_headers(path: Path, n_atoms: int, topology: object) -> None:
    """Check the frame headers of an XTC or DCD file before the C reader decodes it."""
    suffix = path.suffix.lower()
    if suffix == ".xtc":
        check_xtc(path, n_atoms, topology)
    elif suffix == ".dcd":
        check_dcd(path, n_atoms, topology)


def _dcd_header_frames(path: Path) -> int:
    """Number of frames a DCD header announces (0 when unknown)."""
    with open(path, "rb") as fh:
        head = fh.read(12)
    for order in "<>":
        if len(head) == 12 and struct.unpack(order + "i", head[:4])[0] == 84:
            return struct.unpack(order + "i", head[8:12])[0]
    return 0


def read_trajectory(path: str | os.PathLike, topology: str | os.PathLike,
                    start: int | None = None, stop: int | None = None,
                    stride: int | None = None) -> Ensemble:
    """Read frames ``[start:stop:stride]`` of an XTC, TRR, DCD or Amber NetCDF trajectory.

    Only the requested frames are read. ``topology`` is a PDB/mmCIF, GRO, PSF or
    Amber prmtop file with the same atoms in the same order. Returns an Ensemble
    with method 'md', coords (K, N, 3) in Angstrom and, for XTC/TRR/NetCDF,
    ``times_ps`` (K,) as stored in the file.

    Raises TopologyMismatchError when the atom counts differ, EmptyEnsembleError
    when there is no frame (in the file or in the slice) and TruncatedFileError
    when the file is cut short or corrupt.
    """
    path = Path(path)
    if not path.exists():
        raise DynafoldInputError("file not found", path)
    file_class, scale, has_time = _file_class(path)
    topo = read_topology(topology)
    if path.stat().st_size == 0:
        raise EmptyEnsembleError("empty trajectory (0 bytes)", path)
    if stride is not None and stride < 1:
        raise DynafoldInputError(f"stride must be a positive integer, got {stride}", path)
    fmt = path.suffix[1:].upper()
    check_headers(path, topo.n_atoms, topology)
    with _native_output_silenced():
        try:
            with file_class(str(path)) as handle:
                n_total = len(handle)
                announced = _dcd_header_frames(path) if fmt == "DCD" else 0
                if announced > n_total:
                    raise TruncatedFileError(f"truncated DCD: the header announces {announced} "
                                             f"frames, the file holds {n_total}", path)
                frames = range(n_total)[slice(start, stop, stride)]
                if len(frames) == 0:
                    raise EmptyEnsembleError(f"no frames (file holds {n_total}; requested "
                                             f"start={start}, stop={stop}, stride={stride})", path)
                handle.seek(frames[0])
                out = handle.read(n_frames=len(frames), stride=frames.step)
        except DynafoldError:
            raise
        except (OSError, RuntimeError, ValueError, EOFError, IndexError) as err:
            raise TruncatedFileError(f"cannot read {fmt} trajectory: {' '.join(str(err).split())} "
                                     "(the file is truncated or corrupt)", path) from err
    xyz = out[0]
    if len(xyz) < len(frames):
        raise TruncatedFileError(f"truncated {fmt}: read {len(xyz)} of {len(frames)} "
                                 "requested frames", path)
    if xyz.shape[1] != topo.n_atoms:
        raise TopologyMismatchError(f"{xyz.shape[1]} atoms per frame, but topology "
                                    f"{topology} has {topo.n_atoms} atoms", path)
    times = np.asarray(out[1], dtype=np.float64) if has_time else None
    return Ensemble(topology=topo, coords=xyz * np.float32(scale), method="md",
                    name=path.stem, times_ps=times)


def write_trajectory(ensemble: Ensemble, path: str | os.PathLike,
                     topology_path: str | os.PathLike | None = None) -> Path:
    """Write an XTC, TRR or DCD trajectory plus a PDB topology (the first conformer).

    The topology goes to ``topology_path`` (default: ``path`` with suffix .pdb).
    Frame times are ``ensemble.times_ps`` (0, 1, 2 ... when absent; DCD stores
    none). Both files are written atomically. Returns ``path``.
    """
    path = Path(path)
    file_class, scale, has_time = _file_class(path)
    ensemble.require_conformers()
    topology_path = Path(topology_path) if topology_path is not None else path.with_suffix(".pdb")
    write_structure(ensemble.select_frames(slice(0, 1)), topology_path)
    xyz = ensemble.coords / np.float32(scale)
    with atomic_path(path) as tmp, _native_output_silenced():
        with file_class(str(tmp), "w") as handle:
            if has_time:
                times = (ensemble.times_ps if ensemble.times_ps is not None
                         else np.arange(ensemble.n_conformers, dtype=np.float64))
                handle.write(xyz, time=np.asarray(times, dtype=np.float32))
            else:
                handle.write(xyz)
    return path
