"""The network: input embedding, pairformer trunk, heads, EDM denoiser and sampler.

``DynafoldModel`` joins them; ``load_model`` / ``save_checkpoint`` read and
write safetensors weights with a JSON config.
"""

from __future__ import annotations

from dynafold.model.checkpoint import load_model, save_checkpoint
from dynafold.model.config import ModelConfig, SamplerConfig
from dynafold.model.dynafold import DynafoldModel

__all__ = ["DynafoldModel", "ModelConfig", "SamplerConfig", "load_model", "save_checkpoint"]
