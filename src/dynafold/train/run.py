"""``train``: build datasets, the Lightning trainer and callbacks; start or resume a run."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from dynafold.errors import DynafoldInputError
from dynafold.model.config import ModelConfig
from dynafold.train.config import TrainConfig, preset
from dynafold.train.state import STATE_JSON


def train(store: str | os.PathLike, preset_name: str, out: str | os.PathLike, *, max_steps: int | None = None,
          resume: bool = False, devices: int | str = 1, num_nodes: int = 1, strategy: str = "auto",
          accelerator: str = "auto", seed: int = 0, val_systems: Sequence[str] = (),
          train_systems: Sequence[str] | None = None, callbacks: Sequence = (),
          progress: Callable[[int, int, dict[str, float]], None] | None = None,
          stop: Callable[[], bool] | None = None, **overrides) -> Path:
    """Train (or continue training) a model on a prepared store; returns the final checkpoint.

    Parameters
    ----------
    store : folder written by ``dynafold prepare``.
    preset_name : 'tiny', 'small' or 'base' (model sizes and optimisation settings).
    out : run folder: checkpoints, config.json, state.json, metrics.jsonl.
    max_steps : total optimisation steps (default: the preset's).
    resume : continue from ``out``'s last state; the run then equals an
        uninterrupted one with the same seed (the config and seed come from the state).
    devices, num_nodes, strategy, accelerator : passed to ``lightning.Trainer``.
    val_systems : store systems held out of training and used for validation.
    train_systems : store systems to train on (default: all but ``val_systems``);
        none of them may be a validation system.
    callbacks : extra Lightning callbacks.
    progress : called as ``progress(step, max_steps, loss_terms)`` after every step.
    stop : polled after every step; when it returns True (or on SIGTERM) the run
        writes a resumable checkpoint and returns early (state.json holds the step).
    overrides : TrainConfig fields replacing the preset's (new runs only).
    """
    import lightning as L
    import torch
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from dynafold.data.dataset import EnsembleDataset
    from dynafold.data.store import content_digest
    from dynafold.train.callbacks import MODEL_NAME, RunRecorder
    from dynafold.train.module import DynafoldTraining
    from dynafold.train.state import load_state

    out = Path(out)
    state = None
    if resume:
        state = load_state(out)
        record = state[0]
        model_cfg = ModelConfig.from_dict(record["model"])
        train_cfg = TrainConfig.from_dict(record["train"])
        if max_steps is not None:
            train_cfg = replace(train_cfg, max_steps=max_steps)
        preset_name, seed, val_systems = record["preset"], record["seed"], record["val_systems"]
        train_systems = record.get("train_systems")
        start = record["step"]
    else:
        if (out / STATE_JSON).exists():
            raise DynafoldInputError("holds a training run already; pass --resume or choose another --out", out)
        model_cfg, train_cfg = preset(preset_name, max_steps=max_steps, **overrides)
        start = 0
    out.mkdir(parents=True, exist_ok=True)

    names = EnsembleDataset(store).names
    for kind, wanted in (("validation", val_systems), ("training", train_systems or ())):
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            raise DynafoldInputError(f"{kind} systems not in the store: {', '.join(unknown)}", store)
    both = sorted(set(val_systems) & set(train_systems or ()))
    if both:
        raise DynafoldInputError(f"systems both trained on and held out: {', '.join(both)}", store)
    chosen = set(names if train_systems is None else train_systems)
    train_names = [n for n in names if n in chosen and n not in set(val_systems)]
    if not train_names:
        raise DynafoldInputError("no systems left for training after holding out the validation systems", store)
    train_set = EnsembleDataset(store, systems=train_names, crop_size=train_cfg.crop_size,
                                crop_mode=train_cfg.crop_mode, ligands=model_cfg.ligand_tokens,
                                template_frames=train_cfg.template_frames)
    val_set = (EnsembleDataset(store, systems=list(val_systems), ligands=model_cfg.ligand_tokens)
               if val_systems else None)
    run_config = {"preset": preset_name, "model": model_cfg.to_dict(), "train": train_cfg.to_dict(),
                  "val_systems": list(val_systems), "train_systems": train_names, "store": str(store),
                  "train_data": {n: content_digest(train_set.path(i)) for i, n in enumerate(train_set.names)}}

    torch.manual_seed(seed)
    module = DynafoldTraining(model_cfg, train_cfg, train_set, seed, start_step=start, resume=state)
    if start >= train_cfg.max_steps:
        return out / MODEL_NAME
    gpu = torch.cuda.is_available() and accelerator in ("auto", "gpu", "cuda")
    recorder = RunRecorder(out, run_config, val_set, progress=progress, stop=stop)
    trainer = L.Trainer(
        accelerator=accelerator, devices=devices, num_nodes=num_nodes, strategy=strategy,
        precision="bf16-mixed" if gpu else "32-true", max_steps=train_cfg.max_steps - start, max_epochs=1,
        enable_checkpointing=False, logger=False, enable_progress_bar=False, enable_model_summary=False,
        use_distributed_sampler=False, num_sanity_val_steps=0, limit_val_batches=0,
        callbacks=[recorder, *callbacks], default_root_dir=str(out))
    try:
        trainer.fit(module)
    except SIGTERMException:  # Lightning ends the run after the step at which the recorder saved the state
        if recorder.stopped_at is None:
            raise
    return out / MODEL_NAME
