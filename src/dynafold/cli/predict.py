"""`dynafold predict`: sample an ensemble and per-residue flexibility for a structure."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from dynafold.const import (
    DEFAULT_BATCH_SAMPLES,
    DEFAULT_METHOD,
    METHOD_DESCRIPTIONS,
    METHOD_ENM_NOISE,
    METHOD_STEP_SCALE,
    SAMPLING_STEPS,
)

if TYPE_CHECKING:
    from dynafold.predict.pipeline import Prediction

METHODS_EPILOG = "\b\nMethods (--method asks the model for the ensemble style of one):\n" + "\n".join(
    f"  {name:6s} {text}{' (default)' if name == DEFAULT_METHOD else ''}"
    for name, text in METHOD_DESCRIPTIONS.items())


def device_label(pred: Prediction) -> str:
    """The device as the summary line names it; on the CPU with the threads sampling ran on."""
    if pred.device != "cpu":
        return pred.device
    return f"cpu, {pred.workers} thread{'' if pred.workers == 1 else 's'}"


@click.command(epilog=METHODS_EPILOG)
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(dir_okay=False))
@click.option("--method", default=DEFAULT_METHOD, show_default=True,
              help=f"Ensemble style to sample: {', '.join(METHOD_DESCRIPTIONS)} (see Methods below).")
@click.option("--samples", default=100, show_default=True, type=click.IntRange(1), help="Conformers to sample.")
@click.option("--steps", default=SAMPLING_STEPS, show_default=True, type=click.IntRange(2), help="Diffusion steps.")
@click.option("--step-scale", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Sampler step scale (>1 sharpens towards the input); default per method: "
                   + ", ".join(f"{m} {v}" for m, v in METHOD_STEP_SCALE.items()) + ", others 1.5.")
@click.option("--noise-scale", type=click.FloatRange(min=0), default=None,
              help="Sampler noise scale (default 1.003).")
@click.option("--enm-noise", type=click.FloatRange(0, 1), default=None,
              help="Share of the sampler's fresh noise drawn from the input's elastic network (ANM): collective "
                   "motions; default per method: " + ", ".join(f"{m} {v}" for m, v in METHOD_ENM_NOISE.items())
                   + ", others 0.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--checkpoint", type=click.Path(dir_okay=False), help="Model weights (.safetensors); default: the shipped model.")
@click.option("--out", "out_dir", default="dynafold_predictions", show_default=True, type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["pdb", "cif", "xtc"]), default="pdb", show_default=True,
              help="Ensemble file: multi-model PDB/mmCIF, or XTC + topology PDB.")
@click.option("--device", default=None, help="cpu or cuda (default: cuda when available).")
@click.option("--batch-size", type=click.IntRange(1),
              help=f"Samples per denoiser batch (default {DEFAULT_BATCH_SAMPLES}, fewer when memory is short); "
                   "batches run side by side, one per thread.")
@click.option("--keep-valid", is_flag=True, help="Resample until --samples conformers pass the geometry check.")
@click.option("--max-attempts", default=5, show_default=True, type=click.IntRange(1),
              help="With --keep-valid: sample at most this many times --samples conformers.")
@click.option("--ligand", "ligand_files", multiple=True, type=click.Path(dir_okay=False),
              help="SDF/MOL/MOL2 ligand posed in INPUT's frame (e.g. docked into its pocket), sampled with the "
                   "protein; repeatable.")
@click.option("--no-relax", is_flag=True,
              help="Keep the denoiser's raw conformers: no bond, angle and contact restraints after sampling.")
@click.option("--no-plot", is_flag=True, help="Skip the PNG profile.")
def predict(input_path: str | None, method: str, samples: int, steps: int, step_scale: float | None,
            noise_scale: float | None, enm_noise: float | None, seed: int, checkpoint: str | None,
            out_dir: str, fmt: str, device: str | None, batch_size: int | None, keep_valid: bool,
            max_attempts: int, ligand_files: tuple[str, ...], no_relax: bool, no_plot: bool) -> None:
    """Sample an ensemble for INPUT, a PDB/mmCIF structure, with its ligands.

    Without INPUT, the bundled example is used (PDB 5A7U, 27 residues). With a
    multi-model INPUT, the first model is the template.
    """
    from dynafold.cli.inputs import add_ligand_files, load_protein
    from dynafold.cli.progress import StepProgress, stderr_console
    from dynafold.const import canonical_method
    from dynafold.errors import DynafoldInputError
    from dynafold.examples import example_path
    from dynafold.io import is_trajectory

    method = canonical_method(method)
    path = Path(input_path) if input_path else example_path()
    if is_trajectory(path):
        raise DynafoldInputError("predict takes a structure (PDB/mmCIF), not a trajectory; "
                                 "write one frame as PDB", path)
    structure = load_protein(path, None, "--topology")  # before torch is imported: errors come fast
    if ligand_files:
        structure = add_ligand_files(structure, ligand_files)

    from dynafold.predict import sample_ensemble
    from dynafold.predict.outputs import write_outputs

    console = stderr_console()
    with StepProgress(console, f"sampling {structure.name} ({method})", unit="steps") as progress:
        pred = sample_ensemble(structure, method=method, n_samples=samples, steps=steps, seed=seed,
                               checkpoint=checkpoint, device=device, batch_size=batch_size,
                               keep_valid=keep_valid, max_attempts=max_attempts, step_scale=step_scale,
                               noise_scale=noise_scale, enm_noise=enm_noise, relax=not no_relax,
                               progress=progress.update)
    paths = write_outputs(pred, out_dir, structure.name, str(path), fmt=fmt, plot=not no_plot)
    console.print(f"device: {device_label(pred)}; {pred.ensemble.n_residues} residues, {samples} samples x {steps} steps "
                  f"in {pred.timings_s['total']:.1f} s; {int(pred.valid.sum())} of {len(pred.valid)} samples "
                  "pass the geometry check", highlight=False, markup=False)
    for warning in pred.warnings:
        console.print(f"warning: {warning}", highlight=False, markup=False)
    click.echo(f"outputs in {Path(out_dir).resolve()}:")
    for kind, p in paths.items():
        click.echo(f"  {kind:12s} {p}")
