"""Windowed atom attention (AlphaFold3 / Boltz-2 atom transformer).

Atoms are cut into blocks of ``queries`` consecutive atoms; each block attends
to the ``keys`` atoms centred on it (AlphaFold3: 32 queries, 128 keys), so the
cost grows linearly with the number of atoms. Shapes: B batch, N atoms (a
multiple of ``queries``), W = N / queries windows, Q queries, K keys, C channels.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

from dynafold.model.layers import Transition, bilinear_query


def query_windows(x: torch.Tensor, queries: int) -> torch.Tensor:
    """(B, N, ...) -> (B, W, Q, ...): the query atoms of each window (a view)."""
    return x.view(x.shape[0], x.shape[1] // queries, queries, *x.shape[2:])


def key_windows(x: torch.Tensor, queries: int, keys: int) -> torch.Tensor:
    """(B, N, ...) -> (B, W, K, ...): the ``keys`` atoms centred on each query block.

    Window w holds atoms w Q + Q/2 - K/2 ... w Q + Q/2 + K/2 - 1; positions off
    either end are zeros (a float mask marks them invalid). The windows overlap:
    the result is a view of one padded copy of ``x``; reshaping it copies.
    """
    half = (keys - queries) // 2
    rest = x.shape[2:]
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    padded = nn.functional.pad(flat, (0, 0, half, keys - queries - half))  # (B, N + K - Q, F), rows contiguous
    win = padded.unfold(1, keys, queries)  # (B, W, F, K)
    return win.movedim(-1, 2).view(x.shape[0], win.shape[1], keys, *rest)


def key_value_windows(kv: torch.Tensor, key_extra: torch.Tensor | None, queries: int,
                      keys: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Keys and values (H, B * W, K, D + E) of every window, as views of one buffer (no copy per window).

    kv (B, N, 2, H, D) holds the keys and values; key_extra (B, N, E), or None, is appended to
    every head's keys (the values get zeros there: drop the last E channels of the output). The B
    sequences lie end to end with (K - Q) / 2 zero rows before the first and after the last, so a
    window reaching off either end of its own sample reads the neighbouring sample's atoms where
    :func:`key_windows` reads zeros: the attention bias must mask those keys.
    """
    b, n, _, h, d = kv.shape
    e = 0 if key_extra is None else key_extra.shape[-1]
    half = (keys - queries) // 2
    rows = kv.new_zeros(2, h, b * n + keys - queries, d + e)
    rows[:, :, half:half + b * n, :d] = kv.reshape(b * n, 2, h, d).permute(1, 2, 0, 3)
    if key_extra is not None:
        rows[0, :, half:half + b * n, d:] = key_extra.reshape(1, b * n, e)
    k, v = rows.unfold(2, keys, queries).transpose(-1, -2).unbind(0)  # unfold: (2, H, B * W, D + E, K)
    return k, v


class WindowedAttention(nn.Module):
    """Gated multi-head attention of each query block over its key window, with a bias per head.

    x: (B, N, C); bias: (H, B, W, Q, K), head-major, a large negative value at keys to
    ignore, which must include the keys off either end of the N atoms
    (:func:`key_value_windows`). ``query_extra`` (B, N, H, E) and ``key_extra``
    (B, N, E), both or neither, add query_extra[query] . key_extra[key] to each
    head's logits (:func:`dynafold.model.layers.bilinear_query` on the queries,
    :func:`key_value_windows` on the keys).
    """

    def __init__(self, dim: int, heads: int, queries: int, keys: int) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} not divisible by heads {heads}")
        self.heads, self.queries, self.keys = heads, queries, keys
        self.norm = nn.LayerNorm(dim)
        self.qg = nn.Linear(dim, 2 * dim, bias=False)
        self.kv = nn.Linear(dim, 2 * dim, bias=False)
        self.out = nn.Linear(dim, dim, bias=False)

    def forward(self, x: torch.Tensor, bias: torch.Tensor, query_extra: torch.Tensor | None = None,
                key_extra: torch.Tensor | None = None) -> torch.Tensor:
        b, n, c = x.shape
        h, d = self.heads, c // self.heads
        xn = self.norm(x)
        q, g = self.qg(xn).view(b, n, 2, h, d).unbind(2)
        if query_extra is not None:
            q = bilinear_query(q, query_extra)
        # (H, B * W, Q|K, D): the fused CPU kernel takes 4-D inputs (5-D ones go the unfused path), with
        # heads first so that the bias of each head is one contiguous block
        q = q.permute(2, 0, 1, 3).reshape(h, n * b // self.queries, self.queries, q.shape[-1])
        k, v = key_value_windows(self.kv(xn).view(b, n, 2, h, d), key_extra, self.queries, self.keys)
        o = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias.flatten(1, 2).to(q.dtype),
                                                       scale=1.0 / math.sqrt(d))[..., :d]
        o = o.reshape(h, b, n, d).permute(1, 2, 0, 3).reshape(b, n, c)
        return self.out(torch.sigmoid(g.reshape(b, n, c)) * o)


class AtomTransformer(nn.Module):
    """Layers of windowed attention and transition on per-atom activations.

    forward(x (B, N, C), bias) -> (B, N, C), where ``bias(layer)`` gives that
    layer's attention bias (H, B, W, Q, K) and, optionally, its bilinear
    ``query_extra`` and ``key_extra`` terms (see :class:`WindowedAttention`).
    A layer's bias is made when the layer runs, so only one is held at a time.
    """

    def __init__(self, dim: int, heads: int, layers: int, queries: int, keys: int,
                 transition_factor: int) -> None:
        super().__init__()
        self.attention = nn.ModuleList(WindowedAttention(dim, heads, queries, keys) for _ in range(layers))
        self.transition = nn.ModuleList(Transition(dim, transition_factor) for _ in range(layers))

    def forward(self, x: torch.Tensor, bias: Callable[[int], tuple[torch.Tensor, ...]]) -> torch.Tensor:
        for layer, (attn, trans) in enumerate(zip(self.attention, self.transition)):
            x = x + attn(x, *bias(layer))
            x = x + trans(x)
        return x
