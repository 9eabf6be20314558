"""`dynafold benchmark`."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("targets", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--generator", "-g", "generators", multiple=True, metavar="NAME[:ARG]",
              help="A generator (repeatable): dynafold-md[:CKPT], dynafold-xray[:CKPT], anm, gnm, "
                   "md-split, boltz2:DIR, bioemu:DIR, alphaflow:DIR, files:DIR.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Report folder.")
@click.option("--samples", default=100, show_default=True, help="Conformers sampled per target.")
@click.option("--steps", default=200, show_default=True, type=click.IntRange(2),
              help="Diffusion steps of the dynafold-md / dynafold-xray generators.")
@click.option("--ref-frames", default=200, show_default=True, help="Reference frames drawn per target.")
@click.option("--workers", default=1, show_default=True, help="Parallel processes (one target each).")
@click.option("--seed", default=0, show_default=True, help="Seed of sampling and reference frames.")
@click.option("--atoms", type=click.Choice(["ca", "heavy"]), default="ca", show_default=True,
              help="Atoms scored by lDDT.")
@click.option("--make-targets-from", metavar="KIND:PATH",
              help="First write TARGETS from a source: atlas:DIR, mdcath:DIR or store:STORE.")
@click.option("--split", type=click.Path(dir_okay=False, path_type=Path),
              help="With --make-targets-from: keep the names of this split CSV (e.g. atlas_test.csv).")
def benchmark(targets: Path, generators: tuple[str, ...], out: Path | None, samples: int, steps: int, ref_frames: int,
              workers: int, seed: int, atoms: str, make_targets_from: str | None, split: Path | None) -> None:
    """Score ensemble generators on the targets of TARGETS (CSV: name,reference,reference_topology,input).

    Writes OUT/table.md, table.csv, results.json, plots/ and index.html.
    With --make-targets-from, TARGETS is written first (and the run is skipped
    when no --generator is given).
    """
    from dynafold.errors import DynafoldInputError

    if make_targets_from:
        from dynafold.bench.targets import make_targets_from as make

        kind, _, path = make_targets_from.partition(":")
        made = make(kind, path, targets, split_csv=split)
        click.echo(f"wrote {targets} ({len(made)} targets)")
        if not generators:
            return
    if out is None:
        raise DynafoldInputError("--out REPORT_DIR is required")
    from dynafold.bench import benchmark as run

    content = run(targets, list(generators), out, samples=samples, steps=steps, ref_frames=ref_frames, seed=seed,
                  atoms=atoms, workers=workers, progress=True)
    click.echo((out / "table.md").read_text(), nl=False)
    for failure in content["failures"]:
        click.echo(f"failed: {failure['generator']} / {failure['target']}: {failure['error']}", err=True)
    click.echo(f"report: {out / 'index.html'}")
