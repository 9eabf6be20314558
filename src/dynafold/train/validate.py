"""Validation on held-out systems: distogram loss, B-factor correlation, ensemble metrics."""

from __future__ import annotations

import numpy as np
import torch

from dynafold.data.dataset import EnsembleDataset, collate
from dynafold.data.features import ensemble_from_atom14
from dynafold.data.store import read_system
from dynafold.metrics.correlation import pearson
from dynafold.metrics.evaluate import evaluate_ensembles
from dynafold.model.dynafold import DynafoldModel
from dynafold.train.config import TrainConfig
from dynafold.train.losses import distogram_loss


@torch.no_grad()
def validate(model: DynafoldModel, dataset: EnsembleDataset, cfg: TrainConfig, seed: int = 0) -> dict[str, float]:
    """Metrics of ``model`` on every system of ``dataset`` (whole proteins, conformer 0 as template).

    Returns "val/distogram" (mean over systems), "val/bfactor_pearson" (residues
    of all systems pooled) and, with ``cfg.val_samples`` >= 2, the means over
    systems of "val/rmsf_pearson", "val/lddt_precision", "val/lddt_recall",
    "val/lddt_diversity" from ``cfg.val_samples`` sampled conformers.
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    dist, b_pred, b_true, ens_metrics = [], [], [], []
    for index in range(len(dataset)):
        rng = np.random.default_rng([seed, index])
        batch = {k: v.to(device) for k, v in collate([dataset.get(index, rng)]).items()}
        s_inputs, s, z = model.trunk(batch)
        dist.append(float(distogram_loss(model.distogram_head(z), batch["distogram_target"], batch["token_mask"])))
        mask = batch["bfactor_mask"][0] & (batch["bfactor_target"][0] > 0)
        b_pred.append(model.bfactor_head.expected(model.bfactor_head(s))[0][mask].cpu().numpy())
        b_true.append(batch["bfactor_target"][0][mask].cpu().numpy())
        if cfg.val_samples < 2:
            continue
        ref = read_system(dataset.path(index)).ensemble
        if ref.n_conformers < 2:
            continue
        g = torch.Generator().manual_seed(seed + index)
        coords = model.sample(batch, cfg.val_samples, steps=cfg.val_sample_steps, generator=g)
        n_res = ref.n_residues  # the protein's tokens; ligand atom tokens follow them
        pred = ensemble_from_atom14(coords[0, :, :n_res].cpu().numpy(), ref, batch["atom_mask"][0, :n_res].cpu().numpy())
        ens_metrics.append(evaluate_ensembles(pred, ref, atoms="ca", ref_frames=50, seed=seed))
    if was_training:
        model.train()
    out = {"val/distogram": float(np.mean(dist)),
           "val/bfactor_pearson": pearson(np.concatenate(b_pred), np.concatenate(b_true))}
    if ens_metrics:
        out["val/rmsf_pearson"] = float(np.nanmean([m["rmsf"]["pearson"] for m in ens_metrics]))
        for key in ("precision", "recall", "diversity"):
            out[f"val/lddt_{key}"] = float(np.mean([m["lddt"][key] for m in ens_metrics]))
    return out
