"""`dynafold prepare`: curate MD, NMR and X-ray sources into a training store."""

from __future__ import annotations

import click

from dynafold.data.sources import KINDS


@click.command()
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--out", "store", required=True, type=click.Path(file_okay=False), help="Store folder (created).")
@click.option("--method", default=None, help="Method label (md, xray, nmr, em, other, afdb); default per source.")
@click.option("--topology", default=None, type=click.Path(), help="Topology (PDB/GRO/PSF/prmtop) for 'traj' sources.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1), help="Worker processes.")
@click.option("--shard", default="0/1", show_default=True, help="Prepare only shard i of n (i/n).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the ATLAS frame draw.")
@click.option("--temperatures", default="320", show_default=True, help="mdCATH temperatures, comma-separated.")
@click.option("--pool-replicas", is_flag=True, help="ATLAS: pool the replicas into one ensemble.")
@click.option("--peptide-list", default=None, type=click.Path(exists=True, dir_okay=False),
              help="MISATO: file of PDB ids whose ligand is a peptide (one per line).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def prepare(kind: str, paths: tuple[str, ...], store: str, method: str | None, topology: str | None,
            workers: int, shard: str, seed: int, temperatures: str, pool_replicas: bool,
            peptide_list: str | None, quiet: bool) -> None:
    """Curate KIND sources (atlas, mdcath, misato, nmr, xray, traj) found in PATHS into STORE.

    Each PATH is a file or a folder of them. 'xray' also takes EM and predicted
    models (one conformer each; label them with --method em|afdb|other); 'traj'
    takes XTC/DCD/TRR/NetCDF files with --topology. Systems already in the store are
    skipped, so an interrupted call can be re-run; several calls may add to one store.
    """
    from contextlib import nullcontext
    from pathlib import Path

    from dynafold.cli.progress import StepProgress, stderr_console
    from dynafold.const import canonical_method
    from dynafold.data.prepare import parse_shard, prepare_store
    from dynafold.data.sources import SourceOptions
    from dynafold.errors import DynafoldInputError

    peptides = frozenset()
    if peptide_list:
        peptides = frozenset(x.strip().lower() for x in Path(peptide_list).read_text().split() if x.strip())
    options = SourceOptions(
        method=canonical_method(method) if method else None, topology=topology, seed=seed,
        temperatures=tuple(t.strip() for t in temperatures.split(",") if t.strip()),
        atlas_pool=pool_replicas, misato_peptide_ids=peptides,
    )

    def on_event(event: str, record: dict) -> None:
        if event == "rejected":
            click.echo(f"dynafold: {record['name']}: dropped: {record['reason']}", err=True)

    bar = None if quiet else StepProgress(stderr_console(), f"prepare {kind}", unit="systems")
    with bar or nullcontext():
        report = prepare_store(kind, list(paths), store, options, workers=workers, shard=parse_shard(shard),
                               on_event=on_event, progress=None if bar is None else bar.update)
    if report.skipped and not report.prepared:
        still = (f"; {len(report.rejected)} dropped by the rules, {len(report.failed)} failed"
                 if report.rejected or report.failed else "")
        click.echo(f"{store}: nothing to do: {len(report.skipped)} systems already prepared{still}")
        return
    errors = [" ".join(f["error"].split()) for f in report.failed]
    if not (report.prepared or report.skipped):
        if not (errors or report.rejected):
            raise DynafoldInputError(f"nothing prepared: no {kind} inputs found in {', '.join(paths)}")
        if len(errors) == 1 and not report.rejected:
            raise DynafoldInputError(errors[0])
        for error in errors:
            click.echo(f"dynafold: warning: {error} (skipped)", err=True)
        raise DynafoldInputError(f"nothing prepared: {len(report.failed)} failed, {len(report.rejected)} "
                                 f"dropped by the rules, of the {kind} inputs in {', '.join(paths)}")
    for error in errors:
        click.echo(f"dynafold: warning: {error} (skipped)", err=True)
    click.echo(f"{store}: {len(report.prepared)} prepared, {len(report.skipped)} already there, "
               f"{len(report.rejected)} dropped by the rules, {len(report.failed)} failed")
