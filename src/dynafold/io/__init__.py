"""Readers and writers. ``load`` picks a reader by extension and content."""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldError, DynafoldInputError, TruncatedFileError, UnknownFormatError
from dynafold.io.ligand_files import is_ligand_file
from dynafold.io.ligands import attach_ligands
from dynafold.io.structure import read_structure, write_structure
from dynafold.io.validate import cut_at_first_bad_frame

STRUCTURE_SUFFIXES = (".pdb", ".ent", ".cif", ".mmcif", ".pdb.gz", ".cif.gz", ".ent.gz")
TRAJECTORY_SUFFIXES = (".xtc", ".dcd", ".trr", ".nc", ".ncdf")
GRO_SUFFIX = ".gro"
HDF5_SUFFIXES = (".h5", ".hdf5")  # mdCATH and MISATO files

__all__ = ["load", "save", "read_structure", "write_structure", "strip", "is_trajectory"]


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for suf in STRUCTURE_SUFFIXES + TRAJECTORY_SUFFIXES + HDF5_SUFFIXES + (".zip",):
        if name.endswith(suf):
            return suf
    return path.suffix.lower()


def is_trajectory(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a trajectory file, which needs a topology file to be read."""
    return _suffix(Path(path)) in TRAJECTORY_SUFFIXES


def strip(ensemble: Ensemble, hydrogens: bool = True, waters: bool = True,
          ions: bool = True, ligands: bool = False) -> Ensemble:
    """Remove hydrogens, waters, ions (and optionally ligands)."""
    topo = ensemble.topology
    drop = topo.is_hydrogen() & hydrogens
    if waters:
        drop |= topo.is_water()
    if ions:
        drop |= topo.is_ion()
    if ligands:
        drop |= topo.is_ligand()
    return ensemble.select_atoms(~drop) if drop.any() else ensemble


def load(path: str | os.PathLike, topology: str | os.PathLike | None = None, *,
         method: str | None = None, start: int | None = None, stop: int | None = None,
         stride: int | None = None, keep_hydrogens: bool = False, keep_waters: bool = False,
         keep_ligands: bool = True, **layout_options) -> Ensemble:
    """Load any supported ensemble file.

    Structures (PDB/mmCIF, one conformer per model; GRO, its first frame), ligands
    (SDF/MOL/MOL2, see :mod:`dynafold.io.ligand_files`),
    trajectories (XTC/DCD/TRR/NetCDF with ``topology``), an mdCATH HDF5 file, an ATLAS
    folder or zip. Frames are sliced with start/stop/stride, validated (cut at
    the first invalid frame), and waters, ions and hydrogens are stripped unless
    asked to keep them. Each ligand residue left gets its chemistry (bonds, bond
    orders, charges) in ``Ensemble.ligands`` (see :mod:`dynafold.io.ligands`). ``layout_options`` go to the mdCATH/ATLAS readers
    (temperature, replica).

    Whatever a reader raises becomes a :class:`DynafoldInputError` naming the
    file; warnings of the readers become notes of the ensemble.
    """
    path = Path(path)
    if not path.exists():
        raise DynafoldInputError("file not found", path)
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        failure = None
        try:
            ens = _read(path, topology, start, stop, stride, layout_options)
        except DynafoldError:
            raise
        except MemoryError:
            failure = "cannot read: the sizes the file states do not fit in memory (corrupt header?)"
        except Exception as err:  # noqa: BLE001 - every reader failure is a bad input
            failure = f"cannot read file ({type(err).__name__}: {' '.join(str(err).split()) or 'no detail'})"
        if failure is not None:  # raised here, so the reader's frames (and open files) are freed first
            raise TruncatedFileError(failure, path)
    ens.notes.extend(f"reader warning: {' '.join(m.split())}"
                     for m in dict.fromkeys(str(w.message) for w in caught))
    if method is not None:
        ens = replace(ens, method=method)
    ens = cut_at_first_bad_frame(ens, str(path))
    ens = strip(ens, hydrogens=not keep_hydrogens, waters=not keep_waters,
                ions=not keep_waters, ligands=not keep_ligands)
    return attach_ligands(ens, path)


def _read(path: Path, topology: str | os.PathLike | None, start: int | None, stop: int | None,
          stride: int | None, layout_options: dict) -> Ensemble:
    """Pick the reader of ``path`` by extension and read frames ``[start:stop:stride]``."""
    suffix = _suffix(path)
    if path.is_dir() or suffix == ".zip":
        from dynafold.io.atlas import read_atlas

        return read_atlas(path, start=start, stop=stop, stride=stride, **layout_options)
    elif suffix in HDF5_SUFFIXES:
        from dynafold.io.mdcath import read_mdcath

        return read_mdcath(path, start=start, stop=stop, stride=stride, **layout_options)
    elif suffix in TRAJECTORY_SUFFIXES:
        if topology is None:
            raise DynafoldInputError("a trajectory needs a topology file (PDB, GRO, PSF or Amber prmtop)", path)
        from dynafold.io.trajectory import read_trajectory

        return read_trajectory(path, topology, start=start, stop=stop, stride=stride)
    elif is_ligand_file(path):
        from dynafold.io.ligand_files import read_ligand_file

        ens = read_ligand_file(path)
        if any(v is not None for v in (start, stop, stride)):
            ens = ens.select_frames(slice(start, stop, stride))
    elif suffix in STRUCTURE_SUFFIXES or suffix == GRO_SUFFIX:
        if suffix == GRO_SUFFIX:
            from dynafold.io.gro import read_gro

            ens = read_gro(path)
        else:
            ens = read_structure(path)
        if any(v is not None for v in (start, stop, stride)):
            ens = ens.select_frames(slice(start, stop, stride))
    else:
        raise UnknownFormatError(
            f"unknown format {suffix or '(no extension)'!r}; expected one of "
            f"{', '.join(STRUCTURE_SUFFIXES[:4] + TRAJECTORY_SUFFIXES + (GRO_SUFFIX,))}, .h5, .zip, "
            ".sdf, .mol2 or a folder", path)
    return ens


def save(ensemble: Ensemble, path: str | os.PathLike, topology_path: str | os.PathLike | None = None) -> Path:
    """Write an ensemble: ``.pdb``/``.cif`` multi-model, or ``.xtc``/``.dcd`` plus a PDB topology."""
    path = Path(path)
    suffix = _suffix(path)
    if suffix in (".pdb", ".cif", ".mmcif"):
        return write_structure(ensemble, path)
    if suffix in TRAJECTORY_SUFFIXES:
        from dynafold.io.trajectory import write_trajectory

        return write_trajectory(ensemble, path, topology_path)
    raise UnknownFormatError(f"cannot write format {suffix!r}", path)
