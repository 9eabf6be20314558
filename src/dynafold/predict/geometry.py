"""Geometry checks of sampled conformers: chain breaks, steric clashes, bond lengths, and of their ligands."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from dynafold.ensemble import Ensemble, Topology
from dynafold.predict.bonds import bond_pairs, follows_previous

MAX_CA_CA_A = 4.2
CLASH_DISTANCE_A = 2.2
BOND_TOLERANCE_A = 0.2
LIGAND_BOND_TOLERANCE_A = 0.1  # a sampled ligand bond against the same bond in the input


def consecutive_ca_pairs(topology: Topology) -> tuple[np.ndarray, np.ndarray]:
    """Indices (i, j) of C-alpha atoms of residues that follow each other in a chain.

    Consecutive as in :func:`dynafold.predict.bonds.follows_previous`: same
    chain and residue numbers differing by one, or an insertion code on either.
    """
    ca = np.nonzero(topology.ca())[0]
    linked = follows_previous(topology)[topology.residue_index()[ca]]
    res = topology.residue_index()[ca]
    keep = linked[1:] & (res[1:] - res[:-1] == 1)
    return ca[:-1][keep], ca[1:][keep]


def ca_break_fraction(coords: np.ndarray, topology: Topology,
                      max_distance_A: float = MAX_CA_CA_A) -> np.ndarray:
    """Fraction of consecutive C-alpha pairs farther apart than ``max_distance_A``.

    coords: (S, N, 3) Angstrom. Returns (S,).
    """
    i, j = consecutive_ca_pairs(topology)
    if len(i) == 0:
        return np.zeros(coords.shape[0])
    d = np.linalg.norm(coords[:, i] - coords[:, j], axis=-1)
    return (d > max_distance_A).mean(axis=1)


def clash_counts(coords: np.ndarray, topology: Topology, reference: np.ndarray | None = None,
                 clash_distance_A: float = CLASH_DISTANCE_A) -> np.ndarray:
    """Number of heavy-atom pairs closer than ``clash_distance_A`` per conformer.

    Pairs within one residue or in sequence-adjacent residues of a chain (which
    hold the bonded and 1-3 neighbours) are not counted, nor are the covalent
    bonds of :func:`dynafold.predict.bonds.bond_pairs`: with ``reference``
    (N, 3) Angstrom, e.g. the input structure, its disulfides (SG-SG about
    2.04 A) are bonds, not clashes. coords: (S, N, 3) Angstrom. Returns (S,) int.
    """
    heavy = np.nonzero(~topology.is_hydrogen())[0]
    res = topology.residue_index()[heavy]
    chain = topology.chain_ids[heavy]
    bi, bj, _ = bond_pairs(topology, reference)
    bonded = set(zip(np.minimum(bi, bj).tolist(), np.maximum(bi, bj).tolist()))
    counts = np.zeros(coords.shape[0], dtype=np.int64)
    for s in range(coords.shape[0]):
        pairs = cKDTree(coords[s, heavy]).query_pairs(clash_distance_A, output_type="ndarray")
        if len(pairs) == 0:
            continue
        a, b = pairs[:, 0], pairs[:, 1]
        far = (chain[a] != chain[b]) | (np.abs(res[a] - res[b]) > 1)
        counts[s] = sum((heavy[x], heavy[y]) not in bonded for x, y in pairs[far].tolist())
    return counts


def bond_length_fraction(coords: np.ndarray, topology: Topology, reference: np.ndarray | None = None,
                         tolerance_A: float = BOND_TOLERANCE_A) -> np.ndarray:
    """Fraction of covalent heavy-atom bonds within ``tolerance_A`` of their ideal length.

    Bonds and ideal lengths (Engh & Huber 1991) come from
    :func:`dynafold.predict.bonds.bond_pairs`: intra-residue bonds of standard
    residues and peptide bonds; with ``reference`` (N, 3) Angstrom, e.g. the
    input structure, peptide bonds broken there are skipped and its disulfides
    added. coords: (S, N, 3) Angstrom. Returns (S,); 1.0 when there is no bond.
    """
    i, j, ideal = bond_pairs(topology, reference)
    if len(i) == 0:
        return np.ones(coords.shape[0])
    d = np.linalg.norm(coords[:, i] - coords[:, j], axis=-1)
    return (np.abs(d - ideal) <= tolerance_A).mean(axis=1)


def is_valid(break_fraction: np.ndarray, clashes: np.ndarray, max_break_fraction: float = 0.01,
             max_clashes: int = 0) -> np.ndarray:
    """Boolean (S,) from per-conformer checks: at most 1 % broken C-alpha links and no clash."""
    return (np.asarray(break_fraction) <= max_break_fraction) & (np.asarray(clashes) <= max_clashes)


def passes(coords: np.ndarray, topology: Topology, reference: np.ndarray | None = None,
           max_break_fraction: float = 0.01, max_clashes: int = 0) -> np.ndarray:
    """Boolean (S,): conformers with at most 1 % broken C-alpha links and no clash.

    ``reference`` (N, 3) Angstrom supplies the disulfides, as in :func:`clash_counts`.
    """
    return is_valid(ca_break_fraction(coords, topology), clash_counts(coords, topology, reference),
                    max_break_fraction, max_clashes)


def ligand_bonds_kept(coords: np.ndarray, ensemble: Ensemble, reference: np.ndarray,
                      tolerance_A: float = LIGAND_BOND_TOLERANCE_A) -> np.ndarray:
    """Boolean (S,): every bond between ligand heavy atoms within ``tolerance_A`` of its length in ``reference``.

    coords (S, N, 3) and reference (N, 3) Angstrom, atoms of ``ensemble``
    (whose ``ligands`` give the bonds); True when there is no ligand bond.
    """
    heavy = ~ensemble.topology.is_hydrogen()
    pairs = ensemble.ligand_bonds()
    pairs = pairs[heavy[pairs].all(axis=1)]
    if len(pairs) == 0:
        return np.ones(coords.shape[0], dtype=bool)
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.linalg.norm(coords[:, i] - coords[:, j], axis=-1)
    d_ref = np.linalg.norm(reference[i] - reference[j], axis=-1)
    return (np.abs(d - d_ref) <= tolerance_A).all(axis=1)


def ligand_protein_clashes(coords: np.ndarray, ensemble: Ensemble, reference: np.ndarray,
                           clash_distance_A: float = CLASH_DISTANCE_A) -> np.ndarray:
    """Number of (ligand heavy atom, protein heavy atom) pairs closer than ``clash_distance_A`` per conformer,
    leaving out pairs that are as close in ``reference`` (covalent attachments). coords (S, N, 3). Returns (S,) int."""
    heavy = ~ensemble.topology.is_hydrogen()
    lig_atoms = np.flatnonzero(ensemble.ligand_atoms() & heavy)
    protein = np.flatnonzero(ensemble.topology.is_protein() & heavy)
    counts = np.zeros(coords.shape[0], dtype=np.int64)
    if len(lig_atoms) == 0 or len(protein) == 0:
        return counts
    bonded = np.linalg.norm(reference[lig_atoms, None] - reference[None, protein], axis=-1) < clash_distance_A
    for s in range(coords.shape[0]):
        d = np.linalg.norm(coords[s, lig_atoms][:, None] - coords[s, protein][None], axis=-1)
        counts[s] = int(((d < clash_distance_A) & ~bonded).sum())
    return counts
