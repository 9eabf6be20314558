"""Optimal rigid superposition (Kabsch) of conformers, batched over K."""

from __future__ import annotations

import numpy as np

# iterative fitting to the mean stops when the mean moves less than this (Angstrom RMS)
_MEAN_TOL_A = 1e-4
_MEAN_MAX_ITER = 50
# conformer pairs whose 3 x 3 correlations pairwise_rmsd holds at once (72 bytes each)
_PAIRS_PER_BLOCK = 1 << 18


def kabsch_fit(mobile: np.ndarray, target: np.ndarray, fit_index: np.ndarray | None = None) -> np.ndarray:
    """Superpose every conformer of ``mobile`` onto ``target``.

    Parameters
    ----------
    mobile : (K, N, 3) Angstrom.
    target : (N, 3) Angstrom.
    fit_index : atoms used to compute the fit (all when None); all atoms move.

    Returns
    -------
    (K, N, 3) float64 superposed coordinates.
    """
    x = np.asarray(mobile, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    sel = slice(None) if fit_index is None else fit_index
    xs, ys = x[:, sel], y[sel]
    x_c = xs.mean(axis=1, keepdims=True)
    y_c = ys.mean(axis=0)
    h = np.einsum("kni,nj->kij", xs - x_c, ys - y_c)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.einsum("kij,kjl->kil", u, vt)))
    u[:, :, 2] *= d[:, None]
    rot = np.einsum("kij,kjl->kil", u, vt)
    return np.einsum("kni,kij->knj", x - x_c, rot) + y_c


def fit_to_mean(coords: np.ndarray, fit_index: np.ndarray | None = None) -> np.ndarray:
    """Iteratively superpose all conformers onto their own mean structure.

    Starts from the first conformer, then refits to the mean until the mean
    moves by less than 1e-4 A RMS. Returns (K, N, 3) float64.
    """
    x = np.asarray(coords, dtype=np.float64)
    fitted = kabsch_fit(x, x[0], fit_index)
    mean = fitted.mean(axis=0)
    for _ in range(_MEAN_MAX_ITER):
        fitted = kabsch_fit(x, mean, fit_index)
        new_mean = fitted.mean(axis=0)
        moved = np.sqrt(((new_mean - mean) ** 2).sum(-1).mean())
        mean = new_mean
        if moved < _MEAN_TOL_A:
            break
    return fitted


def pairwise_rmsd(coords: np.ndarray) -> np.ndarray:
    """RMSD after optimal superposition between all pairs of conformers.

    coords : (K, N, 3) Angstrom. Returns the (K, K) symmetric matrix, Angstrom.

    From inner products, as Kabsch's fit leaves them (float64): for centred
    conformers a and b, RMSD^2 = (|a|^2 + |b|^2 - 2 (s1 + s2 + d s3)) / N with
    s the singular values of the 3 x 3 correlation a^T b and d the sign of its
    determinant (no reflection). One matrix product per block of conformers a
    gives their correlations with every b > a; blocks hold at most
    ``_PAIRS_PER_BLOCK`` pairs, so memory stays bounded for long trajectories.
    """
    x = np.asarray(coords, dtype=np.float64)
    k, n, _ = x.shape
    x = x - x.mean(axis=1, keepdims=True)
    norms = np.square(x).sum(axis=(1, 2))
    rows = x.transpose(0, 2, 1).reshape(3 * k, n)
    out = np.zeros((k, k))
    step = max(1, _PAIRS_PER_BLOCK // max(1, k))
    for a0 in range(0, k - 1, step):
        a1 = min(k, a0 + step)
        block = (rows[3 * a0:3 * a1] @ rows[3 * a0:].T).reshape(a1 - a0, 3, k - a0, 3).transpose(0, 2, 1, 3)
        a, b = np.nonzero(np.arange(a0, k)[None] > np.arange(a0, a1)[:, None])  # pairs b > a, block offsets
        corr = block[a, b]
        s = np.linalg.svd(corr, compute_uv=False)
        s[:, 2] *= np.sign(np.linalg.det(corr))
        out[a + a0, b + a0] = np.sqrt(np.maximum(norms[a + a0] + norms[b + a0] - 2.0 * s.sum(axis=1), 0.0) / n)
    return out + out.T
