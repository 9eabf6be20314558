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
_BLOCK_ELEMENTS = 1 << 17
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
    """Atom pairs i < j of different residues that may lie within ``radius`` in some reference.

    Screening on residue spheres: centre = first atom of the residue, radius =
    its farthest atom over all conformers; residue pairs whose centres come
    within ``radius`` plus both sphere radii (plus a margin) in any conformer
    contribute all their atom pairs. ``ref`` is (M, N, 3) float32; returns two
    int64 tensors (a superset of the contacts, filtered exactly later).
    """
    import torch

    n = ref.shape[1]
    starts = torch.nonzero(torch.cat([torch.tensor([True]), residue_index[1:] != residue_index[:-1]]))[:, 0]
    sizes = torch.diff(torch.cat([starts, torch.tensor([n])]))
    centres = ref[:, starts].double()  # (M, R, 3)
    spread = (ref.double() - centres.repeat_interleave(sizes, dim=1)).norm(dim=-1).amax(0)  # (N,)
    n_res = len(starts)
    owner = torch.repeat_interleave(torch.arange(n_res), sizes)
    reach = torch.zeros(n_res, dtype=torch.float64).scatter_reduce_(0, owner, spread, "amax")
    limit2 = (radius + _SCREEN_MARGIN_A + reach[:, None] + reach[None, :]) ** 2
    near = torch.zeros(n_res, n_res, dtype=torch.bool)
    block = max(1, _BLOCK_ELEMENTS * 8 // max(n_res * n_res, 1))
    for m0 in range(0, len(centres), block):
        c = centres[m0:m0 + block]
        sq = (c * c).sum(-1)
        d2 = sq[:, :, None] + sq[:, None, :] - 2.0 * c @ c.transpose(1, 2)
        near |= (d2 <= limit2).any(0)
    ra, rb = torch.nonzero(torch.triu(near, diagonal=1), as_tuple=True)
    # all atom pairs of each residue pair (ra, rb)
    counts = sizes[ra] * sizes[rb]
    pair_of = torch.repeat_interleave(torch.arange(len(ra)), counts)
    offset = torch.arange(len(pair_of)) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
    size_b = sizes[rb][pair_of]
    i = starts[ra][pair_of] + offset // size_b
    j = starts[rb][pair_of] + offset % size_b
    return i, j


def _threshold_codes(thresholds: tuple[float, ...]):
    """Return (codes, top): ``codes(dev)`` overwrites a float32 |d_pred - d_ref| tensor
    with int32 codes such that the number of thresholds t with dev <= t is ``top - code``.

    For thresholds t0 * 2**i with t0 a power of two (the default 0.5, 1, 2, 4)
    the code comes from the float32 exponent bits in four in-place passes: for
    x >= 0, x <= 2**q  <=>  ((bits(x) - 1) >> 23) <= 126 + q. Otherwise one
    comparison per threshold.
    """
    import torch

    t = np.asarray(thresholds, dtype=np.float64)
    q0 = np.log2(t[0])
    n = len(t)
    if q0 == np.round(q0) and np.array_equal(t, t[0] * 2.0 ** np.arange(n)):
        top = int(q0) + n + 126

        def codes(dev):
            e = dev.abs_().view(torch.int32).sub_(1).bitwise_right_shift_(23)
            return e.clamp_(top - n, top)
        return codes, top

    def codes_slow(dev):
        dev.abs_()
        count = torch.zeros(dev.shape, dtype=torch.int32)
        for value in thresholds:
            count.sub_((dev <= value).to(torch.int32))
        return count
    return codes_slow, 0


def lddt_matrix(pred_coords: np.ndarray, ref_coords: np.ndarray, residue_index: np.ndarray, *,
                radius: float = LDDT_INCLUSION_RADIUS_A,
                thresholds: tuple[float, ...] = LDDT_THRESHOLDS_A,
                per_residue: bool = False) -> LddtResult:
    """lDDT of every predicted conformer against every reference conformer.

    Parameters
    ----------
    pred_coords : (K, N, 3) Angstrom.
    ref_coords : (M, N, 3) Angstrom, the same N atoms in the same order.
    residue_index : (N,) residue of each atom, consecutive per residue (pairs
        inside one residue are skipped).
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
    if len(res) != pred.shape[1]:
        raise DynafoldInputError(f"residue_index has {len(res)} entries for {pred.shape[1]} atoms")
    if len(res) and len(torch.unique_consecutive(res)) != len(torch.unique(res)):
        raise DynafoldInputError("the atoms of each residue must be consecutive")
    n_res = int(res.max()) + 1 if len(res) else 0
    k, m = pred.shape[0], ref.shape[0]
    codes, top = _threshold_codes(tuple(thresholds))
    n_thr = len(thresholds)

    ci, cj = _candidate_pairs(ref, res, radius)
    preserved = torch.zeros(k, m, dtype=torch.int64)
    n_pairs = torch.zeros(m, dtype=torch.int64)
    if per_residue:
        res_preserved = torch.zeros(k, m, n_res, dtype=torch.float64)
        res_pairs = torch.zeros(m, n_res, dtype=torch.float64)
    chunk = max(1, _BLOCK_ELEMENTS // k)
    buf = torch.empty(k * chunk, dtype=torch.float32)
    for p0 in range(0, len(ci), chunk):
        i, j = ci[p0:p0 + chunk], cj[p0:p0 + chunk]
        d2_ref = _squared_distances(ref, i, j)  # (M, P)
        contact = d2_ref <= radius * radius
        used = contact.any(0)
        i, j, d2_ref, contact = i[used], j[used], d2_ref[:, used], contact[:, used]
        n_chunk = len(i)
        # a pair out of contact gets an infinite deviation, which meets no threshold
        d_ref = _sqrt(d2_ref).masked_fill_(~contact, float("inf"))
        d_pred = _sqrt(_squared_distances(pred, i, j))  # (K, P)
        n_pairs += contact.sum(1)
        if per_residue:
            cf = contact.double()
            res_pairs.index_add_(1, res[i], cf).index_add_(1, res[j], cf)
        dev = buf[:k * n_chunk].view(k, n_chunk)
        for r in range(m):
            code = codes(torch.sub(d_pred, d_ref[r], out=dev))  # (K, P) int32
            if per_residue:
                count = (top - code).double()
                res_preserved[:, r].index_add_(1, res[i], count).index_add_(1, res[j], count)
                preserved[:, r] += count.sum(1).long()
            else:
                preserved[:, r] += top * n_chunk - code.sum(1, dtype=torch.int32)
    total = (n_thr * n_pairs).double()
    with np.errstate(invalid="ignore", divide="ignore"):
        global_ = (preserved.double() / total[None, :]).numpy()
        per_res = None
        if per_residue:
            per_res = (res_preserved / (n_thr * res_pairs)[None]).numpy()
    return LddtResult(global_=global_, per_residue=per_res, n_pairs=n_pairs.numpy())
