"""Validation numbers of a checkpoint for the model card.

Samples 100 conformers per held-out system (ATLAS 3tvj_I MD, NMR 1l2y) with
``--method md`` and ``--method xray`` once, writes them to OUT_DIR/samples and
scores them with the ANM/GNM baselines and the MD frames split through
``dynafold benchmark`` (C-alpha and all-heavy-atom lDDT); also prints the
geometry checks of the sampled ensembles (C-alpha breaks, clashes, heavy-atom
bond lengths) and the sampling time.

Usage: python training/evaluate_shipped.py CHECKPOINT OUT_DIR [DATA_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from dynafold.bench import benchmark
from dynafold.bench.targets import make_targets, read_targets, load_input
from dynafold.io import save
from dynafold.predict import geometry, sample_ensemble


def main(checkpoint: str, out: str, data: str = "../shared/data") -> None:
    d, out_dir = Path(data), Path(out)
    csv = out_dir / "targets.csv"
    if not csv.exists():
        make_targets([("3tvj_I", d / "md/atlas_3tvj_I/3tvj_I_10frames.dcd", d / "md/atlas_3tvj_I/3tvj_I.pdb"),
                      ("1l2y", d / "nmr/1l2y.pdb", None)], csv)
    # sample each (target, method) once; the benchmark reads the files back
    geometry_rows = []
    for target in read_targets(csv):
        for method in ("md", "xray"):
            path = out_dir / "samples" / f"dynafold-{method}" / f"{target.name}.pdb"
            pred = sample_ensemble(load_input(target), method=method, n_samples=100, checkpoint=checkpoint)
            path.parent.mkdir(parents=True, exist_ok=True)
            save(pred.ensemble, path)
            ens = pred.ensemble
            breaks = geometry.ca_break_fraction(ens.coords, ens.topology)
            clashes = geometry.clash_counts(ens.coords, ens.topology)
            geometry_rows.append(
                f"| {target.name} | {method} | {pred.rmsf_A.mean():.2f} | {100 * breaks.mean():.2f} | "
                f"{clashes.mean():.2f} | {100 * pred.bond_ok_fraction.mean():.1f} | {int(pred.valid.sum())}/100 | "
                f"{pred.timings_s['sampling']:.0f} |")
    gens = [f"files:{out_dir / 'samples' / 'dynafold-md'}", f"files:{out_dir / 'samples' / 'dynafold-xray'}",
            "anm", "gnm", "md-split"]
    for atoms in ("ca", "heavy"):
        benchmark(csv, gens, out_dir / f"report_{atoms}", atoms=atoms, samples=100)
        print(f"## {atoms}\n")
        print((out_dir / f"report_{atoms}" / "table.md").read_text())
    print("## geometry (100 samples, 200 steps)\n")
    print("| target | method | mean RMSF (A) | CA breaks > 4.2 A (% links) | clashing pairs / sample | "
          "bonds within 0.2 A of ideal (%) | passing | sampling s |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(geometry_rows))


if __name__ == "__main__":
    main(*sys.argv[1:])
