"""EDM preconditioning, the sampling schedule, denoiser equivariance and float32, the sampler."""

from __future__ import annotations

import math

import pytest
import torch

from dynafold.model import DynafoldModel
from dynafold.model.config import MODEL_PRESETS, SamplerConfig
from dynafold.model.diffusion import edm_preconditioning, fresh_noise, noise_schedule, sample

from rigid_motion import random_rigid, transform


@pytest.fixture(scope="module")
def model() -> DynafoldModel:
    torch.manual_seed(1)
    m = DynafoldModel(MODEL_PRESETS["tiny"]).eval()
    with torch.no_grad():  # a non-zero output layer so the test sees the network's update
        torch.nn.init.normal_(m.denoiser.out[1].weight, std=0.3)
    return m


def test_preconditioning_formulas():
    sd = 16.0
    for s in (0.01, 1.0, 16.0, 160.0, 2560.0):
        c_skip, c_out, c_in, c_noise = (float(t) for t in edm_preconditioning(torch.tensor(s, dtype=torch.float64), sd))
        assert c_skip == pytest.approx(sd**2 / (s**2 + sd**2), rel=1e-12)
        assert c_out == pytest.approx(s * sd / math.sqrt(s**2 + sd**2), rel=1e-12)
        assert c_in == pytest.approx(1 / math.sqrt(s**2 + sd**2), rel=1e-12)
        assert c_noise == pytest.approx(math.log(s / sd) / 4, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("steps", [2, 10, 200])
def test_noise_schedule_matches_design_formula(steps):
    cfg = SamplerConfig()
    sd, s_max, s_min, rho = 16.0, 160.0, 0.0001, 7.0
    expected = [sd * (s_max ** (1 / rho) + i / (steps - 1) * (s_min ** (1 / rho) - s_max ** (1 / rho))) ** rho
                for i in range(steps)] + [0.0]
    got = noise_schedule(steps, sd, cfg)
    assert got.dtype == torch.float64 and len(got) == steps + 1
    for a, b in zip(got.tolist(), expected):
        assert a == pytest.approx(b, rel=1e-12, abs=0)
    assert got[0] == pytest.approx(16 * 160) and got[steps - 1] == pytest.approx(16 * 1e-4)


def _noisy(batch, sigma: float, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    a = 14
    x = batch["coords"][:, None, :, :a].expand(-1, n, -1, -1, -1)
    return x + sigma * torch.randn(x.shape, generator=g)


def _denoised(model, batch, sigma: float, sigma_high: float):
    """(cond, x, sigma, D(x)) for two noisy copies per item at noise levels sigma and sigma_high."""
    cond = model.condition(batch)
    x = _noisy(batch, sigma, 2, 0)
    levels = torch.tensor([[sigma, sigma_high]] * batch["coords"].shape[0])
    return cond, x, levels, model.denoiser(x, levels, cond)


def test_denoiser_is_se3_equivariant(model, trp_batch):
    with torch.no_grad():
        cond, x, sigma, out = _denoised(model, trp_batch, 3.0, 40.0)
        rot, shift = random_rigid(5)
        moved = dict(cond, template_coords=transform(cond["template_coords"], rot, shift))
        out_moved = model.denoiser(transform(x, rot, shift), sigma, moved)
    m = (trp_batch["atom_mask"] & trp_batch["token_mask"][..., None])[:, None].expand(-1, 2, -1, -1)
    assert (out - x)[m].abs().max() > 0.1  # the network does move atoms
    torch.testing.assert_close(out_moved[m], transform(out, rot, shift)[m], atol=2e-3, rtol=1e-4)


def test_denoiser_runs_in_float32_under_bf16_autocast(model, trp_batch):
    with torch.no_grad():
        cond = model.condition(trp_batch)
        x = _noisy(trp_batch, 5.0, 1, 1)
        sigma = torch.full((2, 1), 5.0)
        ref = model.denoiser(x, sigma, cond)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            # the same kind of layer outside the denoiser does run in bf16 under this context
            assert model.denoiser.atom_noisy(torch.ones(1, 9)).dtype == torch.bfloat16
            inside = model.denoiser(x, sigma, cond)
            cond_bf16 = {k: v.bfloat16() if v.is_floating_point() else v for k, v in cond.items()}
            from_bf16 = model.denoiser(x.bfloat16(), sigma.bfloat16(), cond_bf16)
    # float32 arithmetic inside: bit-identical to the run without autocast
    torch.testing.assert_close(inside, ref, atol=0, rtol=0)
    assert from_bf16.dtype == torch.float32


def test_sampler_shapes_seed_and_masking(model, trp_batch):
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    a = model.sample(trp_batch, n_samples=3, steps=6, generator=g1)
    b = model.sample(trp_batch, n_samples=3, steps=6, generator=g2)
    assert a.shape == (2, 3, trp_batch["res_type"].shape[1], 14, 3) and a.dtype == torch.float32
    torch.testing.assert_close(a, b, atol=0, rtol=0)
    assert torch.isfinite(a).all()
    c = model.sample(trp_batch, n_samples=3, steps=6, generator=torch.Generator().manual_seed(8))
    assert (a - c).abs().max() > 1e-3
    # samples of one item differ from each other
    assert (a[0, 0] - a[0, 1]).abs().max() > 1e-3


def test_bfactor_prediction_shape(model, trp_batch):
    b = model.predict_bfactor(trp_batch)
    assert b.shape == trp_batch["res_type"].shape and (b >= 0).all() and (b <= 101).all()


class _Oracle(torch.nn.Module):
    """A perfect denoiser for a one-structure data set: always returns the template."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.calls = []

    def forward(self, x, sigma, cond):
        self.calls.append(float(sigma[0, 0]))
        return cond["template_coords"][:, None, :, : self.cfg.atom_slots].expand_as(x)


def test_sampler_with_a_perfect_denoiser_returns_the_template(model, trp_batch):
    oracle = _Oracle(model.cfg)
    cond = model.condition(trp_batch)
    coords = sample(oracle, cond, 2, SamplerConfig(), generator=torch.Generator().manual_seed(0), steps=30)
    m = (trp_batch["atom_mask"] & trp_batch["token_mask"][..., None])[:, None].expand(-1, 2, -1, -1)
    target = trp_batch["template_coords"][:, None].expand(-1, 2, -1, -1, -1)
    assert (coords - target)[m].norm(dim=-1).max() < 0.05
    # the denoiser saw t_hat = s_i (1 + gamma), gamma = 0.8 while s_next > 1 A
    sched = noise_schedule(30, 16.0, SamplerConfig()).tolist()
    expected = [s * (1.8 if s_next > 1.0 else 1.0) for s, s_next in zip(sched[:-1], sched[1:])]
    assert oracle.calls == pytest.approx(expected, rel=1e-6)


def test_atom_layout_packs_real_atoms_in_slot_order():
    from dynafold.model.denoiser import AtomLayout

    mask = torch.zeros(2, 3, 4, dtype=torch.bool)
    mask[0, 0, :2] = mask[0, 2, :3] = True  # 5 atoms
    mask[1, 1, 1:] = True  # 3 atoms
    layout = AtomLayout.of(mask, queries=4)
    assert layout.n_atoms == 8 and layout.valid.sum(1).tolist() == [5, 3]
    assert layout.index[0, :5].tolist() == [0, 1, 8, 9, 10] and layout.index[1, :3].tolist() == [5, 6, 7]
    assert layout.residue[0, :5].tolist() == [0, 0, 2, 2, 2]
    values = torch.randn(2, 2, 3, 4, 5)
    back = layout.unpack(layout.pack(values, samples=True), 3, 4)
    torch.testing.assert_close(back[mask[:, None].expand(-1, 2, -1, -1)], values[mask[:, None].expand(-1, 2, -1, -1)])
    assert not back[~mask[:, None].expand(-1, 2, -1, -1)].any()
    pooled = layout.pool(layout.pack(values, samples=True).reshape(4, 8, 5), 2).view(2, 2, 3, 5)
    w = mask[:, None, :, :, None].float()
    expected = (values * w).sum(3) / w.sum(3).clamp_min(1.0)
    torch.testing.assert_close(pooled, expected)


def test_denoiser_output_of_an_item_does_not_depend_on_its_batch(model, trp_batch):
    """Packed atoms: Trp-cage alone equals Trp-cage padded next to CD2 (a longer atom sequence)."""
    with torch.no_grad():
        cond, x, sigma, both = _denoised(model, trp_batch, 2.0, 20.0)
        one = {k: (v[:1, :20] if v.dim() > 1 else v[:1]) for k, v in cond.items()}
        one["z"] = cond["z"][:1, :20, :20]
        alone = model.denoiser(x[:1, :, :20], sigma[:1], one)
    m = trp_batch["atom_mask"][:1, :20][:, None].expand(-1, 2, -1, -1)
    torch.testing.assert_close(both[:1, :, :20][m], alone[m], atol=1e-4, rtol=1e-4)


def test_method_sampler_defaults_and_overrides():
    from dynafold.const import METHOD_ENM_NOISE, METHOD_GAMMA_MIN_A, METHOD_STEP_SCALE
    from dynafold.model.config import method_sampler

    assert method_sampler("md").step_scale == METHOD_STEP_SCALE["md"] == 1.1
    assert method_sampler("xray").step_scale == METHOD_STEP_SCALE["xray"] == 1.5
    for method in ("md", "nmr"):
        assert method_sampler(method).enm_noise == METHOD_ENM_NOISE[method] > 0
        assert method_sampler(method).gamma_min == METHOD_GAMMA_MIN_A[method] < SamplerConfig().gamma_min
    xray = method_sampler("xray")
    assert (xray.enm_noise, xray.gamma_min) == (0.0, SamplerConfig().gamma_min)  # isotropic noise down to 1 A
    assert method_sampler("md", enm_noise=0.0, gamma_min=1.0).enm_noise == 0.0
    assert method_sampler("md").sigma_min == method_sampler("xray").sigma_min == SamplerConfig().sigma_min
    assert method_sampler("other").step_scale == SamplerConfig().step_scale
    custom = method_sampler("md", step_scale=1.3, noise_scale=0.9, sigma_min=None)
    assert (custom.step_scale, custom.noise_scale, custom.steps) == (1.3, 0.9, SamplerConfig().steps)
    assert custom.sigma_min == SamplerConfig().sigma_min  # None keeps the default
    assert method_sampler("xray", sigma_min=0.05).sigma_min == 0.05


def test_fresh_noise_without_the_network_is_plain_normal_noise():
    shape = (1, 3, 4, 2, 3)
    plain = torch.randn(shape, generator=torch.Generator().manual_seed(3))
    for anm, share in ((None, 0.5), (torch.ones(1, 4, 3, 6), 0.0)):
        got = fresh_noise(shape, torch.Generator().manual_seed(3), anm, share)
        torch.testing.assert_close(got, plain, atol=0, rtol=0)


def test_fresh_noise_moves_residues_with_the_network_covariance():
    """share 1: every atom of a residue gets the residue's displacement, with covariance F F^T; a token
    without rows (a ligand atom) keeps unit isotropic noise; share 0.3 mixes the two variances."""
    gen = torch.Generator().manual_seed(0)
    factor = torch.randn(3, 3, 5, generator=gen)  # 3 residues, 5 amplitudes
    anm = torch.cat([factor, torch.zeros(1, 3, 5)])[None]  # token 3: a ligand atom
    n = 40_000
    noise = fresh_noise((1, n, 4, 2, 3), gen, anm, 1.0)[0]  # (S, R, A, 3)
    torch.testing.assert_close(noise[:, :3, 0], noise[:, :3, 1], atol=0, rtol=0)
    disp = noise[:, :3, 0].reshape(n, 9).double()
    expected = (factor.reshape(9, 5) @ factor.reshape(9, 5).T).double()
    cov = disp.T @ disp / n
    assert (cov - expected).abs().max() < 0.1 * expected.diagonal().max()
    ligand = noise[:, 3].reshape(n, 6).double()
    torch.testing.assert_close(ligand.T @ ligand / n, torch.eye(6, dtype=torch.float64), atol=0.05, rtol=0)
    mixed = fresh_noise((1, n, 4, 2, 3), gen, anm, 0.3)[0]
    var = mixed[:, :3].double().square().mean(0)  # (R, A, 3): 0.7 + 0.3 F F^T diagonal
    torch.testing.assert_close(var, (0.7 + 0.3 * expected.diagonal().view(3, 1, 3)).expand(3, 2, 3),
                               atol=0.05 * float(expected.diagonal().max()), rtol=0)
