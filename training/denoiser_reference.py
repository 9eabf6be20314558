"""Remake tests/model/data/denoiser_reference.npz for new shipped weights, from the reference denoiser code.

The reference is the denoiser as it was at 5d01aed (every sample's atom-pair bias
built at every call). Check that tree out beside this one, copy the new weights
into it, and run this script from here with its path:

    git worktree add --detach /tmp/ref 5d01aed
    cp src/dynafold/weights/dynafold_small.safetensors /tmp/ref/src/dynafold/weights/
    python training/denoiser_reference.py /tmp/ref tests/model/data/denoiser_reference.npz

The batch, noise draws and float64 outputs are those of tests/model/test_denoiser_reference.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

SIGMAS_A = (0.3, 3.0, 30.0)
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def main(tree: str, out: str) -> None:
    sys.path[:0] = [str(Path(tree) / "src"), str(Path(tree) / "tests" / "model")]
    from conftest import real_item

    from dynafold.data.dataset import collate
    from dynafold.model.checkpoint import default_checkpoint, load_model

    batch = collate([real_item(SHARED / "nmr" / "1l2y.pdb", 3), real_item(SHARED / "nmr" / "1gya.pdb", 5)])
    model = load_model(default_checkpoint())[0].eval().to(torch.float64)
    batch = {k: v.to(torch.float64) if v.is_floating_point() else v for k, v in batch.items()}
    mask = batch["atom_mask"][:, None, :, :14].expand(-1, 2, -1, -1).numpy()
    g = torch.Generator().manual_seed(0)
    outputs = {}
    with torch.no_grad():
        cond = model.condition(batch)
        for sigma in SIGMAS_A:
            x = batch["coords"][:, None].expand(-1, 2, -1, -1, -1).double()
            x = x + sigma * torch.randn(x.shape, generator=g, dtype=torch.float64)
            y = model.denoiser(x, torch.full((2, 2), sigma, dtype=torch.float64), cond)
            outputs[f"sigma_{sigma}"] = y.numpy()[mask]
    tmp = Path(out).with_name(Path(out).stem + ".tmp.npz")
    np.savez(tmp, **outputs)
    tmp.rename(out)
    print(f"{out}: weights {default_checkpoint()}")


if __name__ == "__main__":
    main(*sys.argv[1:])
