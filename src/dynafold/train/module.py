"""The Lightning module: one optimisation step per batch, manual optimisation, EMA of weights."""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader

from dynafold.data.dataset import EnsembleDataset
from dynafold.model.config import ModelConfig
from dynafold.model.dynafold import DynafoldModel
from dynafold.train.batches import StepBatches, system_probabilities
from dynafold.train.config import TrainConfig
from dynafold.train.ema import EMA
from dynafold.train.losses import total_loss
from dynafold.train.state import optimizer_state, split_state


class DynafoldTraining(L.LightningModule):
    """Trains a DynafoldModel on steps ``start_step .. train_cfg.max_steps - 1``.

    ``resume`` is (record, tensors) from :func:`dynafold.train.state.load_state`:
    the model weights, EMA, optimizer and scheduler continue from there.
    """

    def __init__(self, model_cfg: ModelConfig, train_cfg: TrainConfig, dataset: EnsembleDataset, seed: int,
                 start_step: int = 0, resume: tuple[dict, dict[str, torch.Tensor]] | None = None) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.model = DynafoldModel(model_cfg)
        self.train_cfg, self.dataset, self.seed = train_cfg, dataset, seed
        self.start_step = self.current_step = start_step
        self.resume = resume
        if resume is not None:
            self.model.load_state_dict(split_state(resume[1], "model"))
        self.ema: EMA | None = None
        self.last_terms: dict[str, float] = {}

    def on_fit_start(self) -> None:
        self.ema = EMA(self.model, self.train_cfg.ema_decay)
        if self.resume is not None:
            for k, v in split_state(self.resume[1], "ema").items():
                self.ema.shadow[k].copy_(v)

    def train_dataloader(self) -> DataLoader:
        steps = StepBatches(self.dataset, self.train_cfg.batch_size, self.seed, self.start_step,
                            self.train_cfg.max_steps, rank=self.global_rank,
                            probabilities=system_probabilities(self.dataset, self.train_cfg.ensemble_weight))
        return DataLoader(steps, batch_size=None, num_workers=0)

    def configure_optimizers(self):
        cfg = self.train_cfg
        opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, cfg.lr_factor)
        if self.resume is not None:
            opt.load_state_dict(optimizer_state(*self.resume))
            sched.load_state_dict(self.resume[0]["scheduler"])
        return [opt], [sched]

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        cfg = self.train_cfg
        opt, sched = self.optimizers(), self.lr_schedulers()
        generator = torch.Generator().manual_seed(int(batch.pop("noise_seed")))
        step = int(batch.pop("step"))
        out = self.model(batch, cfg.multiplicity, generator, cfg.p_mean, cfg.p_std)
        terms = total_loss(out, batch, cfg.loss_weights, self.model.cfg.sigma_data, cfg.lddt_atom_slots,
                           cfg.denoises_single_conformers(step))
        opt.zero_grad()
        self.manual_backward(terms["loss"])
        self.clip_gradients(opt, gradient_clip_val=cfg.grad_clip, gradient_clip_algorithm="norm")
        opt.step()
        sched.step()
        self.ema.update(self.model)
        self.current_step = step + 1
        self.last_terms = {k: float(v.detach()) for k, v in terms.items()}
        self.last_terms["lr"] = float(sched.get_last_lr()[0])
