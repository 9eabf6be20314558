"""Sampler settings against references outside the validation split: how they set the width of the ensembles.

For each store system and setting (step scale, last noise level, share of the
fresh noise drawn from the input's ANM, last noise level with fresh noise, noise scale),
samples conformers with ``--method md`` (and ``xray`` for the method order)
and prints the mean C-alpha RMSF of the samples over the reference's, the
per-residue RMSF Pearson r, the C-alpha lDDT precision and diversity and the
geometry; then, per setting over all systems, the lowest precision, the
fewest samples passing the geometry check, the mean |log2| of the RMSF ratio
and the mean r. Run it on systems outside the validation split (training
systems): the validation split stays untouched until the defaults are fixed.

Usage: python training/sampler_sweep.py CHECKPOINT STORE SYSTEM[,SYSTEM...] [--scales 1.0,1.25,1.5]
       [--final-sigmas 0.5,1.0] [--enm-noises 0,0.1] [--gamma-mins 1.0,0.1] [--noise-scales 1.003,1.05]
       [--samples 32] [--steps 100]
"""

from __future__ import annotations

import argparse
import itertools
from collections import defaultdict
from pathlib import Path

import numpy as np


def _floats(text: str) -> list[float | None]:
    """Comma-separated floats; empty: [None] (the sampler's default)."""
    return [float(f) for f in text.split(",") if f] or [None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("store", type=Path)
    parser.add_argument("systems")
    parser.add_argument("--scales", default="", help="comma-separated step scales (default: the method's)")
    parser.add_argument("--final-sigmas", default="",
                        help="comma-separated last noise levels of the schedule, Angstrom (default: the sampler's)")
    parser.add_argument("--enm-noises", default="",
                        help="comma-separated shares of the fresh noise drawn from the ANM (default: the method's)")
    parser.add_argument("--gamma-mins", default="",
                        help="comma-separated last noise levels with fresh noise, Angstrom (default: the method's)")
    parser.add_argument("--noise-scales", default="",
                        help="comma-separated scales of the fresh noise (default: the sampler's)")
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--methods", default="md,xray")
    args = parser.parse_args()

    from dynafold.const import SIGMA_DATA
    from dynafold.data.store import load_manifest, read_system
    from dynafold.metrics.ensemble import lddt_diversity, lddt_precision
    from dynafold.metrics.lddt import lddt_matrix
    from dynafold.metrics.rmsf import residue_rmsf
    from dynafold.predict import sample_ensemble

    files = {e["name"]: e["file"] for e in load_manifest(args.store)["systems"]}
    settings = list(itertools.product(_floats(args.scales), _floats(args.final_sigmas), _floats(args.enm_noises),
                                      _floats(args.gamma_mins), _floats(args.noise_scales)))
    totals: dict[tuple, list[tuple[float, float, float, int]]] = defaultdict(list)
    print("| system | method | step scale | last sigma (A) | ANM share | churn to (A) | "
          "noise scale | mean RMSF sample / reference | RMSF r | precision | diversity (ref) | "
          "CA breaks (% links) | bonds within 0.2 A (%) | passing |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in args.systems.split(","):
        ref = read_system(args.store / files[name]).ensemble.protein()
        ref_rmsf = residue_rmsf(ref)
        template = ref.select_frames(slice(0, 1))
        for method in args.methods.split(","):
            for scale, final, enm, gamma_min, noise in settings:
                pred = sample_ensemble(template, method=method, n_samples=args.samples, steps=args.steps,
                                       step_scale=scale, sigma_min=None if final is None else final / SIGMA_DATA,
                                       enm_noise=enm, gamma_min=gamma_min, noise_scale=noise, seed=0,
                                       checkpoint=args.checkpoint)
                ratio = float(pred.rmsf_A.mean() / ref_rmsf.mean())
                r = float(np.corrcoef(pred.rmsf_A, ref_rmsf)[0, 1])
                pred_ca, ref_ca = pred.ensemble.ca(), ref.ca()
                res = ref_ca.topology.residue_index()
                precision = lddt_precision(lddt_matrix(pred_ca.coords, ref_ca.coords, res).global_)
                div = [lddt_diversity(lddt_matrix(e.coords, e.coords, res).global_) for e in (pred_ca, ref_ca)]
                if method == "md":
                    totals[scale, final, enm, gamma_min, noise].append((ratio, r, precision, int(pred.valid.sum())))
                shown = ["default" if v is None else v for v in (scale, final, enm, gamma_min, noise)]
                print(f"| {name} | {method} | {' | '.join(map(str, shown))} | {ratio:.2f} | {r:.2f} | "
                      f"{precision:.3f} | {div[0]:.3f} ({div[1]:.3f}) | {100 * pred.ca_break_fraction.mean():.2f} | "
                      f"{100 * pred.bond_ok_fraction.mean():.1f} | {int(pred.valid.sum())}/{args.samples} |",
                      flush=True)
    print("\n| step scale | last sigma (A) | ANM share | churn to (A) | noise scale | lowest precision | "
          "fewest passing | mean abs log2 RMSF ratio | mean RMSF r |")
    print("|---|---|---|---|---|---|---|---|---|")
    for setting, rows in totals.items():
        ratio, r, precision, passing = (np.array(c) for c in zip(*rows))
        shown = ["default" if v is None else v for v in setting]
        print(f"| {' | '.join(map(str, shown))} | {precision.min():.3f} | {passing.min()}/{args.samples} | "
              f"{np.abs(np.log2(ratio)).mean():.2f} | {r.mean():.3f} |")


if __name__ == "__main__":
    main()
