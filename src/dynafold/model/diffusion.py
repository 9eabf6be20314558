"""EDM diffusion (AlphaFold3 / Boltz-2 settings): preconditioning, noise schedule, denoiser, sampler.

The denoiser places ``atom_slots`` atoms per residue (atom-14 order: N, CA, C,
O, CB, ...). It sees the noisy atoms in the local backbone frame of each
residue of the template (the input structure, same global frame as the noisy
coordinates) and returns per-atom updates in that frame, rotated back with the
template frame: given (template, x) it is exactly SE(3)-equivariant.
It always runs in float32.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dynafold.model.align import weighted_rigid_align
from dynafold.model.config import ModelConfig, SamplerConfig
from dynafold.model.frames import backbone_frames, rotate_to_global, rotate_to_local, to_local
from dynafold.model.layers import AttentionPairBias, Transition

_PAIR_NOISY_FEATURES = 5


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


def masked_centroid(coords: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Weighted centre (..., 1, 1, 3) of coords (..., R, A, 3) over mask (..., R, A)."""
    w = mask.float()[..., None]
    return (coords * w).sum(dim=(-3, -2), keepdim=True) / w.sum(dim=(-3, -2), keepdim=True).clamp_min(1.0)


class FourierEmbedding(nn.Module):
    """Fixed random Fourier features of c_noise: (...,) -> (..., dim)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.register_buffer("w", torch.randn(dim, generator=g))
        self.register_buffer("b", torch.rand(dim, generator=g))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return torch.cos(2 * math.pi * (t[..., None] * self.w + self.b))


class Denoiser(nn.Module):
    """D(x; s) = c_skip x + c_out F(c_in x, c_noise), conditioned on the trunk.

    Inputs: x (B, S, R, A, 3) noisy coordinates, sigma (B, S); cond holds the
    trunk outputs s_inputs, s (B, R, Cs), z (B, R, R, Cz) and the batch's
    template_coords (B, R, 14, 3), atom_mask (B, R, 14), token_mask (B, R).
    Output: denoised coordinates (B, S, R, A, 3), float32, Angstrom.
    Residues whose template lacks N, CA or C have no frame (identity axes);
    equivariance holds exactly for all the others.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        a, d = cfg.atom_slots, cfg.denoiser_dim
        n_bias = cfg.denoiser_layers * cfg.denoiser_heads
        self.cond_single = nn.Sequential(nn.LayerNorm(2 * cfg.token_s), nn.Linear(2 * cfg.token_s, d, bias=False))
        self.atom_features = nn.Linear(a * 13, d, bias=False)
        self.fourier = FourierEmbedding(cfg.fourier_dim)
        self.noise = nn.Sequential(nn.LayerNorm(cfg.fourier_dim), nn.Linear(cfg.fourier_dim, d, bias=False))
        self.pair_bias = nn.Sequential(nn.LayerNorm(cfg.token_z), nn.Linear(cfg.token_z, n_bias, bias=False))
        self.pair_noisy = nn.Linear(_PAIR_NOISY_FEATURES, n_bias, bias=False)
        self.attention = nn.ModuleList(AttentionPairBias(d, cfg.denoiser_heads) for _ in range(cfg.denoiser_layers))
        self.transition = nn.ModuleList(Transition(d, cfg.transition_factor) for _ in range(cfg.denoiser_layers))
        self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, a * 3))
        nn.init.zeros_(self.out[1].weight)
        nn.init.zeros_(self.out[1].bias)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor, cond: dict[str, torch.Tensor]) -> torch.Tensor:
        dtype = self.out[1].weight.dtype  # float32 (float64 only if the model was made double)
        with torch.autocast(device_type=x.device.type, enabled=False):
            return self._forward(x.to(dtype), sigma.to(dtype), {k: v.to(dtype) if v.is_floating_point() else v
                                                                for k, v in cond.items()})

    def _forward(self, x: torch.Tensor, sigma: torch.Tensor, cond: dict[str, torch.Tensor]) -> torch.Tensor:
        cfg = self.cfg
        b, n, r, a, _ = x.shape
        token_mask = cond["token_mask"]
        atom_mask = cond["atom_mask"][..., :a] & token_mask[..., None]
        template = cond["template_coords"]
        rot, origin, _ = backbone_frames(template, cond["atom_mask"])
        mu = masked_centroid(template[..., :a, :], atom_mask)  # (B, 1, 1, 3)
        tmpl = template[..., :a, :] - mu
        origin = origin - mu[:, 0]
        x = x - mu[:, None]
        c_skip, c_out, c_in, c_noise = (t[..., None, None, None] for t in edm_preconditioning(sigma, cfg.sigma_data))
        dev_scale = torch.rsqrt(sigma**2 + 1.0)[..., None, None, None]  # displacements ~ sqrt(s^2 + 1 A^2)

        rot_s = rot[:, None]  # broadcast over samples
        feats = torch.cat([
            rotate_to_local(rot_s, x) * c_in,  # noisy atoms about the centre, local axes
            rotate_to_local(rot_s, x - tmpl[:, None]) * dev_scale,  # displacement from the template
            rotate_to_local(rot, tmpl)[:, None].expand(b, n, r, a, 3) / cfg.sigma_data,  # template placement
            to_local(rot, origin, tmpl)[:, None].expand(b, n, r, a, 3) / 4.0,  # template local geometry
            atom_mask[:, None, ..., None].expand(b, n, r, a, 1).to(x.dtype),
        ], dim=-1) * atom_mask[:, None, ..., None]
        h = self.atom_features(feats.reshape(b, n, r, a * 13))
        h = h + self.cond_single(torch.cat([cond["s_inputs"], cond["s"]], dim=-1))[:, None]
        h = h + self.noise(self.fourier(c_noise[..., 0, 0, 0]))[:, :, None]

        bias = self.pair_bias(cond["z"])[:, None] + self.pair_bias_noisy(x, tmpl, rot, atom_mask, sigma, c_in)
        bias = bias.reshape(b * n, r, r, cfg.denoiser_layers, cfg.denoiser_heads).permute(3, 0, 4, 1, 2)
        h = h.reshape(b * n, r, -1)
        mask = token_mask[:, None].expand(b, n, r).reshape(b * n, r)
        for layer, (attn, trans) in enumerate(zip(self.attention, self.transition)):
            h = h + attn(h, bias[layer], mask)
            h = h + trans(h)
        update = rotate_to_global(rot_s, self.out(h).view(b, n, r, a, 3))
        return mu[:, None] + c_skip * x + c_out * update

    def pair_bias_noisy(self, x: torch.Tensor, tmpl: torch.Tensor, rot: torch.Tensor, atom_mask: torch.Tensor,
                        sigma: torch.Tensor, c_in: torch.Tensor) -> torch.Tensor:
        """Attention bias from the noisy C-alpha pairs, (B, S, R, R, layers * heads)."""
        ca = x[..., 1, :]  # (B, S, R, 3)
        diff = ca[:, :, None, :, :] - ca[:, :, :, None, :]  # x_j - x_i
        local = torch.einsum("brji,bsrkj->bsrki", rot, diff) * c_in
        dist = diff.norm(dim=-1)
        tmpl_dist = torch.cdist(tmpl[..., 1, :], tmpl[..., 1, :])[:, None]
        dev = (dist - tmpl_dist) * torch.rsqrt(sigma**2 + 1.0)[..., None, None]
        ca_mask = atom_mask[..., 1]
        pair_mask = (ca_mask[:, :, None] & ca_mask[:, None, :]).to(x.dtype)[:, None, ..., None]
        feats = torch.cat([local, (dist * c_in[..., 0])[..., None], dev[..., None]], dim=-1) * pair_mask
        return self.pair_noisy(feats)


@torch.no_grad()
def sample(denoiser: Denoiser, cond: dict[str, torch.Tensor], n_samples: int, cfg: SamplerConfig,
           generator: torch.Generator | None = None, steps: int | None = None) -> torch.Tensor:
    """Run the EDM sampler (DESIGN.md 3) for ``n_samples`` conformers per batch item.

    Returns (B, S, R, A, 3) float32 coordinates, Angstrom, in the frame of the template.
    Noise is drawn on the CPU from ``generator`` so results do not depend on the device.
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

    def randn() -> torch.Tensor:
        return torch.randn((b, n_samples, r, a, 3), generator=generator).to(device)

    sigmas = noise_schedule(steps, mcfg.sigma_data, cfg).tolist()
    x = mu + sigmas[0] * randn()
    for s_cur, s_next in zip(sigmas[:-1], sigmas[1:]):
        gamma = cfg.gamma_0 if s_next > cfg.gamma_min else 0.0
        t_hat = s_cur * (1.0 + gamma)
        x_n = x + cfg.noise_scale * math.sqrt(max(t_hat**2 - s_cur**2, 0.0)) * randn()
        x0 = denoiser(x_n, torch.full((b, n_samples), t_hat, device=device), cond)
        x_n = weighted_rigid_align(x_n.reshape(b, n_samples, r * a, 3), x0.reshape(b, n_samples, r * a, 3),
                                   weights).view_as(x0)
        x = x_n + cfg.step_scale * (s_next - t_hat) * (x_n - x0) / t_hat
    return x
