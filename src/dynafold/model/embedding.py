"""Input embedding: residue type, method, chain-aware relative position, template pair features,
the template's elastic-network fluctuations (per residue) and correlations (per pair), and for
ligand atom tokens their chemistry (per token) and bond graph (per pair).

Only distances and unit vectors in local backbone frames of the template enter,
so the embedding is invariant to rotating and translating the input coordinates.
"""

from __future__ import annotations

import torch
from torch import nn

from dynafold.const import (
    CA_SLOT,
    CB_SLOT,
    DISTOGRAM_BOUNDARIES_A,
    LIGAND_ATOM_FEATURES,
    LIGAND_BOND_FEATURES,
    NUM_METHODS,
    NUM_RESIDUE_TYPES,
)
from dynafold.enm import ENM_PAIR_FEATURES, ENM_SINGLE_FEATURES
from dynafold.model.config import ModelConfig
from dynafold.model.frames import backbone_frames


def representative_coords(coords: torch.Tensor, atom_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Representative atom of each residue, CB (CA for glycine / missing CB).

    coords (..., R, 14, 3), atom_mask (..., R, 14) -> ((..., R, 3), (..., R) bool).
    """
    has_cb = atom_mask[..., CB_SLOT]
    rep = torch.where(has_cb[..., None], coords[..., CB_SLOT, :], coords[..., CA_SLOT, :])
    return rep, has_cb | atom_mask[..., CA_SLOT]


def relative_position(residue_index: torch.Tensor, chain_index: torch.Tensor, r_max: int) -> torch.Tensor:
    """One-hot relative position (B, R, R, 2 r_max + 2): clip(i - j, -r_max, r_max), last class = other chain."""
    d = (residue_index[:, :, None] - residue_index[:, None, :]).clamp(-r_max, r_max) + r_max
    same_chain = chain_index[:, :, None] == chain_index[:, None, :]
    d = torch.where(same_chain, d, torch.full_like(d, 2 * r_max + 1))
    return nn.functional.one_hot(d, 2 * r_max + 2).float()


def template_pair_features(template: torch.Tensor, atom_mask: torch.Tensor) -> torch.Tensor:
    """Pair features of the input structure, (B, R, R, 64 + 3 + 1).

    Representative-atom distogram (64 classes over 2-22 A, one-hot), unit vector
    CA_i -> CA_j in the backbone frame of i, and the pair mask; in the dtype of
    ``template``. Classes of distances within rounding error of a bin boundary
    can flip under a rigid motion, so invariance is exact up to float precision.
    """
    rep, rep_mask = representative_coords(template, atom_mask)
    dist = torch.cdist(rep, rep)
    bounds = torch.as_tensor(DISTOGRAM_BOUNDARIES_A, dtype=dist.dtype, device=dist.device)
    pair_mask = (rep_mask[:, :, None] & rep_mask[:, None, :]).to(dist.dtype)
    dgram = nn.functional.one_hot(torch.bucketize(dist, bounds), len(bounds) + 1).to(dist.dtype) * pair_mask[..., None]
    rot, ca, frame_mask = backbone_frames(template, atom_mask)
    vec = torch.einsum("brji,brkj->brki", rot, ca[:, None, :, :] - ca[:, :, None, :])  # (B, R, R, 3) local
    unit = nn.functional.normalize(vec, dim=-1, eps=1e-6)
    vec_mask = frame_mask[:, :, None] & atom_mask[:, None, :, CA_SLOT]
    vec_mask = vec_mask & ~torch.eye(vec_mask.shape[1], dtype=torch.bool, device=vec_mask.device)
    unit = unit * vec_mask[..., None].to(unit.dtype)
    return torch.cat([dgram, unit, pair_mask[..., None]], dim=-1)


class InputEmbedder(nn.Module):
    """Initial single (B, R, Cs) and pair (B, R, R, Cz) representations of a batch."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.r_max = cfg.r_max
        self.res_type = nn.Embedding(NUM_RESIDUE_TYPES, cfg.token_s)
        self.method = nn.Linear(NUM_METHODS, cfg.token_s, bias=False)
        nn.init.zeros_(self.method.weight)  # conditioning has no effect until trained
        self.single_to_pair_i = nn.Linear(cfg.token_s, cfg.token_z, bias=False)
        self.single_to_pair_j = nn.Linear(cfg.token_s, cfg.token_z, bias=False)
        self.relpos = nn.Linear(2 * cfg.r_max + 2, cfg.token_z, bias=False)
        self.template = nn.Linear(len(DISTOGRAM_BOUNDARIES_A) + 1 + 3 + 1, cfg.token_z, bias=False)
        self.enm_single = nn.Linear(ENM_SINGLE_FEATURES, cfg.token_s, bias=False)
        self.enm_pair = nn.Linear(ENM_PAIR_FEATURES, cfg.token_z, bias=False)
        self.ligand_tokens = cfg.ligand_tokens
        if cfg.ligand_tokens:  # ligand atom chemistry per token, the bond graph per pair
            self.ligand_atom = nn.Linear(LIGAND_ATOM_FEATURES, cfg.token_s, bias=False)
            self.ligand_bond = nn.Linear(LIGAND_BOND_FEATURES, cfg.token_z, bias=False)

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (s_inputs (B, R, Cs), z_init (B, R, R, Cz)); s_inputs carries the method embedding."""
        dtype = self.template.weight.dtype
        method = nn.functional.one_hot(batch["method"], NUM_METHODS).to(dtype)
        s = self.res_type(batch["res_type"]) + self.method(method)[:, None, :]
        s = s + self.enm_single(batch["enm_single"].to(dtype))
        if self.ligand_tokens:
            s = s + self.ligand_atom(batch["ligand_features"].to(dtype))
        z = self.single_to_pair_i(s)[:, :, None] + self.single_to_pair_j(s)[:, None, :]
        z = z + self.relpos(relative_position(batch["residue_index"], batch["chain_index"], self.r_max).to(dtype))
        z = z + self.template(template_pair_features(batch["template_coords"].to(dtype), batch["atom_mask"]))
        z = z + self.enm_pair(batch["enm_pair"].to(dtype))
        if self.ligand_tokens:
            z = z + self.ligand_bond(batch["ligand_bonds"].to(dtype))
        return s, z
