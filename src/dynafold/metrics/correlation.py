"""Agreement of predicted and reference per-residue profiles (RMSF, B-factors)."""

from __future__ import annotations

import numpy as np

from dynafold.errors import DynafoldInputError


def _pair(pred: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(pred, dtype=np.float64).ravel()
    r = np.asarray(ref, dtype=np.float64).ravel()
    if p.shape != r.shape:
        raise DynafoldInputError(f"profiles differ in length: {len(p)} vs {len(r)}")
    return p, r


def pearson(pred: np.ndarray, ref: np.ndarray) -> float:
    """Pearson correlation coefficient (NaN when fewer than 2 values or no variance)."""
    p, r = _pair(pred, ref)
    if len(p) < 2:
        return float("nan")
    p, r = p - p.mean(), r - r.mean()
    denom = np.sqrt((p * p).sum() * (r * r).sum())
    return float((p * r).sum() / denom) if denom > 0 else float("nan")


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks with ties given their average rank (as scipy.stats.rankdata)."""
    order = np.argsort(x, kind="mergesort")
    sorted_x = x[order]
    first = np.concatenate([[True], sorted_x[1:] != sorted_x[:-1]])
    group = np.cumsum(first) - 1
    starts = np.nonzero(first)[0]
    ends = np.append(starts[1:], len(x))
    ranks = np.empty(len(x))
    ranks[order] = ((starts + ends + 1) / 2.0)[group]
    return ranks


def spearman(pred: np.ndarray, ref: np.ndarray) -> float:
    """Spearman rank correlation (Pearson of average ranks)."""
    p, r = _pair(pred, ref)
    return pearson(_ranks(p), _ranks(r))


def rmse(pred: np.ndarray, ref: np.ndarray) -> float:
    """Root-mean-square error, in the unit of the inputs."""
    p, r = _pair(pred, ref)
    return float(np.sqrt(((p - r) ** 2).mean())) if len(p) else float("nan")


STATISTICS = {"pearson": pearson, "spearman": spearman, "rmse": rmse}


def correlation_summary(pred_rmsf_per_target: list[np.ndarray],
                        ref_rmsf_per_target: list[np.ndarray]) -> dict:
    """Pearson, Spearman and RMSE over a set of targets.

    Parameters
    ----------
    pred_rmsf_per_target, ref_rmsf_per_target : one (R_t,) profile per target.

    Returns
    -------
    {"global": {stat: value over all residues pooled},
     "per_target": {stat: {"mean", "median", "values"}}, "n_targets", "n_residues"}.
    NaN per-target values (constant profiles) are left out of mean and median.
    """
    if len(pred_rmsf_per_target) != len(ref_rmsf_per_target):
        raise DynafoldInputError(f"{len(pred_rmsf_per_target)} predicted but "
                                 f"{len(ref_rmsf_per_target)} reference profiles")
    if not pred_rmsf_per_target:
        raise DynafoldInputError("no targets to summarise")
    pairs = [_pair(p, r) for p, r in zip(pred_rmsf_per_target, ref_rmsf_per_target)]
    pooled_p = np.concatenate([p for p, _ in pairs])
    pooled_r = np.concatenate([r for _, r in pairs])
    summary: dict = {"global": {}, "per_target": {}, "n_targets": len(pairs),
                     "n_residues": int(len(pooled_p))}
    for name, stat in STATISTICS.items():
        summary["global"][name] = stat(pooled_p, pooled_r)
        values = np.array([stat(p, r) for p, r in pairs])
        finite = values[np.isfinite(values)]
        summary["per_target"][name] = {
            "mean": float(finite.mean()) if len(finite) else float("nan"),
            "median": float(np.median(finite)) if len(finite) else float("nan"),
            "values": values.tolist(),
        }
    return summary
