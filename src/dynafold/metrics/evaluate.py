"""Score a predicted ensemble against a reference ensemble (the ``evaluate`` command's core)."""

from __future__ import annotations

import numpy as np

from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError
from dynafold.metrics.correlation import pearson, rmse, spearman
from dynafold.metrics.ensemble import (lddt_diversity, lddt_precision, lddt_recall,
                                       pairwise_rmsd_stats)
from dynafold.metrics.lddt import lddt_matrix
from dynafold.metrics.match import match_ensembles
from dynafold.metrics.rmsf import residue_rmsf

ATOM_SELECTIONS = ("ca", "heavy")


def subsample_frames(n_frames: int, n_keep: int, seed: int) -> np.ndarray:
    """Sorted indices of ``n_keep`` frames drawn without replacement (all when fewer)."""
    if n_frames <= n_keep:
        return np.arange(n_frames)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_frames, size=n_keep, replace=False))


def evaluate_ensembles(pred: Ensemble, ref: Ensemble, *, atoms: str = "ca",
                       ref_frames: int = 200, seed: int = 0) -> dict:
    """Compare a predicted ensemble with a reference one (e.g. an MD trajectory).

    Residues and atoms are matched (:func:`match_ensembles`); the reference is
    subsampled to ``ref_frames`` conformers (seeded, without replacement).
    RMSF is per residue on C-alpha after iterative fitting to the mean; lDDT
    uses C-alpha or all matched heavy atoms (``atoms``).

    Returns
    -------
    JSON-ready dict: "rmsf" {pearson, spearman, rmse_A, pred_A, ref_A},
    "lddt" {precision, recall, diversity, mean}, "pairwise_rmsd_A" {"pred", "ref"},
    "n_pred", "n_ref", "atoms", "matched", "ref_frame_indices", "seed".
    """
    if atoms not in ATOM_SELECTIONS:
        raise DynafoldInputError(f"unknown atom selection {atoms!r}; valid: {', '.join(ATOM_SELECTIONS)}")
    if ref_frames < 1:
        raise DynafoldInputError(f"ref_frames must be at least 1, got {ref_frames}")
    pred.require_conformers()
    ref.require_conformers()
    pred_m, ref_m, matched = match_ensembles(pred, ref)
    frames = subsample_frames(ref_m.n_conformers, ref_frames, seed)
    ref_m = ref_m.select_frames(frames)

    pred_rmsf = residue_rmsf(pred_m)
    ref_rmsf = residue_rmsf(ref_m)

    pred_sel, ref_sel = (pred_m.ca(), ref_m.ca()) if atoms == "ca" else (pred_m, ref_m)
    residue_index = ref_sel.topology.residue_index()
    to_ref = lddt_matrix(pred_sel.coords, ref_sel.coords, residue_index).global_
    within = lddt_matrix(pred_sel.coords, pred_sel.coords, residue_index).global_
    ca_pred, ca_ref = pred_m.ca().coords, ref_m.ca().coords
    return {
        "rmsf": {
            "pearson": pearson(pred_rmsf, ref_rmsf),
            "spearman": spearman(pred_rmsf, ref_rmsf),
            "rmse_A": rmse(pred_rmsf, ref_rmsf),
            "pred_A": pred_rmsf.tolist(),
            "ref_A": ref_rmsf.tolist(),
        },
        "lddt": {
            "precision": lddt_precision(to_ref),
            "recall": lddt_recall(to_ref),
            "diversity": lddt_diversity(within),
            "mean": float(to_ref.mean()),
        },
        "pairwise_rmsd_A": {"pred": pairwise_rmsd_stats(ca_pred), "ref": pairwise_rmsd_stats(ca_ref)},
        "n_pred": pred_m.n_conformers,
        "n_ref": ref_m.n_conformers,
        "n_ref_total": ref.n_conformers,
        "atoms": atoms,
        "matched": {**matched, "lddt_atoms": pred_sel.n_atoms},
        "ref_frame_indices": frames.tolist(),
        "seed": seed,
    }
