"""`dynafold train`."""

from __future__ import annotations

import click

from dynafold.train.config import TRAIN_PRESETS


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
def train(store: str, preset: str, out: str, max_steps: int | None, resume: bool, devices: str, num_nodes: int,
          strategy: str, accelerator: str, seed: int, val_systems: str, systems_file: str | None) -> None:
    """Train an ensemble model on a prepared store."""
    from pathlib import Path

    from dynafold.train.run import train as run_training

    train_systems = None
    if systems_file is not None:
        train_systems = [line.strip() for line in Path(systems_file).read_text().splitlines() if line.strip()]

    final = run_training(store, preset, out, max_steps=max_steps, resume=resume,
                         devices=int(devices) if devices.isdigit() else devices, num_nodes=num_nodes,
                         strategy=strategy, accelerator=accelerator, seed=seed,
                         val_systems=[s for s in val_systems.split(",") if s], train_systems=train_systems)
    click.echo(f"model: {final}")
