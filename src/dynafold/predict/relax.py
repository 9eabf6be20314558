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
DONE_A = 0.1  # a conformer with no restraint violated by more than this is left as it is (checks allow 0.2-0.3)
SETTLED_A = 0.01  # a conformer being relaxed is done when no restraint is violated by more than this
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


@dataclass(frozen=True)
class _Energy:
    """Flat-bottom energy (A^2) of S conformers of N atoms for one round of contacts, with its gradient.

    Rows are the restrained pairs of every conformer, then the contacts; ``links`` (rows x S N, sparse)
    gives each row's x_i - x_j from the flat coordinates (S N, 3) in one product, and its transpose
    gathers the gradient back onto the atoms.
    """

    links: object  # scipy.sparse CSR matrix
    links_t: object
    target_A: np.ndarray  # (S M,) restrained distances, each conformer's rows in turn
    slack_A: np.ndarray  # (S M,)

    @classmethod
    def build(cls, n_conformers: int, r: Restraints, contacts: np.ndarray) -> _Energy:
        """The energy of ``n_conformers`` conformers under ``r`` and the contacts (conformer, i, j)."""
        from scipy.sparse import csr_matrix

        frame = (np.arange(n_conformers) * r.n_atoms)[:, None]
        cs, ca, cb = contacts.T
        first = np.concatenate([(frame + r.pairs[:, 0]).ravel(), cs * r.n_atoms + ca])
        second = np.concatenate([(frame + r.pairs[:, 1]).ravel(), cs * r.n_atoms + cb])
        rows = np.arange(len(first))
        links = csr_matrix((np.repeat([1.0, -1.0], len(first)), (np.tile(rows, 2), np.concatenate([first, second]))),
                           shape=(len(first), n_conformers * r.n_atoms))
        return cls(links, links.T.tocsr(), np.tile(r.target_A, n_conformers), np.tile(r.slack_A, n_conformers))

    def violations(self, flat: np.ndarray) -> np.ndarray:
        """How far each row lies outside its slack, or each contact under ``CONTACT_MIN_A`` (A, <= 0 when
        satisfied), at the flat coordinates ``flat`` (S N 3,) float64."""
        return self._rows(flat)[2]

    def __call__(self, flat: np.ndarray) -> tuple[float, np.ndarray]:
        """Energy and gradient (S N 3,) at the flat coordinates ``flat`` (S N 3,) float64."""
        delta, dist, violation, direction = self._rows(flat)
        excess = np.maximum(violation, 0.0)
        scale = np.divide(2.0 * excess * direction, dist, out=np.zeros_like(dist), where=dist > 0)
        return float(np.square(excess).sum()), (self.links_t @ (scale[:, None] * delta)).ravel()

    def _rows(self, flat: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per row: x_i - x_j (rows, 3), its length, the violation, and d violation / d length (+-1)."""
        delta = self.links @ flat.reshape(-1, 3)
        dist = np.sqrt(np.einsum("ij,ij->i", delta, delta))
        m = len(self.target_A)
        off = dist[:m] - self.target_A
        violation = np.concatenate([np.abs(off) - self.slack_A, CONTACT_MIN_A - dist[m:]])
        return delta, dist, violation, np.concatenate([np.sign(off), -np.ones(len(dist) - m)])


def relax(coords: np.ndarray, r: Restraints, max_rounds: int = MAX_ROUNDS, iterations: int = ITERATIONS
          ) -> np.ndarray:
    """Conformers (S, N, 3) Angstrom moved to satisfy the restraints ``r`` (L-BFGS on the flat-bottom energy).

    One conformer at a time, in rounds: each round looks the contact pairs up again and runs at most
    ``iterations`` L-BFGS steps (scipy's L-BFGS-B, float64). A conformer with no restraint violated by
    more than ``DONE_A`` is left as it is; one that needs relaxing is relaxed until none is violated by
    more than ``SETTLED_A``, or for ``max_rounds`` rounds. Returns (S, N, 3) float32.
    """
    from scipy.optimize import minimize

    out = np.array(coords, dtype=np.float64)
    for x in out:  # one conformer at a time: each converges on its own
        for done in [DONE_A] + [SETTLED_A] * (max_rounds - 1):
            energy = _Energy.build(1, r, _contacts(x[None], r))
            if energy.violations(x.ravel()).max(initial=0.0) <= done:
                break
            result = minimize(energy, x.ravel(), method="L-BFGS-B", jac=True,
                              options={"maxiter": iterations, "maxfun": iterations * 5 // 4, "maxcor": HISTORY,
                                       "gtol": 1e-6, "ftol": 1e-10})
            x[:] = result.x.reshape(x.shape)
    return out.astype(np.float32)
