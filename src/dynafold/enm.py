"""Elastic network models of one structure: the anisotropic (ANM) and Gaussian (GNM) network models.

Both act on C-alpha atoms (Angstrom). The benchmark's ``anm``/``gnm`` generators
(:mod:`dynafold.bench.enm`) and the model's input features (:func:`enm_features`)
share this one implementation.

* GNM: Kirchhoff matrix ``G[i, j] = -gamma`` for ``i != j`` closer than the
  cutoff (7.3 A), ``G[i, i] = -sum_j G[i, j]``. Residue covariance: ``pinv(G)``
  (one zero mode per connected part removed).
* ANM: 3N x 3N Hessian with cutoff 15 A; the 3x3 super-element of a contact
  is ``-gamma * d d^T / |d|^2``, the diagonal block minus the sum of its row.
  Residue covariance: traces of the 3x3 blocks of ``pinv(H)`` (six zero modes
  per connected part removed).

Values carry the unknown factor kT / gamma ("raw units").
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from dynafold.errors import DynafoldInputError

ANM_CUTOFF_A = 15.0
GNM_CUTOFF_A = 7.3
SPRING_GAMMA = 1.0
ZERO_MODE_TOL = 1e-6  # eigenvalues below this (relative to the largest) are zero modes
MODELS = ("anm", "gnm")
CUTOFFS_A = {"anm": ANM_CUTOFF_A, "gnm": GNM_CUTOFF_A}  # contact cutoff of each network model
MIN_RESIDUES = 4  # fewer C-alpha atoms than this carry no elastic-network information
ENM_SINGLE_FEATURES = 2 * len(MODELS)  # per residue: relative and absolute log MSF of each model
ENM_PAIR_FEATURES = len(MODELS)  # per pair: normalised cross-correlation of each model


def gnm_kirchhoff(ca_A: np.ndarray, cutoff_A: float = GNM_CUTOFF_A,
                  gamma: float = SPRING_GAMMA) -> np.ndarray:
    """Kirchhoff (connectivity) matrix, shape (N, N) float64, of C-alpha coords (N, 3) Angstrom."""
    dist = cdist(ca_A.astype(np.float64), ca_A.astype(np.float64))
    kirchhoff = -gamma * ((dist < cutoff_A) & ~np.eye(len(ca_A), dtype=bool))
    kirchhoff[np.diag_indices_from(kirchhoff)] = -kirchhoff.sum(axis=1)
    return kirchhoff


def anm_hessian(ca_A: np.ndarray, cutoff_A: float = ANM_CUTOFF_A,
                gamma: float = SPRING_GAMMA) -> np.ndarray:
    """ANM Hessian, shape (3N, 3N) float64, of C-alpha coords (N, 3) Angstrom."""
    x = ca_A.astype(np.float64)
    n = len(x)
    diff = x[None, :, :] - x[:, None, :]  # (N, N, 3): x_j - x_i
    d2 = (diff**2).sum(-1)
    contact = (d2 < cutoff_A**2) & ~np.eye(n, dtype=bool)
    blocks = np.zeros((n, n, 3, 3))
    blocks[contact] = -gamma * np.einsum("pa,pb->pab", diff[contact], diff[contact]) / d2[contact][:, None, None]
    blocks[np.arange(n), np.arange(n)] = -blocks.sum(axis=1)
    return blocks.transpose(0, 2, 1, 3).reshape(3 * n, 3 * n)


def network_matrix(ca_A: np.ndarray, model: str) -> np.ndarray:
    """The ANM Hessian or GNM Kirchhoff matrix of C-alpha coords (N, 3) Angstrom."""
    return anm_hessian(ca_A) if check_model(model) == "anm" else gnm_kirchhoff(ca_A)


def nonzero_modes(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (M,) and eigenvectors (D, M) of a symmetric matrix, zero modes removed."""
    values, vectors = np.linalg.eigh(matrix)
    keep = values > ZERO_MODE_TOL * values.max()
    return values[keep], vectors[:, keep]


def raw_msf(ca_A: np.ndarray, model: str) -> np.ndarray:
    """Raw mean-square fluctuation per residue (N,), in units of kT / gamma.

    GNM: ``pinv(G)[i, i]``; ANM: trace of the i-th 3x3 diagonal block of ``pinv(H)``.
    """
    return np.diag(residue_covariance(ca_A, model)).copy()


def weighted_contact_number(ca_A: np.ndarray) -> np.ndarray:
    """Weighted contact number (N,) of C-alpha coords (N, 3) Angstrom: sum of 1 / d^2 over the others, A^-2.

    Its inverse follows crystallographic B-factors as closely as the elastic
    network models do (Lin, Huang and Chen, Proteins 2008): a packing baseline
    for the B-factor head. Distances below 1 A count as 1 A (coincident atoms).
    """
    x = np.asarray(ca_A, dtype=np.float64)
    d2 = np.maximum(cdist(x, x, "sqeuclidean"), 1.0)
    np.fill_diagonal(d2, np.inf)
    return (1.0 / d2).sum(axis=1)


def residue_covariance(ca_A: np.ndarray, model: str) -> np.ndarray:
    """Raw residue covariance (N, N) float64, kT / gamma: ``pinv(G)`` or the 3x3 block traces of ``pinv(H)``.

    ``F F^T`` of each connected part's factor (:func:`_part_factor`; the
    pseudo-inverse of a block-diagonal matrix is block-diagonal).
    """
    x = np.asarray(ca_A, dtype=np.float64)
    cov = np.zeros((len(x), len(x)))
    for idx in _connected_parts(x, model):
        factor = _part_factor(x[idx], model)
        inv = factor @ factor.T
        if model == "anm":
            inv = np.einsum("iaja->ij", inv.reshape(len(idx), 3, len(idx), 3))
        cov[np.ix_(idx, idx)] = inv
    return cov


def _connected_parts(x: np.ndarray, model: str) -> list[np.ndarray]:
    """Residue indices of each connected part of the network with at least two residues."""
    from scipy.sparse.csgraph import connected_components

    _, labels = connected_components(cdist(x, x) < CUTOFFS_A[check_model(model)], directed=False)
    parts = [np.flatnonzero(labels == part) for part in np.unique(labels)]
    return [idx for idx in parts if len(idx) > 1]


def _part_factor(x: np.ndarray, model: str) -> np.ndarray:
    """F (D, K) with ``F F^T`` the pseudo-inverse of one connected network's matrix (D = N for GNM, 3N for ANM).

    The inverse Cholesky factor with the rigid-body zero modes lifted
    (:func:`_lifted_factor`; one uniform mode for GNM, three translations and
    three rotations for ANM), several times faster than an eigendecomposition,
    which remains the fallback (eigenvectors over the square roots of the
    eigenvalues).
    """
    matrix = network_matrix(x, model)
    factor = _lifted_factor(matrix, _rigid_modes(x, model)) if len(x) >= MIN_RESIDUES else None
    if factor is None:
        values, vectors = nonzero_modes(matrix)
        factor = vectors / np.sqrt(values)
    return factor


def _rigid_modes(ca_A: np.ndarray, model: str) -> np.ndarray:
    """Orthonormal zero modes (D, 1 | 6) of a connected GNM / ANM network."""
    n = len(ca_A)
    if model == "gnm":
        return np.full((n, 1), 1.0 / np.sqrt(n))
    centred = ca_A - ca_A.mean(axis=0)
    modes = np.zeros((n, 3, 6))
    for axis in range(3):
        modes[:, axis, axis] = 1.0  # translations
        modes[:, :, 3 + axis] = np.cross(np.eye(3)[axis], centred)  # rotations
    q, _ = np.linalg.qr(modes.reshape(3 * n, 6))
    return q


def anm_factor(ca_A: np.ndarray) -> np.ndarray:
    """A factor F (3N, 3N) float64 of the ANM covariance, ``F F^T = pinv(H)`` (kT / gamma units).

    Gaussian displacements ``F z`` (z standard normal, rows x, y, z of each
    C-alpha atom in turn) have the ANM's covariance. Block-diagonal over the
    connected parts of the network (:func:`_part_factor` within each); residues
    alone in their part get zero rows.
    """
    x = np.asarray(ca_A, dtype=np.float64)
    factor = np.zeros((3 * len(x), 3 * len(x)))
    for idx in _connected_parts(x, "anm"):
        part_factor = _part_factor(x[idx], "anm")
        rows = (3 * idx[:, None] + np.arange(3)).ravel()
        factor[np.ix_(rows, rows[: part_factor.shape[1]])] = part_factor
    return factor


def _lifted_factor(matrix: np.ndarray, zero_modes: np.ndarray) -> np.ndarray | None:
    """F with ``F F^T = pinv(matrix)`` for a PSD matrix whose null space is exactly ``zero_modes``; None otherwise.

    ``inv(M + c Q Q^T) = U^-1 U^-T`` (U its upper Cholesky factor); projecting
    the zero modes out of ``U^-1`` leaves the pseudo-inverse.
    """
    from scipy.linalg import LinAlgError, cholesky
    from scipy.linalg.lapack import dtrtri

    lift = float(np.mean(np.diag(matrix))) or 1.0
    try:
        upper = cholesky(matrix + lift * (zero_modes @ zero_modes.T))
    except LinAlgError:
        return None
    factor, info = dtrtri(upper, lower=0)
    if info != 0:
        return None
    factor -= zero_modes @ (zero_modes.T @ factor)
    msf = np.square(factor).sum(axis=1)
    if not np.isfinite(msf).all() or msf.max() * lift * ZERO_MODE_TOL > 1.0:
        return None  # a soft extra zero mode: the eigen route cuts it
    return factor


def enm_features(ca_A: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elastic-network input features of one structure, models in the order of ``MODELS``.

    ca_A (N, 3) Angstrom; mask (N,) bool, the residues with a C-alpha. Returns
    single (N, 2 M) float32: first the log mean-square fluctuation minus its
    mean over the residues that fluctuate (the pattern), then the log
    mean-square fluctuation itself in raw units, kT / gamma with unit springs
    (the scale: small, loosely packed chains fluctuate more); and pair
    (N, N, M) float32, the normalised cross-correlation C_ij / sqrt(C_ii C_jj)
    in [-1, 1]. Other residues (and every residue of a structure with fewer than
    ``MIN_RESIDUES`` C-alpha atoms) get zeros.
    """
    mask = np.asarray(mask, dtype=bool)
    n = len(mask)
    single = np.zeros((n, ENM_SINGLE_FEATURES), dtype=np.float32)
    pair = np.zeros((n, n, ENM_PAIR_FEATURES), dtype=np.float32)
    idx = np.flatnonzero(mask)
    if len(idx) < MIN_RESIDUES:
        return single, pair
    for k, model in enumerate(MODELS):
        cov = residue_covariance(np.asarray(ca_A, dtype=np.float64)[idx], model)
        msf = np.diag(cov)
        ok = msf > 0  # residues in a part of their own have no fluctuation
        sub = idx[ok]
        log_msf = np.log(msf[ok])
        single[sub, k] = log_msf - log_msf.mean()
        single[sub, len(MODELS) + k] = log_msf
        corr = cov[np.ix_(ok, ok)] / np.sqrt(msf[ok][:, None] * msf[ok][None, :])
        pair[np.ix_(sub, sub, [k])] = np.clip(corr, -1.0, 1.0)[..., None]
    return single, pair


def check_model(model: str) -> str:
    """``model`` if it names an elastic network model, else DynafoldInputError."""
    if model not in MODELS:
        raise DynafoldInputError(f"unknown elastic network model {model!r}; valid: {', '.join(MODELS)}")
    return model
