"""Distogram and B-factor heads.

Distogram: 64 classes over 2-22 A (const.DISTOGRAM_BOUNDARIES_A).
B-factor: 64 classes over 0-100 A^2 with boundaries linspace(0, 100, 63); class k
covers [b_{k-1}, b_k). Bin centres (used for the expected value) are the
midpoints of the inner bins, 0 for the first (B < 0) and 100 + half a bin width
for the last (B >= 100): see ``bfactor_bin_centers``.
"""

from __future__ import annotations

import torch
from torch import nn

from dynafold.const import BFACTOR_BOUNDARIES_A2, BFACTOR_NUM_BINS, DISTOGRAM_NUM_BINS


def bfactor_bin_centers() -> torch.Tensor:
    """(64,) float32 centre of each B-factor class, A^2."""
    b = torch.as_tensor(BFACTOR_BOUNDARIES_A2, dtype=torch.float32)
    width = b[1] - b[0]
    inner = (b[1:] + b[:-1]) / 2
    return torch.cat([b[:1], inner, b[-1:] + width / 2])


class DistogramHead(nn.Module):
    """Pair representation (B, R, R, Cz) -> symmetric distogram logits (B, R, R, 64)."""

    def __init__(self, token_z: int) -> None:
        super().__init__()
        self.proj = nn.Linear(token_z, DISTOGRAM_NUM_BINS)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        logits = self.proj(z)
        return logits + logits.transpose(1, 2)


class BfactorHead(nn.Module):
    """Final single representation (B, R, Cs) -> B-factor logits (B, R, 64)."""

    def __init__(self, token_s: int) -> None:
        super().__init__()
        self.proj = nn.Linear(token_s, BFACTOR_NUM_BINS)
        self.register_buffer("centers", bfactor_bin_centers(), persistent=False)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.proj(s)

    def expected(self, logits: torch.Tensor) -> torch.Tensor:
        """Expected B-factor (B, R) in A^2 from logits (B, R, 64)."""
        return (logits.float().softmax(-1) * self.centers).sum(-1)
