"""Ligand numbers of a checkpoint on a held-out protein-ligand MD system (the model card's ligand table).

The system's first frame, protein and kept ligands, is the input; the
checkpoint samples it (``md``, and ``xray`` for the width order); the samples
and the MD frames are scored with :func:`dynafold.metrics.ligand.ligand_metrics`
against the MD reference: ligand RMSD after superposing the pocket (mean and
spread), ligand RMSF, pocket C-alpha RMSF r and contact persistence. Also the
geometry acceptance of the samples: every ligand bond within 0.1 A of the
input's, and no ligand heavy atom within 2.2 A of a protein heavy atom.

Usage: python training/evaluate_ligands.py CHECKPOINT STORE NAME [--samples N] [--steps N] [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from evaluate_shipped import add_md_setting_options, md_setting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("store", type=Path)
    parser.add_argument("name")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--out", type=Path, help="folder for the sampled ensembles (PDB)")
    add_md_setting_options(parser)
    args = parser.parse_args()

    from dynafold.ensemble import join_atoms
    from dynafold.data.store import load_manifest, read_system
    from dynafold.io import save
    from dynafold.metrics.ligand import ligand_metrics
    from dynafold.predict import sample_ensemble

    files = {e["name"]: e["file"] for e in load_manifest(args.store)["systems"]}
    stored = read_system(args.store / files[args.name])
    if stored.ligands is None:
        raise SystemExit(f"{args.name}: the store keeps no ligand for this system")
    reference = join_atoms(stored.ensemble, stored.ligands)
    rows = []
    for method in ("md", "xray"):
        pred = sample_ensemble(reference.select_frames(slice(0, 1)), method=method, n_samples=args.samples,
                               steps=args.steps, checkpoint=args.checkpoint, seed=0,
                               **md_setting(args, method))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            save(pred.ensemble, args.out / f"{args.name}_{method}.pdb")
        for lig in ligand_metrics(pred.ensemble, reference):
            rows.append((method, lig, pred))
    print(f"## {args.name}: {reference.n_conformers} MD frames, {args.samples} samples x {args.steps} steps\n")
    print("| method | ligand | heavy atoms | RMSD on pocket, sample mean +- sd (A) | MD mean +- sd (A) | "
          "mean ligand RMSF sample / MD (A) | ligand RMSF r | pocket C-alpha RMSF r | contact persistence r | "
          "bonds within 0.1 A | no clash |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for method, lig, pred in rows:
        rmsd, fluct = lig["rmsd_A"], lig["rmsf_A"]
        print(f"| {method} | {lig['ligand']} | {lig['atoms']} | {rmsd['pred']['mean']:.2f} +- {rmsd['pred']['std']:.2f} | "
              f"{rmsd['ref']['mean']:.2f} +- {rmsd['ref']['std']:.2f} | {np.mean(fluct['pred']):.2f} / "
              f"{np.mean(fluct['ref']):.2f} | {fluct['pearson']:.2f} | {lig['pocket_rmsf']['pearson']:.2f} | "
              f"{lig['contacts']['pearson']:.2f} | {int(pred.ligand_bonds_kept.sum())}/{len(pred.ligand_bonds_kept)} | "
              f"{int((pred.ligand_clashes == 0).sum())}/{len(pred.ligand_clashes)} |")
    for method, lig, _ in rows:
        contacts = lig["contacts"]
        print(f"\n{method} contact persistence (sample / MD): " + ", ".join(
            f"{r} {p:.2f}/{q:.2f}" for r, p, q in zip(contacts["residues"], contacts["pred"], contacts["ref"])))


if __name__ == "__main__":
    main()
