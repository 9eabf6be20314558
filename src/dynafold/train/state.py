"""Resumable training state: tensors (model, EMA, optimizer) as safetensors, the rest as JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from dynafold.errors import DynafoldInputError
from dynafold.io.atomic import atomic_path

STATE_JSON = "state.json"


def step_checkpoint(run_dir: str | os.PathLike, step: int) -> Path:
    """The EMA weights a run saved at optimisation ``step``."""
    return Path(run_dir) / f"step_{step:07d}.safetensors"


def step_checkpoints(run_dir: str | os.PathLike) -> dict[int, Path]:
    """Every step's saved EMA weights of a run, {step: file}, in step order."""
    found = {int(p.stem.removeprefix("step_")): p for p in Path(run_dir).glob("step_*.safetensors")}
    return dict(sorted(found.items()))


def save_state(run_dir: str | os.PathLike, step: int, model: torch.nn.Module, ema_shadow: dict[str, torch.Tensor],
               optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler,
               extra: dict) -> Path:
    """Write state_{step}.safetensors, then point state.json at it (so a crash leaves the old pair valid)."""
    from safetensors.torch import save_file

    run_dir = Path(run_dir)
    opt = optimizer.state_dict()
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    tensors.update({f"ema.{k}": v for k, v in ema_shadow.items()})
    scalars = {}
    for idx, st in opt["state"].items():
        for key, value in st.items():
            if torch.is_tensor(value):
                tensors[f"optimizer.{idx}.{key}"] = value
            else:
                scalars[f"{idx}.{key}"] = value
    name = f"state_{step:07d}.safetensors"
    with atomic_path(run_dir / name) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp))
    record = {"step": step, "tensors": name, "param_groups": opt["param_groups"],
              "optimizer_scalars": scalars, "scheduler": scheduler.state_dict(), **extra}
    with atomic_path(run_dir / STATE_JSON) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=1))
    for old in run_dir.glob("state_*.safetensors"):
        if old.name != name:
            old.unlink()
    return run_dir / name


def load_state(run_dir: str | os.PathLike) -> tuple[dict, dict[str, torch.Tensor]]:
    """(record from state.json, tensors of the state file); raises when there is no state."""
    from safetensors.torch import load_file

    run_dir = Path(run_dir)
    if not (run_dir / STATE_JSON).is_file():
        raise DynafoldInputError(f"nothing to resume: no {STATE_JSON}", run_dir)
    record = json.loads((run_dir / STATE_JSON).read_text())
    return record, load_file(str(run_dir / record["tensors"]))


def split_state(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """Tensors under ``prefix.`` with the prefix removed."""
    n = len(prefix) + 1
    return {k[n:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def optimizer_state(record: dict, tensors: dict[str, torch.Tensor]) -> dict:
    """Rebuild an optimizer state dict from a saved record and tensors."""
    state: dict[int, dict] = {}
    for key, value in split_state(tensors, "optimizer").items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    for key, value in record["optimizer_scalars"].items():
        idx, name = key.split(".", 1)
        state.setdefault(int(idx), {})[name] = value
    return {"state": state, "param_groups": record["param_groups"]}
