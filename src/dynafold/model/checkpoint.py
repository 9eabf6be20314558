"""Model weights as safetensors with the JSON config beside them (and in the file's metadata).

This module owns the shipped checkpoint's path and a checkpoint's identity: the
SHA-256 of the bytes the weights are read from.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch

from dynafold.errors import DynafoldInputError
from dynafold.io.atomic import atomic_path
from dynafold.model.config import ModelConfig
from dynafold.model.dynafold import DynafoldModel

CONFIG_NAME = "config.json"
SHIPPED_CHECKPOINT = Path(__file__).resolve().parents[1] / "weights" / "dynafold_small.safetensors"


def default_checkpoint() -> Path:
    """The model shipped inside the package."""
    return SHIPPED_CHECKPOINT


def checkpoint_sha256(checkpoint_path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a checkpoint file: the identity of the model it holds."""
    path = Path(checkpoint_path)
    if not path.is_file():
        raise DynafoldInputError("checkpoint not found", path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_version(checkpoint_path: str | os.PathLike, sha256: str) -> str:
    """File name and the first 12 hex digits of the checkpoint's SHA-256, e.g. ``dynafold_small@0123456789ab``."""
    return f"{Path(checkpoint_path).stem}@{sha256[:12]}"


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
    model, cfg, _ = load_checkpoint(checkpoint_path, device)
    return model, cfg


def load_checkpoint(checkpoint_path: str | os.PathLike,
                    device: str | torch.device = "cpu") -> tuple[DynafoldModel, ModelConfig, str]:
    """Like ``load_model``, plus the SHA-256 of the bytes the weights were read from (read once)."""
    from safetensors.torch import load

    path = Path(checkpoint_path)
    if not path.is_file():
        raise DynafoldInputError("checkpoint not found", path)
    data = path.read_bytes()
    try:
        meta = _safetensors_metadata(data)
        tensors = load(data)
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
    return model.eval(), cfg, hashlib.sha256(data).hexdigest()


def _safetensors_metadata(data: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file's header (8-byte little-endian length, then JSON)."""
    size = int.from_bytes(data[:8], "little")
    if len(data) < 8 or size > len(data) - 8:
        raise ValueError("header is longer than the file")
    return json.loads(data[8:8 + size]).get("__metadata__") or {}
