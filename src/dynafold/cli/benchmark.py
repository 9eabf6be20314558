"""`dynafold benchmark`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dynafold.const import SAMPLING_STEPS
from dynafold.metrics.evaluate import ATOM_SELECTIONS

FAILURES_EXIT_CODE = 3  # the report is written, but some generator/target runs failed


@click.command()
@click.argument("targets", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--generator", "-g", "generators", multiple=True, metavar="NAME[:ARG]",
              help="A generator (repeatable): dynafold-md[:CKPT], dynafold-xray[:CKPT], anm, gnm, "
                   "md-split, boltz2:DIR, bioemu:DIR, alphaflow:DIR, files:DIR.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Report folder.")
@click.option("--samples", default=100, show_default=True, help="Conformers sampled per target.")
@click.option("--steps", default=None, type=click.IntRange(2),
              help=f"Diffusion steps of the dynafold-md / dynafold-xray generators (default {SAMPLING_STEPS}).")
@click.option("--ref-frames", default=200, show_default=True, help="Reference frames drawn per target.")
@click.option("--workers", default=1, show_default=True, help="Parallel processes (one target each).")
@click.option("--seed", default=0, show_default=True, help="Seed of sampling and reference frames.")
@click.option("--atoms", type=click.Choice(ATOM_SELECTIONS), default="ca", show_default=True,
              help="Atoms scored by lDDT.")
@click.option("--step-scale", type=float, default=None,
              help="Sampler step scale of the dynafold generators (default: the model's).")
@click.option("--noise-scale", type=float, default=None,
              help="Sampler noise scale of the dynafold generators (default: the model's).")
@click.option("--enm-noise", type=click.FloatRange(0, 1), default=None,
              help="Share of the dynafold generators' fresh noise drawn from the input's ANM (default: the method's).")
@click.option("--no-relax", is_flag=True,
              help="Score the dynafold generators' raw conformers: no bond, angle and contact restraints.")
@click.option("--make-targets-from", metavar="KIND:PATH",
              help="First write TARGETS from a source: atlas:DIR, mdcath:DIR or store:STORE.")
@click.option("--split", type=click.Path(dir_okay=False, path_type=Path),
              help="With --make-targets-from: keep the names of this split CSV (e.g. atlas_test.csv).")
def benchmark(targets: Path, generators: tuple[str, ...], out: Path | None, samples: int, steps: int | None,
              ref_frames: int, workers: int, seed: int, atoms: str, step_scale: float | None, noise_scale: float | None,
              enm_noise: float | None, no_relax: bool, make_targets_from: str | None, split: Path | None) -> None:
    """Score ensemble generators on the targets of TARGETS (CSV: name,reference,reference_topology,input).

    Writes OUT/table.md, table.csv, results.json, plots/ and index.html. Every
    file named in TARGETS is checked first. When some generator/target runs
    fail, the report lists them in its Failures section and the exit code is 3.
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
    from dynafold.cli.progress import StepProgress, stderr_console

    with StepProgress(stderr_console(), "benchmark", unit="targets") as progress:
        content = run(targets, list(generators), out, samples=samples, steps=steps, ref_frames=ref_frames,
                      seed=seed, atoms=atoms, step_scale=step_scale, noise_scale=noise_scale, enm_noise=enm_noise,
                      relax=not no_relax, workers=workers,
                      progress=progress.update)
    click.echo((out / "table.md").read_text(), nl=False)
    for failure in content["failures"]:
        click.echo(f"failed: {failure['generator']} / {failure['target']}: {failure['error']}", err=True)
    click.echo(f"report: {out / 'index.html'}")
    if content["failures"]:
        click.echo(f"dynafold: {len(content['failures'])} generator/target run(s) failed; see the "
                   "Failures section of the report", err=True)
        sys.exit(FAILURES_EXIT_CODE)
