"""`dynafold evaluate`: score a predicted ensemble against a reference ensemble."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dynafold.metrics.evaluate import ATOM_SELECTIONS


@click.command()
@click.option("--pred", "pred_path", required=True, type=click.Path(path_type=Path),
              help="Predicted ensemble: multi-model PDB/mmCIF or trajectory (with --pred-top).")
@click.option("--ref", "ref_path", required=True, type=click.Path(path_type=Path),
              help="Reference ensemble, e.g. an MD trajectory (with --ref-top).")
@click.option("--pred-top", type=click.Path(path_type=Path), default=None, help="Topology of a predicted trajectory.")
@click.option("--ref-top", type=click.Path(path_type=Path), default=None, help="Topology of a reference trajectory.")
@click.option("--atoms", type=click.Choice(ATOM_SELECTIONS), default="ca", show_default=True,
              help="Atoms scored by lDDT.")
@click.option("--ref-frames", type=click.IntRange(min=1), default=200, show_default=True,
              help="Reference frames drawn (without replacement) for lDDT and RMSF.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the frame draw.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="Write the scores as JSON.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), default=None,
              help="Write the RMSF figure (PNG/PDF/SVG).")
def evaluate(pred_path: Path, ref_path: Path, pred_top: Path | None, ref_top: Path | None, atoms: str,
             ref_frames: int, seed: int, json_path: Path | None, plot_path: Path | None) -> None:
    """Compare a predicted ensemble with a reference: RMSF correlation, lDDT precision/recall/diversity."""
    from rich.console import Console
    from rich.table import Table

    from dynafold.io import load
    from dynafold.io.atomic import atomic_path
    from dynafold.metrics.evaluate import evaluate_ensembles

    pred = load(pred_path, pred_top)
    ref = load(ref_path, ref_top)
    result = evaluate_ensembles(pred, ref, atoms=atoms, ref_frames=ref_frames, seed=seed)
    result["pred_path"], result["ref_path"] = str(pred_path), str(ref_path)

    m = result["matched"]
    table = Table(title=f"{pred_path.name} vs {ref_path.name}", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows = [
        ("matched residues", f"{m['residues']} / {m['ref_residues']} (by {m['by']})"),
        ("matched atoms", str(m["atoms"])),
        ("conformers pred / ref", f"{result['n_pred']} / {result['n_ref']} of {result['n_ref_total']}"),
        ("RMSF Pearson r", f"{result['rmsf']['pearson']:.3f}"),
        ("RMSF Spearman rho", f"{result['rmsf']['spearman']:.3f}"),
        ("RMSF RMSE (A)", f"{result['rmsf']['rmse_A']:.3f}"),
        (f"lDDT precision ({atoms})", f"{result['lddt']['precision']:.3f}"),
        (f"lDDT recall ({atoms})", f"{result['lddt']['recall']:.3f}"),
        (f"lDDT diversity ({atoms})", f"{result['lddt']['diversity']:.3f}"),
        ("pairwise CA RMSD pred / ref (A)",
         f"{result['pairwise_rmsd_A']['pred']['mean']:.2f} / {result['pairwise_rmsd_A']['ref']['mean']:.2f}"),
    ]
    for row in rows:
        table.add_row(*row)
    Console().print(table)

    if json_path is not None:
        with atomic_path(json_path) as tmp:
            tmp.write_text(json.dumps(result, indent=1, allow_nan=True) + "\n")
        click.echo(f"wrote {json_path}")
    if plot_path is not None:
        from dynafold.plots import rmsf_figure

        rmsf_figure(result["rmsf"]["pred_A"], result["rmsf"]["ref_A"], plot_path,
                    title=f"{pred_path.name} vs {ref_path.name}",
                    pearson=result["rmsf"]["pearson"], spearman=result["rmsf"]["spearman"])
        click.echo(f"wrote {plot_path}")
