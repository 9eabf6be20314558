"""Validation numbers of a checkpoint for the model card.

Scores dynafold-md and dynafold-xray (100 samples each), the ANM/GNM baselines
and the MD frames split on the held-out systems (ATLAS 3tvj_I MD, NMR 1l2y),
with C-alpha and all-heavy-atom lDDT, through ``dynafold benchmark``; also
prints the geometry checks of the sampled ensembles (C-alpha breaks, clashes,
heavy-atom bond lengths).

Usage: python training/evaluate_shipped.py CHECKPOINT OUT_DIR [DATA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from dynafold.bench import benchmark
from dynafold.bench.targets import make_targets, read_targets, load_input
from dynafold.predict import geometry, sample_ensemble


def main(checkpoint: str, out: str, data: str = "../shared/data") -> None:
    d, out_dir = Path(data), Path(out)
    csv = out_dir / "targets.csv"
    if not csv.exists():
        make_targets([("3tvj_I", d / "md/atlas_3tvj_I/3tvj_I_10frames.dcd", d / "md/atlas_3tvj_I/3tvj_I.pdb"),
                      ("1l2y", d / "nmr/1l2y.pdb", None)], csv)
    gens = [f"dynafold-md:{checkpoint}", f"dynafold-xray:{checkpoint}", "anm", "gnm", "md-split"]
    for atoms in ("ca", "heavy"):
        benchmark(csv, gens, out_dir / f"report_{atoms}", atoms=atoms, samples=100)
        print(f"## {atoms}\n")
        print((out_dir / f"report_{atoms}" / "table.md").read_text())
    print("## geometry (100 samples, 200 steps)\n")
    print("| target | method | mean RMSF (A) | CA breaks > 4.2 A (% links) | clashing pairs / sample | "
          "bonds within 0.2 A of ideal (%) | passing |")
    print("|---|---|---|---|---|---|---|")
    for target in read_targets(csv):
        for method in ("md", "xray"):
            pred = sample_ensemble(load_input(target), method=method, n_samples=100, checkpoint=checkpoint)
            ens = pred.ensemble
            breaks = geometry.ca_break_fraction(ens.coords, ens.topology)
            clashes = geometry.clash_counts(ens.coords, ens.topology)
            print(f"| {target.name} | {method} | {pred.rmsf_A.mean():.2f} | {100 * breaks.mean():.2f} | "
                  f"{clashes.mean():.2f} | {100 * pred.bond_ok_fraction.mean():.1f} | {int(pred.valid.sum())}/100 |")


if __name__ == "__main__":
    main(*sys.argv[1:])
