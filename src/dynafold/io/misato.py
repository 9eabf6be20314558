"""MISATO MD systems: the HDF5 layout, read into a :class:`MisatoSystem` and Ensembles.

Layout (MISATO ``MD.hdf5``, one group per PDB id), the fields used here:

- ``trajectory_coordinates`` (frames, atoms, 3), Angstrom (100 frames per system);
- ``atoms_number`` (atoms,): atomic number (MISATO's ``h5_to_pdb.py`` maps it
  to the element);
- ``atoms_element`` (atoms,): MISATO's own element code (1 H, 2 C, 3 N, 4 O,
  5 F, 6 P, 7 S, 8 Cl, 9 Br, 10 I; ``map_elements_numbers_number.pickle``),
  *not* the atomic number; used only when ``atoms_number`` is absent;
- ``atoms_residue`` (atoms,): residue *type* code, 0 = MOL (small molecule),
  1 = ACE, 2.. the amino acids (``MISATO_RESIDUES``, MISATO's
  ``atoms_residue_map.pickle``); residue numbers are not stored: residues are
  cut with the Amber heavy-atom templates below;
- ``molecules_begin_atom_index`` (molecules,): first atom of each molecule;
  the ligand is the last molecule (a begin index equal to the atom count, an
  empty molecule, is ignored);
- ``atoms_type`` (Amber/GAFF atom-type codes) is not read.

What was checked against the authors' material (repository
``t7morgen/misato-dataset``, no ``MD.hdf5`` being at hand): the field names and
shapes (``src/getting_started.ipynb`` lists them for 10GS:
``trajectory_coordinates`` (100, 6593, 3), ``molecules_begin_atom_index``
(3,), ``frames_*`` (100,)); the residue code table and the element code
table (the pickled maps of ``src/data/processing/Maps``); the ligand as the
last molecule and the MOL atom names (element + position in the residue) of
``h5_to_pdb.py``; and ``AMBER_HEAVY_ORDER`` with the residue codes, by cutting
the protein atoms of all seven systems of the authors' real file
``src/data/processing/inference_from_pdb.hdf5`` (written by their
``pdb_to_h5.py``; 11gs, 1js0, 1o91, 5oml, 5vvf, 6nij, 7yam): all 37,162
heavy atoms fall into 4,751 residues, every template atom's element matches
``atoms_number``, and consecutive residues of a chain are 1.39 A apart at
most (C to N) except at 15 gaps of unmodelled residues. That file showed two
things the reader now handles: several chains in one molecule (a C-terminal
OXT inside a molecule), and a last ``molecules_begin_atom_index`` equal to the
atom count. That
file holds reference coordinates (``atoms_coordinates_ref``) and no ligand, so
what was *not* checked on a real file: ``trajectory_coordinates`` and their
unit (Angstrom, as the authors' scripts write them to PDB without scaling),
and ligand molecules of ``MD.hdf5``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from dynafold.ensemble import Ensemble, Ligand, Topology
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
# MISATO's atoms_element codes (map_elements_numbers_number.pickle) -> atomic number
ELEMENT_CODE_NUMBERS: dict[int, int] = {1: 1, 2: 6, 3: 7, 4: 8, 5: 9, 6: 15, 7: 16, 8: 17, 9: 35, 10: 53}
LIGAND_RESIDUE = "MOL"
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
        """(first atom, end) of each non-empty molecule."""
        ends = list(self.molecule_starts[1:]) + [len(self.atomic_numbers)]
        return [(int(s), int(e)) for s, e in zip(self.molecule_starts, ends) if e > s]

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

    def protein_molecules(self) -> list[tuple[int, int]]:
        return [r for r in self.molecule_ranges() if r[0] < self.protein_end()]

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
            if "atoms_number" in g:
                numbers = np.asarray(g["atoms_number"][()], dtype=np.int64)
            else:
                numbers = np.array([ELEMENT_CODE_NUMBERS.get(int(c), 0) for c in g["atoms_element"][()]],
                                   dtype=np.int64)
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
    if len(system.molecule_ranges()) < 2:
        raise TopologyMismatchError(f"MISATO system {pdb_id}: needs a protein and a ligand molecule", path)
    return system


def misato_ensemble(system: MisatoSystem, path: str | os.PathLike | None = None) -> Ensemble:
    """The protein heavy atoms of a MISATO system as an MD Ensemble (all frames).

    Residues are cut along each protein molecule with ``AMBER_HEAVY_ORDER``;
    an oxygen after a residue's template is its OXT, and a chain break inside a
    molecule (MISATO stores several chains in one molecule) starts a new chain
    after it. Raises TopologyMismatchError when the atoms do not fit the
    templates (by count or by element).
    """
    atoms, chains, res_ids, res_names, names = [], [], [], [], []
    for s, e in system.protein_molecules():
        idx = s + np.flatnonzero(system.heavy()[s:e])
        pos, res_no = 0, 0
        chain = _CHAIN_LETTERS[len(set(chains)) % len(_CHAIN_LETTERS)]
        while pos < len(idx):
            code = int(system.residue_codes[idx[pos]])
            name = MISATO_RESIDUES[code] if 0 < code < len(MISATO_RESIDUES) else "MOL"
            template = AMBER_HEAVY_ORDER.get(name)
            if template is None or pos + len(template) > len(idx):
                raise TopologyMismatchError(f"MISATO system {system.pdb_id}: protein atoms do not "
                                            f"match residue {name} at atom {idx[pos]}", path)
            take = list(template)
            elements = [ELEMENTS_BY_NUMBER.get(int(z)) for z in system.atomic_numbers[idx[pos:pos + len(take)]]]
            if any(el != atom_name[0] for el, atom_name in zip(elements, take)):
                raise TopologyMismatchError(f"MISATO system {system.pdb_id}: the elements of atoms from {idx[pos]} "
                                            f"do not match residue {name}", path)
            rest = idx[pos + len(take):]
            terminal = len(rest) > 0 and system.atomic_numbers[rest[0]] == 8
            if terminal:
                take.append("OXT")
            res_no += 1
            for atom_name in take:
                atoms.append(idx[pos])
                chains.append(chain)
                res_ids.append(res_no)
                res_names.append(name)
                names.append(atom_name)
                pos += 1
            if terminal and pos < len(idx):  # a chain ends inside the molecule
                chain, res_no = _CHAIN_LETTERS[len(set(chains)) % len(_CHAIN_LETTERS)], 0
    atoms_arr = np.array(atoms, dtype=np.int64)
    topology = Topology(
        chain_ids=np.array(chains), res_ids=np.array(res_ids, dtype=np.int64),
        ins_codes=np.full(len(atoms), ""), res_names=np.array(res_names), atom_names=np.array(names),
        elements=np.array([ELEMENTS_BY_NUMBER.get(int(z), "X") for z in system.atomic_numbers[atoms_arr]]),
        hetero=np.zeros(len(atoms), dtype=bool),
    )
    ens = Ensemble(topology=topology, coords=system.coords[:, atoms_arr], method="md", name=system.pdb_id,
                   notes=["MISATO: protein heavy atoms kept, hydrogens dropped (the ligand: misato_ligand)"])
    return ens.protein()


def misato_ligand(system: MisatoSystem) -> Ensemble:
    """The heavy atoms of the ligand molecule(s) of a MISATO system as an MD Ensemble (all frames).

    Each molecule is one residue ``MOL`` (numbered from 1, on the chain after
    the chains of :func:`misato_ensemble`), its atoms named as MISATO's ``h5_to_pdb.py`` names
    them (element + position in the molecule). The layout holds no bonds: they
    are found from the first frame's coordinates (unknown orders, zero charges).
    """
    from dynafold.io.ligands import distance_chemistry

    heavy = system.heavy()
    n_chains = len(set(misato_ensemble(system).topology.chain_ids.tolist()))
    chain = _CHAIN_LETTERS[n_chains % len(_CHAIN_LETTERS)]
    atoms, res_ids, names, ligands = [], [], [], []
    for number, (s, e) in enumerate(system.ligand_molecules(), 1):
        idx = s + np.flatnonzero(heavy[s:e])
        elements = [ELEMENTS_BY_NUMBER.get(int(z), "X") for z in system.atomic_numbers[idx]]
        chem = distance_chemistry(np.array(elements), system.coords[0, idx])
        ligands.append(Ligand(atom_index=len(atoms) + np.arange(len(idx)), bonds=chem.bonds,
                              bond_orders=chem.bond_orders, aromatic=chem.aromatic,
                              formal_charges=chem.formal_charges, source=chem.source))
        atoms += idx.tolist()
        res_ids += [number] * len(idx)
        names += [f"{el.capitalize()}{i - s + 1}" for el, i in zip(elements, idx)]
    atoms_arr = np.array(atoms, dtype=np.int64)
    n = len(atoms)
    topology = Topology(
        chain_ids=np.full(n, chain), res_ids=np.array(res_ids, dtype=np.int64), ins_codes=np.full(n, ""),
        res_names=np.full(n, LIGAND_RESIDUE), atom_names=np.array(names),
        elements=np.array([ELEMENTS_BY_NUMBER.get(int(z), "X") for z in system.atomic_numbers[atoms_arr]]),
        hetero=np.ones(n, dtype=bool),
    )
    return Ensemble(topology=topology, coords=system.coords[:, atoms_arr], method="md", name=system.pdb_id,
                    ligands=tuple(ligands))
