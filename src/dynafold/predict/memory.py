"""Memory estimate of sampling, made from the protein length before any work starts."""

from __future__ import annotations

from dynafold.model.config import ModelConfig

BYTES_PER_FLOAT = 4
# float32 values kept alive per residue pair: trunk pair stack and triangle updates
_TRUNK_PAIR_FLOATS = 12
# per residue pair and sample in the denoiser: noisy-pair features, attention bias, logits
_DENOISER_PAIR_FLOATS = 24


def trunk_bytes(n_residues: int, cfg: ModelConfig) -> int:
    """Peak bytes of one trunk pass for ``n_residues`` tokens (inference, no gradients)."""
    per_pair = _TRUNK_PAIR_FLOATS * max(cfg.token_z, cfg.tri_mul_dim, cfg.pair_heads * cfg.pair_head_dim)
    return n_residues**2 * per_pair * BYTES_PER_FLOAT


def denoiser_bytes_per_sample(n_residues: int, cfg: ModelConfig) -> int:
    """Peak bytes of one denoiser call per sample."""
    pair = n_residues**2 * (_DENOISER_PAIR_FLOATS + 2 * cfg.denoiser_layers * cfg.denoiser_heads)
    single = n_residues * (cfg.atom_slots * 13 + 8 * cfg.denoiser_dim)
    return (pair + single) * BYTES_PER_FLOAT


def samples_per_batch(n_residues: int, cfg: ModelConfig, budget_bytes: int, n_samples: int) -> int:
    """Largest number of samples per denoiser batch that fits ``budget_bytes`` (0 if none)."""
    free = budget_bytes - trunk_bytes(n_residues, cfg)
    if free <= 0:
        return 0
    return int(min(n_samples, free // denoiser_bytes_per_sample(n_residues, cfg)))


def available_bytes(device: str) -> int:
    """Memory dynafold may use on ``device``: free GPU memory, or half of the available RAM."""
    if device.startswith("cuda"):
        import torch

        free, _ = torch.cuda.mem_get_info(device)
        return int(free * 0.8)
    try:
        with open("/proc/meminfo") as f:
            info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f}
        return info.get("MemAvailable", info["MemTotal"]) // 2
    except (OSError, KeyError, ValueError):
        return 4 * 1024**3
