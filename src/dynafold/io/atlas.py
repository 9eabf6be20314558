"""ATLAS chains: a folder or a ``{name}_protein.zip`` holding ``{name}.pdb`` and
``{name}_prod_R{1,2,3}_fit.xtc`` (three fitted protein-only replicas)."""

from __future__ import annotations

import os
import re
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError, TruncatedFileError
from dynafold.io.trajectory import read_trajectory

ATLAS_REPLICAS = (1, 2, 3)
_XTC_RE = re.compile(r"^(?P<name>.+)_prod_R(?P<replica>\d+)_fit\.xtc$")


def _replicas(names: list[str], where: Path) -> tuple[str, dict[int, str]]:
    """Chain name and {replica: member name} from the file names of a folder or zip."""
    found: dict[int, str] = {}
    chain = None
    for member in names:
        match = _XTC_RE.match(Path(member).name)
        if match:
            chain = match["name"]
            found[int(match["replica"])] = member
    if chain is None:
        raise DynafoldInputError("no ATLAS trajectory '{name}_prod_R{1,2,3}_fit.xtc' found", where)
    return chain, found


def holds_atlas_replicas(folder: str | os.PathLike) -> bool:
    """Whether ``folder`` holds the replica trajectories of one ATLAS chain (rather than chains)."""
    return any(_XTC_RE.match(p.name) for p in Path(folder).iterdir())


def atlas_replicas(path: str | os.PathLike) -> tuple[str, list[int]]:
    """Chain name and replica numbers of an ATLAS folder or zip."""
    path = Path(path)
    if path.is_dir():
        names = [p.name for p in path.iterdir()]
    else:
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except zipfile.BadZipFile as err:
            raise TruncatedFileError(f"not a readable zip ({err})", path) from err
    chain, found = _replicas(names, path)
    return chain, sorted(found)


def _select(replica: int | str, found: dict[int, str], where: Path) -> list[int]:
    if str(replica).lower() == "all":
        return sorted(found)
    try:
        number = int(replica)
    except ValueError:
        raise DynafoldInputError(f"replica must be 1, 2, 3 or 'all', got {replica!r}", where) from None
    if number not in found:
        raise DynafoldInputError(f"no replica {number}; available: "
                                 f"{', '.join(map(str, sorted(found)))}", where)
    return [number]


def read_atlas(path: str | os.PathLike, replica: int | str = 1, start: int | None = None,
               stop: int | None = None, stride: int | None = None) -> Ensemble:
    """Read an ATLAS chain from its folder or ``_protein.zip``.

    ``replica`` is 1, 2, 3 or 'all' (the replicas concatenated in order, each
    sliced with ``[start:stop:stride]``). Members of a zip are extracted to a
    temporary folder that is removed afterwards. Returns an Ensemble with
    method 'md', coords (K, N, 3) in Angstrom and frame times in ps.
    """
    path = Path(path)
    if path.is_dir():
        return _read_folder(path, path, replica, start, stop, stride)
    try:
        with zipfile.ZipFile(path) as archive, tempfile.TemporaryDirectory() as tmp:
            chain, found = _replicas(archive.namelist(), path)
            wanted = [found[r] for r in _select(replica, found, path)] + [_pdb_member(archive, chain, path)]
            for member in wanted:
                target = Path(tmp) / Path(member).name
                target.write_bytes(archive.read(member))
            try:
                return _read_folder(Path(tmp), path, replica, start, stop, stride)
            except DynafoldInputError as err:  # name the archive, not the temporary copy
                raise type(err)(str(err).replace(f"{tmp}{os.sep}", ""), path) from err
    except (zipfile.BadZipFile, EOFError) as err:
        raise TruncatedFileError(f"cannot read zip archive: {err}", path) from err


def _pdb_member(archive: zipfile.ZipFile, chain: str, where: Path) -> str:
    for member in archive.namelist():
        if Path(member).name == f"{chain}.pdb":
            return member
    raise DynafoldInputError(f"no topology {chain}.pdb in archive", where)


def _read_folder(folder: Path, source: Path, replica: int | str, start: int | None,
                 stop: int | None, stride: int | None) -> Ensemble:
    chain, found = _replicas([p.name for p in folder.iterdir()], source)
    topology = folder / f"{chain}.pdb"
    if not topology.exists():
        raise DynafoldInputError(f"no topology {chain}.pdb", source)
    numbers = _select(replica, found, source)
    parts = [read_trajectory(folder / found[r], topology, start, stop, stride) for r in numbers]
    first = parts[0]
    notes = [f"replicas {', '.join(map(str, numbers))} concatenated"] if len(parts) > 1 else []
    times = [p.times_ps for p in parts]
    return Ensemble(topology=first.topology, coords=np.concatenate([p.coords for p in parts]),
                    method="md", name=chain if len(parts) > 1 else f"{chain}_R{numbers[0]}",
                    times_ps=None if any(t is None for t in times) else np.concatenate(times),
                    notes=notes)
