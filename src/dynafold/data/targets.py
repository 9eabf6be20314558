"""Training targets computed from an ensemble: pure functions over arrays."""

from __future__ import annotations

import numpy as np

from dynafold.const import BFACTOR_MIN_VALID_A2, DISTOGRAM_BOUNDARIES_A
from dynafold.ensemble import Ensemble
from dynafold.metrics.rmsf import rmsf, rmsf_to_bfactor

_ROW_BLOCK = 128  # residues per block of the distogram histogram (bounds the int64 counts)


def distogram_bins(distances_A: np.ndarray, boundaries_A: np.ndarray = DISTOGRAM_BOUNDARIES_A) -> np.ndarray:
    """Bin index of each distance: the number of boundaries strictly below it.

    This is ``np.searchsorted(boundaries, d, side="left")`` and
    ``torch.bucketize(d, boundaries, right=False)``: a distance equal to a
    boundary falls in the lower bin. 63 boundaries give bins 0..63.
    """
    return np.searchsorted(boundaries_A, distances_A, side="left")


def aggregated_distogram(coords: np.ndarray, mask: np.ndarray | None = None,
                         boundaries_A: np.ndarray = DISTOGRAM_BOUNDARIES_A) -> np.ndarray:
    """Mean over conformers of the one-hot distograms of representative atoms.

    Parameters
    ----------
    coords : (K, R, 3) Angstrom, one representative atom per residue.
    mask : (R,) bool, residues that have a representative atom.

    Returns
    -------
    (R, R, n_bins) float32. Every pair of valid residues sums to 1 over bins
    (the diagonal sits in bin 0); pairs with an invalid residue are all zero.
    Built by accumulating a histogram block by block: memory O(R^2 n_bins)
    for the float32 result, never O(K R^2 n_bins).
    """
    coords = np.asarray(coords, dtype=np.float64)
    n_conf, n_res = coords.shape[:2]
    n_bins = len(boundaries_A) + 1
    hist = np.zeros((n_res, n_res, n_bins), dtype=np.float32)
    for i0 in range(0, n_res, _ROW_BLOCK):
        rows = slice(i0, min(i0 + _ROW_BLOCK, n_res))
        n_rows = rows.stop - rows.start
        offsets = np.arange(n_rows * n_res, dtype=np.int64) * n_bins
        counts = np.zeros(n_rows * n_res * n_bins, dtype=np.int64)
        for k in range(n_conf):
            d = np.linalg.norm(coords[k, rows, None] - coords[k, None, :], axis=-1)
            counts += np.bincount(offsets + distogram_bins(d, boundaries_A).ravel(), minlength=counts.size)
        hist[rows] = counts.reshape(n_rows, n_res, n_bins) / max(n_conf, 1)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        hist[~(mask[:, None] & mask[None, :])] = 0.0
    return hist


def sample_conformer(n_conformers: int, rng: np.random.Generator) -> int:
    """Index of one conformer drawn uniformly at random (for the denoiser)."""
    return int(rng.integers(n_conformers))


def template_candidates(n_conformers: int, n_templates: int) -> np.ndarray:
    """Indices of up to ``n_templates`` evenly spaced conformers, the first among them.

    These are the conformers a training item may take as its template: each
    ensemble then teaches the spread around several of its members, not only
    around the first.
    """
    return np.unique(np.linspace(0, n_conformers - 1, min(n_templates, n_conformers)).round().astype(int))


def representative_coords(ensemble: Ensemble) -> tuple[np.ndarray, np.ndarray]:
    """Representative-atom (CB, CA for Gly) coordinates per residue.

    Returns coords (K, R, 3) Angstrom (zeros where missing) and mask (R,) bool.
    """
    rep = ensemble.topology.representative_atoms()
    mask = rep >= 0
    mask[mask] &= ensemble.mask[rep[mask]]
    coords = np.zeros((ensemble.n_conformers, len(rep), 3), dtype=np.float32)
    coords[:, mask] = ensemble.coords[:, rep[mask]]
    return coords, mask


def masked_residue_rmsf(ensemble: Ensemble, atom: str = "ca") -> tuple[np.ndarray, np.ndarray]:
    """Per-residue RMSF (Angstrom) after superposition, and its mask (training targets).

    Unlike :func:`dynafold.metrics.rmsf.residue_rmsf` (C-alpha atoms only, one
    value per C-alpha) this gives one value per residue of the ensemble.

    atom: "ca" (C-alpha) or "rep" (CB, CA for glycine). The conformers are
    fitted on those atoms iteratively to their mean
    (:func:`dynafold.metrics.rmsf.rmsf`). Residues without the atom, and every
    residue of a single-conformer ensemble, are masked out.
    Returns rmsf (R,) float64 and mask (R,) bool.
    """
    n_res = ensemble.n_residues
    if atom == "ca":
        idx = np.full(n_res, -1, dtype=np.int64)
        ca = np.nonzero(ensemble.topology.ca() & ensemble.mask)[0]
        idx[ensemble.topology.residue_index()[ca]] = ca
    else:
        idx = ensemble.topology.representative_atoms()
    mask = idx >= 0
    values = np.zeros(n_res, dtype=np.float64)
    if ensemble.n_conformers < 2 or mask.sum() < 3:
        return values, np.zeros(n_res, dtype=bool)
    values[mask] = rmsf(ensemble.coords[:, idx[mask]], superpose="mean")
    return values, mask


def residue_targets(protein: Ensemble) -> dict[str, np.ndarray]:
    """Per-residue targets of a protein ensemble (R residues).

    - ``rmsf_A``/``rmsf_mask``: C-alpha RMSF after superposition (masked when K == 1);
    - ``bfactor_A2``/``bfactor_mask``: for MD ensembles (method 'md', K > 1)
      DEBYE_WALLER_FACTOR * RMSF^2 of the representative atom; otherwise the
      file's B-factors of the representative atom in the first conformer.
      B <= BFACTOR_MIN_VALID_A2 and missing values are masked.
    """
    rmsf_A, rmsf_mask = masked_residue_rmsf(protein, "ca")
    if protein.method == "md" and protein.n_conformers > 1:
        rep_rmsf, rep_mask = masked_residue_rmsf(protein, "rep")
        bfactor = rmsf_to_bfactor(rep_rmsf)
        valid = rep_mask
    else:
        rep = protein.topology.representative_atoms()
        valid = rep >= 0
        bfactor = np.zeros(len(rep), dtype=np.float64)
        if protein.bfactors is not None:
            bfactor[valid] = protein.bfactors[0, rep[valid]]
        else:
            valid[:] = False
    return {
        "rmsf_A": rmsf_A.astype(np.float32),
        "rmsf_mask": rmsf_mask,
        "bfactor_A2": bfactor.astype(np.float32),
        "bfactor_mask": valid & (bfactor > BFACTOR_MIN_VALID_A2),
    }
