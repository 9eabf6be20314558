"""Weighted rigid (Kabsch) superposition in torch, batched. Used by the sampler and the loss."""

from __future__ import annotations

import torch


def weighted_rigid_align(mobile: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Superpose ``mobile`` onto ``target`` by the rotation and translation minimising weighted RMSD.

    Parameters
    ----------
    mobile, target : (..., N, 3) coordinates, Angstrom.
    weights : (..., N) non-negative weights (0 = ignore the atom).

    Returns
    -------
    (..., N, 3) the moved ``mobile``, float32 or wider. Proper rotations only (no reflection).
    """
    with torch.autocast(device_type=mobile.device.type, enabled=False):
        dtype = torch.promote_types(torch.promote_types(mobile.dtype, target.dtype), torch.float32)
        mobile, target, w = mobile.to(dtype), target.to(dtype), weights.to(dtype)[..., None]
        wsum = w.sum(dim=-2, keepdim=True).clamp_min(1e-8)
        mu_m = (w * mobile).sum(dim=-2, keepdim=True) / wsum
        mu_t = (w * target).sum(dim=-2, keepdim=True) / wsum
        cov = ((w * (mobile - mu_m)).transpose(-1, -2) @ (target - mu_t))  # (..., 3, 3)
        u, _, vh = torch.linalg.svd(cov)
        d = torch.sign(torch.linalg.det(u @ vh))
        diag = torch.ones_like(cov[..., 0])
        diag = torch.cat([diag[..., :2], d[..., None]], dim=-1)
        rot = u @ torch.diag_embed(diag) @ vh  # row-vector convention: x @ rot
        return (mobile - mu_m) @ rot + mu_t
