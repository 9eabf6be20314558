"""Geometry restraints on sampled conformers: covalent bonds, bond angles and steric contacts.

The denoiser's conformers can carry stretched bonds, broken chain links and atoms
closer than contact allows, most of all at the ensemble methods' last noise level.
Flat-bottom potentials restore them after sampling, as Boltz-2's steering
potentials do during it: bonds towards their ideal lengths (Engh & Huber; a
ligand's from its input pose), 1-3 distances (bond angles) towards the input's,
and non-bonded heavy atoms apart to ``CONTACT_MIN_A``. A term inside its slack has
no gradient, so atoms whose geometry holds stay where the model put them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from dynafold.ensemble import Ensemble
from dynafold.predict.bonds import bond_pairs

BOND_SLACK_A = 0.03
ANGLE_SLACK_A = 0.1  # on the 1-3 distance of two atoms bonded to a third
CONTACT_MIN_A = 2.5  # the clash check counts pairs under 2.2 A
CONTACT_SEARCH_A = 3.2  # pairs looked up per round; atoms move far less than the margin within one
MAX_ROUNDS = 6  # contact look-ups; a round's pushes can make new contacts, found by the next look-up
ITERATIONS = 30  # L-BFGS iterations per round
DONE_A = 0.1  # no restraint violated by more than this at the start of a round: done (checks allow 0.2-0.3)
HISTORY = 10  # L-BFGS memory: 2 x HISTORY copies of the coordinates


@dataclass(frozen=True)
class Restraints:
    """Distance restraints and contact exclusions of one atom set (N atoms).

    pairs : (M, 2) int64 atom indices, bonds then 1-3 pairs.
    target_A, slack_A : (M,) the distance each pair is pulled towards, and the
        deviation left free.
    excluded : sorted int64 keys ``i * N + j`` (i < j) of pairs that are never
        pushed apart: bonded and 1-3 pairs, ligand atoms of one ligand, and
        ligand-protein pairs closer than ``CONTACT_MIN_A`` in the input (covalent
        attachments).
    near : (N,) int64 residue index, -1 for non-protein atoms: protein atoms
        of one residue or of sequence neighbours in a chain are not pushed apart,
        as in the clash check.
    chain : (N,) int64 chain code.
    """

    n_atoms: int
    pairs: np.ndarray
    target_A: np.ndarray
    slack_A: np.ndarray
    excluded: np.ndarray
    near: np.ndarray
    chain: np.ndarray


def _one_three(pairs: np.ndarray, n_atoms: int) -> np.ndarray:
    """(K, 2) pairs (i < j) of atoms bonded to a common atom and not to each other, from bonds (M, 2)."""
    neighbours: list[list[int]] = [[] for _ in range(n_atoms)]
    for a, b in pairs.tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
    found = {(min(x, y), max(x, y)) for nb in neighbours for k, x in enumerate(nb) for y in nb[k + 1:]}
    found -= {(min(a, b), max(a, b)) for a, b in pairs.tolist()}
    return np.array(sorted(found), dtype=np.int64).reshape(-1, 2)


def restraints(ensemble: Ensemble, reference: np.ndarray) -> Restraints:
    """Restraints of ``ensemble``'s heavy atoms around ``reference`` (N, 3) Angstrom, the input structure.

    Protein bonds are those of :func:`dynafold.predict.bonds.bond_pairs` (with the
    input's chain breaks and disulfides) at their ideal lengths; ligand bonds keep
    their input lengths; 1-3 distances are the input's.
    """
    topo = ensemble.topology
    ref = np.asarray(reference, dtype=np.float64)
    n = topo.n_atoms
    bi, bj, ideal = bond_pairs(topo, ref)
    lig = ensemble.ligand_bonds()
    bonds = np.concatenate([np.stack([bi, bj], axis=1), lig]).astype(np.int64)
    bonds = np.sort(bonds, axis=1)
    bond_target = np.concatenate([ideal, np.linalg.norm(ref[lig[:, 0]] - ref[lig[:, 1]], axis=-1)])
    angles = _one_three(bonds, n)
    pairs = np.concatenate([bonds, angles])
    target = np.concatenate([bond_target, np.linalg.norm(ref[angles[:, 0]] - ref[angles[:, 1]], axis=-1)])
    slack = np.concatenate([np.full(len(bonds), BOND_SLACK_A), np.full(len(angles), ANGLE_SLACK_A)])
    ligand = ensemble.ligand_atoms()
    same_ligand = []
    for item in ensemble.ligands:
        a, b = np.triu_indices(item.n_atoms, k=1)
        same_ligand.append(np.stack([item.atom_index[a], item.atom_index[b]], axis=1))
    attached = cKDTree(ref).query_pairs(CONTACT_MIN_A, output_type="ndarray")
    attached = attached[ligand[attached].any(axis=1)]
    keep = [pairs, attached.astype(np.int64)] + same_ligand
    excluded_pairs = np.sort(np.concatenate(keep), axis=1)
    protein = topo.is_protein() & ~ligand
    _, chain = np.unique(topo.chain_ids, return_inverse=True)
    return Restraints(n_atoms=n, pairs=pairs, target_A=target, slack_A=slack,
                      excluded=np.unique(excluded_pairs[:, 0] * n + excluded_pairs[:, 1]),
                      near=np.where(protein, topo.residue_index(), -1).astype(np.int64),
                      chain=chain.astype(np.int64))


def _contacts(coords: np.ndarray, r: Restraints) -> np.ndarray:
    """(P, 3) int64 (conformer, i, j) of heavy-atom pairs within ``CONTACT_SEARCH_A`` that may be pushed apart."""
    found = []
    for s in range(coords.shape[0]):
        p = cKDTree(coords[s]).query_pairs(CONTACT_SEARCH_A, output_type="ndarray").astype(np.int64)
        if len(p) == 0:
            continue
        i, j = p.min(axis=1), p.max(axis=1)
        neighbours = ((r.near[i] >= 0) & (r.near[j] >= 0) & (r.chain[i] == r.chain[j])
                      & (np.abs(r.near[i] - r.near[j]) <= 1))
        keep = ~neighbours & ~np.isin(i * r.n_atoms + j, r.excluded, assume_unique=False)
        found.append(np.stack([np.full(int(keep.sum()), s), i[keep], j[keep]], axis=1))
    return np.concatenate(found) if found else np.zeros((0, 3), dtype=np.int64)


def _violations(x, pairs: tuple, contacts: tuple) -> tuple:
    """How far each restrained distance lies outside its slack, and each contact under ``CONTACT_MIN_A``
    (Angstrom, <= 0 when satisfied), for conformers x (S, N, 3) torch; pairs (i, j, target, slack),
    contacts (conformer, i, j)."""
    i, j, target, slack = pairs
    cs, ca, cb = contacts
    covalent = ((x[:, i] - x[:, j]).norm(dim=-1) - target).abs() - slack
    return covalent, CONTACT_MIN_A - (x[cs, ca] - x[cs, cb]).norm(dim=-1)


def relax(coords: np.ndarray, r: Restraints, max_rounds: int = MAX_ROUNDS, iterations: int = ITERATIONS
          ) -> np.ndarray:
    """Conformers (S, N, 3) Angstrom moved to satisfy the restraints ``r`` (L-BFGS on the flat-bottom energy).

    Each round looks the contact pairs up again and runs ``iterations`` L-BFGS steps; rounds stop when no
    restraint is violated by more than ``DONE_A`` or after ``max_rounds``. Returns (S, N, 3) float32.
    """
    import torch

    x = torch.tensor(np.asarray(coords), dtype=torch.float32, requires_grad=True)
    pairs = (torch.from_numpy(r.pairs[:, 0]), torch.from_numpy(r.pairs[:, 1]),
             torch.from_numpy(r.target_A).float(), torch.from_numpy(r.slack_A).float())
    for _ in range(max_rounds):
        contacts = tuple(torch.from_numpy(_contacts(x.detach().numpy(), r)).T)
        with torch.no_grad():
            covalent, contact = _violations(x, pairs, contacts)
            if float(torch.cat([covalent.flatten(), contact, covalent.new_zeros(1)]).max()) <= DONE_A:
                break
        optimizer = torch.optim.LBFGS([x], max_iter=iterations, history_size=HISTORY, line_search_fn="strong_wolfe",
                                      tolerance_grad=1e-6, tolerance_change=1e-10)

        def energy() -> torch.Tensor:
            optimizer.zero_grad()
            covalent, contact = _violations(x, pairs, contacts)
            e = torch.relu(covalent).square().sum() + torch.relu(contact).square().sum()
            e.backward()
            return e

        optimizer.step(energy)
    return x.detach().numpy().astype(np.float32)
