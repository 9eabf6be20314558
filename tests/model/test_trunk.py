"""Trunk invariance, padding and the zero-initialised method embedding."""

from __future__ import annotations

import torch

from dynafold.model import DynafoldModel
from dynafold.model.config import MODEL_PRESETS

from rigid_motion import random_rigid, transform


def _model(seed: int = 0) -> DynafoldModel:
    torch.manual_seed(seed)
    return DynafoldModel(MODEL_PRESETS["tiny"]).eval()


def test_trunk_shapes_and_rigid_invariance(trp_batch):
    # float64 so that no template distance crosses a distogram bin edge by rounding
    model = _model().double()
    batch = {k: v.double() if v.is_floating_point() else v for k, v in trp_batch.items()}
    b, r = batch["res_type"].shape
    with torch.no_grad():
        s_in, s, z = model.trunk(batch)
        assert s.shape == (b, r, model.cfg.token_s) and z.shape == (b, r, r, model.cfg.token_z)
        moved = dict(batch)
        rot, shift = (t.double() for t in random_rigid(11))
        moved["template_coords"] = transform(batch["template_coords"], rot, shift)
        moved["coords"] = transform(batch["coords"], rot, shift)
        _, s2, z2 = model.trunk(moved)
    m = trp_batch["token_mask"]
    pm = m[:, :, None] & m[:, None, :]
    torch.testing.assert_close(s2[m], s[m], atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(z2[pm], z[pm], atol=1e-6, rtol=1e-6)


def test_padding_does_not_change_outputs(trp_batch):
    model = _model()
    alone = {k: v[:1, :20] if v.dim() > 1 else v[:1] for k, v in trp_batch.items()}
    for key in ("distogram_target", "enm_pair", "ligand_bonds"):
        alone[key] = trp_batch[key][:1, :20, :20]
    with torch.no_grad():
        _, s_pad, _ = model.trunk(trp_batch)
        _, s_alone, _ = model.trunk(alone)
    torch.testing.assert_close(s_pad[0, :20], s_alone[0], atol=1e-4, rtol=1e-4)


def test_method_embedding_is_zero_until_trained(trp_batch):
    model = _model()
    other = dict(trp_batch, method=(trp_batch["method"] + 1) % 6)
    with torch.no_grad():
        s_a = model.trunk(trp_batch)[1]
        s_b = model.trunk(other)[1]
    torch.testing.assert_close(s_a, s_b, atol=0, rtol=0)
    # one optimiser step on a loss that sees the trunk makes the method matter
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    model.bfactor_head.expected(model.bfactor_head(model.trunk(trp_batch)[1])).mean().backward()
    opt.step()
    with torch.no_grad():
        assert (model.trunk(trp_batch)[1] - model.trunk(other)[1]).abs().max() > 1e-6


def test_triangle_attention_in_row_chunks_equals_one_pass(trp_batch, monkeypatch):
    import dynafold.model.config as config

    model = _model(3)
    with torch.no_grad():
        _, s, z = model.trunk(trp_batch)
        r = trp_batch["res_type"].shape[1]
        monkeypatch.setattr(config, "TRIANGLE_LOGITS_PER_CHUNK", 3 * model.cfg.pair_heads * r * r)
        assert config.triangle_rows_per_chunk(r, model.cfg.pair_heads) == 3
        _, s_chunked, z_chunked = model.trunk(trp_batch)
    torch.testing.assert_close(z_chunked, z, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(s_chunked, s, atol=1e-5, rtol=1e-5)
