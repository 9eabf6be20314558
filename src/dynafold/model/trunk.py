"""The trunk: input embedding, recycling and a stack of pairformer blocks."""

from __future__ import annotations

import torch
from torch import nn

from dynafold.model.config import ModelConfig
from dynafold.model.embedding import InputEmbedder
from dynafold.model.layers import PairformerBlock


class Trunk(nn.Module):
    """Batch -> (s_inputs (B, R, Cs), s (B, R, Cs), z (B, R, R, Cz)).

    Runs ``recycling_steps + 1`` passes; gradients flow through the last only.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embedder = InputEmbedder(cfg)
        self.s_init = nn.Linear(cfg.token_s, cfg.token_s, bias=False)
        self.s_recycle = nn.Sequential(nn.LayerNorm(cfg.token_s), nn.Linear(cfg.token_s, cfg.token_s, bias=False))
        self.z_recycle = nn.Sequential(nn.LayerNorm(cfg.token_z), nn.Linear(cfg.token_z, cfg.token_z, bias=False))
        self.blocks = nn.ModuleList(
            PairformerBlock(cfg.token_s, cfg.token_z, cfg.single_heads, cfg.pair_heads, cfg.pair_head_dim,
                            cfg.tri_mul_dim, cfg.transition_factor)
            for _ in range(cfg.pairformer_blocks))

    def forward(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mask = batch["token_mask"]
        s_inputs, z_init = self.embedder(batch)
        s_init = self.s_init(s_inputs)
        s, z = torch.zeros_like(s_init), torch.zeros_like(z_init)
        for cycle in range(self.cfg.recycling_steps + 1):
            with torch.set_grad_enabled(torch.is_grad_enabled() and cycle == self.cfg.recycling_steps):
                s = s_init + self.s_recycle(s)
                z = z_init + self.z_recycle(z)
                for block in self.blocks:
                    s, z = block(s, z, mask)
        return s_inputs, s, z
