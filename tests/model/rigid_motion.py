"""Random rigid motions for invariance tests."""

from __future__ import annotations

import torch


def random_rigid(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random rotation matrix (3, 3) and translation (3,), float32."""
    from scipy.spatial.transform import Rotation

    rot = torch.tensor(Rotation.random(random_state=seed).as_matrix(), dtype=torch.float32)
    return rot, torch.tensor([12.0, -30.0, 7.5]) * (seed + 1)


def transform(x: torch.Tensor, rot: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """Apply x -> rot @ x + shift to (..., 3) coordinates."""
    return x @ rot.T + shift
