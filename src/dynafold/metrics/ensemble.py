"""Ensemble-level scores: lDDT precision, recall, diversity; pairwise RMSD statistics."""

from __future__ import annotations

import numpy as np

from dynafold.errors import DynafoldInputError
from dynafold.metrics.superpose import pairwise_rmsd


def lddt_precision(lddt_pred_ref: np.ndarray) -> float:
    """mean_i max_k L[i, k]: how close each predicted conformer is to some reference one."""
    return float(np.asarray(lddt_pred_ref).max(axis=1).mean())


def lddt_recall(lddt_pred_ref: np.ndarray) -> float:
    """mean_k max_i L[i, k]: how well each reference conformer is covered by the prediction."""
    return float(np.asarray(lddt_pred_ref).max(axis=0).mean())


def lddt_diversity(lddt_pred_pred: np.ndarray) -> float:
    """Mean of 1 - L[i, j] over ordered pairs i != j of predicted conformers (NaN for K < 2)."""
    mat = np.asarray(lddt_pred_pred, dtype=np.float64)
    k = len(mat)
    if mat.shape != (k, k):
        raise DynafoldInputError(f"diversity needs a square lDDT matrix, got {mat.shape}")
    if k < 2:
        return float("nan")
    off = ~np.eye(k, dtype=bool)
    return float((1.0 - mat[off]).mean())


def pairwise_rmsd_stats(coords: np.ndarray) -> dict:
    """Statistics of the superposed RMSD over pairs i < j of conformers (Angstrom).

    coords : (K, N, 3). Returns {"mean", "median", "min", "max", "n_pairs"}; NaN for K < 2.
    """
    k = len(coords)
    if k < 2:
        return {"mean": float("nan"), "median": float("nan"), "min": float("nan"),
                "max": float("nan"), "n_pairs": 0}
    values = pairwise_rmsd(coords)[np.triu_indices(k, 1)]
    return {"mean": float(values.mean()), "median": float(np.median(values)),
            "min": float(values.min()), "max": float(values.max()), "n_pairs": int(len(values))}
