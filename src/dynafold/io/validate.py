"""Frame checks applied on load: finite, under 1000 A, not all zero."""

from __future__ import annotations

import numpy as np

from dynafold.ensemble import Ensemble
from dynafold.errors import EmptyEnsembleError

MAX_ABS_COORD_A = 1000.0


def bad_frames(coords: np.ndarray) -> np.ndarray:
    """Boolean (K,) mask of frames that are non-finite, out of range or all zero.

    coords: (K, N, 3) Angstrom.
    """
    flat = coords.reshape(coords.shape[0], -1)
    nonfinite = ~np.isfinite(flat).all(axis=1)
    with np.errstate(invalid="ignore"):
        too_far = np.nan_to_num(np.abs(flat), nan=0.0).max(axis=1, initial=0.0) >= MAX_ABS_COORD_A
    all_zero = ~np.any(np.nan_to_num(flat) != 0.0, axis=1)
    return nonfinite | too_far | all_zero


def cut_at_first_bad_frame(ensemble: Ensemble, source: str) -> Ensemble:
    """Return the ensemble cut before its first bad frame, recording the cut in notes.

    Raises EmptyEnsembleError when no frame is left.
    """
    if ensemble.n_conformers == 0:
        raise EmptyEnsembleError("no frames", source)
    bad = bad_frames(ensemble.coords)
    if not bad.any():
        return ensemble
    first = int(np.argmax(bad))
    if first == 0:
        raise EmptyEnsembleError("the first frame is invalid (non-finite, all zero or "
                                 f"coordinates >= {MAX_ABS_COORD_A:g} A)", source)
    kept = ensemble.select_frames(slice(0, first))
    kept.notes.append(f"cut at frame {first} of {ensemble.n_conformers}: invalid coordinates "
                      "(non-finite, all zero or out of range); later frames dropped")
    return kept
