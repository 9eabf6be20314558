"""Learning curve of the shipped recipe: train on about a quarter and a half of the training systems.

Subsets are nested (quarter in half in all) and stratified by method (MD, NMR,
X-ray), drawn with a fixed seed from training/training_systems.txt; they are
written to training/subsets/. Each run takes the `small` preset for 2000 steps
(the steps before one-conformer systems join the diffusion terms), so it
equals the full run's own step-2000 checkpoint in everything but its data.

Usage: python training/learning_curve.py STORE RUN_ROOT [--write-only]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from dynafold.data.store import load_manifest

HERE = Path(__file__).resolve().parent
FRACTIONS = {"quarter": 0.25, "half": 0.5}
STEPS = 2000
SEED = 0


def subsets(store: str) -> dict[str, list[str]]:
    """Nested, method-stratified subsets of the training list, {name: systems}."""
    train = (HERE / "training_systems.txt").read_text().split()
    method = {e["name"]: e["method"] for e in load_manifest(Path(store))["systems"]}
    rng = np.random.default_rng(SEED)
    order: dict[str, list[str]] = {}
    for name in train:
        order.setdefault(method[name], []).append(name)
    for names in order.values():
        rng.shuffle(names)
    return {label: sorted(n for names in order.values() for n in names[:int(np.ceil(frac * len(names)))])
            for label, frac in FRACTIONS.items()}


def main(store: str, run_root: str, *flags: str) -> None:
    out = HERE / "subsets"
    out.mkdir(exist_ok=True)
    procs = []
    for label, names in subsets(store).items():
        listing = out / f"{label}.txt"
        listing.write_text("\n".join(names) + "\n")
        print(f"{label}: {len(names)} systems")
        if "--write-only" in flags:
            continue
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "dynafold", "train", "--data", store, "--preset", "small", "--seed", "0",
             "--max-steps", str(STEPS), "--out", str(Path(run_root) / label), "--systems", str(listing),
             "--val-systems", "3tvj_I_10frames,1l2y,pytraj_dpdp"]))
    for p in procs:
        p.wait()


if __name__ == "__main__":
    main(*sys.argv[1:])
