"""Superposition-free lDDT of K predicted against M reference conformers.

Pairs are atoms of different residues whose distance in the reference
conformer is at most ``radius`` (15 A); a pair scores the fraction of the
thresholds (0.5, 1, 2, 4 A) that bound |d_pred - d_ref|. Conventions follow
``biotite.structure.lddt`` (``<=`` for radius and thresholds, float32
distances computed in the same order), so scores agree with it exactly.

The K x M matrix is computed without Python loops over pairs: candidate pairs
are screened once for all reference conformers, then processed in chunks of
pairs (distances of all conformers at once), and each chunk in cache-sized
blocks of pairs x K x M deviations, so memory stays bounded for large proteins.
With ``workers`` > 1, threads share the chunks (torch ops release the GIL),
each with one torch thread and its own integer counts, summed at the end: the
scores do not depend on the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING

import numpy as np

from dynafold.const import LDDT_INCLUSION_RADIUS_A, LDDT_THRESHOLDS_A
from dynafold.errors import DynafoldInputError

if TYPE_CHECKING:
    import torch

# float32 elements of one pairs x K x M block of deviations (2 MiB: fits in cache)
_BLOCK_ELEMENTS = 1 << 19
# float32 distances (pairs x (K + M)) held per chunk of pairs (4 MiB)
_CHUNK_ELEMENTS = 1 << 20
# slack on the screening radii, Angstrom: screening distances carry rounding errors
_SCREEN_MARGIN_A = 0.05
# largest float32 below 2: squaring with it moves a deviation exactly on a threshold below it
_BELOW_TWO = 2.0 - 2.0 ** -23


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


def _squared_distances(coords_t, i, j):
    """(P, C) squared distances of pairs (i, j), in biotite's operation order.

    ``coords_t`` is (N, 3, C): the C conformers last, so that gathering a pair's
    atoms copies contiguous rows.
    """
    d = coords_t.index_select(0, i).sub_(coords_t.index_select(0, j))  # (P, 3, C)
    return d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2]


def _sqrt(x):
    """Correctly rounded float32 square root (torch's float32 sqrt is not; numpy's is)."""
    return x.double().sqrt_().float()


def _atom_pairs(starts, sizes, ra, rb):
    """All atom pairs (i, j) of the residue pairs (ra, rb): i in residue ra, j in rb.

    ``starts`` and ``sizes`` are each residue's first atom and atom count.
    """
    import torch

    size_a, size_b = sizes.index_select(0, ra), sizes.index_select(0, rb)
    counts = size_a * size_b
    # int32 offsets inside each residue pair: int64 division is slow
    offset = torch.arange(int(counts.sum())) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
    offset = offset.int()
    size_b = torch.repeat_interleave(size_b.int(), counts)
    u = offset // size_b
    i = torch.repeat_interleave(starts.index_select(0, ra), counts) + u
    j = torch.repeat_interleave(starts.index_select(0, rb), counts) + (offset - u * size_b)
    return i, j


def _candidate_pairs(ref, residue_index, radius: float):
    """Atom pairs i < j of different residues that may lie within ``radius`` in some reference.

    Screening in three steps, each keeping a superset of the contacts (with a
    small margin for rounding). Residue spheres: centre = first atom of the
    residue, radius (reach) = its farthest atom over all conformers.
    1. Residue pairs whose centres, averaged over conformers, lie within
       ``radius`` plus both reaches plus both centres' largest distance from
       their average (one R x R distance matrix).
    2. Of these, residue pairs whose centres come within ``radius`` plus both
       reaches in some conformer (float32 distances); they contribute all their
       atom pairs.
    3. Of these, atom pairs whose mean positions lie within ``radius`` plus
       both atoms' largest distance from their mean position.
    Steps 2 and 3 run on cache-sized blocks of pairs. ``ref`` is (M, N, 3)
    float32; returns two int64 tensors, filtered exactly later.
    """
    import torch

    n = ref.shape[1]
    starts = torch.nonzero(torch.cat([torch.tensor([True]), residue_index[1:] != residue_index[:-1]]))[:, 0]
    sizes = torch.diff(torch.cat([starts, torch.tensor([n])]))
    coords = ref.double()
    centres = coords[:, starts]  # (M, R, 3)
    spread = (coords - centres.repeat_interleave(sizes, dim=1)).norm(dim=-1).amax(0)  # (N,)
    n_res = len(starts)
    owner = torch.repeat_interleave(torch.arange(n_res), sizes)
    reach = torch.zeros(n_res, dtype=torch.float64).scatter_reduce_(0, owner, spread, "amax")
    mean_centres = centres.mean(0)  # (R, 3)
    slack = reach + (centres - mean_centres).norm(dim=-1).amax(0)
    limit = radius + _SCREEN_MARGIN_A + slack[:, None] + slack[None, :]  # (R, R)
    close = torch.cdist(mean_centres, mean_centres) <= limit
    ra, rb = torch.nonzero(torch.triu(close, diagonal=1), as_tuple=True)

    centres_t = ref[:, starts].permute(1, 2, 0).contiguous()  # (R, 3, M) float32
    closest2 = torch.empty(len(ra), dtype=torch.float32)
    block = max(1, _BLOCK_ELEMENTS // (3 * len(centres)))  # a (pairs, 3, M) gather: one block
    for p0 in range(0, len(ra), block):
        closest2[p0:p0 + block] = _squared_distances(centres_t, ra[p0:p0 + block], rb[p0:p0 + block]).amin(1)
    near = closest2 <= (radius + _SCREEN_MARGIN_A + reach[ra] + reach[rb]) ** 2
    ra, rb = ra[near], rb[near]

    mean = coords.mean(0)  # (N, 3)
    wander = (coords - mean).norm(dim=-1).amax(0)  # (N,)
    mean_t = mean[:, :, None].contiguous()  # (N, 3, 1)
    reach_i = radius + _SCREEN_MARGIN_A + wander
    keep_i, keep_j = [torch.zeros(0, dtype=torch.int64)], [torch.zeros(0, dtype=torch.int64)]
    block = max(1, _BLOCK_ELEMENTS // (2 * max(1, int(sizes.max())) ** 2))  # at most a half block of atom pairs
    for p0 in range(0, len(ra), block):
        i, j = _atom_pairs(starts, sizes, ra[p0:p0 + block], rb[p0:p0 + block])
        keep = _squared_distances(mean_t, i, j)[:, 0] <= (reach_i[i] + wander[j]) ** 2
        keep_i.append(i[keep])
        keep_j.append(j[keep])
    return torch.cat(keep_i), torch.cat(keep_j)


def _threshold_codes(thresholds: tuple[float, ...]):
    """Return (codes, top): ``codes(dev)`` overwrites a float32 d_pred - d_ref tensor
    (Angstrom, any shape) with int32 codes such that the number of thresholds t
    with |dev| <= t is ``top - code``.

    For thresholds t0 * 2**i with t0 a power of two (the default 0.5, 1, 2, 4)
    the code comes from the float32 exponent in three in-place passes:
    y = dev * dev * (2 - 2**-23) has |dev| <= 2**q  <=>  y < 2**(2q + 1)  <=>
    (bits(y) >> 24) <= q + 63. The factor just below 2 maps a squared deviation
    equal to t**2 below 2 t**2 and keeps one ulp above t**2 at or above it
    (whichever product is rounded first), so ties agree with ``<=`` exactly.
    Otherwise one comparison per threshold.
    """
    import torch

    t = np.asarray(thresholds, dtype=np.float64)
    q0 = np.log2(t[0])
    n = len(t)
    # squares of the thresholds stay normal float32 numbers
    if q0 == np.round(q0) and -62 <= q0 and q0 + n <= 63 and np.array_equal(t, t[0] * 2.0 ** np.arange(n)):
        top = int(q0) + 63 + n
        zero = torch.zeros((), dtype=torch.float32)

        def codes(dev):
            y = torch.addcmul(zero, dev, dev, value=_BELOW_TWO, out=dev)
            return y.view(torch.int32).bitwise_right_shift_(24).clamp_(top - n, top)
        return codes, top

    def codes_slow(dev):
        dev.abs_()
        count = torch.zeros(dev.shape, dtype=torch.int32)
        for value in thresholds:
            count.sub_((dev <= value).to(torch.int32))
        return count
    return codes_slow, 0


@dataclass
class _Counts:
    """Sums over some chunks of pairs; exact, so partial sums add up in any order."""

    preserved: torch.Tensor  # (K, M) int64 thresholds met
    n_pairs: torch.Tensor  # (M,) int64 pairs in contact
    res_preserved: torch.Tensor | None  # (R, K, M) float64 integers: thresholds met per residue
    res_pairs: torch.Tensor | None  # (R, M) float64 integers: pairs per residue

    def add_(self, other: _Counts) -> _Counts:
        self.preserved += other.preserved
        self.n_pairs += other.n_pairs
        if self.res_preserved is not None:
            self.res_preserved += other.res_preserved
            self.res_pairs += other.res_pairs
        return self


@dataclass
class _ChunkScorer:
    """Counts the thresholds met over chunks of the candidate pairs (ci, cj).

    A call takes the first pair of each of its chunks and allocates its own
    block buffer and counts, so calls can run in parallel threads (torch
    releases the GIL inside its ops).
    """

    pred_t: torch.Tensor  # (N, 3, K) float32 Angstrom
    ref_t: torch.Tensor  # (N, 3, M) float32 Angstrom
    res: torch.Tensor  # (N,) int64 residue of each atom
    n_res: int
    ci: torch.Tensor  # (P,) int64 first atom of each candidate pair
    cj: torch.Tensor  # (P,) int64 second atom
    radius_A: float
    codes: Callable[[torch.Tensor], torch.Tensor]
    top: int
    per_residue: bool
    chunk: int  # pairs per chunk
    block_p: int  # pairs per block
    block_k: int  # predicted conformers per block

    def __call__(self, starts: Sequence[int]) -> _Counts:
        import torch

        k, m = self.pred_t.shape[2], self.ref_t.shape[2]
        res, codes, top, block_p, block_k = self.res, self.codes, self.top, self.block_p, self.block_k
        out = _Counts(torch.zeros(k, m, dtype=torch.int64), torch.zeros(m, dtype=torch.int64),
                      torch.zeros(self.n_res, k, m, dtype=torch.float64) if self.per_residue else None,
                      torch.zeros(self.n_res, m, dtype=torch.float64) if self.per_residue else None)
        buf = torch.empty(block_p * block_k * m, dtype=torch.float32)
        for c0 in starts:
            i, j = self.ci[c0:c0 + self.chunk], self.cj[c0:c0 + self.chunk]
            d2_ref = _squared_distances(self.ref_t, i, j)  # (P, M)
            contact = d2_ref <= self.radius_A * self.radius_A
            used = contact.any(1)
            i, j, d2_ref, contact = i[used], j[used], d2_ref[used], contact[used]
            # a pair out of contact gets an infinite deviation, which meets no threshold
            d_ref = _sqrt(d2_ref).masked_fill_(~contact, float("inf"))  # (P, M)
            d_pred = _sqrt(_squared_distances(self.pred_t, i, j))  # (P, K)
            out.n_pairs += contact.sum(0)
            if self.per_residue:
                cf = contact.double()
                out.res_pairs.index_add_(0, res[i], cf).index_add_(0, res[j], cf)
            for p0 in range(0, len(i), block_p):
                p1 = min(p0 + block_p, len(i))
                for k0 in range(0, k, block_k):
                    k1 = min(k0 + block_k, k)
                    dev = buf[:(p1 - p0) * (k1 - k0) * m].view(p1 - p0, k1 - k0, m)
                    torch.sub(d_pred[p0:p1, k0:k1, None], d_ref[p0:p1, None, :], out=dev)
                    code = codes(dev)  # (pairs, K rows, M) int32
                    if self.per_residue:
                        count = (top - code).double()
                        out.res_preserved[:, k0:k1].index_add_(0, res[i[p0:p1]], count)
                        out.res_preserved[:, k0:k1].index_add_(0, res[j[p0:p1]], count)
                        out.preserved[k0:k1] += count.sum(0).long()
                    else:
                        out.preserved[k0:k1] += top * (p1 - p0) - code.sum(0, dtype=torch.int32)
        return out


def lddt_matrix(pred_coords: np.ndarray, ref_coords: np.ndarray, residue_index: np.ndarray, *,
                radius: float = LDDT_INCLUSION_RADIUS_A,
                thresholds: tuple[float, ...] = LDDT_THRESHOLDS_A,
                per_residue: bool = False,
                workers: int | None = None) -> LddtResult:
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
    workers : threads sharing the chunks of pairs (default
        ``torch.get_num_threads()``). With more than one, torch runs one
        thread each for the call. Scores do not depend on it.

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
    if pred.shape[0] == 0 or ref.shape[0] == 0 or pred.shape[1] == 0:
        raise DynafoldInputError("lDDT needs at least one atom and one predicted and one reference conformer")
    res = torch.as_tensor(np.asarray(residue_index, dtype=np.int64))
    if len(res) != pred.shape[1]:
        raise DynafoldInputError(f"residue_index has {len(res)} entries for {pred.shape[1]} atoms")
    if len(res) and len(torch.unique_consecutive(res)) != len(torch.unique(res)):
        raise DynafoldInputError("the atoms of each residue must be consecutive")
    workers = torch.get_num_threads() if workers is None else workers
    if workers < 1:
        raise DynafoldInputError(f"lDDT needs at least one worker, got {workers}")
    k, m = pred.shape[0], ref.shape[0]
    codes, top = _threshold_codes(tuple(thresholds))
    # blocks of (pairs, K rows, M): K rows split only when K x M alone exceeds a block
    block_k = min(k, max(1, _BLOCK_ELEMENTS // m))
    threads = torch.get_num_threads()
    if workers > 1:
        torch.set_num_threads(1)  # the screening too: its ops are small
    try:
        ci, cj = _candidate_pairs(ref, res, radius)
        scorer = _ChunkScorer(
            pred_t=pred.permute(1, 2, 0).contiguous(), ref_t=ref.permute(1, 2, 0).contiguous(),
            res=res, n_res=int(res.max()) + 1 if len(res) else 0, ci=ci, cj=cj, radius_A=radius,
            codes=codes, top=top, per_residue=per_residue, chunk=max(1, _CHUNK_ELEMENTS // (k + m)),
            block_p=max(1, _BLOCK_ELEMENTS // (block_k * m)), block_k=block_k)
        starts = range(0, len(ci), scorer.chunk)
        n_shares = max(1, min(workers, len(starts)))
        if n_shares == 1:
            counts = scorer(starts)
        else:
            # strided shares: chunk costs vary along the pair list
            with ThreadPoolExecutor(n_shares) as pool:
                counts = reduce(_Counts.add_, pool.map(scorer, [starts[w::n_shares] for w in range(n_shares)]))
    finally:
        torch.set_num_threads(threads)
    n_thr = len(thresholds)
    total = (n_thr * counts.n_pairs).double()
    with np.errstate(invalid="ignore", divide="ignore"):
        global_ = (counts.preserved.double() / total[None, :]).numpy()
        per_res = None
        if per_residue:
            per_res = (counts.res_preserved / (n_thr * counts.res_pairs)[:, None, :]).permute(1, 2, 0).numpy()
    return LddtResult(global_=global_, per_residue=per_res, n_pairs=counts.n_pairs.numpy())
