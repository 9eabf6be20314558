"""EDM diffusion (AlphaFold3 / Boltz-2 settings): preconditioning, noise schedule, sampler.

The network itself is :class:`dynafold.model.denoiser.Denoiser`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from dynafold.model.align import weighted_rigid_align
from dynafold.model.config import SamplerConfig


def edm_preconditioning(sigma: torch.Tensor, sigma_data: float) -> tuple[torch.Tensor, ...]:
    """(c_skip, c_out, c_in, c_noise) of EDM for noise levels ``sigma`` (any shape, Angstrom)."""
    var = sigma**2 + sigma_data**2
    return (sigma_data**2 / var, sigma * sigma_data / var.sqrt(), 1.0 / var.sqrt(),
            torch.log(sigma / sigma_data) / 4.0)


def noise_schedule(steps: int, sigma_data: float, cfg: SamplerConfig) -> torch.Tensor:
    """Sampling noise levels (steps + 1,) float64, Angstrom, ending in 0.

    s_i = s_data * (s_max^(1/rho) + i/(n-1) * (s_min^(1/rho) - s_max^(1/rho)))^rho, i = 0..n-1.
    """
    inv = 1.0 / cfg.rho
    i = torch.arange(steps, dtype=torch.float64)
    frac = i / max(steps - 1, 1)
    s = sigma_data * (cfg.sigma_max**inv + frac * (cfg.sigma_min**inv - cfg.sigma_max**inv)) ** cfg.rho
    return torch.cat([s, s.new_zeros(1)])


def training_noise(shape: tuple[int, ...], sigma_data: float, generator: torch.Generator | None,
                   p_mean: float = -1.2, p_std: float = 1.5) -> torch.Tensor:
    """Training noise levels s = s_data * exp(p_mean + p_std * N(0, 1)), Angstrom, float32 (CPU)."""
    return sigma_data * torch.exp(p_mean + p_std * torch.randn(shape, generator=generator))


def fresh_noise(shape: tuple[int, ...], generator: torch.Generator | None, anm: torch.Tensor | None = None,
                share: float = 0.0) -> torch.Tensor:
    """Unit noise of shape (B, S, R, A, 3) on the CPU: standard normal, or with ``anm`` and ``share`` w > 0
    ``sqrt(1 - w)`` standard normal plus ``sqrt(w)`` an ANM displacement of each residue.

    ``anm`` (B, R, 3, K) (:func:`dynafold.data.features.template_anm_noise`) maps K standard normal
    amplitudes to the displacement of each residue, given to all its atoms alike: correlated, collective
    motion. Tokens whose rows are zero (ligand atoms) get isotropic noise only.
    """
    eps = torch.randn(shape, generator=generator)
    if anm is None or share <= 0:
        return eps
    moved = (anm != 0).flatten(-2).any(-1)  # (B, R)
    iso = torch.where(moved, math.sqrt(1.0 - share), 1.0)[:, None, :, None, None]
    z = torch.randn((shape[0], shape[1], anm.shape[-1]), generator=generator)
    return iso * eps + math.sqrt(share) * torch.einsum("brck,bsk->bsrc", anm, z)[..., None, :]


def masked_centroid(coords: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Weighted centre (..., 1, 1, 3) of coords (..., R, A, 3) over mask (..., R, A)."""
    w = mask.float()[..., None]
    return (coords * w).sum(dim=(-3, -2), keepdim=True) / w.sum(dim=(-3, -2), keepdim=True).clamp_min(1.0)


@torch.no_grad()
def sample(denoiser: nn.Module, cond: dict[str, torch.Tensor], n_samples: int, cfg: SamplerConfig,
           generator: torch.Generator | None = None, steps: int | None = None,
           on_step: Callable[[int, int], None] | None = None) -> torch.Tensor:
    """Run the EDM sampler (DESIGN.md 3) for ``n_samples`` conformers per batch item.

    Returns (B, S, R, A, 3) float32 coordinates, Angstrom, in the frame of the template.
    Noise is drawn on the CPU from ``generator`` so results do not depend on the device.
    The fresh noise of each step is :func:`fresh_noise`, with the input's ANM displacements
    ``cond["anm_noise"]`` when ``cfg.enm_noise`` > 0.
    ``on_step(done, steps)`` is called after each denoising step.
    """
    mcfg = denoiser.cfg
    steps = cfg.steps if steps is None else steps
    template = cond["template_coords"].float()
    b, r = template.shape[:2]
    a = mcfg.atom_slots
    device = template.device
    weights = (cond["atom_mask"][..., :a] & cond["token_mask"][..., None]).float()
    weights = weights[:, None].expand(b, n_samples, r, a).reshape(b, n_samples, r * a)
    mu = masked_centroid(template[..., :a, :], weights[:, 0].view(b, r, a) > 0)[:, None]

    shape = (b, n_samples, r, a, 3)
    anm = cond["anm_noise"].float().cpu() if cfg.enm_noise > 0 else None
    sigmas = noise_schedule(steps, mcfg.sigma_data, cfg).tolist()
    x = mu + sigmas[0] * fresh_noise(shape, generator).to(device)
    for done, (s_cur, s_next) in enumerate(zip(sigmas[:-1], sigmas[1:]), 1):
        gamma = cfg.gamma_0 if s_next > cfg.gamma_min else 0.0
        t_hat = s_cur * (1.0 + gamma)
        x_n = x + cfg.noise_scale * math.sqrt(max(t_hat**2 - s_cur**2, 0.0)) * fresh_noise(
            shape, generator, anm, cfg.enm_noise).to(device)
        x0 = denoiser(x_n, torch.full((b, n_samples), t_hat, device=device), cond)
        x_n = weighted_rigid_align(x_n.reshape(b, n_samples, r * a, 3), x0.reshape(b, n_samples, r * a, 3),
                                   weights).view_as(x0)
        x = x_n + cfg.step_scale * (s_next - t_hat) * (x_n - x0) / t_hat
        if on_step:
            on_step(done, steps)
    return x
