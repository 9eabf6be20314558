"""Ligand scores of a predicted ensemble against a reference holding the same ligand.

The pocket is the set of protein heavy atoms within ``POCKET_RADIUS_A`` of a
ligand heavy atom in the reference's first conformer. Ligand coordinates are
compared after superposing the pocket; contacts are protein-ligand heavy-atom
pairs closer than ``CONTACT_DISTANCE_A``. Ligand atoms are paired by name, and
symmetric atoms are not swapped.
"""

from __future__ import annotations

import numpy as np

from dynafold.const import CONTACT_DISTANCE_A, POCKET_RADIUS_A
from dynafold.ensemble import Ensemble, Ligand
from dynafold.metrics.correlation import pearson
from dynafold.metrics.match import match_ensembles
from dynafold.metrics.rmsf import residue_rmsf, rmsf
from dynafold.metrics.superpose import kabsch_fit


def _heavy_names(ens: Ensemble, ligand: Ligand) -> dict[str, int]:
    """Atom name -> atom index in ``ens`` of the ligand's heavy atoms."""
    topo = ens.topology
    return {str(topo.atom_names[i]): int(i) for i in ligand.atom_index if topo.elements[i] not in ("H", "D")}


def ligand_pairs(pred: Ensemble, ref: Ensemble) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The ligands both ensembles hold: (label, pred atom indices, ref atom indices) of their heavy atoms.

    A reference ligand pairs with the first unpaired predicted ligand of the same
    residue name and the same heavy-atom names; atoms are paired by name, in the
    reference's order. The label is "NAME CHAIN NUMBER" of the reference residue.
    """
    pairs, used = [], set()
    for ref_lig in ref.ligands:
        ref_atoms = _heavy_names(ref, ref_lig)
        name = ref_lig.residue_name(ref.topology)
        for p, pred_lig in enumerate(pred.ligands):
            pred_atoms = _heavy_names(pred, pred_lig)
            if p in used or pred_lig.residue_name(pred.topology) != name or pred_atoms.keys() != ref_atoms.keys():
                continue
            used.add(p)
            first = ref_lig.atom_index[0]
            label = f"{name} {ref.topology.chain_ids[first]}{ref.topology.res_ids[first]}"
            pairs.append((label, np.array([pred_atoms[a] for a in ref_atoms], dtype=np.int64),
                          np.fromiter(ref_atoms.values(), dtype=np.int64)))
            break
    return pairs


def pocket_atoms(protein: np.ndarray, ligand: np.ndarray, radius_A: float = POCKET_RADIUS_A) -> np.ndarray:
    """(N,) bool: protein atoms within ``radius_A`` of any ligand atom; protein (N, 3), ligand (L, 3), Angstrom."""
    d2 = ((protein[:, None, :] - ligand[None, :, :]) ** 2).sum(-1)
    return (d2 <= radius_A**2).any(axis=1)


def contact_persistence(protein: np.ndarray, ligand: np.ndarray, residue_index: np.ndarray,
                        n_residues: int, cutoff_A: float = CONTACT_DISTANCE_A) -> np.ndarray:
    """Fraction of conformers in which each residue has a heavy atom within ``cutoff_A`` of the ligand.

    protein (K, N, 3), ligand (K, L, 3) Angstrom; residue_index (N,) in 0..n_residues-1.
    Returns (n_residues,) in [0, 1].
    """
    seen = np.zeros(n_residues)
    for frame_protein, frame_ligand in zip(np.asarray(protein, np.float64), np.asarray(ligand, np.float64)):
        close = pocket_atoms(frame_protein, frame_ligand, cutoff_A)
        seen[np.unique(residue_index[close])] += 1
    return seen / len(protein)


def _stats(values: np.ndarray) -> dict:
    return {"mean": float(values.mean()), "std": float(values.std())}


def ligand_metrics(pred: Ensemble, ref: Ensemble) -> list[dict]:
    """Score each ligand held by both ensembles (see :func:`ligand_pairs`); [] when none.

    Ligands with fewer than 3 pocket atoms (nothing to superpose on) are left out.

    Per ligand, a JSON-ready dict:
    "ligand" (label), "atoms" (heavy atoms), "pocket" {"atoms", "residues"};
    "rmsd_A" {"pred", "ref"}: {"mean", "std"} over conformers of the ligand RMSD to
    the reference's first conformer after superposing the pocket on it;
    "rmsf_A" {"pred", "ref", "pearson"}: per-atom ligand RMSF after iterative
    fitting of the pocket to the ensemble's mean;
    "pocket_rmsf" {"pearson", "residues"}: C-alpha RMSF (as in ``evaluate``) of
    the pocket residues, correlated;
    "contacts" {"residues", "pred", "ref", "pearson"}: contact persistence of each
    residue in contact in either ensemble, and the correlation of the two.
    Protein residues and atoms are paired with :func:`match_ensembles`.
    """
    pairs = ligand_pairs(pred, ref)
    if not pairs:
        return []
    pred_m, ref_m, _ = match_ensembles(pred, ref)
    residue_index = ref_m.topology.residue_index()
    keys = ref_m.topology.residue_keys()
    ca_residue = residue_index[ref_m.topology.ca()]
    pred_ca_rmsf, ref_ca_rmsf = residue_rmsf(pred_m), residue_rmsf(ref_m)
    results = []
    for label, pred_atoms, ref_atoms in pairs:
        lig = {"pred": pred.coords[:, pred_atoms], "ref": ref.coords[:, ref_atoms]}
        prot = {"pred": pred_m.coords, "ref": ref_m.coords}
        pocket = pocket_atoms(ref_m.coords[0].astype(np.float64), lig["ref"][0].astype(np.float64))
        n_pocket = int(pocket.sum())
        if n_pocket < 3:  # no pocket to superpose on (a ligand away from the protein)
            continue
        fit = np.flatnonzero(pocket)
        target = np.concatenate([ref_m.coords[0], lig["ref"][0]]).astype(np.float64)
        rmsd, fluct = {}, {}
        for side in ("pred", "ref"):
            both = np.concatenate([prot[side], lig[side]], axis=1)
            moved = kabsch_fit(both, target, fit)[:, len(pocket):]
            rmsd[side] = _stats(np.sqrt(((moved - target[len(pocket):]) ** 2).sum(-1).mean(-1)))
            fluct[side] = rmsf(both, "mean", fit)[len(pocket):]
        pocket_ca = np.isin(ca_residue, np.unique(residue_index[pocket]))
        persistence = {side: contact_persistence(prot[side], lig[side], residue_index, len(keys))
                       for side in ("pred", "ref")}
        touched = np.flatnonzero((persistence["pred"] > 0) | (persistence["ref"] > 0))
        results.append({
            "ligand": label,
            "atoms": len(ref_atoms),
            "pocket": {"atoms": n_pocket, "residues": int(len(np.unique(residue_index[pocket])))},
            "rmsd_A": rmsd,
            "rmsf_A": {"pred": fluct["pred"].tolist(), "ref": fluct["ref"].tolist(),
                       "pearson": pearson(fluct["pred"], fluct["ref"])},
            "pocket_rmsf": {"pearson": pearson(pred_ca_rmsf[pocket_ca], ref_ca_rmsf[pocket_ca]),
                            "residues": int(pocket_ca.sum())},
            "contacts": {"residues": [f"{keys[r][0]}:{keys[r][1]}{keys[r][2]}" for r in touched],
                         "pred": persistence["pred"][touched].tolist(),
                         "ref": persistence["ref"][touched].tolist(),
                         "pearson": pearson(persistence["pred"][touched], persistence["ref"][touched])},
        })
    return results
