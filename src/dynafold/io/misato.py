"""MISATO MD systems: the HDF5 layout, read into a :class:`MisatoSystem` and an Ensemble.

Layout (MISATO ``MD.hdf5``, one group per PDB id), the fields used here:

- ``trajectory_coordinates`` (frames, atoms, 3), Angstrom;
- ``atoms_number`` (atoms,): atomic number (MISATO's ``h5_to_pdb.py`` maps it
  to the element); ``atoms_element`` holds the same element code and is used
  only when ``atoms_number`` is absent;
- ``atoms_residue`` (atoms,): residue *type* code, 0 = MOL (small molecule),
  1 = ACE, 2.. the amino acids (``MISATO_RESIDUES``); residue numbers are not
  stored: residues are cut with the Amber heavy-atom templates below;
- ``molecules_begin_atom_index`` (molecules,): first atom of each molecule;
  the ligand is the last molecule;
- ``atoms_type`` (Amber/GAFF atom-type codes) is not read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from dynafold.ensemble import Ensemble, Topology
from dynafold.errors import DynafoldInputError, TopologyMismatchError, TruncatedFileError

MISATO_RESIDUES: tuple[str, ...] = (
    "MOL", "ACE", "ALA", "ARG", "ASN", "ASP", "CYS", "CYX", "GLN", "GLU", "GLY", "HIE", "ILE",
    "LEU", "LYS", "MET", "PHE", "PRO", "SER", "THR", "TRP", "TYR", "VAL",
)
# Heavy atoms of each residue in Amber (ff14SB library) order, the order of MISATO atoms.
AMBER_HEAVY_ORDER: dict[str, tuple[str, ...]] = {
    "ACE": ("CH3", "C", "O"),
    "ALA": ("N", "CA", "CB", "C", "O"),
    "ARG": ("N", "CA", "CB", "CG", "CD", "NE", "CZ", "NH1", "NH2", "C", "O"),
    "ASN": ("N", "CA", "CB", "CG", "OD1", "ND2", "C", "O"),
    "ASP": ("N", "CA", "CB", "CG", "OD1", "OD2", "C", "O"),
    "CYS": ("N", "CA", "CB", "SG", "C", "O"),
    "CYX": ("N", "CA", "CB", "SG", "C", "O"),
    "GLN": ("N", "CA", "CB", "CG", "CD", "OE1", "NE2", "C", "O"),
    "GLU": ("N", "CA", "CB", "CG", "CD", "OE1", "OE2", "C", "O"),
    "GLY": ("N", "CA", "C", "O"),
    "HIE": ("N", "CA", "CB", "CG", "ND1", "CE1", "NE2", "CD2", "C", "O"),
    "ILE": ("N", "CA", "CB", "CG2", "CG1", "CD1", "C", "O"),
    "LEU": ("N", "CA", "CB", "CG", "CD1", "CD2", "C", "O"),
    "LYS": ("N", "CA", "CB", "CG", "CD", "CE", "NZ", "C", "O"),
    "MET": ("N", "CA", "CB", "CG", "SD", "CE", "C", "O"),
    "PHE": ("N", "CA", "CB", "CG", "CD1", "CE1", "CZ", "CE2", "CD2", "C", "O"),
    "PRO": ("N", "CD", "CG", "CB", "CA", "C", "O"),
    "SER": ("N", "CA", "CB", "OG", "C", "O"),
    "THR": ("N", "CA", "CB", "CG2", "OG1", "C", "O"),
    "TRP": ("N", "CA", "CB", "CG", "CD1", "NE1", "CE2", "CZ2", "CH2", "CZ3", "CE3", "CD2", "C", "O"),
    "TYR": ("N", "CA", "CB", "CG", "CD1", "CE1", "CZ", "OH", "CE2", "CD2", "C", "O"),
    "VAL": ("N", "CA", "CB", "CG1", "CG2", "C", "O"),
}
ELEMENTS_BY_NUMBER: dict[int, str] = {
    1: "H", 5: "B", 6: "C", 7: "N", 8: "O", 9: "F", 11: "NA", 12: "MG", 13: "AL", 14: "SI",
    15: "P", 16: "S", 17: "CL", 19: "K", 20: "CA", 26: "FE", 30: "ZN", 34: "SE", 35: "BR", 53: "I",
}
_CHAIN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class MisatoSystem:
    """One MISATO group, as stored (N atoms including hydrogens, K frames)."""

    pdb_id: str
    coords: np.ndarray  # (K, N, 3) float32 Angstrom
    atomic_numbers: np.ndarray  # (N,) int
    residue_codes: np.ndarray  # (N,) int, index into MISATO_RESIDUES
    molecule_starts: np.ndarray  # (M,) int

    def molecule_ranges(self) -> list[tuple[int, int]]:
        ends = list(self.molecule_starts[1:]) + [len(self.atomic_numbers)]
        return [(int(s), int(e)) for s, e in zip(self.molecule_starts, ends)]

    def ligand_molecules(self) -> list[tuple[int, int]]:
        """The last molecule and any small-molecule (MOL) molecules just before it."""
        ranges = self.molecule_ranges()
        ligand = [ranges[-1]]
        for s, e in reversed(ranges[:-1]):
            if len(ranges) - len(ligand) <= 1 or (self.residue_codes[s:e] != 0).any():
                break
            ligand.insert(0, (s, e))
        return ligand

    def protein_end(self) -> int:
        return self.ligand_molecules()[0][0]

    def heavy(self) -> np.ndarray:
        return self.atomic_numbers != 1


def misato_ids(path: str | os.PathLike) -> list[str]:
    """PDB ids (group names) of a MISATO HDF5 file, in file order."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return [k for k in f if isinstance(f[k], h5py.Group)]
    except OSError as err:
        raise TruncatedFileError(f"cannot open MISATO HDF5 file: {err}", path) from err


def read_misato_system(path: str | os.PathLike, pdb_id: str) -> MisatoSystem:
    """Read one MISATO group."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            if pdb_id not in f:
                raise DynafoldInputError(f"no system {pdb_id!r} in MISATO file", path)
            g = f[pdb_id]
            numbers = g["atoms_number"][()] if "atoms_number" in g else g["atoms_element"][()]
            system = MisatoSystem(
                pdb_id=pdb_id,
                coords=np.asarray(g["trajectory_coordinates"][()], dtype=np.float32),
                atomic_numbers=np.asarray(numbers, dtype=np.int64),
                residue_codes=np.asarray(g["atoms_residue"][()], dtype=np.int64),
                molecule_starts=np.asarray(g["molecules_begin_atom_index"][()], dtype=np.int64),
            )
    except (OSError, KeyError) as err:
        raise TruncatedFileError(f"MISATO system {pdb_id}: {err}", path) from err
    n = len(system.atomic_numbers)
    if system.coords.ndim != 3 or system.coords.shape[1] != n or len(system.residue_codes) != n:
        raise TopologyMismatchError(f"MISATO system {pdb_id}: {n} atoms but coordinates "
                                    f"{system.coords.shape}", path)
    if len(system.molecule_starts) < 2:
        raise TopologyMismatchError(f"MISATO system {pdb_id}: needs a protein and a ligand molecule", path)
    return system


def misato_ensemble(system: MisatoSystem, path: str | os.PathLike | None = None) -> Ensemble:
    """The protein heavy atoms of a MISATO system as an MD Ensemble (all frames).

    Residues are cut along each protein molecule with ``AMBER_HEAVY_ORDER``
    (an extra terminal O becomes OXT); raises TopologyMismatchError when the
    atoms do not fit the templates.
    """
    heavy = system.heavy()
    atoms, chains, res_ids, res_names, names = [], [], [], [], []
    for m, (s, e) in enumerate(r for r in system.molecule_ranges() if r[0] < system.protein_end()):
        idx = s + np.nonzero(heavy[s:e])[0]
        pos, res_no = 0, 0
        while pos < len(idx):
            code = int(system.residue_codes[idx[pos]])
            name = MISATO_RESIDUES[code] if 0 < code < len(MISATO_RESIDUES) else "MOL"
            template = AMBER_HEAVY_ORDER.get(name)
            if template is None or pos + len(template) > len(idx):
                raise TopologyMismatchError(f"MISATO system {system.pdb_id}: protein atoms do not "
                                            f"match residue {name} at atom {idx[pos]}", path)
            take = list(template)
            rest = idx[pos + len(take):]
            if len(rest) == 1 and system.atomic_numbers[rest[0]] == 8:
                take.append("OXT")
            res_no += 1
            for atom_name in take:
                atoms.append(idx[pos])
                chains.append(_CHAIN_LETTERS[m % len(_CHAIN_LETTERS)])
                res_ids.append(res_no)
                res_names.append(name)
                names.append(atom_name)
                pos += 1
    atoms_arr = np.array(atoms, dtype=np.int64)
    topology = Topology(
        chain_ids=np.array(chains), res_ids=np.array(res_ids, dtype=np.int64),
        ins_codes=np.full(len(atoms), ""), res_names=np.array(res_names), atom_names=np.array(names),
        elements=np.array([ELEMENTS_BY_NUMBER.get(int(z), "X") for z in system.atomic_numbers[atoms_arr]]),
        hetero=np.zeros(len(atoms), dtype=bool),
    )
    ens = Ensemble(topology=topology, coords=system.coords[:, atoms_arr], method="md", name=system.pdb_id,
                   notes=["MISATO: protein heavy atoms kept; ligand and hydrogens dropped"])
    return ens.protein()
