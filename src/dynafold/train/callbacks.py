"""Callbacks: JSONL metrics log, safetensors checkpoints + resumable state, validation."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import lightning as L

from dynafold.data.dataset import EnsembleDataset
from dynafold.model.checkpoint import save_checkpoint
from dynafold.train.state import save_state, step_checkpoint
from dynafold.train.validate import validate

METRICS_LOG = "metrics.jsonl"
MODEL_NAME = "model.safetensors"


def truncate_log(path: Path, after_step: int) -> None:
    """Drop log lines of steps later than ``after_step`` (left by an interrupted run)."""
    if not path.is_file():
        return
    keep = [line for line in path.read_text().splitlines() if line.strip()
            and json.loads(line).get("step", 0) <= after_step]
    path.write_text("".join(line + "\n" for line in keep))


class RunRecorder(L.Callback):
    """On the main process: log every ``log_every`` steps, validate every ``val_every``,
    checkpoint every ``checkpoint_every`` and at the last step.

    Checkpoints: RUN_DIR/step_NNNNNNN.safetensors and RUN_DIR/model.safetensors
    (EMA weights, readable by :func:`dynafold.model.load_model`), RUN_DIR/config.json,
    and the resumable state (RUN_DIR/state.json + state_NNNNNNN.safetensors).

    ``progress(step, max_steps, terms)`` is called after every step with the loss
    terms. When ``stop()`` turns true or the process receives SIGTERM, the run
    saves a resumable checkpoint after the current step and ends;
    ``stopped_at`` then holds that step.
    """

    def __init__(self, run_dir: Path, run_config: dict, val_dataset: EnsembleDataset | None,
                 progress: Callable[[int, int, dict[str, float]], None] | None = None,
                 stop: Callable[[], bool] | None = None) -> None:
        self.run_dir, self.run_config, self.val_dataset = Path(run_dir), run_config, val_dataset
        self.progress, self.stop = progress, stop
        self.stopped_at: int | None = None
        self.t0 = time.perf_counter()

    def on_fit_start(self, trainer: L.Trainer, pl_module) -> None:
        if trainer.is_global_zero:
            truncate_log(self.run_dir / METRICS_LOG, pl_module.start_step)
        self.t0 = time.perf_counter()

    def _log(self, record: dict) -> None:
        """Append one JSON line; undefined values (NaN) are written as null."""
        record = {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()}
        with open(self.run_dir / METRICS_LOG, "a") as f:
            f.write(json.dumps(record, allow_nan=False) + "\n")

    def on_train_batch_end(self, trainer: L.Trainer, pl_module, outputs, batch, batch_idx: int) -> None:
        if not trainer.is_global_zero:
            return
        cfg = pl_module.train_cfg
        step = pl_module.current_step
        last = step == cfg.max_steps
        if step % cfg.log_every == 0 or last:
            self._log({"step": step, **pl_module.last_terms, "elapsed_s": round(time.perf_counter() - self.t0, 3)})
        if self.val_dataset is not None and cfg.val_every and (step % cfg.val_every == 0 or last):
            with pl_module.ema.applied(pl_module.model):
                self._log({"step": step, **validate(pl_module.model, self.val_dataset, cfg, pl_module.seed)})
        saved = step % cfg.checkpoint_every == 0 or last
        if saved:
            self.checkpoint(trainer, pl_module, step)
        if self.progress:
            self.progress(step, cfg.max_steps, pl_module.last_terms)
        if not last and (trainer.received_sigterm or (self.stop is not None and self.stop())):
            if not saved:
                self.checkpoint(trainer, pl_module, step)
            self.stopped_at = step
            trainer.should_stop = True

    def checkpoint(self, trainer: L.Trainer, pl_module, step: int) -> None:
        model, ema = pl_module.model, pl_module.ema
        weights = ema.state_dict(model)
        save_checkpoint(step_checkpoint(self.run_dir, step), model, weights, self.run_config)
        save_checkpoint(self.run_dir / MODEL_NAME, model, weights, self.run_config)
        save_state(self.run_dir, step, model, ema.shadow, trainer.optimizers[0],
                   trainer.lr_scheduler_configs[0].scheduler, {"seed": pl_module.seed, **self.run_config})
