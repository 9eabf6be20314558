"""Time `sample_ensemble` with all heavy atoms against a backbone-only model of the same size.

Input: the first 150 residues of the X-ray structure 5ugo from ../shared/data.
Both models have the same architecture; the all-heavy-atom one is the
shipped model (14 atom slots) or ``--checkpoint``, the backbone-only one places N, CA, C, O
(4 slots) with untrained weights: sampling time does not depend on the
weight values. Both run in the same process, one after the other, through
the whole predict pipeline (trunk, sampler, geometry checks).

Run: python benchmarks/sampling_bench.py [--samples 100] [--steps 200] [--threads 1] [--checkpoint CKPT]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import torch

from dynafold.io import load
from dynafold.model import DynafoldModel, load_model
from dynafold.model.checkpoint import default_checkpoint, save_checkpoint
from dynafold.predict.pipeline import sample_ensemble

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residues", type=int, default=150)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--checkpoint", type=Path, default=None, help="all-heavy-atom model (default: shipped)")
    args = parser.parse_args()
    heavy = args.checkpoint or default_checkpoint()
    torch.set_num_threads(args.threads)
    structure = load(DATA / "xray" / "5ugo.pdb").protein()
    structure = structure.select_atoms(structure.topology.residue_index() < args.residues)
    _, cfg = load_model(heavy)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        backbone = Path(tmp) / "backbone_only.safetensors"
        save_checkpoint(backbone, DynafoldModel(dataclasses.replace(cfg, atom_slots=4)))
        for label, ckpt, slots in (("all heavy atoms", heavy, cfg.atom_slots),
                                   ("backbone only (N, CA, C, O)", backbone, 4)):
            t0 = time.perf_counter()
            pred = sample_ensemble(structure, method="md", n_samples=args.samples, steps=args.steps,
                                   checkpoint=ckpt)
            rows.append((label, slots, pred.ensemble.n_atoms, time.perf_counter() - t0))
    print(f"{structure.n_residues} residues, {args.samples} conformers x {args.steps} steps, "
          f"{args.threads} thread(s)")
    print("| model | atom slots | atoms written | wall s | ratio |")
    print("|---|---|---|---|---|")
    for label, slots, atoms, wall in rows:
        print(f"| {label} | {slots} | {atoms} | {wall:.1f} | {wall / rows[-1][3]:.2f} |")


if __name__ == "__main__":
    main()
