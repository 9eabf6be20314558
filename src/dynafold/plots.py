"""Figures (matplotlib, imported lazily so the CLI starts fast)."""

from __future__ import annotations

import os

import numpy as np

from dynafold.io.atomic import atomic_path


def rmsf_figure(pred_A: np.ndarray, ref_A: np.ndarray, path: str | os.PathLike, *,
                title: str = "", pearson: float | None = None, spearman: float | None = None) -> None:
    """Predicted vs reference per-residue RMSF: scatter with y = x, and both profiles.

    pred_A, ref_A : (R,) RMSF in Angstrom. Written atomically to ``path`` (PNG, PDF, SVG).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pred_A, ref_A = np.asarray(pred_A), np.asarray(ref_A)
    fig, (ax_sc, ax_pr) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1.8]})
    top = float(max(pred_A.max(initial=0), ref_A.max(initial=0))) * 1.05 or 1.0
    ax_sc.scatter(ref_A, pred_A, s=12, alpha=0.7, color="tab:blue", edgecolors="none")
    ax_sc.plot([0, top], [0, top], color="0.4", lw=1, ls="--", label="y = x")
    ax_sc.set(xlim=(0, top), ylim=(0, top), xlabel="reference RMSF (Å)", ylabel="predicted RMSF (Å)",
              aspect="equal")
    stats = []
    if pearson is not None:
        stats.append(f"r = {pearson:.2f}")
    if spearman is not None:
        stats.append(f"ρ = {spearman:.2f}")
    ax_sc.set_title(", ".join(stats))
    ax_sc.legend(loc="upper left", frameon=False)
    residues = np.arange(1, len(ref_A) + 1)
    ax_pr.plot(residues, ref_A, color="0.2", lw=1.4, label="reference")
    ax_pr.plot(residues, pred_A, color="tab:blue", lw=1.4, label="predicted")
    ax_pr.set(xlabel="residue (matched order)", ylabel="C-alpha RMSF (Å)", xlim=(1, max(len(ref_A), 2)))
    ax_pr.legend(frameon=False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150)
    plt.close(fig)
