"""Which ligands of an MD trajectory a stored system keeps: the MISATO rules of :mod:`dynafold.data.curation`.

A ligand here is a molecule made of the ligand residues of ``Ensemble.ligands``
(water and ions are stripped on reading): residues whose heavy atoms lie within
covalent distance of each other in the first frame form one molecule. A
molecule is dropped when

- it spans several residues (a glycan, a lipid chain made of residues), or
- it is a peptide or modified amino acid (amino-acid residue names, or a
  Chemical Component Dictionary entry linked as a peptide), or
- its heavy atoms are farther than ``max_distance_A`` (12 A) from every
  protein heavy atom in any frame.

MISATO drops the whole complex on these rules, as its systems are defined by
their ligand (:mod:`dynafold.data.misato`). A general trajectory is kept as a
protein system: the rule drops the ligand, not the protein, and the system
records what it dropped and why. All frames are kept.
"""

from __future__ import annotations

import numpy as np

from dynafold.data.curation import (
    MISATO_MAX_LIGAND_DISTANCE_A,
    ligand_is_multi_residue,
    ligand_is_peptide,
    min_distance_per_frame,
)
from dynafold.ensemble import Ensemble

COVALENT_CONTACT_A = 2.1  # heavy atoms of two residues this close are bonded (longest common bond: S-S 2.05 A)


def ligand_molecules(ensemble: Ensemble) -> list[list[int]]:
    """Groups of ``ensemble.ligands`` (indices) bonded to each other in the first conformer, in ligand order."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(ensemble.ligands)
    if n == 0:
        return []
    atoms = np.concatenate([lig.atom_index for lig in ensemble.ligands])
    owner = np.concatenate([np.full(lig.n_atoms, i) for i, lig in enumerate(ensemble.ligands)])
    pairs = cKDTree(ensemble.coords[0, atoms]).query_pairs(COVALENT_CONTACT_A, output_type="ndarray")
    links = owner[pairs].reshape(-1, 2)
    graph = coo_matrix((np.ones(len(links)), (links[:, 0], links[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(label):
        groups.setdefault(int(lab), []).append(i)
    return sorted(groups.values())


def ligand_label(ensemble: Ensemble, index: int) -> str:
    """'RES chain number' of ligand ``index`` (for notes and the manifest)."""
    topo = ensemble.topology
    first = ensemble.ligands[index].atom_index[0]
    return f"{topo.res_names[first]} {topo.chain_ids[first]} {topo.res_ids[first]}{topo.ins_codes[first]}"


def _rejection(ensemble: Ensemble, group: list[int], protein: np.ndarray, max_distance_A: float) -> str | None:
    from dynafold.io.ligands import is_amino_acid_code

    if ligand_is_multi_residue(len(group)):
        return f"multi-residue ligand ({len(group)} residues bonded together, e.g. a glycan)"
    names = [ensemble.ligands[i].residue_name(ensemble.topology) for i in group]
    if ligand_is_peptide(names, "") or any(is_amino_acid_code(n) for n in names):
        return "peptide or modified amino acid"
    atoms = np.concatenate([ensemble.ligands[i].atom_index for i in group])
    distance = min_distance_per_frame(ensemble.coords[:, protein], ensemble.coords[:, atoms])
    far = np.flatnonzero(distance > max_distance_A)
    if len(far):
        return (f"farther than {max_distance_A:g} A from the protein in {len(far)} of {len(distance)} frames "
                f"(first: frame {far[0]}, {distance[far[0]]:.1f} A)")
    return None


def split_ligands(ensemble: Ensemble, max_distance_A: float = MISATO_MAX_LIGAND_DISTANCE_A
                  ) -> tuple[Ensemble, Ensemble | None, list[dict]]:
    """The protein heavy atoms, the kept ligands' heavy atoms (None when none is kept) and the dropped ligands.

    Each dropped ligand is ``{"ligand": "RES chain number", "reason": ...}``
    (one record per residue of a dropped molecule) and a note of the protein
    ensemble. The ligand ensemble holds all conformers of the kept ligands, in
    topology order, with their chemistry in ``ligands``.
    """
    protein_atoms = ensemble.topology.protein_heavy()
    protein = ensemble.protein()
    keep = np.zeros(ensemble.n_atoms, dtype=bool)
    dropped: list[dict] = []
    for group in ligand_molecules(ensemble):
        reason = _rejection(ensemble, group, protein_atoms, max_distance_A)
        for i in group:
            if reason is None:
                keep[ensemble.ligands[i].atom_index] = True
            else:
                dropped.append({"ligand": ligand_label(ensemble, i), "reason": reason})
    keep &= ~ensemble.topology.is_hydrogen()
    protein.notes.extend(f"ligand {d['ligand']} dropped: {d['reason']}" for d in dropped)
    ligands = ensemble.select_atoms(keep) if keep.any() else None
    if ligands is not None:
        ligands.notes = []
    return protein, ligands, dropped
