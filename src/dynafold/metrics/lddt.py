"""Superposition-free lDDT of K predicted against M reference conformers.

Pairs are atoms of different residues whose distance in the reference
conformer is at most ``radius`` (15 A); a pair scores the fraction of the
thresholds (0.5, 1, 2, 4 A) that bound |d_pred - d_ref|. Conventions follow
``biotite.structure.lddt`` (``<=`` for radius and thresholds, float32
distances computed in the same order), so scores agree with it exactly.

The K x M matrix is computed without Python loops over pairs: candidate pairs
are screened once for all reference conformers, then processed in chunks of
pairs, so memory stays bounded for large proteins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dynafold.const import LDDT_INCLUSION_RADIUS_A, LDDT_THRESHOLDS_A
from dynafold.errors import DynafoldInputError

# float32 elements handled per block of the K x M x pairs computation
_BLOCK_ELEMENTS = 1 << 19
# slack on the screening radius: matrix-product distances carry rounding errors
_SCREEN_MARGIN_A = 0.05


@dataclass
class LddtResult:
    """lDDT scores of K predicted against M reference conformers.

    Attributes
    ----------
    global_ : (K, M) pooled over all pairs (not a mean of residue scores).
    per_residue : (K, M, R) over the pairs involving each residue (NaN for a
        residue without pairs), or None when not requested.
    n_pairs : (M,) number of pairs of each reference conformer.
    """

    global_: np.ndarray
    per_residue: np.ndarray | None
    n_pairs: np.ndarray


def _squared_distances(coords, i, j):
    """float32 squared distances of pairs (i, j), in biotite's operation order."""
    d = coords[..., i, :] - coords[..., j, :]
    return d[..., 0] * d[..., 0] + d[..., 1] * d[..., 1] + d[..., 2] * d[..., 2]


def _sqrt(x):
    """Correctly rounded float32 square root (torch's float32 sqrt is not; numpy's is)."""
    return x.double().sqrt_().float()


def _candidate_pairs(ref, residue_index, radius: float):
    """Pairs i < j of different residues within ``radius`` (plus a margin) in any reference.

    ``ref`` is a (M, N, 3) float32 tensor; returns two int64 tensors.
    """
    import torch

    m, n, _ = ref.shape
    centred = ref - ref.mean(dim=1, keepdim=True)
    cutoff = radius + _SCREEN_MARGIN_A
    rows = max(1, _BLOCK_ELEMENTS // max(n, 1))
    found_i, found_j = [], []
    cols = torch.arange(n)
    for r0 in range(0, n, rows):
        r1 = min(n, r0 + rows)
        near = torch.zeros(r1 - r0, n, dtype=torch.bool)
        for k in range(m):
            near |= torch.cdist(centred[k, r0:r1], centred[k]) <= cutoff
        near &= cols[None, :] > torch.arange(r0, r1)[:, None]
        near &= residue_index[r0:r1, None] != residue_index[None, :]
        ii, jj = torch.nonzero(near, as_tuple=True)
        found_i.append(ii + r0)
        found_j.append(jj)
    return torch.cat(found_i), torch.cat(found_j)


def _threshold_counter(thresholds: tuple[float, ...]):
    """Function (dev float32 tensor) -> number of thresholds t with dev <= t (int32).

    For thresholds t0 * 2**i with t0 a power of two (the default 0.5, 1, 2, 4)
    the count comes from the float32 exponent bits in one pass; otherwise one
    comparison per threshold.
    """
    import torch

    t = np.asarray(thresholds, dtype=np.float64)
    q0 = np.log2(t[0])
    doubling = q0 == np.round(q0) and np.array_equal(t, t[0] * 2.0 ** np.arange(len(t)))
    if doubling:
        # for x >= 0: x <= 2**q  <=>  ((bits(x) - 1) >> 23) <= 126 + q
        top = int(q0) + len(t) + 126

        def count(dev):
            e = dev.view(torch.int32).sub_(1).bitwise_right_shift_(23)
            return e.neg_().add_(top).clamp_(0, len(t))
        return count

    def count_slow(dev):
        out = torch.zeros(dev.shape, dtype=torch.int32)
        for value in thresholds:
            out += dev <= value
        return out
    return count_slow


def lddt_matrix(pred_coords: np.ndarray, ref_coords: np.ndarray, residue_index: np.ndarray, *,
                radius: float = LDDT_INCLUSION_RADIUS_A,
                thresholds: tuple[float, ...] = LDDT_THRESHOLDS_A,
                per_residue: bool = False) -> LddtResult:
    """lDDT of every predicted conformer against every reference conformer.

    Parameters
    ----------
    pred_coords : (K, N, 3) Angstrom.
    ref_coords : (M, N, 3) Angstrom, the same N atoms in the same order.
    residue_index : (N,) residue of each atom (pairs inside one residue are skipped).
    radius : inclusion radius in the reference, Angstrom.
    thresholds : distance-difference thresholds, Angstrom.
    per_residue : also return (K, M, R) per-residue scores.

    Returns
    -------
    LddtResult with ``global_`` (K, M).
    """
    import torch

    pred = torch.as_tensor(np.asarray(pred_coords, dtype=np.float32))
    ref = torch.as_tensor(np.asarray(ref_coords, dtype=np.float32))
    if pred.ndim == 2:
        pred = pred[None]
    if ref.ndim == 2:
        ref = ref[None]
    if pred.shape[1:] != ref.shape[1:] or pred.shape[2] != 3:
        raise DynafoldInputError(f"lDDT needs (K, N, 3) and (M, N, 3) coordinates of the same "
                                 f"atoms, got {tuple(pred.shape)} and {tuple(ref.shape)}")
    if pred.shape[0] == 0 or ref.shape[0] == 0:
        raise DynafoldInputError("lDDT needs at least one predicted and one reference conformer")
    res = torch.as_tensor(np.asarray(residue_index, dtype=np.int64))
    n_res = int(res.max()) + 1 if len(res) else 0
    k, m = pred.shape[0], ref.shape[0]
    count = _threshold_counter(tuple(thresholds))
    n_thr = len(thresholds)

    ci, cj = _candidate_pairs(ref, res, radius)
    preserved = torch.zeros(k, m, dtype=torch.int64)
    n_pairs = torch.zeros(m, dtype=torch.int64)
    if per_residue:
        res_preserved = torch.zeros(k * m, n_res, dtype=torch.float64)
        res_pairs = torch.zeros(m, n_res, dtype=torch.float64)
    chunk = max(1, _BLOCK_ELEMENTS // k)
    for p0 in range(0, len(ci), chunk):
        i, j = ci[p0:p0 + chunk], cj[p0:p0 + chunk]
        d2_ref = _squared_distances(ref, i, j)  # (M, P)
        contact = d2_ref <= radius * radius
        d_ref = _sqrt(d2_ref).masked_fill_(~contact, float("inf"))
        d_pred = _sqrt(_squared_distances(pred, i, j))  # (K, P)
        n_pairs += contact.sum(1)
        if per_residue:
            cf = contact.double()
            res_pairs.index_add_(1, res[i], cf).index_add_(1, res[j], cf)
        for r in range(m):
            c = count(torch.sub(d_pred, d_ref[r]).abs_())  # (K, P)
            preserved[:, r] += c.sum(1)
            if per_residue:
                cd = c.double()
                rows = res_preserved[r::m]
                rows.index_add_(1, res[i], cd).index_add_(1, res[j], cd)
    total = (n_thr * n_pairs).double()
    with np.errstate(invalid="ignore", divide="ignore"):
        global_ = (preserved.double() / total[None, :]).numpy()
        per_res = None
        if per_residue:
            per_res = (res_preserved.view(k, m, n_res) / (n_thr * res_pairs)[None]).numpy()
    return LddtResult(global_=global_, per_residue=per_res, n_pairs=n_pairs.numpy())
