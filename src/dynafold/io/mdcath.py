"""mdCATH HDF5 files: one domain, several temperatures and replicas.

Layout: ``f[domain]["pdbProteinAtoms"]`` holds the PDB text of the topology and
``f[domain][temperature][replica]["coords"]`` the frames, (frames, atoms, 3)
in Angstrom, one frame per nanosecond.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from dynafold.ensemble import Ensemble
from dynafold.errors import (
    DynafoldInputError,
    EmptyEnsembleError,
    TopologyMismatchError,
    TruncatedFileError,
)
from dynafold.io.structure import read_pdb_text

MDCATH_FRAME_PS = 1000.0  # mdCATH saves one frame per nanosecond
TOPOLOGY_KEY = "pdbProteinAtoms"
COORDS_KEY = "coords"


def _open(path: Path):
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise TruncatedFileError(f"cannot open HDF5 file: {err}", path) from err


def _child(group, key: str, what: str, path: Path):
    if key not in group:
        have = ", ".join(sorted(k for k in group.keys() if k != TOPOLOGY_KEY)) or "none"
        raise DynafoldInputError(f"no {what} {key!r} in {group.name}; available: {have}", path)
    return group[key]


def _dataset(group, key: str, where: str, path: Path):
    """The dataset ``group[key]``; a group or other object there is an error."""
    import h5py

    item = _child(group, key, "dataset", path)
    if not isinstance(item, h5py.Dataset):
        raise TruncatedFileError(f"{where} is a {type(item).__name__.lower()}, not a dataset", path)
    return item


def _topology_text(dataset, where: str, path: Path) -> str:
    """The PDB text stored in ``dataset`` (bytes or str)."""
    value = dataset[()]
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if not isinstance(value, (bytes, str)):
        raise TruncatedFileError(f"{where} holds {type(value).__name__}, not PDB text", path)
    try:
        return value.decode("ascii") if isinstance(value, bytes) else value
    except UnicodeDecodeError as err:
        raise TruncatedFileError(f"{where}: non-ASCII bytes in the PDB text (byte {err.start})",
                                 path) from None


def mdcath_runs(path: str | os.PathLike, temperatures: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(domain, temperature, replica) of every run of an mdCATH file at the wanted temperatures."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return [(domain, t, r) for domain in f for t in temperatures
                    if t in f[domain] for r in sorted(f[domain][t], key=int)]
    except OSError as err:
        raise TruncatedFileError(f"cannot open HDF5 file: {err}", path) from err


def read_mdcath(path: str | os.PathLike, domain: str | None = None, temperature: str | int = "320",
                replica: str | int = "0", start: int | None = None, stop: int | None = None,
                stride: int | None = None) -> Ensemble:
    """Read one temperature/replica run of an mdCATH domain file.

    ``domain`` defaults to the file's only top-level group. Only frames
    ``[start:stop:stride]`` are read from disk. Returns an Ensemble with method
    'md', coords (K, N, 3) in Angstrom, all atoms of the stored topology
    (hydrogens included) and ``times_ps`` at 1 ns per frame. Corrupt frames at
    the end of a run are not removed here; :func:`dynafold.io.load` cuts them.
    """
    path = Path(path)
    if stride is not None and stride < 1:
        raise DynafoldInputError(f"stride must be a positive integer, got {stride}", path)
    with _open(path) as f:
        if domain is None:
            domains = list(f.keys())
            if len(domains) != 1:
                raise DynafoldInputError(f"{len(domains)} domains in file "
                                         f"({', '.join(domains) or 'none'}); choose one", path)
            domain = domains[0]
        group = _child(f, domain, "domain", path)
        if TOPOLOGY_KEY not in group:
            raise DynafoldInputError(f"no {TOPOLOGY_KEY!r} topology in domain {domain!r}", path)
        text = _topology_text(_dataset(group, TOPOLOGY_KEY, f"{domain}/{TOPOLOGY_KEY}", path),
                              f"{domain}/{TOPOLOGY_KEY}", path)
        run = _child(_child(group, str(temperature), "temperature", path),
                     str(replica), "replica", path)
        where = f"{domain}/{temperature}/{replica}/{COORDS_KEY}"
        coords_ds = _dataset(run, COORDS_KEY, where, path)
        if coords_ds.ndim != 3 or coords_ds.shape[2] != 3:
            raise TruncatedFileError(f"{where} has shape {coords_ds.shape}, "
                                     "expected (frames, atoms, 3)", path)
        if coords_ds.dtype.kind != "f":
            raise TruncatedFileError(f"{where} holds {coords_ds.dtype} values; coordinates must be "
                                     "floating-point Angstrom", path)
        frames = range(coords_ds.shape[0])[slice(start, stop, stride)]
        if len(frames) == 0:
            raise EmptyEnsembleError(f"no frames in {where} (it holds {coords_ds.shape[0]}; "
                                     f"requested start={start}, stop={stop}, stride={stride})", path)
        coords = coords_ds[frames.start:frames.stop:frames.step]
    topology = read_pdb_text(text, f"{path}:{domain}/{TOPOLOGY_KEY}").topology
    if coords.shape[1] != topology.n_atoms:
        raise TopologyMismatchError(f"{where} has {coords.shape[1]} atoms, the "
                                    f"{TOPOLOGY_KEY} topology has {topology.n_atoms}", path)
    return Ensemble(topology=topology, coords=coords, method="md",
                    name=f"{domain}_{temperature}_{replica}",
                    times_ps=np.asarray(frames, dtype=np.float64) * MDCATH_FRAME_PS)
