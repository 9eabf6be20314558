"""Match the residues and atoms of two ensembles of the same protein."""

from __future__ import annotations

import difflib

import numpy as np

from dynafold.ensemble import Ensemble
from dynafold.errors import TopologyMismatchError

# a match must cover this fraction of the reference residues
MIN_RESIDUE_FRACTION = 0.95


def _residue_pairs_by_key(pred: Ensemble, ref: Ensemble) -> list[tuple[int, int]]:
    pred_keys = {key: i for i, key in enumerate(pred.topology.residue_keys())}
    return [(pred_keys[key], r) for r, key in enumerate(ref.topology.residue_keys()) if key in pred_keys]


def _residue_pairs_by_sequence(pred_seq: str, ref_seq: str) -> list[tuple[int, int]]:
    matcher = difflib.SequenceMatcher(None, pred_seq, ref_seq, autojunk=False)
    return [(block.a + n, block.b + n) for block in matcher.get_matching_blocks()
            for n in range(block.size)]


def match_ensembles(pred: Ensemble, ref: Ensemble) -> tuple[Ensemble, Ensemble, dict]:
    """Restrict two ensembles to their common protein residues and atoms, in one order.

    Residues are paired by (chain, number, insertion code) when those agree in
    residue name; otherwise by a global sequence alignment (difflib). Atoms are
    paired by name within paired residues.

    Returns
    -------
    (pred_sub, ref_sub, info) with the same atoms in the same order;
    info = {"residues", "atoms", "ref_residues", "by": "numbering" | "sequence"}.

    Raises
    ------
    TopologyMismatchError when fewer than 95 % of the reference residues match.
    """
    pred, ref = pred.protein(), ref.protein()
    pred_names = pred.topology.res_names[pred.topology.residue_starts()]
    ref_names = ref.topology.res_names[ref.topology.residue_starts()]
    pred_seq, ref_seq = pred.topology.sequence(), ref.topology.sequence()
    pairs = _residue_pairs_by_key(pred, ref)
    by = "numbering"
    same = [p for p, r in pairs if pred_seq[p] == ref_seq[r]]
    if len(same) < MIN_RESIDUE_FRACTION * len(ref_names):
        pairs, by = _residue_pairs_by_sequence(pred_seq, ref_seq), "sequence"
    pairs = [(p, r) for p, r in pairs if pred_seq[p] == ref_seq[r]]
    if len(pairs) < MIN_RESIDUE_FRACTION * len(ref_names):
        raise TopologyMismatchError(
            f"sequences disagree: only {len(pairs)} of {len(ref_names)} reference residues "
            f"match the prediction ({len(pred_names)} residues); predicted "
            f"{pred_seq[:30]}{'...' if len(pred_seq) > 30 else ''} vs reference "
            f"{ref_seq[:30]}{'...' if len(ref_seq) > 30 else ''}")
    pred_atoms = _atoms_by_residue(pred)
    ref_atoms = _atoms_by_residue(ref)
    pi, ri = [], []
    for p, r in pairs:
        for name, index in ref_atoms[r].items():
            if name in pred_atoms[p]:
                pi.append(pred_atoms[p][name])
                ri.append(index)
    info = {"residues": len(pairs), "atoms": len(pi), "ref_residues": len(ref_names), "by": by}
    return pred.select_atoms(np.array(pi, dtype=np.int64)), ref.select_atoms(np.array(ri, dtype=np.int64)), info


def _atoms_by_residue(ens: Ensemble) -> list[dict[str, int]]:
    res = ens.topology.residue_index()
    out: list[dict[str, int]] = [{} for _ in range(ens.n_residues)]
    for i, (r, name) in enumerate(zip(res, ens.topology.atom_names)):
        out[r].setdefault(str(name), i)
    return out
