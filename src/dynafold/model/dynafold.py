"""DynafoldModel: trunk + heads + denoiser, with the sampling and B-factor entry points."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from dynafold.model.align import weighted_rigid_align
from dynafold.model.config import ModelConfig, SamplerConfig
from dynafold.model.denoiser import Denoiser
from dynafold.model.diffusion import sample, training_noise
from dynafold.model.heads import BfactorHead, DistogramHead
from dynafold.model.trunk import Trunk

COND_KEYS = ("res_type", "template_coords", "atom_mask", "token_mask", "ligand_mask", "ligand_features", "anm_noise")


def conformer_on_template(coords: torch.Tensor, template: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """A conformer (B, R, A, 3) superposed onto the template (B, R, A, 3) over the atoms of nonzero
    ``weights`` (B, R, A); the other slots take the template's coordinates (Angstrom): the denoiser's
    training target."""
    b, r, a = weights.shape
    moved = weighted_rigid_align(coords.reshape(b, r * a, 3), template.reshape(b, r * a, 3),
                                 weights.reshape(b, r * a)).view(b, r, a, 3)
    return torch.where(weights[..., None] > 0, moved, template.to(moved.dtype))


class DynafoldModel(nn.Module):
    """The whole network. Batches follow the data contract (dynafold.data.collate)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.trunk = Trunk(cfg)
        self.distogram_head = DistogramHead(cfg.token_z)
        self.bfactor_head = BfactorHead(cfg.token_s)
        self.denoiser = Denoiser(cfg)

    def condition(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Run the trunk once; return the denoiser's conditioning (trunk outputs + template)."""
        s_inputs, s, z = self.trunk(batch)
        return {"s_inputs": s_inputs, "s": s, "z": z, **{k: batch[k] for k in COND_KEYS if k in batch}}

    def forward(self, batch: dict[str, torch.Tensor], multiplicity: int = 1,
                generator: torch.Generator | None = None, p_mean: float = -1.2,
                p_std: float = 1.5) -> dict[str, torch.Tensor]:
        """Training pass: heads plus ``multiplicity`` noisy copies of the drawn conformer.

        The conformer ``batch["coords"]`` is first superposed onto the template.
        Returns distogram_logits (B, R, R, 64), bfactor_logits (B, R, 64),
        x_pred and x_true (B, M, R, A, 3), sigma (B, M), atom_weights (B, R, A).
        """
        cond = self.condition(batch)
        a = self.cfg.atom_slots
        weights = (batch["atom_mask"][..., :a] & batch["token_mask"][..., None]).float()
        b, r = weights.shape[:2]
        truth = conformer_on_template(batch["coords"][..., :a, :], batch["template_coords"][..., :a, :], weights)
        truth = truth[:, None].expand(b, multiplicity, r, a, 3)
        sigma = training_noise((b, multiplicity), self.cfg.sigma_data, generator, p_mean, p_std).to(truth.device)
        eps = torch.randn(truth.shape, generator=generator).to(truth.device)
        x_pred = self.denoiser(truth + sigma[..., None, None, None] * eps, sigma, cond)
        return {
            "distogram_logits": self.distogram_head(cond["z"]),
            "bfactor_logits": self.bfactor_head(cond["s"]),
            "x_pred": x_pred, "x_true": truth, "sigma": sigma, "atom_weights": weights,
        }

    @torch.no_grad()
    def sample(self, batch: dict[str, torch.Tensor], n_samples: int, steps: int | None = None,
               generator: torch.Generator | None = None, sampler: SamplerConfig | None = None,
               on_step: Callable[[int, int], None] | None = None,
               cond: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Sample conformers: trunk once (or ``cond`` from :meth:`condition`), then the
        denoiser on all samples together.

        Returns (B, S, R, A, 3) float32 Angstrom (A = cfg.atom_slots, atom-14 order);
        only slots in ``batch["atom_mask"]`` are meaningful. ``on_step(done, steps)``
        is called after each denoising step.
        """
        cond = self.denoiser.prepare(self.condition(batch) if cond is None else cond)
        return sample(self.denoiser, cond, n_samples, sampler or SamplerConfig(),
                      generator=generator, steps=steps, on_step=on_step)

    @torch.no_grad()
    def predict_bfactor(self, batch: dict[str, torch.Tensor],
                        cond: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """Expected B-factor of each residue's representative atom, (B, R) A^2
        (the trunk runs unless ``cond`` from :meth:`condition` is given)."""
        s = self.trunk(batch)[1] if cond is None else cond["s"]
        return self.bfactor_head.expected(self.bfactor_head(s))
