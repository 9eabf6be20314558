"""Ligand heavy atoms as model tokens: one token per atom, as in AlphaFold3 and Boltz.

Ligand tokens follow the protein residues. A token's one atom takes the
C-alpha slot of the atom-14 layout, so whatever reads a token's C-alpha or
representative atom (token pair features, distogram, the denoiser's token
pairs) reads the ligand atom. Features per atom: element class, formal charge,
aromaticity and heavy-atom degree (``const.LIGAND_*``); per atom pair: the
bond graph (bonded, double, triple, aromatic).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from dynafold.const import (
    BFACTOR_MIN_VALID_A2,
    CA_SLOT,
    LIGAND_ATOM_FEATURES,
    LIGAND_BOND_FEATURES,
    LIGAND_CHARGES,
    LIGAND_ELEMENTS,
    LIGAND_MAX_DEGREE,
    NUM_ATOM_SLOTS,
)
from dynafold.ensemble import Ensemble, join_atoms

_HYDROGENS = ("H", "D")


@dataclass(frozen=True)
class LigandTokens:
    """The heavy atoms of an ensemble's ligands, in ligand order (L atoms).

    atom_index (L,) int64 atoms of the ensemble; ligand (L,) int64 which ligand
    of ``Ensemble.ligands`` each atom belongs to; features (L,
    LIGAND_ATOM_FEATURES) and bonds (L, L, LIGAND_BOND_FEATURES) float32.
    """

    atom_index: np.ndarray
    ligand: np.ndarray
    features: np.ndarray
    bonds: np.ndarray

    @property
    def n_atoms(self) -> int:
        return len(self.atom_index)


def _one_hot(index: np.ndarray, n: int) -> np.ndarray:
    return np.eye(n, dtype=np.float32)[index]


def ligand_tokens(ensemble: Ensemble) -> LigandTokens:
    """The ligand atom tokens of ``ensemble`` (none when it holds no ligand)."""
    index, owner, feats = [], [], []
    bond_rows: list[tuple[int, int, np.ndarray]] = []
    offset = 0
    for k, lig in enumerate(ensemble.ligands):
        elements = ensemble.topology.elements[lig.atom_index]
        heavy = ~np.isin(elements, _HYDROGENS)
        position = np.cumsum(heavy) - 1  # position among the ligand's heavy atoms
        n = int(heavy.sum())
        heavy_bonds = heavy[lig.bonds].all(axis=1) if len(lig.bonds) else np.zeros(0, dtype=bool)
        pairs = position[lig.bonds[heavy_bonds]] if len(lig.bonds) else np.zeros((0, 2), dtype=np.int64)
        orders, aromatic = lig.bond_orders[heavy_bonds], lig.aromatic[heavy_bonds]
        degree = np.bincount(pairs.ravel(), minlength=n)
        atom_aromatic = np.zeros(n, dtype=bool)
        atom_aromatic[pairs[aromatic].ravel()] = True
        element_class = np.array([LIGAND_ELEMENTS.index(e) if e in LIGAND_ELEMENTS else len(LIGAND_ELEMENTS)
                                  for e in elements[heavy].tolist()], dtype=np.int64)
        charge = np.clip(lig.formal_charges[heavy].astype(np.int64), LIGAND_CHARGES[0], LIGAND_CHARGES[-1])
        feats.append(np.concatenate([
            _one_hot(element_class, len(LIGAND_ELEMENTS) + 1),
            _one_hot(charge - LIGAND_CHARGES[0], len(LIGAND_CHARGES)),
            atom_aromatic[:, None].astype(np.float32),
            _one_hot(np.minimum(degree, LIGAND_MAX_DEGREE), LIGAND_MAX_DEGREE + 1),
        ], axis=1))
        for (i, j), order, arom in zip(pairs.tolist(), orders.tolist(), aromatic.tolist()):
            channels = np.array([1.0, order == 2, order == 3, arom], dtype=np.float32)
            bond_rows.append((offset + i, offset + j, channels))
        index.append(lig.atom_index[heavy])
        owner.append(np.full(n, k, dtype=np.int64))
        offset += n
    if not index:
        return LigandTokens(np.zeros(0, np.int64), np.zeros(0, np.int64),
                            np.zeros((0, LIGAND_ATOM_FEATURES), np.float32),
                            np.zeros((0, 0, LIGAND_BOND_FEATURES), np.float32))
    bonds = np.zeros((offset, offset, LIGAND_BOND_FEATURES), dtype=np.float32)
    for i, j, channels in bond_rows:
        bonds[i, j] = bonds[j, i] = channels
    return LigandTokens(np.concatenate(index), np.concatenate(owner), np.concatenate(feats), bonds)


def ligand_atom14(ensemble: Ensemble, tokens: LigandTokens) -> tuple[np.ndarray, np.ndarray]:
    """Ligand tokens in the atom-14 layout: coords (K, L, 14, 3) float32 Angstrom, the atom in the
    C-alpha slot, and atom_mask (L, 14) bool (the atom is resolved)."""
    n = tokens.n_atoms
    coords = np.zeros((ensemble.n_conformers, n, NUM_ATOM_SLOTS, 3), dtype=np.float32)
    coords[:, :, CA_SLOT] = ensemble.coords[:, tokens.atom_index]
    mask = np.zeros((n, NUM_ATOM_SLOTS), dtype=bool)
    mask[:, CA_SLOT] = ensemble.mask[tokens.atom_index]
    return coords, mask


def ligand_targets(ensemble: Ensemble, protein: Ensemble, tokens: LigandTokens) -> dict[str, np.ndarray]:
    """B-factor targets of the ligand atoms, as :func:`dynafold.data.targets.residue_targets` gives the residues'.

    MD ensembles (K > 1): DEBYE_WALLER_FACTOR * RMSF^2, the RMSF taken after
    fitting every conformer on the protein's C-alpha atoms; otherwise the
    file's B-factors of the first conformer. Returns bfactor_A2 (L,) float32 and
    bfactor_mask (L,) bool.
    """
    from dynafold.metrics.rmsf import rmsf, rmsf_to_bfactor

    n = tokens.n_atoms
    bfactor = np.zeros(n, dtype=np.float64)
    valid = ensemble.mask[tokens.atom_index].copy()
    ca = np.flatnonzero(protein.topology.ca() & protein.mask)
    if n and ensemble.method == "md" and ensemble.n_conformers > 1 and len(ca) >= 3:
        coords = np.concatenate([protein.coords[:, ca], ensemble.coords[:, tokens.atom_index]], axis=1)
        bfactor = rmsf_to_bfactor(rmsf(coords, "mean", fit_index=np.arange(len(ca)))[len(ca):])
    elif ensemble.bfactors is not None:
        bfactor = ensemble.bfactors[0, tokens.atom_index].astype(np.float64)
    else:
        valid[:] = False
    return {"bfactor_A2": bfactor.astype(np.float32), "bfactor_mask": valid & (bfactor > BFACTOR_MIN_VALID_A2)}


def with_ligand_atoms(protein: Ensemble, source: Ensemble, tokens: LigandTokens, coords: np.ndarray) -> Ensemble:
    """``protein`` (K conformers) with the ligand atoms of ``tokens`` appended at ``coords`` (K, L, 3) Angstrom.

    The atoms' topology and chemistry (``Ensemble.ligands``, re-indexed; bonds to
    hydrogens, which are not tokens, dropped) come from ``source``, the
    ensemble ``tokens`` were made from.
    """
    atoms = source.select_atoms(tokens.atom_index)
    return join_atoms(protein, replace(atoms, coords=coords, bfactors=None, times_ps=None))
