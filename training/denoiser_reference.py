"""Remake tests/model/data/denoiser_reference.npz for new shipped weights, from the reference denoiser code.

The reference is the denoiser as it was at 5d01aed (every sample's atom-pair bias
built at every call). Check that tree out beside this one, copy the new weights
into it, and run this script from here with its path:

    git worktree add --detach /tmp/ref 5d01aed
    cp src/dynafold/weights/dynafold_small.safetensors /tmp/ref/src/dynafold/weights/
    python training/denoiser_reference.py /tmp/ref tests/model/data/denoiser_reference.npz

The batch, noise draws and float64 outputs are those of tests/model/test_denoiser_reference.py,
whose own code makes them with the reference tree's package first on the path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"


def main(tree: str, out: str) -> None:
    sys.path[:0] = [str(Path(tree) / "src"), str(HERE.parent / "tests" / "model")]
    from conftest import real_item
    from test_denoiser_reference import _denoised

    from dynafold.data.dataset import collate
    from dynafold.model.checkpoint import default_checkpoint

    batch = collate([real_item(SHARED / "nmr" / "1l2y.pdb", 3), real_item(SHARED / "nmr" / "1gya.pdb", 5)])
    tmp = Path(out).with_name(Path(out).stem + ".tmp.npz")
    np.savez(tmp, **_denoised(batch, torch.float64, prepare=False))
    tmp.rename(out)
    print(f"{out}: weights {default_checkpoint()}")


if __name__ == "__main__":
    main(*sys.argv[1:])
