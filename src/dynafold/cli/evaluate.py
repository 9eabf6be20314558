"""`dynafold evaluate`: score a predicted ensemble against a reference ensemble."""

from __future__ import annotations

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
    """Compare a predicted ensemble with a reference: RMSF correlation, lDDT precision/recall/diversity.

    When both hold the same ligand, also its RMSD and RMSF on the pocket and its contact persistence.
    """
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from dynafold.cli.inputs import load_protein, require_topology
    from dynafold.errors import TopologyMismatchError
    from dynafold.io.atomic import write_json
    from dynafold.metrics.evaluate import evaluate_ensembles
    from dynafold.metrics.ligand import ligand_metrics

    require_topology(ref_path, ref_top, "--ref-top")
    pred = load_protein(pred_path, pred_top, "--pred-top")
    ref = load_protein(ref_path, ref_top, "--ref-top")
    try:
        result = evaluate_ensembles(pred, ref, atoms=atoms, ref_frames=ref_frames, seed=seed)
    except TopologyMismatchError as err:
        if err.path is not None:
            raise
        raise TopologyMismatchError(f"{err}; reference: {ref_path}", pred_path) from err
    ligands = ligand_metrics(pred, ref.select_frames(np.array(result["ref_frame_indices"], dtype=np.int64)))
    result["pred_path"], result["ref_path"] = str(pred_path), str(ref_path)
    result["notes"] = {"pred": list(pred.notes), "ref": list(ref.notes)}
    if ligands:  # both ensembles hold the same ligand
        result["ligands"] = ligands
    for path, notes in ((pred_path, pred.notes), (ref_path, ref.notes)):
        for note in notes:
            click.echo(f"dynafold: note: {path}: {note}", err=True)

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
    for lig in result.get("ligands", []):
        name = lig["ligand"]
        rows += [
            (f"{name} RMSD on pocket pred / ref (A)",
             f"{lig['rmsd_A']['pred']['mean']:.2f} +- {lig['rmsd_A']['pred']['std']:.2f} / "
             f"{lig['rmsd_A']['ref']['mean']:.2f} +- {lig['rmsd_A']['ref']['std']:.2f}"),
            (f"{name} RMSF Pearson r", f"{lig['rmsf_A']['pearson']:.3f}"),
            (f"{name} pocket CA RMSF Pearson r", f"{lig['pocket_rmsf']['pearson']:.3f}"),
            (f"{name} contact persistence Pearson r", f"{lig['contacts']['pearson']:.3f}"),
        ]
    for row in rows:
        table.add_row(*row)
    Console().print(table)

    if json_path is not None:
        write_json(result, json_path)
        click.echo(f"wrote {json_path}")
    if plot_path is not None:
        from dynafold.plots import rmsf_figure

        rmsf_figure(result["rmsf"]["pred_A"], result["rmsf"]["ref_A"], plot_path,
                    title=f"{pred_path.name} vs {ref_path.name}",
                    pearson=result["rmsf"]["pearson"], spearman=result["rmsf"]["spearman"])
        click.echo(f"wrote {plot_path}")
