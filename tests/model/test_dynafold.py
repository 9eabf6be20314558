"""The whole training pass: moving the drawn conformer does not change the loss.

(Moving template and conformer together changes the loss only through the
isotropic noise drawn in the global frame; the denoiser's equivariance under
that joint motion is tested in test_diffusion.py.)"""

from __future__ import annotations

import torch

from dynafold.model import DynafoldModel
from dynafold.model.config import MODEL_PRESETS
from dynafold.train.losses import total_loss

from rigid_motion import random_rigid, transform

WEIGHTS = {"diffusion": 4.0, "smooth_lddt": 1.0, "distogram": 0.03, "bfactor": 1e-3}


def _loss(model, batch) -> dict[str, torch.Tensor]:
    with torch.no_grad():
        out = model(batch, multiplicity=3, generator=torch.Generator().manual_seed(4))
        return total_loss(out, batch, WEIGHTS, model.cfg.sigma_data)


def test_loss_invariant_to_moving_the_drawn_conformer(trp_batch):
    torch.manual_seed(2)
    model = DynafoldModel(MODEL_PRESETS["tiny"]).double().eval()
    with torch.no_grad():
        torch.nn.init.normal_(model.denoiser.out[1].weight, std=0.3)
    batch = {k: v.double() if v.is_floating_point() else v for k, v in trp_batch.items()}
    ref = _loss(model, batch)
    rot, shift = (t.double() for t in random_rigid(9))
    got = _loss(model, dict(batch, coords=transform(batch["coords"], rot, shift)))
    for key in ("denoising", "smooth_lddt", "local_geometry", "distogram", "bfactor", "loss"):
        assert abs(float(got[key]) - float(ref[key])) < 1e-6 * max(1.0, abs(float(ref[key]))), key
    assert float(ref["denoising"]) > 0
    # a different conformer does change it (the test can fail)
    other = _loss(model, dict(batch, coords=batch["template_coords"]))
    assert abs(float(other["denoising"]) - float(ref["denoising"])) > 1e-4


def test_bf16_mixed_training_step_runs_on_cpu(trp_batch):
    # the path a GPU run takes (Lightning's "bf16-mixed"): the trunk in bf16, the denoiser in float32
    from dynafold.train.config import TRAIN_PRESETS

    torch.manual_seed(3)
    model = DynafoldModel(MODEL_PRESETS["tiny"])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(trp_batch, multiplicity=2, generator=torch.Generator().manual_seed(1))
        terms = total_loss(out, trp_batch, TRAIN_PRESETS["tiny"].loss_weights, model.cfg.sigma_data)
    assert model.condition(trp_batch)["z"].dtype == torch.float32  # autocast off: float32 again
    assert out["x_pred"].dtype == torch.float32
    assert out["distogram_logits"].dtype == torch.bfloat16  # the trunk's heads ran in bf16
    terms["loss"].backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    assert float(terms["local_geometry"]) > 0 and torch.isfinite(terms["loss"])
