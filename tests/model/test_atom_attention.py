"""Windowed atom attention: the windows hold the right atoms and attention stays inside them."""

from __future__ import annotations

import pytest
import torch

from dynafold.errors import ConfigError
from dynafold.model.atom_attention import WindowedAttention, key_windows, query_windows
from dynafold.model.config import ModelConfig


@pytest.mark.parametrize("queries,keys", [(32, 128), (8, 32), (4, 4)])
def test_key_windows_match_plain_indexing(queries, keys):
    n = 5 * queries
    x = torch.randn(2, n, 3)
    win = key_windows(x, queries, keys)
    assert win.shape == (2, n // queries, keys, 3)
    for w in range(n // queries):
        for slot in range(keys):
            atom = w * queries + queries // 2 - keys // 2 + slot
            expected = x[:, atom] if 0 <= atom < n else torch.zeros(2, 3)
            assert torch.equal(win[:, w, slot], expected)
    assert torch.equal(query_windows(x, queries)[:, 2], x[:, 2 * queries:3 * queries])


def test_attention_sees_only_its_window_and_valid_keys():
    torch.manual_seed(0)
    q, k, n = 8, 24, 64
    attn = WindowedAttention(16, 2, q, k)
    x = torch.randn(1, n, 16)
    inside = key_windows(torch.ones(1, n, 1), q, k)[..., 0] > 0
    bias = torch.where(inside, 0.0, -1e9)[None, :, :, None, :].expand(2, 1, n // q, q, k)
    ref = attn(x, bias)
    moved = x.clone()
    moved[:, 60] += 5.0 * torch.randn(16)  # atom 60 lies in the key windows of blocks 6 and 7 only
    out = attn(moved, bias)
    changed = (out - ref).abs().amax(-1)[0] > 1e-6
    assert changed[48:].all() and not changed[:48].any()
    # a masked key does not count at all
    not_60 = key_windows((torch.arange(n) != 60).float()[None, :, None], q, k)[..., 0] > 0
    masked = torch.where(not_60[None, :, :, None, :], bias, -1e9)
    a = attn(x, masked)
    b = attn(moved, masked)
    assert torch.allclose(a[:, :60], b[:, :60], atol=1e-6)


def test_window_sizes_are_checked():
    with pytest.raises(ConfigError, match="atom windows"):
        ModelConfig(atom_window_queries=32, atom_window_keys=127)


def test_samples_of_a_batch_do_not_see_each_other():
    """All samples' keys lie in one buffer, so a window off the end of its sample reads the next
    sample's atoms: with those keys masked, each sample's output is what it gets alone."""
    torch.manual_seed(1)
    q, k, n, real = 8, 24, 32, 29
    attn = WindowedAttention(16, 2, q, k)
    x = 100 * torch.randn(3, n, 16)
    atoms = key_windows(torch.arange(1, n + 1, dtype=torch.float32)[None, :, None], q, k)[..., 0]
    inside = (atoms > 0) & (atoms <= real)
    bias = torch.randn(2, 3, n // q, q, k) + torch.where(inside, 0.0, -1e9)[None, :, :, None, :]
    query_extra, key_extra = torch.randn(3, n, 2, 3), 10 * torch.randn(3, n, 3)
    together = attn(x, bias, query_extra, key_extra)
    for s in range(3):
        alone = attn(x[s:s + 1], bias[:, s:s + 1], query_extra[s:s + 1], key_extra[s:s + 1])
        assert torch.equal(together[s:s + 1], alone)
