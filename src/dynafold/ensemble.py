"""The core type: an Ensemble of K conformers sharing one topology."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from dynafold.const import (
    AMINO_ACIDS_3TO1,
    BACKBONE_ATOMS,
    ION_NAMES,
    NUCLEOTIDE_NAMES,
    POLYMER_CAPS,
    WATER_NAMES,
    canonical_method,
    canonical_residue,
)
from dynafold.errors import EmptyEnsembleError, NoProteinError, TopologyMismatchError


@dataclass(frozen=True, eq=False)
class Topology:
    """Per-atom description of a molecular system (N atoms).

    All arrays have length N. ``hetero`` marks non-polymer residues (ligands,
    waters, ions); ``res_ids`` are the author residue numbers.

    Two topologies are equal when every per-atom field holds the same values.
    A topology is not hashable: its arrays can be changed in place.
    """

    chain_ids: np.ndarray  # (N,) str
    res_ids: np.ndarray  # (N,) int
    ins_codes: np.ndarray  # (N,) str, "" when none
    res_names: np.ndarray  # (N,) str
    atom_names: np.ndarray  # (N,) str
    elements: np.ndarray  # (N,) str, upper case ("C", "N", "SE")
    hetero: np.ndarray  # (N,) bool

    def __post_init__(self) -> None:
        n = len(self.atom_names)
        for name in ("chain_ids", "res_ids", "ins_codes", "res_names", "elements", "hetero"):
            if len(getattr(self, name)) != n:
                raise TopologyMismatchError(f"topology field {name} has length "
                                            f"{len(getattr(self, name))}, expected {n}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Topology):
            return NotImplemented
        return all(np.array_equal(getattr(self, k), getattr(other, k)) for k in TOPOLOGY_FIELDS)

    __hash__ = None  # equal topologies must hash alike, and the arrays are mutable

    @property
    def n_atoms(self) -> int:
        return len(self.atom_names)

    def subset(self, index: np.ndarray) -> "Topology":
        """Topology of the atoms selected by a boolean mask or index array."""
        return Topology(**{k: getattr(self, k)[index] for k in TOPOLOGY_FIELDS})

    def residue_starts(self) -> np.ndarray:
        """Index of the first atom of each residue, shape (n_residues,)."""
        if self.n_atoms == 0:
            return np.zeros(0, dtype=np.int64)
        key_change = (
            (self.chain_ids[1:] != self.chain_ids[:-1])
            | (self.res_ids[1:] != self.res_ids[:-1])
            | (self.ins_codes[1:] != self.ins_codes[:-1])
        )
        return np.concatenate([[0], np.nonzero(key_change)[0] + 1]).astype(np.int64)

    def residue_index(self) -> np.ndarray:
        """Residue number 0..R-1 of each atom, shape (N,)."""
        starts = self.residue_starts()
        idx = np.zeros(self.n_atoms, dtype=np.int64)
        idx[starts[1:]] = 1
        return np.cumsum(idx)

    @property
    def n_residues(self) -> int:
        return len(self.residue_starts())

    def residue_keys(self) -> list[tuple[str, int, str]]:
        """(chain, residue number, insertion code) of each residue."""
        s = self.residue_starts()
        return list(zip(self.chain_ids[s].tolist(), self.res_ids[s].tolist(),
                        self.ins_codes[s].tolist()))

    def sequence(self) -> str:
        """One-letter sequence of the residues ('X' for non-standard ones)."""
        s = self.residue_starts()
        return "".join(AMINO_ACIDS_3TO1.get(canonical_residue(r), "X") for r in self.res_names[s])

    # --- selections (boolean masks over atoms) ---------------------------
    def is_water(self) -> np.ndarray:
        return np.isin(self.res_names, list(WATER_NAMES))

    def is_ion(self) -> np.ndarray:
        """Atoms of ion residues (``ION_NAMES``): HETATM records, or one-atom residues (MD topologies
        write ions as ATOM records)."""
        if self.n_atoms == 0:
            return np.zeros(0, dtype=bool)
        residue = self.residue_index()
        single = np.bincount(residue)[residue] == 1
        return np.isin(self.res_names, list(ION_NAMES)) & (self.hetero | single)

    def is_hydrogen(self) -> np.ndarray:
        return np.isin(self.elements, ["H", "D"])

    def is_protein(self) -> np.ndarray:
        """Atoms of amino-acid residues (standard names, common force-field variants)."""
        names = np.array([canonical_residue(r) for r in self.res_names])
        return np.isin(names, list(AMINO_ACIDS_3TO1)) & ~self.hetero

    def is_ligand(self) -> np.ndarray:
        """Atoms of residues that are neither protein, nucleotides, polymer caps, water nor ions.

        Residues with a peptide backbone (N, CA and C atoms) are modified amino acids of
        the chain, not ligands. The HETATM flag is not needed: MD topologies write
        ligands as ATOM records.
        """
        residue = self.residue_index()
        backbone = np.ones(self.n_residues, dtype=bool)
        for name in BACKBONE_ATOMS[:3]:
            backbone &= np.bincount(residue[self.atom_names == name], minlength=self.n_residues) > 0
        polymer = np.isin(self.res_names, list(NUCLEOTIDE_NAMES | POLYMER_CAPS)) | backbone[residue]
        return ~polymer & ~self.is_water() & ~self.is_ion() & ~self.is_protein()

    def protein_heavy(self) -> np.ndarray:
        return self.is_protein() & ~self.is_hydrogen()

    def ca(self) -> np.ndarray:
        return self.is_protein() & (self.atom_names == "CA")

    def backbone(self) -> np.ndarray:
        return self.is_protein() & np.isin(self.atom_names, list(BACKBONE_ATOMS))

    def representative_atoms(self) -> np.ndarray:
        """Index of each residue's representative atom: CB, or CA for glycine.

        Residues that have neither give -1. Shape (n_residues,).
        """
        res_idx = self.residue_index()
        rep = np.full(self.n_residues, -1, dtype=np.int64)
        ca = np.nonzero(self.atom_names == "CA")[0]
        rep[res_idx[ca]] = ca
        cb = np.nonzero(self.atom_names == "CB")[0]
        rep[res_idx[cb]] = cb
        return rep


TOPOLOGY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Topology))  # the per-atom arrays
LIGAND_SOURCES = ("ccd", "coordinates", "file")  # where a ligand's bonds come from


@dataclass(frozen=True, eq=False)
class Ligand:
    """The chemistry of one ligand residue of an Ensemble; its atoms and coordinates stay in the Ensemble.

    Names, elements and residue come from the Ensemble's topology at ``atom_index``;
    the coordinates are ``ensemble.coords[:, atom_index]`` (K, n, 3) in Angstrom.

    Attributes
    ----------
    atom_index : (n,) int64, the ligand's atoms in the Ensemble.
    bonds : (M, 2) int64, pairs of positions in ``atom_index`` (i < j), sorted.
    bond_orders : (M,) int8, 1 single, 2 double, 3 triple, 0 unknown (bonds found from coordinates).
    aromatic : (M,) bool, aromatic bonds (all False when unknown).
    formal_charges : (n,) int8, formal charge per atom (0 when unknown).
    source : "ccd" (Chemical Component Dictionary), "coordinates" (covalent radii) or "file" (the
        bonds the file states: SDF, MOL2, PDB CONECT, mmCIF chem_comp_bond).
    """

    atom_index: np.ndarray
    bonds: np.ndarray
    bond_orders: np.ndarray
    aromatic: np.ndarray
    formal_charges: np.ndarray
    source: str

    @property
    def n_atoms(self) -> int:
        return len(self.atom_index)

    def residue_name(self, topology: Topology) -> str:
        return str(topology.res_names[self.atom_index[0]])

    def reindexed(self, new_index: np.ndarray) -> "Ligand | None":
        """This ligand after an atom selection; ``new_index[old]`` is each old atom's new index, -1 when dropped.

        Bonds to dropped atoms go; None when no atom is left.
        """
        new = new_index[self.atom_index]
        kept = new >= 0
        if not kept.any():
            return None
        position = np.cumsum(kept) - 1
        bond_kept = kept[self.bonds].all(axis=1) if len(self.bonds) else np.zeros(0, dtype=bool)
        return Ligand(atom_index=new[kept], bonds=position[self.bonds[bond_kept]].reshape(-1, 2),
                      bond_orders=self.bond_orders[bond_kept], aromatic=self.aromatic[bond_kept],
                      formal_charges=self.formal_charges[kept], source=self.source)


@dataclass(eq=False)
class Ensemble:
    """K conformers of one system.

    Ensembles compare by identity; compare their topologies and coordinates
    (with numpy) for value equality.

    Attributes
    ----------
    topology : Topology with N atoms.
    coords : (K, N, 3) float32, Angstrom.
    method : canonical method label ('md', 'xray', 'nmr', 'em', 'other', 'afdb').
    bfactors : (K, N) float32 in Angstrom^2, or None.
    mask : (N,) bool, atoms resolved in every conformer (all True by default).
    name : a short name of the system.
    times_ps : (K,) frame times in picoseconds, or None.
    notes : human-readable remarks made while reading (dropped atoms, cut frames).
    ligands : the chemistry (bonds, bond orders, charges) of each ligand residue, filled by
        :func:`dynafold.io.load`; empty for protein-only systems.
    """

    topology: Topology
    coords: np.ndarray
    method: str = "other"
    bfactors: np.ndarray | None = None
    mask: np.ndarray | None = None
    name: str = "ensemble"
    times_ps: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    ligands: tuple[Ligand, ...] = ()

    def __post_init__(self) -> None:
        self.coords = np.asarray(self.coords, dtype=np.float32)
        if self.coords.ndim == 2:
            self.coords = self.coords[None]
        if self.coords.ndim != 3 or self.coords.shape[2] != 3:
            raise TopologyMismatchError(f"{self.name}: coords must be (K, N, 3), got {self.coords.shape}")
        if self.coords.shape[1] != self.topology.n_atoms:
            raise TopologyMismatchError(
                f"{self.name}: topology has {self.topology.n_atoms} atoms, "
                f"coordinates have {self.coords.shape[1]}")
        self.method = canonical_method(self.method)
        if self.mask is None:
            self.mask = np.ones(self.topology.n_atoms, dtype=bool)
        if self.bfactors is not None:
            self.bfactors = np.asarray(self.bfactors, dtype=np.float32).reshape(self.coords.shape[:2])
        for ligand in self.ligands:
            if ligand.atom_index.max(initial=-1) >= self.topology.n_atoms:
                raise TopologyMismatchError(f"{self.name}: a ligand refers to atom {ligand.atom_index.max()}, "
                                            f"the topology has {self.topology.n_atoms} atoms")

    @property
    def n_conformers(self) -> int:
        return self.coords.shape[0]

    @property
    def n_atoms(self) -> int:
        return self.coords.shape[1]

    @property
    def n_residues(self) -> int:
        return self.topology.n_residues

    def select_atoms(self, index: np.ndarray) -> "Ensemble":
        """Ensemble restricted to the atoms of a boolean mask or index array."""
        index = np.asarray(index)
        return replace(
            self,
            topology=self.topology.subset(index),
            coords=self.coords[:, index],
            bfactors=None if self.bfactors is None else self.bfactors[:, index],
            mask=self.mask[index],
            notes=list(self.notes),
            ligands=self._ligands_after(index),
        )

    def _ligands_after(self, index: np.ndarray) -> tuple[Ligand, ...]:
        """The ligands of the atom selection ``index`` (boolean mask or index array), re-indexed."""
        if not self.ligands:
            return ()
        new_index = np.full(self.n_atoms, -1, dtype=np.int64)
        chosen = np.flatnonzero(index) if index.dtype == bool else index.astype(np.int64)
        new_index[chosen] = np.arange(len(chosen))
        return tuple(lig for lig in (ligand.reindexed(new_index) for ligand in self.ligands) if lig is not None)

    def select_frames(self, index: np.ndarray | slice) -> "Ensemble":
        """Ensemble restricted to some conformers."""
        return replace(
            self,
            coords=self.coords[index],
            bfactors=None if self.bfactors is None else self.bfactors[index],
            times_ps=None if self.times_ps is None else self.times_ps[index],
            notes=list(self.notes),
        )

    def protein(self) -> "Ensemble":
        """Protein heavy atoms only; raises NoProteinError when there are none."""
        sel = self.topology.protein_heavy()
        if not sel.any():
            raise NoProteinError(f"{self.name}: no protein atoms")
        return self.select_atoms(sel)

    def ca(self) -> "Ensemble":
        """C-alpha atoms only."""
        sel = self.topology.ca()
        if not sel.any():
            raise NoProteinError(f"{self.name}: no C-alpha atoms")
        return self.select_atoms(sel)

    def ligand_atoms(self) -> np.ndarray:
        """Boolean (N,): the atoms of ``ligands``."""
        mask = np.zeros(self.n_atoms, dtype=bool)
        for lig in self.ligands:
            mask[lig.atom_index] = True
        return mask

    def ligand_bonds(self) -> np.ndarray:
        """(M, 2) int64 atom indices of the bonds of every ligand."""
        return np.concatenate([lig.atom_index[lig.bonds].reshape(-1, 2) for lig in self.ligands]
                              + [np.zeros((0, 2), dtype=np.int64)])

    def require_conformers(self) -> "Ensemble":
        """Raise EmptyEnsembleError when there is no conformer; return self."""
        if self.n_conformers == 0:
            raise EmptyEnsembleError(f"{self.name}: no conformers")
        return self


def join_atoms(first: Ensemble, second: Ensemble) -> Ensemble:
    """The atoms of ``first``, then those of ``second`` (the same conformers), with the ligands of both.

    B-factors are dropped; name, method and notes are ``first``'s.
    """
    topology = Topology(**{k: np.concatenate([getattr(first.topology, k), getattr(second.topology, k)])
                           for k in TOPOLOGY_FIELDS})
    shifted = tuple(replace(lig, atom_index=lig.atom_index + first.n_atoms) for lig in second.ligands)
    return replace(first, topology=topology, coords=np.concatenate([first.coords, second.coords], axis=1),
                   mask=np.concatenate([first.mask, second.mask]), bfactors=None, notes=list(first.notes),
                   ligands=first.ligands + shifted)
