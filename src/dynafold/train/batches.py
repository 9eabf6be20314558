"""Training batches as a pure function of (seed, step, rank): replayable after a resume."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import IterableDataset

from dynafold.data.dataset import EnsembleDataset, collate


def step_rng(seed: int, step: int, rank: int) -> np.random.Generator:
    """The generator of every random choice of training step ``step`` on process ``rank``."""
    return np.random.default_rng([seed, step, rank])


def system_probabilities(dataset: EnsembleDataset, ensemble_weight: float) -> np.ndarray | None:
    """Probability of drawing each system: ensembles (K > 1) weigh ``ensemble_weight``,
    one-conformer systems 1; None (uniform) when the weight is 1."""
    if ensemble_weight == 1.0:
        return None
    w = np.array([ensemble_weight if e["n_conformers"] > 1 else 1.0 for e in dataset.entries])
    return w / w.sum()


def step_batch(dataset: EnsembleDataset, batch_size: int, seed: int, step: int, rank: int,
               probabilities: np.ndarray | None = None) -> dict[str, torch.Tensor]:
    """Batch of step ``step``: items, conformers and crops drawn from :func:`step_rng`.

    Systems are drawn uniformly, or with ``probabilities`` (see :func:`system_probabilities`).
    Adds "noise_seed" (0-d long), the seed of the step's diffusion noise generator.
    """
    rng = step_rng(seed, step, rank)
    if probabilities is None:
        chosen = rng.integers(len(dataset), size=batch_size)
    else:
        chosen = rng.choice(len(dataset), size=batch_size, p=probabilities)
    items = [dataset.get(int(i), rng) for i in chosen]
    batch = collate(items)
    batch["noise_seed"] = torch.tensor(int(rng.integers(2**62)), dtype=torch.long)
    batch["step"] = torch.tensor(step, dtype=torch.long)
    return batch


class StepBatches(IterableDataset):
    """Yields the batches of steps ``start .. stop - 1`` for one process."""

    def __init__(self, dataset: EnsembleDataset, batch_size: int, seed: int, start: int, stop: int,
                 rank: int = 0, probabilities: np.ndarray | None = None) -> None:
        super().__init__()
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.probabilities = probabilities
        self.start, self.stop, self.rank = start, stop, rank

    def __len__(self) -> int:
        return max(self.stop - self.start, 0)

    def __iter__(self):
        for step in range(self.start, self.stop):
            yield step_batch(self.dataset, self.batch_size, self.seed, step, self.rank, self.probabilities)
