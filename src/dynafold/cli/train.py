"""`dynafold train`."""

from __future__ import annotations

from pathlib import Path

import click

from dynafold.data.crop import CROP_MODES
from dynafold.train.config import TRAIN_PRESETS, TrainConfig

TRAIN_MARKS = tuple(k / 10 for k in range(1, 11))  # a plain progress line per tenth of the run
TRAIN_LINE_EVERY_S = 60.0  # and at least one a minute


def loss_line(terms: dict[str, float]) -> str:
    """'loss 1.23 (denoising 0.456, ...)' from a step's loss terms (the learning rate left out)."""
    parts = ", ".join(f"{k} {v:.3g}" for k, v in terms.items() if k not in ("loss", "lr"))
    return f"loss {terms.get('loss', float('nan')):.3g} ({parts})"


@click.command()
@click.option("--data", "store", required=True, type=click.Path(exists=True, file_okay=False),
              help="Store folder written by 'dynafold prepare'.")
@click.option("--preset", type=click.Choice(list(TRAIN_PRESETS)), default="small", show_default=True,
              help="Model size and optimisation settings.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Run folder: *.safetensors checkpoints, config.json, state.json, metrics.jsonl.")
@click.option("--max-steps", type=int, default=None, help="Total optimisation steps (default: the preset's).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--devices", default="1", show_default=True, help="Devices per node (Lightning), or 'auto'.")
@click.option("--num-nodes", type=int, default=1, show_default=True)
@click.option("--strategy", default="auto", show_default=True, help="Lightning strategy, e.g. ddp.")
@click.option("--accelerator", default="auto", show_default=True, help="cpu, gpu or auto.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--val-systems", default="", help="Comma-separated store systems held out for validation.")
@click.option("--systems", "systems_file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="File of store systems to train on, one per line (default: all but --val-systems).")
@click.option("--template-frames", type=click.IntRange(min=1), default=None,
              help="Evenly spaced conformers of each ensemble that may serve as an item's template "
                   "(default: the preset's; 1: always the first).")
@click.option("--lr-decay-from", type=click.IntRange(min=0), default=None,
              help="Step from which the learning rate falls along a cosine to "
                   f"{TrainConfig.final_lr:g} of it at the last step (default: the preset's).")
@click.option("--crop-size", type=click.IntRange(min=1), default=None,
              help="Residues (tokens) per training item (default: the preset's).")
@click.option("--crop-mode", type=click.Choice(CROP_MODES), default=None,
              help="Crops of consecutive residues, or of the residues nearest a random one "
                   "(default: the preset's).")
@click.option("--single-conformer-from", type=click.IntRange(min=0), default=None,
              help="Step from which one-conformer (X-ray) systems join the diffusion terms "
                   "(default: the preset's).")
@click.option("--weight-decay", type=click.FloatRange(min=0.0), default=None,
              help="AdamW's decoupled weight decay (default: the preset's).")
def train(store: str, preset: str, out: str, max_steps: int | None, resume: bool, devices: str, num_nodes: int,
          strategy: str, accelerator: str, seed: int, val_systems: str, systems_file: str | None,
          template_frames: int | None, lr_decay_from: int | None, crop_size: int | None,
          crop_mode: str | None, single_conformer_from: int | None, weight_decay: float | None) -> None:
    """Train an ensemble model on a prepared store.

    Ctrl-C (SIGINT) or SIGTERM ends the run after the current step with a
    resumable checkpoint; continue it with --resume.
    """
    import json
    import signal
    import sys

    from dynafold.cli.progress import StepProgress, stderr_console
    from dynafold.train.quiet import quiet_lightning
    from dynafold.train.state import STATE_JSON

    train_systems = None
    if systems_file is not None:
        train_systems = [line.strip() for line in Path(systems_file).read_text().splitlines() if line.strip()]
    console = stderr_console()
    received: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        if received:
            raise KeyboardInterrupt
        received.append(signum)
        console.print("stopping after this step with a resumable checkpoint (Ctrl-C again: quit at once)",
                      highlight=False, markup=False)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with quiet_lightning():
            from dynafold.train.run import train as run_training

            with StepProgress(console, "training", unit="steps", marks=TRAIN_MARKS,
                              every_s=TRAIN_LINE_EVERY_S) as bar:
                final = run_training(store, preset, out, max_steps=max_steps, resume=resume,
                                     devices=int(devices) if devices.isdigit() else devices, num_nodes=num_nodes,
                                     strategy=strategy, accelerator=accelerator, seed=seed,
                                     val_systems=[s for s in val_systems.split(",") if s],
                                     train_systems=train_systems, template_frames=template_frames,
                                     lr_decay_from=lr_decay_from, crop_size=crop_size, crop_mode=crop_mode,
                                     single_conformer_from_step=single_conformer_from,
                                     weight_decay=weight_decay,
                                     progress=lambda step, total, terms: bar.update(step, total, loss_line(terms)),
                                     stop=lambda: bool(received))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        step = json.loads((Path(out) / STATE_JSON).read_text())["step"]
        click.echo(f"stopped at step {step}; resumable checkpoint in {out}. Continue with:\n"
                   f"  dynafold train --data {store} --out {out} --resume", err=True)
        sys.exit(128 + received[0])
    click.echo(f"model: {final}")
