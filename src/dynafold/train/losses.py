"""Training losses (DESIGN.md 2-4). Each takes model outputs and batch tensors; float32 inside."""

from __future__ import annotations

import torch

from dynafold.const import (BFACTOR_BOUNDARIES_A2, BFACTOR_MIN_VALID_A2, CA_SLOT, LDDT_INCLUSION_RADIUS_A,
                            LDDT_THRESHOLDS_A, LOCAL_GEOMETRY_RADIUS_A)
from dynafold.model.align import weighted_rigid_align


def denoising_loss(x_pred: torch.Tensor, x_true: torch.Tensor, sigma: torch.Tensor, weights: torch.Tensor,
                   sigma_data: float, item_mask: torch.Tensor | None = None) -> torch.Tensor:
    """EDM-weighted MSE after aligning the truth onto the detached prediction.

    x_pred, x_true: (B, M, R, A, 3) Angstrom; sigma (B, M); weights (B, R, A) atom mask.
    Per sample: sum_a w |x_pred - align(x_true)|^2 / (3 sum_a w), times
    (s^2 + s_data^2) / (s s_data)^2; averaged over samples (of the items in
    ``item_mask`` (B,) bool, when given).
    """
    b, m = sigma.shape
    w = weights.float()[:, None].expand(b, m, *weights.shape[1:]).reshape(b, m, -1)
    pred = x_pred.float().reshape(b, m, -1, 3)
    true = weighted_rigid_align(x_true.float().reshape(b, m, -1, 3), pred.detach(), w)
    mse = (w * ((pred - true) ** 2).sum(-1)).sum(-1) / (3 * w.sum(-1).clamp_min(1.0))
    edm_weight = (sigma**2 + sigma_data**2) / (sigma * sigma_data) ** 2
    return _masked_mean(edm_weight * mse, item_mask)


def _masked_mean(values: torch.Tensor, item_mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of (B, M) values over the items of ``item_mask`` (B,) (all when None; 0 when none)."""
    if item_mask is None:
        return values.mean()
    w = item_mask.to(values.dtype)[:, None].expand_as(values)
    return (values * w).sum() / w.sum().clamp_min(1.0)


def smooth_lddt_loss(x_pred: torch.Tensor, x_true: torch.Tensor, weights: torch.Tensor,
                     item_mask: torch.Tensor | None = None) -> torch.Tensor:
    """1 - smooth lDDT (AlphaFold3): sigmoids instead of the 0.5/1/2/4 A thresholds.

    Pairs of atoms from different residues closer than 15 A in the truth.
    x_pred, x_true: (B, M, R, A, 3); weights (B, R, A); item_mask (B,) bool or None.
    """
    b, m, r, a, _ = x_pred.shape
    pred, true = x_pred.float().reshape(b, m, r * a, 3), x_true.float().reshape(b, m, r * a, 3)
    d_pred, d_true = torch.cdist(pred, pred), torch.cdist(true, true)
    w = weights.float().reshape(b, 1, r * a)
    res = torch.arange(r, device=pred.device).repeat_interleave(a)
    pair = (w[..., :, None] * w[..., None, :]) * (res[:, None] != res[None, :]).float()
    pair = pair * (d_true < LDDT_INCLUSION_RADIUS_A).float()
    err = (d_pred - d_true).abs()
    score = sum(torch.sigmoid(t - err) for t in LDDT_THRESHOLDS_A) / len(LDDT_THRESHOLDS_A)
    lddt = (score * pair).sum(dim=(-1, -2)) / pair.sum(dim=(-1, -2)).clamp_min(1.0)
    return _masked_mean(1.0 - lddt, item_mask)


def local_geometry_loss(x_pred: torch.Tensor, x_true: torch.Tensor, weights: torch.Tensor,
                        item_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Smooth-L1 error (1 A) of short distances: bonds and bond angles, within a residue and to the next.

    Pairs are atoms of residue i, or of residue i and i + 1, closer than
    ``LOCAL_GEOMETRY_RADIUS_A`` in the truth, each pair counted once.
    x_pred, x_true: (B, M, R, A, 3) Angstrom; weights (B, R, A); item_mask (B,) bool or None.
    """
    b, m, r, a, _ = x_pred.shape

    def blocks(x: torch.Tensor) -> torch.Tensor:  # (..., R, A, k) -> (..., R, 2A, k): residue i, then i + 1
        nxt = torch.cat([x[..., 1:, :, :], torch.zeros_like(x[..., :1, :, :])], dim=-3)
        return torch.cat([x, nxt], dim=-2)

    pred, true = blocks(x_pred.float()), blocks(x_true.float())
    w = blocks(weights.float()[..., None])[..., 0][:, None]  # (B, 1, R, 2A)
    d_pred, d_true = torch.cdist(pred, pred), torch.cdist(true, true)
    first = torch.arange(2 * a, device=pred.device) < a
    once = torch.triu(torch.ones(2 * a, 2 * a, dtype=torch.bool, device=pred.device), 1) & first[:, None]
    pair = w[..., :, None] * w[..., None, :] * once * (d_true < LOCAL_GEOMETRY_RADIUS_A)
    err = torch.nn.functional.smooth_l1_loss(d_pred, d_true, reduction="none", beta=1.0)
    per_sample = (err * pair).sum(dim=(-1, -2, -3)) / pair.sum(dim=(-1, -2, -3)).clamp_min(1.0)
    return _masked_mean(per_sample, item_mask)


def ligand_geometry_loss(x_pred: torch.Tensor, x_true: torch.Tensor, weights: torch.Tensor,
                         bonds: torch.Tensor, item_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Smooth-L1 error (1 A) of the distances between ligand atoms one or two bonds apart (bonds and angles).

    A ligand atom token's atom is its C-alpha slot. x_pred, x_true: (B, M, R,
    A, 3) Angstrom; weights (B, R, A); bonds (B, R, R, C) with the bonded
    channel first (:mod:`dynafold.data.ligand_tokens`); item_mask (B,) bool or None.
    Zero for batches without ligand bonds.
    """
    adjacency = bonds[..., 0].float()
    r = adjacency.shape[-1]
    near = ((adjacency + adjacency @ adjacency) > 0) & ~torch.eye(r, dtype=torch.bool, device=adjacency.device)
    w = weights[..., CA_SLOT].float()
    pair = (near.float() * w[:, :, None] * w[:, None, :])[:, None]  # (B, 1, R, R)
    pred, true = x_pred[..., CA_SLOT, :].float(), x_true[..., CA_SLOT, :].float()
    err = torch.nn.functional.smooth_l1_loss(torch.cdist(pred, pred), torch.cdist(true, true),
                                             reduction="none", beta=1.0)
    per_sample = (err * pair).sum(dim=(-1, -2)) / pair.sum(dim=(-1, -2)).clamp_min(1.0)
    return _masked_mean(per_sample, item_mask)


def distogram_loss(logits: torch.Tensor, target: torch.Tensor, token_mask: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against the aggregated soft distogram, mean over valid pairs i != j.

    logits, target: (B, R, R, 64); token_mask (B, R). Pairs whose target is empty
    (missing representative atom) are skipped.
    """
    logp = torch.log_softmax(logits.float(), dim=-1)
    ce = -(target.float() * logp).sum(-1)
    r = token_mask.shape[1]
    pair = token_mask[:, :, None] & token_mask[:, None, :] & ~torch.eye(r, dtype=torch.bool, device=logits.device)
    pair = pair & (target.sum(-1) > 0)
    return (ce * pair).sum() / pair.sum().clamp_min(1)


def bfactor_loss(logits: torch.Tensor, bfactor_A2: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the B-factor classes (64 over 0-100 A^2); tokens with B <= 1e-5 are masked.

    logits (B, R, 64); bfactor_A2 (B, R); mask (B, R) bool.
    """
    bounds = torch.as_tensor(BFACTOR_BOUNDARIES_A2, dtype=torch.float32, device=logits.device)
    target = torch.bucketize(bfactor_A2.float(), bounds)
    valid = mask & (bfactor_A2 > BFACTOR_MIN_VALID_A2)
    ce = torch.nn.functional.cross_entropy(logits.float().transpose(1, 2), target, reduction="none")
    return (ce * valid).sum() / valid.sum().clamp_min(1)


def total_loss(out: dict[str, torch.Tensor], batch: dict[str, torch.Tensor], weights: dict[str, float],
               sigma_data: float, lddt_atom_slots: int = 14,
               denoise_single_conformer: bool = True) -> dict[str, torch.Tensor]:
    """All terms and their weighted sum ("loss").

    ``weights`` has keys diffusion, smooth_lddt, distogram, bfactor and
    (optional, 0 when absent) local_geometry; the diffusion weight multiplies
    (denoising + smooth_lddt weight * smooth lDDT + local_geometry weight *
    (local geometry + ligand geometry)); ligand geometry counts when the batch
    has ``ligand_bonds``.
    The smooth lDDT uses the first ``lddt_atom_slots`` atoms of each residue
    (5 = N, CA, C, O, CB: about 8 times cheaper than all 14).
    With ``denoise_single_conformer=False`` the diffusion terms skip items whose
    ensemble has one conformer (``rmsf_mask`` all False): their drawn conformer
    is the template itself, which would teach the denoiser to copy it.
    """
    k = lddt_atom_slots
    items = None if denoise_single_conformer else batch["rmsf_mask"].any(dim=1)
    terms = {
        "denoising": denoising_loss(out["x_pred"], out["x_true"], out["sigma"], out["atom_weights"], sigma_data,
                                    items),
        "smooth_lddt": smooth_lddt_loss(out["x_pred"][..., :k, :], out["x_true"][..., :k, :],
                                        out["atom_weights"][..., :k], items),
        "local_geometry": local_geometry_loss(out["x_pred"], out["x_true"], out["atom_weights"], items),
        "ligand_geometry": (ligand_geometry_loss(out["x_pred"], out["x_true"], out["atom_weights"],
                                                 batch["ligand_bonds"], items)
                            if "ligand_bonds" in batch else out["x_pred"].new_zeros(())),
        "distogram": distogram_loss(out["distogram_logits"], batch["distogram_target"], batch["token_mask"]),
        "bfactor": bfactor_loss(out["bfactor_logits"], batch["bfactor_target"], batch["bfactor_mask"]),
    }
    local = weights.get("local_geometry", 0.0) * (terms["local_geometry"] + terms["ligand_geometry"])
    terms["loss"] = (weights["diffusion"] * (terms["denoising"] + weights["smooth_lddt"] * terms["smooth_lddt"] + local)
                     + weights["distogram"] * terms["distogram"] + weights["bfactor"] * terms["bfactor"])
    return terms
