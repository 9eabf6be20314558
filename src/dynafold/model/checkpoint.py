"""Model weights as safetensors with the JSON config beside them (and in the file's metadata)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

from dynafold.errors import DynafoldInputError
from dynafold.io.atomic import atomic_path
from dynafold.model.config import ModelConfig
from dynafold.model.dynafold import DynafoldModel

CONFIG_NAME = "config.json"


def save_checkpoint(path: str | os.PathLike, model: DynafoldModel,
                    state_dict: dict[str, torch.Tensor] | None = None, extra_config: dict | None = None) -> Path:
    """Write ``model``'s weights (or ``state_dict``, e.g. EMA weights) to ``path`` (.safetensors).

    The model config (under "model", plus ``extra_config`` entries such as the
    training config) is stored in the file's metadata and as config.json in the same folder.
    """
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cfg_json = json.dumps({"model": model.cfg.to_dict(), **(extra_config or {})}, indent=1)
    tensors = {k: v.detach().contiguous().cpu() for k, v in (state_dict or model.state_dict()).items()}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"dynafold_config": cfg_json})
    with atomic_path(path.parent / CONFIG_NAME) as tmp:
        Path(tmp).write_text(cfg_json)
    return path


def load_model(checkpoint_path: str | os.PathLike, device: str | torch.device = "cpu") -> tuple[DynafoldModel, ModelConfig]:
    """Read a checkpoint written by ``save_checkpoint``; returns (model in eval mode, config)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = Path(checkpoint_path)
    if not path.is_file():
        raise DynafoldInputError("checkpoint not found", path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(str(path), device=str(device))
    except Exception as err:  # safetensors raises its own error types for corrupt files
        raise DynafoldInputError(f"not a readable safetensors checkpoint ({err})", path) from err
    if "dynafold_config" in meta:
        cfg_dict = json.loads(meta["dynafold_config"])
    elif (path.parent / CONFIG_NAME).is_file():
        cfg_dict = json.loads((path.parent / CONFIG_NAME).read_text())
    else:
        raise DynafoldInputError(f"no model config in the file nor {CONFIG_NAME} beside it", path)
    cfg = ModelConfig.from_dict(cfg_dict["model"])
    model = DynafoldModel(cfg).to(device)
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if missing or unexpected:
        raise DynafoldInputError(f"weights do not match the config (missing {missing[:3]}, "
                                 f"unexpected {unexpected[:3]})", path)
    return model.eval(), cfg
