"""The network: input embedding, pairformer trunk, heads, EDM denoiser and sampler.

``DynafoldModel`` joins them; ``load_model`` / ``save_checkpoint`` read and
write safetensors weights with a JSON config. Those are imported on first use,
so the configurations (``dynafold.model.config``) can be read without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from dynafold.model.config import ModelConfig, SamplerConfig

if TYPE_CHECKING:
    from dynafold.model.checkpoint import load_model, save_checkpoint
    from dynafold.model.dynafold import DynafoldModel

_LAZY = {"DynafoldModel": "dynafold.model.dynafold", "load_model": "dynafold.model.checkpoint",
         "save_checkpoint": "dynafold.model.checkpoint"}

__all__ = ["DynafoldModel", "ModelConfig", "SamplerConfig", "load_model", "save_checkpoint"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
