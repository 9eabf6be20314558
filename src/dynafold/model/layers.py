"""Building blocks of the pairformer and the denoiser (AlphaFold3 / Boltz shapes).

B batch, R tokens (residues), C channels. Masks are bool, True = valid.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dynafold.model.config import triangle_rows_per_chunk


class Transition(nn.Module):
    """SwiGLU transition: (..., C) -> (..., C)."""

    def __init__(self, dim: int, factor: int = 2) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.a = nn.Linear(dim, factor * dim, bias=False)
        self.b = nn.Linear(dim, factor * dim, bias=False)
        self.out = nn.Linear(factor * dim, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(x)
        return self.out(nn.functional.silu(self.a(x)) * self.b(x))


def bilinear_query(q: torch.Tensor, query_extra: torch.Tensor) -> torch.Tensor:
    """Queries (B, N, H, D) with the channels of query_extra (B, N, H, E) appended, scaled so that
    attention with ``scale=1 / sqrt(D)`` adds query_extra . key_extra to the logits when the keys
    carry key_extra in the same channels (:func:`bilinear_channels`)."""
    return torch.cat([q, query_extra * math.sqrt(q.shape[-1])], dim=-1)


def bilinear_channels(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, query_extra: torch.Tensor,
                      key_extra: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Queries, keys and values with E more channels, so that the attention logits of each head
    gain query_extra[i] . key_extra[j]: a bias that is bilinear in the tokens or atoms, without a
    (queries, keys) tensor per head.

    q, k, v (B, N, H, D); query_extra (B, N, H, E); key_extra (B, N, E), the same for every head.
    The values get zero channels: drop the last E channels of the output. Run the attention with
    ``scale=1 / sqrt(D)`` (the extra channels are scaled up here to match).
    """
    b, n, h, d = k.shape
    e = key_extra.shape[-1]
    q = bilinear_query(q, query_extra)
    k = torch.cat([k, key_extra[:, :, None].expand(b, n, h, e)], dim=-1)
    v = torch.cat([v, v.new_zeros(b, n, h, e)], dim=-1)
    return q, k, v


class AttentionPairBias(nn.Module):
    """Gated multi-head self-attention over tokens with a bias per head.

    x: (B, R, C); bias: (B, H, R, R) or broadcastable; mask: (B, R) keys, or None
    when ``bias`` already holds a large negative value at keys to ignore.
    ``query_extra`` (B, R, H, E) and ``key_extra`` (B, R, E) add a bilinear term
    to the logits (:func:`bilinear_channels`).
    """

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} not divisible by heads {heads}")
        self.heads = heads
        self.norm = nn.LayerNorm(dim)
        self.qkvg = nn.Linear(dim, 4 * dim, bias=False)
        self.out = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, mask: torch.Tensor | None,
                query_extra: torch.Tensor | None = None, key_extra: torch.Tensor | None = None) -> torch.Tensor:
        b, r, c = x.shape
        d = c // self.heads
        q, k, v, g = self.qkvg(self.norm(x)).view(b, r, 4, self.heads, d).unbind(2)
        if query_extra is not None and key_extra is not None:
            q, k, v = bilinear_channels(q, k, v, query_extra, key_extra)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))  # (B, H, R, D)
        attn_mask = bias if mask is None else bias + (~mask[:, None, None, :]).to(bias.dtype) * -1e9
        o = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask.to(q.dtype),
                                                       scale=1.0 / math.sqrt(d))[..., :d]
        o = o.transpose(1, 2).reshape(b, r, c)
        return self.out(torch.sigmoid(g.reshape(b, r, c)) * o)


class TriangleMultiplication(nn.Module):
    """Triangle multiplicative update, 'outgoing' (edges ik, jk) or 'incoming' (ki, kj).

    z: (B, R, R, C); mask: (B, R, R).
    """

    def __init__(self, dim: int, hidden: int, outgoing: bool) -> None:
        super().__init__()
        self.outgoing = outgoing
        self.norm_in = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, 2 * hidden)
        self.gate = nn.Linear(dim, 2 * hidden)
        self.norm_out = nn.LayerNorm(hidden)
        self.out = nn.Linear(hidden, dim)
        self.out_gate = nn.Linear(dim, dim)

    def forward(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        zn = self.norm_in(z)
        ab = self.proj(zn) * torch.sigmoid(self.gate(zn)) * mask[..., None].to(z.dtype)
        a, b = ab.chunk(2, dim=-1)
        if self.outgoing:
            t = torch.einsum("bikc,bjkc->bijc", a, b)
        else:
            t = torch.einsum("bkic,bkjc->bijc", a, b)
        return torch.sigmoid(self.out_gate(zn)) * self.out(self.norm_out(t))


class TriangleAttention(nn.Module):
    """Triangle self-attention around the starting node (rows) or ending node (columns).

    z: (B, R, R, C); mask: (B, R, R).
    """

    def __init__(self, dim: int, heads: int, head_dim: int, starting: bool) -> None:
        super().__init__()
        self.starting = starting
        self.heads, self.head_dim = heads, head_dim
        self.norm = nn.LayerNorm(dim)
        self.qkvg = nn.Linear(dim, 4 * heads * head_dim, bias=False)
        self.bias = nn.Linear(dim, heads, bias=False)
        self.out = nn.Linear(heads * head_dim, dim, bias=False)

    def forward(self, z: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if not self.starting:
            z, mask = z.transpose(1, 2), mask.transpose(1, 2)
        b, r, _, _ = z.shape
        zn = self.norm(z)
        q, k, v, g = self.qkvg(zn).view(b, r, r, 4, self.heads, self.head_dim).unbind(3)
        q, k, v = (t.permute(0, 1, 3, 2, 4) for t in (q, k, v))  # (B, R_i, H, R_j, D)
        tri_bias = self.bias(zn).permute(0, 3, 1, 2)[:, None]  # (B, 1, H, R_j, R_k)
        key_mask = (~mask[:, :, None, None, :]).to(zn.dtype) * -1e9  # (B, R_i, 1, 1, R_k)
        rows = triangle_rows_per_chunk(r, self.heads)  # bounds the (rows, H, R, R) logits
        o = torch.cat([nn.functional.scaled_dot_product_attention(
            q[:, i:i + rows], k[:, i:i + rows], v[:, i:i + rows],
            attn_mask=(tri_bias + key_mask[:, i:i + rows]).to(q.dtype)) for i in range(0, r, rows)], dim=1)
        o = o.permute(0, 1, 3, 2, 4).reshape(b, r, r, -1)
        o = self.out(torch.sigmoid(g.reshape(b, r, r, -1)) * o)
        return o if self.starting else o.transpose(1, 2)


class PairformerBlock(nn.Module):
    """One pairformer block: triangle updates and attention on z, attention with pair bias on s.

    s: (B, R, Cs); z: (B, R, R, Cz); mask: (B, R).
    """

    def __init__(self, token_s: int, token_z: int, single_heads: int, pair_heads: int,
                 pair_head_dim: int, tri_mul_dim: int, transition_factor: int) -> None:
        super().__init__()
        self.tri_out = TriangleMultiplication(token_z, tri_mul_dim, outgoing=True)
        self.tri_in = TriangleMultiplication(token_z, tri_mul_dim, outgoing=False)
        self.tri_att_start = TriangleAttention(token_z, pair_heads, pair_head_dim, starting=True)
        self.tri_att_end = TriangleAttention(token_z, pair_heads, pair_head_dim, starting=False)
        self.pair_transition = Transition(token_z, transition_factor)
        self.pair_to_bias = nn.Sequential(nn.LayerNorm(token_z), nn.Linear(token_z, single_heads, bias=False))
        self.attention = AttentionPairBias(token_s, single_heads)
        self.single_transition = Transition(token_s, transition_factor)

    def forward(self, s: torch.Tensor, z: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pair_mask = mask[:, :, None] & mask[:, None, :]
        z = z + self.tri_out(z, pair_mask)
        z = z + self.tri_in(z, pair_mask)
        z = z + self.tri_att_start(z, pair_mask)
        z = z + self.tri_att_end(z, pair_mask)
        z = z + self.pair_transition(z)
        s = s + self.attention(s, self.pair_to_bias(z).permute(0, 3, 1, 2), mask)
        s = s + self.single_transition(s)
        return s, z
