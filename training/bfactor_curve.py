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

from evaluate_shipped import HERE, bfactor_scores, split_rows


def xray_names(split: Path) -> list[str]:
    """The X-ray systems of a split file (name,kind,reason)."""
    return [r["name"] for r in split_rows(split) if r["kind"] == "xray"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("store", type=Path)
    parser.add_argument("--every", type=int, default=1000, help="score every N-th step's weights")
    parser.add_argument("--unseen-store", type=Path, help="store of training/unseen.sh")
    args = parser.parse_args()
    stores = [(args.store, xray_names(HERE / "validation_split.csv"))]
    if args.unseen_store is not None:
        stores.append((args.unseen_store, xray_names(HERE / "unseen.csv")))
    names = [n for _, group in stores for n in group]
    print("| training step | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    checkpoints = sorted(args.run.glob("step_*.safetensors"))
    for path in checkpoints:
        step = int(path.stem.split("_")[1])
        if step % args.every:
            continue
        r = [s[2][0] for store, group in stores for s in bfactor_scores(str(path), store, group)]
        print(f"| {step} | " + " | ".join(f"{v:.2f}" for v in r) + " |", flush=True)


if __name__ == "__main__":
    main()
