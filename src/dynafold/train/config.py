"""Training configuration and the presets tiny / small / base (model sizes + optimisation)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace

from dynafold.errors import DynafoldInputError
from dynafold.model.config import MODEL_PRESETS, ModelConfig


def _loss_weights() -> dict[str, float]:
    # diffusion multiplies (denoising MSE + smooth_lddt * smooth lDDT + local_geometry * bond and angle
    # distance error), as in AlphaFold3 plus the local term that keeps sampled chains intact; the B-factor
    # cross-entropy (about 4 nats untrained) weighs enough to be learned beside the diffusion terms
    return {"diffusion": 4.0, "smooth_lddt": 1.0, "local_geometry": 1.0, "distogram": 0.03, "bfactor": 0.05}


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation, data and bookkeeping settings of a training run."""

    max_steps: int = 1000
    batch_size: int = 1
    crop_size: int | None = 80  # residues per item (None: whole protein)
    crop_mode: str = "contiguous"
    multiplicity: int = 4  # noisy copies of the drawn conformer per trunk pass
    lr: float = 1e-3
    warmup_steps: int = 100
    lr_decay_from: int | None = None  # from this step on, the learning rate falls along a cosine to lr * final_lr
    final_lr: float = 0.1  # the learning rate of the last step, as a fraction of lr (with lr_decay_from)
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.0
    grad_clip: float = 10.0
    ema_decay: float = 0.999
    p_mean: float = -1.2  # training noise: s = s_data * exp(p_mean + p_std * N(0, 1))
    p_std: float = 1.5
    loss_weights: dict[str, float] = field(default_factory=_loss_weights)
    lddt_atom_slots: int = 14  # atoms per residue in the smooth lDDT term (5: backbone + CB)
    denoise_single_conformer: bool = True  # False: one-conformer systems skip the diffusion terms
    single_conformer_from_step: int = 0  # with denoise_single_conformer: they join the diffusion terms from here
    ensemble_weight: float = 1.0  # how much likelier an ensemble (K > 1) is drawn than a one-conformer system
    # evenly spaced conformers of an ensemble that may serve as template (1: the first; 8 measured in the model card)
    template_frames: int = 1
    checkpoint_every: int = 250
    log_every: int = 10
    val_every: int = 500  # 0 disables validation
    val_samples: int = 8  # conformers sampled per validation system
    val_sample_steps: int = 50

    def lr_factor(self, step: int) -> float:
        """Learning rate of optimisation ``step`` as a fraction of ``lr``: linear warm-up, flat, cosine decay."""
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        if self.lr_decay_from is None or step < self.lr_decay_from:
            return 1.0
        span = max(self.max_steps - 1 - self.lr_decay_from, 1)
        done = min(step - self.lr_decay_from, span) / span
        return self.final_lr + (1.0 - self.final_lr) * 0.5 * (1.0 + math.cos(math.pi * done))

    def denoises_single_conformers(self, step: int) -> bool:
        """Whether one-conformer systems enter the diffusion terms at optimisation ``step``."""
        return self.denoise_single_conformer and step >= self.single_conformer_from_step

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in names}
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        return cls(**d)


TRAIN_PRESETS: dict[str, TrainConfig] = {
    "tiny": TrainConfig(max_steps=20, crop_size=24, multiplicity=2, lr=3e-3, warmup_steps=0, ema_decay=0.9,
                        checkpoint_every=5, log_every=1, val_every=0, val_samples=2, val_sample_steps=5),
    "small": TrainConfig(max_steps=5000, crop_size=64, multiplicity=4, p_mean=-1.6,
                         denoise_single_conformer=True, single_conformer_from_step=4000, ensemble_weight=4.0, lr=1e-3,
                         warmup_steps=100, ema_decay=0.995, checkpoint_every=250, log_every=10, val_every=500,
                         val_samples=8, val_sample_steps=50),
    "base": TrainConfig(max_steps=100_000, batch_size=8, crop_size=256, crop_mode="spatial", multiplicity=16,
                        lr=1e-3, warmup_steps=1000, ema_decay=0.999, checkpoint_every=1000, log_every=50,
                        val_every=2000, val_samples=25, val_sample_steps=200),
}


def preset(name: str, **overrides) -> tuple[ModelConfig, TrainConfig]:
    """(model config, train config) of a preset; ``overrides`` replace TrainConfig fields (None = keep)."""
    if name not in TRAIN_PRESETS:
        raise DynafoldInputError(f"unknown preset {name!r}; valid: {', '.join(TRAIN_PRESETS)}")
    train_cfg = replace(TRAIN_PRESETS[name], **{k: v for k, v in overrides.items() if v is not None})
    return MODEL_PRESETS[name], train_cfg
