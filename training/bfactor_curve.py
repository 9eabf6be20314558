"""The B-factor head's Pearson r with deposited C-alpha B-factors along one training run.

Scores the EMA weights a run saved every ``--every`` steps (step_NNNNNNN.safetensors) on the
X-ray systems of the validation split and, with ``--unseen-store``, on those of
training/unseen.csv (the store of training/unseen.sh). Shows when the head has learned
what it can and whether it overfits later; a measurement, not a way to pick weights.

Usage: python training/bfactor_curve.py RUN_DIR STORE [--every 1000] [--unseen-store DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluate_shipped import HERE, head_r, xray_names, xray_structures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("store", type=Path)
    parser.add_argument("--every", type=int, default=1000, help="score every N-th step's weights")
    parser.add_argument("--unseen-store", type=Path, help="store of training/unseen.sh")
    args = parser.parse_args()

    from dynafold.model import load_model
    from dynafold.train.state import step_checkpoints

    structures = xray_structures(args.store, xray_names(HERE / "validation_split.csv"))
    if args.unseen_store is not None:
        structures += xray_structures(args.unseen_store, xray_names(HERE / "unseen.csv"))
    print("| training step | " + " | ".join(s.name for s in structures) + " |")
    print("|---:|" + "---:|" * len(structures))
    for step, path in step_checkpoints(args.run).items():
        if step % args.every:
            continue
        model, _ = load_model(path)
        print(f"| {step} | " + " | ".join(f"{head_r(model, s)[0]:.2f}" for s in structures) + " |", flush=True)


if __name__ == "__main__":
    main()
