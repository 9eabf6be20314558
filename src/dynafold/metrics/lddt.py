"""Superposition-free lDDT of K predicted against M reference conformers.

Pairs are atoms of different residues whose distance in the reference
conformer is at most ``radius`` (15 A); a pair scores the fraction of the
thresholds (0.5, 1, 2, 4 A) that bound |d_pred - d_ref|. Conventions follow
``biotite.structure.lddt`` (``<=`` for radius and thresholds, float32
distances computed in the same order), so scores agree with it exactly.

The K x M matrix is computed with numpy, without Python loops over pairs:
candidate pairs are screened once for all reference conformers, then processed
in chunks of pairs (distances of all conformers at once, one row per
conformer), and each chunk in cache-sized tiles of K rows x M rows x pairs
deviations, the pairs along the contiguous axis, so memory stays bounded for
large proteins. Pairs in contact in some reference conformers only are scored
reference by reference, on the pairs in contact there. An ensemble scored
against itself (equal coordinates) takes each unordered pair of conformers
once on the pairs in contact in every conformer, whose deviations are the
same both ways round. With ``workers`` >
1, threads share the chunks (numpy releases the GIL inside its loops), each
with its own integer counts, summed at the end: the scores do not depend on
the number of workers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import reduce

import numpy as np

from dynafold.const import LDDT_INCLUSION_RADIUS_A, LDDT_THRESHOLDS_A
from dynafold.errors import DynafoldInputError

# float32 elements of one tile of deviations (1 MiB: stays in a core's cache)
_BLOCK_ELEMENTS = 1 << 18
# candidate pairs per chunk: the contiguous axis of a tile
_CHUNK_PAIRS = 4096
# slack on the screening radii, Angstrom: screening distances carry rounding errors
_SCREEN_MARGIN_A = 0.05
# largest float32 below 2: squaring with it moves a deviation exactly on a threshold below it
_BELOW_TWO = np.float32(2.0 - 2.0 ** -23)


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


def _squared_distances(xyz: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """(C, P) float32 squared distances of pairs (i, j), in biotite's operation order.

    ``xyz`` is (3, C, N): one row of atoms per axis and conformer, so that a
    pair's coordinates are gathered inside rows.
    """
    out = None
    for axis in xyz:
        d = axis.take(i, axis=1)
        d -= axis.take(j, axis=1)
        d *= d
        out = d if out is None else np.add(out, d, out=out)
    return out


def _atom_pairs(starts: np.ndarray, sizes: np.ndarray, ra: np.ndarray,
                rb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All atom pairs (i, j) of the residue pairs (ra, rb): i in residue ra, j in rb.

    ``starts`` and ``sizes`` are each residue's first atom and atom count.
    """
    size_a, size_b = sizes[ra], sizes[rb]
    counts = size_a * size_b
    # int32 offsets inside each residue pair: int64 division is slow
    offset = (np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)).astype(np.int32)
    size_b = np.repeat(size_b.astype(np.int32), counts)
    u = offset // size_b
    i = np.repeat(starts[ra], counts) + u
    j = np.repeat(starts[rb], counts) + (offset - u * size_b)
    return i, j


def _close_residue_pairs(centres: np.ndarray, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residue pairs a < b whose ``centres`` (R, 3) lie within ``limit[a] + limit[b]``.

    Row blocks keep the R x R distance matrix out of memory.
    """
    n = len(centres)
    rows = max(1, (1 << 20) // max(1, n))
    ra, rb = [np.zeros(0, dtype=np.intp)], [np.zeros(0, dtype=np.intp)]
    for a0 in range(0, n, rows):
        d2 = ((centres[a0:a0 + rows, None] - centres[None]) ** 2).sum(-1)
        close = d2 <= (limit[a0:a0 + rows, None] + limit[None]) ** 2
        a, b = np.nonzero(np.triu(close, k=a0 + 1))
        ra.append(a + a0)
        rb.append(b)
    return np.concatenate(ra), np.concatenate(rb)


def _candidate_pairs(ref: np.ndarray, residue_index: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Atom pairs i < j of different residues that may lie within ``radius`` in some reference.

    Screening in three steps, each keeping a superset of the contacts (with a
    small margin for rounding). Residue spheres: centre = first atom of the
    residue, radius (reach) = its farthest atom over all conformers.
    1. Residue pairs whose centres, averaged over conformers, lie within
       ``radius`` plus both reaches plus both centres' largest distance from
       their average (R x R distances in row blocks).
    2. Of these, residue pairs whose centres come within ``radius`` plus both
       reaches in some conformer (float32 distances); they contribute all their
       atom pairs.
    3. Of these, atom pairs whose mean positions lie within ``radius`` plus
       both atoms' largest distance from their mean position.
    Steps 2 and 3 run on cache-sized blocks of pairs. ``ref`` is (M, N, 3)
    float32; returns two index arrays, filtered exactly later.
    """
    n = ref.shape[1]
    starts = np.flatnonzero(np.concatenate([[True], residue_index[1:] != residue_index[:-1]]))
    sizes = np.diff(np.append(starts, n))
    coords = ref.astype(np.float64)
    centres = coords[:, starts]  # (M, R, 3)
    spread = np.sqrt(((coords - np.repeat(centres, sizes, axis=1)) ** 2).sum(-1)).max(0)  # (N,)
    reach = np.maximum.reduceat(spread, starts)  # (R,)
    mean_centres = centres.mean(0)  # (R, 3)
    slack = reach + np.sqrt(((centres - mean_centres) ** 2).sum(-1)).max(0)
    ra, rb = _close_residue_pairs(mean_centres, (radius + _SCREEN_MARGIN_A) / 2 + slack)

    centres_xyz = np.ascontiguousarray(ref[:, starts].transpose(2, 0, 1))  # (3, M, R) float32
    near = np.empty(len(ra), dtype=bool)
    block = max(1, _BLOCK_ELEMENTS // len(ref))  # a (M, pairs) block
    for p0 in range(0, len(ra), block):
        a, b = ra[p0:p0 + block], rb[p0:p0 + block]
        closest2 = _squared_distances(centres_xyz, a, b).min(0)
        near[p0:p0 + block] = closest2 <= (radius + _SCREEN_MARGIN_A + reach[a] + reach[b]) ** 2
    ra, rb = ra[near], rb[near]

    mean = coords.mean(0)  # (N, 3)
    wander = np.sqrt(((coords - mean) ** 2).sum(-1)).max(0)  # (N,)
    reach_i = radius + _SCREEN_MARGIN_A + wander
    keep_i, keep_j = [np.zeros(0, dtype=np.intp)], [np.zeros(0, dtype=np.intp)]
    block = max(1, _BLOCK_ELEMENTS // (2 * max(1, int(sizes.max())) ** 2))  # at most a half block of atom pairs
    for p0 in range(0, len(ra), block):
        i, j = _atom_pairs(starts, sizes, ra[p0:p0 + block], rb[p0:p0 + block])
        keep = ((mean[i] - mean[j]) ** 2).sum(-1) <= (reach_i[i] + wander[j]) ** 2
        keep_i.append(i[keep])
        keep_j.append(j[keep])
    return np.concatenate(keep_i), np.concatenate(keep_j)


def _threshold_codes(thresholds: tuple[float, ...]) -> tuple[Callable[[np.ndarray], np.ndarray], int]:
    """Return (codes, top): ``codes(dev)`` overwrites a float32 d_pred - d_ref array
    (Angstrom, any shape) with int32 codes such that the number of thresholds t
    with |dev| <= t is ``top - code``.

    For thresholds t0 * 2**i with t0 a power of two (the default 0.5, 1, 2, 4)
    the code comes from the float32 exponent in four in-place passes:
    y = dev * dev * (2 - 2**-23) has |dev| <= 2**q  <=>  y < 2**(2q + 1)  <=>
    (bits(y) >> 24) <= q + 63. The factor just below 2 maps a squared deviation
    equal to t**2 below 2 t**2 and keeps one ulp above t**2 at or above it
    (whichever product is rounded first), so ties agree with ``<=`` exactly.
    Otherwise one comparison per threshold (with float32 thresholds).
    """
    t = np.asarray(thresholds, dtype=np.float64)
    q0 = np.log2(t[0])
    n = len(t)
    # squares of the thresholds stay normal float32 numbers
    if q0 == np.round(q0) and -62 <= q0 and q0 + n <= 63 and np.array_equal(t, t[0] * 2.0 ** np.arange(n)):
        top = int(q0) + 63 + n
        low, high = np.int32(top - n), np.int32(top)  # numpy scalars: np.clip skips its range checks

        def codes(dev: np.ndarray) -> np.ndarray:
            np.multiply(dev, dev, out=dev)
            np.multiply(dev, _BELOW_TWO, out=dev)
            code = dev.view(np.int32)
            np.right_shift(code, 24, out=code)
            return np.clip(code, low, high, out=code)
        return codes, top

    def codes_slow(dev: np.ndarray) -> np.ndarray:
        np.abs(dev, out=dev)
        count = np.zeros(dev.shape, dtype=np.int32)
        for value in thresholds:
            count -= dev <= np.float32(value)
        return count
    return codes_slow, 0


@dataclass
class _Counts:
    """Sums over some chunks of pairs; exact, so partial sums add up in any order."""

    preserved: np.ndarray  # (K, M) int64 thresholds met
    n_pairs: np.ndarray  # (M,) int64 pairs in contact
    res_preserved: np.ndarray | None  # (R, K, M) float64 integers: thresholds met per residue
    res_pairs: np.ndarray | None  # (R, M) float64 integers: pairs per residue

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
    tile buffer and counts, so calls can run in parallel threads. With
    ``same``, predicted and reference coordinates are equal (an ensemble
    against itself).
    """

    pred_xyz: np.ndarray  # (3, K, N) float32 Angstrom
    ref_xyz: np.ndarray  # (3, M, N) float32 Angstrom
    same: bool
    res: np.ndarray  # (N,) residue of each atom
    n_res: int
    ci: np.ndarray  # (P,) first atom of each candidate pair
    cj: np.ndarray  # (P,) second atom
    radius2: np.float32  # squared inclusion radius, A^2
    codes: Callable[[np.ndarray], np.ndarray]
    top: int
    per_residue: bool

    def __call__(self, starts: Sequence[int]) -> _Counts:
        k, m = self.pred_xyz.shape[1], self.ref_xyz.shape[1]
        out = _Counts(np.zeros((k, m), dtype=np.int64), np.zeros(m, dtype=np.int64),
                      np.zeros((self.n_res, k, m)) if self.per_residue else None,
                      np.zeros((self.n_res, m)) if self.per_residue else None)
        buf = np.empty(_BLOCK_ELEMENTS, dtype=np.float32)
        with np.errstate(all="ignore"):  # out-of-contact pairs: infinite deviations
            for c0 in starts:
                self._chunk(self.ci[c0:c0 + _CHUNK_PAIRS], self.cj[c0:c0 + _CHUNK_PAIRS], out, buf)
        return out

    def _chunk(self, i: np.ndarray, j: np.ndarray, out: _Counts, buf: np.ndarray) -> None:
        d2_ref = _squared_distances(self.ref_xyz, i, j)  # (M, P)
        contact = d2_ref <= self.radius2
        out.n_pairs += contact.sum(1)
        used = contact.any(0)
        if self.per_residue:
            self._tiles(i[used], j[used], d2_ref.compress(used, axis=1), contact.compress(used, axis=1), out, buf)
            return
        # compress keeps rows contiguous (boolean indexing of axis 1 may not)
        everywhere = contact.all(0)
        if self.same:  # pairs in contact in every conformer: deviations antisymmetric in (a, b)
            self._triangle(np.sqrt(d2_ref.compress(everywhere, axis=1)), out.preserved, buf)
        else:
            self._tiles(i[everywhere], j[everywhere], d2_ref.compress(everywhere, axis=1),
                        contact.compress(everywhere, axis=1), out, buf)
        used &= ~everywhere
        self._per_reference(i[used], j[used], d2_ref.compress(used, axis=1), contact.compress(used, axis=1),
                            out.preserved)

    def _distances(self, i: np.ndarray, j: np.ndarray, d2_ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, P) predicted and (M, P) reference distances of pairs (i, j), A."""
        d_ref = np.sqrt(d2_ref)
        return (d_ref.copy() if self.same else np.sqrt(_squared_distances(self.pred_xyz, i, j))), d_ref

    def _per_reference(self, i: np.ndarray, j: np.ndarray, d2_ref: np.ndarray, contact: np.ndarray,
                       preserved: np.ndarray) -> None:
        """Add the counts of pairs in contact in some references only: each reference scores its own."""
        d_pred, d_ref = self._distances(i, j, d2_ref)
        for m, row in enumerate(contact):
            dev = d_pred.compress(row, axis=1)  # (K, pairs in contact in reference m)
            np.subtract(dev, d_ref[m].compress(row), out=dev)
            preserved[:, m] += self._sum(self.codes(dev))

    def _tiles(self, i: np.ndarray, j: np.ndarray, d2_ref: np.ndarray, contact: np.ndarray, out: _Counts,
               buf: np.ndarray) -> None:
        """Add the counts of pairs (i, j) over K x M tiles (and per residue when asked)."""
        d_pred, d_ref = self._distances(i, j, d2_ref)
        d_ref[~contact] = np.inf  # an infinite deviation meets no threshold
        if self.per_residue:
            onehot = np.zeros((len(i), self.n_res))
            onehot[np.arange(len(i)), self.res[i]] = 1.0
            onehot[np.arange(len(i)), self.res[j]] = 1.0
            out.res_pairs += onehot.T @ contact.T
        k, m = len(d_pred), len(d_ref)
        rows_m = _even_rows(m, _BLOCK_ELEMENTS // max(1, len(i)))
        rows_k = _even_rows(k, _BLOCK_ELEMENTS // (rows_m * max(1, len(i))))
        for k0 in range(0, k, rows_k):
            for m0 in range(0, m, rows_m):
                code = self._codes(d_pred[k0:k0 + rows_k], d_ref[m0:m0 + rows_m], buf)
                if self.per_residue:
                    count = (self.top - code).reshape(-1, len(i)) @ onehot
                    out.res_preserved[:, k0:k0 + rows_k, m0:m0 + rows_m] += count.T.reshape(
                        self.n_res, *code.shape[:2])
                out.preserved[k0:k0 + rows_k, m0:m0 + rows_m] += self._sum(code)

    def _triangle(self, d: np.ndarray, preserved: np.ndarray, buf: np.ndarray) -> None:
        """Add the counts of pairs in contact in all conformers, from square tiles a <= b of (K, P) ``d``."""
        k, p = d.shape
        if p == 0:
            return
        rows = _even_rows(k, math.isqrt(_BLOCK_ELEMENTS // p))
        for a0 in range(0, k, rows):
            for b0 in range(a0, k, rows):
                count = self._sum(self._codes(d[a0:a0 + rows], d[b0:b0 + rows], buf))
                preserved[a0:a0 + rows, b0:b0 + rows] += count
                if b0 != a0:
                    preserved[b0:b0 + rows, a0:a0 + rows] += count.T

    def _codes(self, a: np.ndarray, b: np.ndarray, buf: np.ndarray) -> np.ndarray:
        """(A, B, P) int32 codes of the deviations a[:, None] - b[None] of (A, P) and (B, P) distances."""
        dev = buf[:a.shape[0] * b.shape[0] * a.shape[1]].reshape(a.shape[0], b.shape[0], a.shape[1])
        np.subtract(a[:, None], b[None], out=dev)
        return self.codes(dev)

    def _sum(self, code: np.ndarray) -> np.ndarray:
        """Thresholds met, summed over the last axis (pairs) of the codes (int32: at most 127 per pair)."""
        return self.top * code.shape[-1] - code.sum(-1, dtype=np.int32)


def _even_rows(n: int, most: int) -> int:
    """Rows per tile: at most ``most`` (at least 1), the tiles of ``n`` rows as even as can be."""
    tiles = -(-n // max(1, min(n, most)))
    return -(-n // tiles)


def _default_workers() -> int:
    """``OMP_NUM_THREADS`` when set (as the command line sets it), else the CPU count."""
    preset = os.environ.get("OMP_NUM_THREADS", "")
    return int(preset) if preset.isdigit() and int(preset) > 0 else os.cpu_count() or 1


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
        ``OMP_NUM_THREADS`` when set, else the CPU count). Scores do not
        depend on it.

    Returns
    -------
    LddtResult with ``global_`` (K, M).
    """
    pred = np.asarray(pred_coords, dtype=np.float32)
    ref = np.asarray(ref_coords, dtype=np.float32)
    if pred.ndim == 2:
        pred = pred[None]
    if ref.ndim == 2:
        ref = ref[None]
    if pred.ndim != 3 or pred.shape[1:] != ref.shape[1:] or pred.shape[2] != 3:
        raise DynafoldInputError(f"lDDT needs (K, N, 3) and (M, N, 3) coordinates of the same "
                                 f"atoms, got {tuple(pred.shape)} and {tuple(ref.shape)}")
    if pred.shape[0] == 0 or ref.shape[0] == 0 or pred.shape[1] == 0:
        raise DynafoldInputError("lDDT needs at least one atom and one predicted and one reference conformer")
    res = np.asarray(residue_index, dtype=np.int64)
    if len(res) != pred.shape[1]:
        raise DynafoldInputError(f"residue_index has {len(res)} entries for {pred.shape[1]} atoms")
    if len(np.unique(res)) != 1 + int(np.count_nonzero(res[1:] != res[:-1])):
        raise DynafoldInputError("the atoms of each residue must be consecutive")
    workers = _default_workers() if workers is None else workers
    if workers < 1:
        raise DynafoldInputError(f"lDDT needs at least one worker, got {workers}")
    codes, top = _threshold_codes(tuple(thresholds))
    ci, cj = _candidate_pairs(ref, res, radius)
    scorer = _ChunkScorer(
        pred_xyz=np.ascontiguousarray(pred.transpose(2, 0, 1)),
        ref_xyz=np.ascontiguousarray(ref.transpose(2, 0, 1)),
        same=pred.shape == ref.shape and np.array_equal(pred, ref),
        res=res, n_res=int(res.max()) + 1, ci=ci, cj=cj, radius2=np.float32(radius * radius),
        codes=codes, top=top, per_residue=per_residue)
    starts = range(0, len(ci), _CHUNK_PAIRS)
    n_shares = max(1, min(workers, len(starts)))
    if n_shares == 1:
        counts = scorer(starts)
    else:
        # strided shares: chunk costs vary along the pair list
        with ThreadPoolExecutor(n_shares) as pool:
            counts = reduce(_Counts.add_, pool.map(scorer, [starts[w::n_shares] for w in range(n_shares)]))
    n_thr = len(thresholds)
    total = (n_thr * counts.n_pairs).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        global_ = counts.preserved / total[None, :]
        per_res = None
        if per_residue:
            per_res = (counts.res_preserved / (n_thr * counts.res_pairs)[:, None, :]).transpose(1, 2, 0)
    return LddtResult(global_=global_, per_residue=per_res, n_pairs=counts.n_pairs)
