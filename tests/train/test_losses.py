"""Losses against plain float64 loops and their invariance, on real NMR coordinates."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from dynafold.const import BFACTOR_BOUNDARIES_A2, LOCAL_GEOMETRY_RADIUS_A
from dynafold.data.features import atom14_coords
from dynafold.io import load
from dynafold.train.losses import bfactor_loss, denoising_loss, distogram_loss, local_geometry_loss, smooth_lddt_loss


@pytest.fixture(scope="module")
def trp(shared_data):
    """Trp-cage NMR models in the atom-14 layout: coords (38, 20, 14, 3), mask (20, 14)."""
    coords, mask = atom14_coords(load(shared_data / "nmr" / "1l2y.pdb"))
    return torch.from_numpy(coords), torch.from_numpy(mask)


def _rigid(seed):
    rot = torch.tensor(Rotation.random(random_state=seed).as_matrix(), dtype=torch.float32)
    return rot, torch.tensor([20.0, -5.0, 33.0]) * seed


def test_denoising_loss_invariant_to_moving_the_truth(trp):
    coords, mask = trp
    pred = coords[None, :4]  # (B=1, M=4, R, 14, 3): four models as "predictions"
    true = coords[None, 10:14]
    sigma = torch.tensor([[0.5, 4.0, 16.0, 80.0]])
    w = mask[None]
    ref = denoising_loss(pred, true, sigma, w, 16.0)
    rot, shift = _rigid(4)
    moved = denoising_loss(pred, true @ rot.T + shift, sigma, w, 16.0)
    assert abs(float(moved) - float(ref)) < 1e-4 * max(1.0, float(ref))
    # against a float64 loop with scipy's Kabsch (Rotation.align_vectors)
    total = 0.0
    for m in range(4):
        p = pred[0, m][mask].double().numpy()
        t = true[0, m][mask].double().numpy()
        rot_m, _ = Rotation.align_vectors(p - p.mean(0), t - t.mean(0))
        aligned = rot_m.apply(t - t.mean(0)) + p.mean(0)
        mse = ((p - aligned) ** 2).sum(-1).mean() / 3
        s = float(sigma[0, m])
        total += mse * (s**2 + 16.0**2) / (s * 16.0) ** 2
    assert float(ref) == pytest.approx(total / 4, rel=1e-4)


def test_smooth_lddt_loop(trp):
    coords, mask = trp
    pred, true = coords[None, None, 0, :8], coords[None, None, 5, :8]
    w = mask[None, :8]
    got = float(smooth_lddt_loss(pred, true, w))
    p = pred[0, 0].double().numpy()
    t = true[0, 0].double().numpy()
    num = den = 0.0
    atoms = [(r, a) for r in range(8) for a in range(14) if mask[r, a]]
    for r1, a1 in atoms:
        for r2, a2 in atoms:
            if r1 == r2:
                continue
            dt = np.linalg.norm(t[r1, a1] - t[r2, a2])
            if dt >= 15.0:
                continue
            err = abs(np.linalg.norm(p[r1, a1] - p[r2, a2]) - dt)
            num += np.mean([1 / (1 + np.exp(-(c - err))) for c in (0.5, 1, 2, 4)])
            den += 1
    assert got == pytest.approx(1 - num / den, rel=1e-5)
    assert float(smooth_lddt_loss(pred, pred, w)) < float(smooth_lddt_loss(pred, true, w))


def test_distogram_and_bfactor_cross_entropy_loops():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 5, 5, 64, generator=g)
    target = torch.rand(2, 5, 5, 64, generator=g)
    target = target / target.sum(-1, keepdim=True)
    token_mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    got = float(distogram_loss(logits, target, token_mask))
    lp = torch.log_softmax(logits.double(), -1).numpy()
    vals = [-(target[b, i, j].double().numpy() * lp[b, i, j]).sum()
            for b in range(2) for i in range(5) for j in range(5)
            if i != j and token_mask[b, i] and token_mask[b, j]]
    assert got == pytest.approx(np.mean(vals), rel=1e-5)

    blogits = torch.randn(1, 4, 64, generator=g)
    bf = torch.tensor([[0.0, 12.3, 55.0, 140.0]])
    bmask = torch.tensor([[True, True, False, True]])
    got = float(bfactor_loss(blogits, bf, bmask))
    lp = torch.log_softmax(blogits.double(), -1).numpy()[0]
    ref = [-lp[r, np.searchsorted(BFACTOR_BOUNDARIES_A2, bf[0, r].item(), side="left")] for r in (1, 3)]
    assert got == pytest.approx(np.mean(ref), rel=1e-5)


def test_single_conformer_items_can_skip_the_diffusion_terms(trp):
    from dynafold.train.losses import total_loss

    coords, mask = trp
    g = torch.Generator().manual_seed(1)
    b, m, r = 2, 3, coords.shape[1]
    out = {
        "x_pred": coords[None, :3].expand(b, m, -1, -1, -1).clone(),
        "x_true": coords[None, 3:6].expand(b, m, -1, -1, -1).clone(),
        "sigma": torch.tensor([[1.0, 5.0, 20.0], [2.0, 8.0, 30.0]]),
        "atom_weights": mask[None].expand(b, -1, -1),
        "distogram_logits": torch.randn(b, r, r, 64, generator=g),
        "bfactor_logits": torch.randn(b, r, 64, generator=g),
    }
    out["x_true"][1] += 0.7 * torch.randn(out["x_true"][1].shape, generator=g)  # item 1 differs from item 0
    batch = {"distogram_target": torch.full((b, r, r, 64), 1 / 64), "token_mask": torch.ones(b, r, dtype=torch.bool),
             "bfactor_target": torch.full((b, r), 20.0), "bfactor_mask": torch.ones(b, r, dtype=torch.bool),
             "rmsf_mask": torch.tensor([[True] * r, [False] * r])}  # item 1 has a single conformer
    w = {"diffusion": 4.0, "smooth_lddt": 1.0, "distogram": 0.03, "bfactor": 1e-3}
    every = total_loss(out, batch, w, 16.0)
    skip = total_loss(out, batch, w, 16.0, denoise_single_conformer=False)
    only_first = total_loss({k: v[:1] for k, v in out.items()}, {k: v[:1] for k, v in batch.items()}, w, 16.0)
    for key in ("denoising", "smooth_lddt"):
        assert float(skip[key]) == pytest.approx(float(only_first[key]), rel=1e-6)
        assert abs(float(every[key]) - float(skip[key])) > 1e-4
    assert float(skip["distogram"]) == pytest.approx(float(every["distogram"]))


def test_single_conformer_systems_join_the_diffusion_terms_at_the_set_step():
    from dynafold.train.config import TRAIN_PRESETS, TrainConfig

    small = TRAIN_PRESETS["small"]
    assert not small.denoises_single_conformers(small.single_conformer_from_step - 1)
    assert small.denoises_single_conformers(small.single_conformer_from_step)
    assert small.single_conformer_from_step < small.max_steps
    assert TrainConfig().denoises_single_conformers(0)
    assert not TrainConfig(denoise_single_conformer=False).denoises_single_conformers(10**6)


def test_local_geometry_loss_against_a_float64_loop(trp):
    coords, mask = trp
    pred, true, w = coords[None, :2].double(), coords[None, 5:7].double(), mask[None]
    got = local_geometry_loss(pred, true, w)
    assert float(local_geometry_loss(true, true, w)) == 0.0
    rot, shift = _rigid(2)
    assert float(local_geometry_loss(pred @ rot.T.double() + shift, true, w)) == pytest.approx(float(got), rel=1e-4)  # float32 inside
    atoms = [(r, a) for r in range(mask.shape[0]) for a in range(mask.shape[1]) if mask[r, a]]
    per_model = []
    for m in range(2):
        p, t = pred[0, m].numpy(), true[0, m].numpy()
        errs = []
        for i, (ri, ai) in enumerate(atoms):
            for rj, aj in atoms[i + 1:]:
                d_t = np.linalg.norm(t[ri, ai] - t[rj, aj])
                if rj - ri > 1 or d_t >= LOCAL_GEOMETRY_RADIUS_A:
                    continue
                e = abs(np.linalg.norm(p[ri, ai] - p[rj, aj]) - d_t)
                errs.append(0.5 * e * e if e < 1.0 else e - 0.5)
        per_model.append(np.mean(errs))
    assert float(got) == pytest.approx(np.mean(per_model), rel=1e-4)
    stretched = pred.clone()
    stretched[0, :, 3, 4:] += torch.tensor([0.4, 0.0, 0.0], dtype=torch.float64)  # a side chain moved off its CB
    assert float(local_geometry_loss(stretched, true, w)) > float(got)
