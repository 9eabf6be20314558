"""Sampler settings against training-split references: how the step scale sets the width of the ensembles.

For each store system and step scale, samples conformers with ``--method md``
(and ``xray`` for the method order) and prints the mean C-alpha RMSF of the
samples over the reference's, the per-residue RMSF Pearson r and the C-alpha
lDDT diversity. Run it on TRAINING systems only: the validation split stays
untouched until the defaults are fixed.

Usage: python training/sampler_sweep.py CHECKPOINT STORE SYSTEM[,SYSTEM...] [--scales 1.0,1.25,1.5]
       [--final-sigmas 0.5,1.0] [--samples 32] [--steps 100]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("store", type=Path)
    parser.add_argument("systems")
    parser.add_argument("--scales", default="1.0,1.25,1.5")
    parser.add_argument("--final-sigmas", default="",
                        help="comma-separated last noise levels of the schedule, Angstrom (default: the sampler's)")
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--methods", default="md,xray")
    args = parser.parse_args()

    from dynafold.data.store import load_manifest, read_system
    from dynafold.metrics.ensemble import lddt_diversity, lddt_precision
    from dynafold.metrics.lddt import lddt_matrix
    from dynafold.metrics.rmsf import residue_rmsf
    from dynafold.predict import sample_ensemble

    files = {e["name"]: e["file"] for e in load_manifest(args.store)["systems"]}
    from dynafold.const import SIGMA_DATA

    finals = [float(f) for f in args.final_sigmas.split(",") if f] or [None]
    print("| system | method | step scale | last sigma (A) | mean RMSF sample / reference | RMSF r | precision | "
          "diversity (ref) | CA breaks (% links) | bonds within 0.2 A (%) | passing |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.systems.split(","):
        ref = read_system(args.store / files[name]).ensemble.protein()
        ref_rmsf = residue_rmsf(ref)
        template = ref.select_frames(slice(0, 1))
        for method in args.methods.split(","):
            for scale in (float(s) for s in args.scales.split(",")):
                for final in finals:
                    pred = sample_ensemble(template, method=method, n_samples=args.samples, steps=args.steps,
                                           step_scale=scale, sigma_min=None if final is None else final / SIGMA_DATA,
                                           seed=0, checkpoint=args.checkpoint)
                    r = float(np.corrcoef(pred.rmsf_A, ref_rmsf)[0, 1])
                    pred_ca, ref_ca = pred.ensemble.ca(), ref.ca()
                    res = ref_ca.topology.residue_index()
                    precision = lddt_precision(lddt_matrix(pred_ca.coords, ref_ca.coords, res).global_)
                    div = [lddt_diversity(lddt_matrix(e.coords, e.coords, res).global_) for e in (pred_ca, ref_ca)]
                    print(f"| {name} | {method} | {scale} | {'default' if final is None else final} | "
                          f"{pred.rmsf_A.mean() / ref_rmsf.mean():.2f} | {r:.2f} | {precision:.3f} | {div[0]:.3f} ({div[1]:.3f}) | "
                          f"{100 * pred.ca_break_fraction.mean():.2f} | {100 * pred.bond_ok_fraction.mean():.1f} | "
                          f"{int(pred.valid.sum())}/{args.samples} |", flush=True)

if __name__ == "__main__":
    main()
