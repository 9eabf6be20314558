"""How many samples fit in a device's memory, decided before any work starts."""

from __future__ import annotations

from dynafold.model.config import ModelConfig
from dynafold.model.memory import denoiser_bytes_per_sample, fixed_bytes


def samples_per_batch(n_residues: int, cfg: ModelConfig, budget_bytes: int, n_samples: int) -> int:
    """Largest number of samples per denoiser batch that fits ``budget_bytes`` (0 if none)."""
    free = budget_bytes - fixed_bytes(n_residues, cfg)
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
