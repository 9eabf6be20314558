"""Figures (matplotlib, imported lazily so the CLI starts fast).

Figures are built with matplotlib's object API (``matplotlib.figure.Figure``),
so no backend or other process-wide state of matplotlib is changed.
"""

from __future__ import annotations

import os

import numpy as np

from dynafold.io.atomic import atomic_path


def rmsf_figure(pred_A: np.ndarray, ref_A: np.ndarray, path: str | os.PathLike, *,
                title: str = "", pearson: float | None = None, spearman: float | None = None) -> None:
    """Predicted vs reference per-residue RMSF: scatter with y = x, and both profiles.

    pred_A, ref_A : (R,) RMSF in Angstrom. Written atomically to ``path`` (PNG, PDF, SVG).
    """
    from matplotlib.figure import Figure

    pred_A, ref_A = np.asarray(pred_A), np.asarray(ref_A)
    fig = Figure(figsize=(11, 4.2))
    ax_sc, ax_pr = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.8]})
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


def _figure(figsize: tuple[float, float]):
    """A new matplotlib Figure with one Axes: (figure, axes)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def _save(fig, path: str | os.PathLike):
    from pathlib import Path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150)
    return Path(path)


def plot_rmsf_profile(pred_A: np.ndarray, ref_A: np.ndarray, path: str | os.PathLike, *, title: str = ""):
    """:func:`rmsf_figure` of one target with its Pearson r and Spearman rho; returns the path."""
    from pathlib import Path

    from dynafold.metrics.correlation import pearson, spearman

    rmsf_figure(pred_A, ref_A, path, title=title, pearson=pearson(pred_A, ref_A),
                spearman=spearman(pred_A, ref_A))
    return Path(path)


def plot_rmsf_scatter(pred_A: list[np.ndarray], ref_A: list[np.ndarray], path: str | os.PathLike, *,
                      title: str = "", labels: list[str] | None = None):
    """Pooled predicted vs reference RMSF of several targets (one colour each), y = x,
    global r and rho in the title; returns the path."""
    from dynafold.metrics.correlation import pearson, spearman

    fig, ax = _figure((5, 5))
    pooled_p, pooled_r = np.concatenate(pred_A), np.concatenate(ref_A)
    top = float(max(pooled_p.max(initial=0), pooled_r.max(initial=0))) * 1.05 or 1.0
    for i, (p, r) in enumerate(zip(pred_A, ref_A)):
        ax.scatter(r, p, s=9, alpha=0.7, edgecolors="none", label=labels[i] if labels else None)
    ax.plot([0, top], [0, top], color="0.4", lw=1, ls="--")
    ax.set(xlim=(0, top), ylim=(0, top), xlabel="reference RMSF (Å)", ylabel="predicted RMSF (Å)", aspect="equal")
    ax.set_title(f"{title}\nglobal r = {pearson(pooled_p, pooled_r):.2f}, ρ = {spearman(pooled_p, pooled_r):.2f}")
    if labels:
        ax.legend(fontsize=7, frameon=False, markerscale=1.5)
    return _save(fig, path)


def flexibility_profile(rows: list[dict], path: str | os.PathLike, *, title: str = ""):
    """Per-residue flexibility of a prediction: sampled RMSF and the RMSF implied by the
    predicted B-factor (rows of ``dynafold.predict.outputs.residue_table``); returns the path."""
    fig, ax = _figure((9, 3.6))
    x = np.arange(len(rows))
    ax.plot(x, [r["rmsf_A"] for r in rows], color="tab:blue", lw=1.4, label="RMSF of the sampled ensemble")
    ax.plot(x, [r["bfactor_rmsf_A"] for r in rows], color="tab:orange", lw=1.4,
            label="RMSF implied by the predicted B-factor")
    step = max(1, len(rows) // 15)
    ax.set_xticks(x[::step], [f"{r['chain']}{r['residue_number']}" for r in rows[::step]], fontsize=7)
    ax.set(xlabel="residue", ylabel="RMSF (Å)", xlim=(0, max(len(rows) - 1, 1)), title=title)
    ax.legend(frameon=False)
    return _save(fig, path)
