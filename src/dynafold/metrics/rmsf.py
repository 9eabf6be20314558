"""Root-mean-square fluctuation and the B-factor <-> RMSF relation."""

from __future__ import annotations

import numpy as np

from dynafold.const import DEBYE_WALLER_FACTOR
from dynafold.ensemble import Ensemble
from dynafold.errors import DynafoldInputError
from dynafold.metrics.superpose import fit_to_mean, kabsch_fit

SUPERPOSE_MODES = ("mean", "first", "none")


def rmsf(coords: np.ndarray, superpose: str | np.ndarray = "mean",
         fit_index: np.ndarray | None = None) -> np.ndarray:
    """Per-atom RMSF about the ensemble mean.

    Parameters
    ----------
    coords : (K, N, 3) Angstrom.
    superpose : "mean" (iterative fit to the ensemble mean), "first" (fit to
        conformer 0), "none", or a (N, 3) structure to fit onto.
    fit_index : atoms used for the fit (all when None).

    Returns
    -------
    (N,) RMSF in Angstrom: sqrt(mean_k |x_k - <x>|^2).
    """
    x = np.asarray(coords, dtype=np.float64)
    if x.ndim != 3 or len(x) == 0:
        raise DynafoldInputError(f"RMSF needs (K, N, 3) coordinates with K >= 1, got {x.shape}")
    if isinstance(superpose, str):
        if superpose == "mean":
            x = fit_to_mean(x, fit_index)
        elif superpose == "first":
            x = kabsch_fit(x, x[0], fit_index)
        elif superpose != "none":
            raise DynafoldInputError(f"unknown superposition {superpose!r}; "
                                     f"valid: {', '.join(SUPERPOSE_MODES)} or a structure")
    else:
        x = kabsch_fit(x, np.asarray(superpose, dtype=np.float64), fit_index)
    return np.sqrt(((x - x.mean(axis=0)) ** 2).sum(-1).mean(0))


def residue_rmsf(ensemble: Ensemble, superpose: str | np.ndarray = "mean") -> np.ndarray:
    """Per-residue C-alpha RMSF (Angstrom), fitting on the C-alpha atoms; shape (R_ca,)."""
    return rmsf(ensemble.ca().coords, superpose)


def rmsf_to_bfactor(rmsf_A: np.ndarray) -> np.ndarray:
    """B-factor (A^2) from RMSF (A): B = DEBYE_WALLER_FACTOR * RMSF^2."""
    return DEBYE_WALLER_FACTOR * np.asarray(rmsf_A, dtype=np.float64) ** 2


def bfactor_to_rmsf(bfactor_A2: np.ndarray) -> np.ndarray:
    """RMSF (A) from B-factor (A^2); negative B-factors give 0."""
    b = np.clip(np.asarray(bfactor_A2, dtype=np.float64), 0.0, None)
    return np.sqrt(b / DEBYE_WALLER_FACTOR)
