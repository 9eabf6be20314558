"""Validation numbers of a checkpoint for the model card.

Reads the validation split (training/validation_split.csv) from a prepared
store. Every multi-conformer validation system (MD, NMR) becomes a benchmark
target; each is sampled once per method (``md``, ``xray``; 100 conformers x
200 steps, in parallel worker processes), written to OUT_DIR/samples and
scored with the ANM/GNM baselines and the reference frames split in halves
through ``dynafold benchmark`` (C-alpha and all-heavy-atom lDDT). Also prints
the geometry checks of the sampled ensembles and the B-factor head's Pearson r
with the deposited C-alpha B-factors of the held-out X-ray structures, beside
the elastic-network and packing baselines.

Usage: python training/evaluate_shipped.py CHECKPOINT STORE OUT_DIR [--samples N] [--steps N] [--workers N]
       [--methods md,xray] [--split CSV] [--seed N]

``--split training/unseen.csv`` with the store of training/unseen.sh scores MD
that is in no part of the corpus, and the B-factor head on an X-ray structure
outside the training set.
"""

from __future__ import annotations

import argparse
import csv
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
METHODS = ("md", "xray")


def split_rows(split: Path) -> list[dict[str, str]]:
    with open(split, newline="") as f:
        return list(csv.DictReader(f))


def add_md_setting_options(parser: argparse.ArgumentParser) -> None:
    """Options that override the md sampler's step scale, ANM share and noise scale (a candidate's own setting)."""
    parser.add_argument("--md-step-scale", type=float, help="step scale of the md sampler (default: the method's)")
    parser.add_argument("--md-enm-noise", type=float,
                        help="share of the md sampler's fresh noise drawn from the ANM (default: the method's)")
    parser.add_argument("--md-noise-scale", type=float, help="scale of the md sampler's fresh noise (default: the method's)")


def md_setting(args: argparse.Namespace, method: str) -> dict[str, float]:
    """The ``sample_ensemble`` keywords of the md overrides given, for ``method`` (none unless md)."""
    if method != "md":
        return {}
    overrides = (("step_scale", args.md_step_scale), ("enm_noise", args.md_enm_noise),
                 ("noise_scale", args.md_noise_scale))
    return {k: v for k, v in overrides if v is not None}


def sample_one(job: tuple[str, str, str, str, int, int, int, dict]) -> str:
    """Sample one (target, method) and write it; returns its geometry table row."""
    import torch

    torch.set_num_threads(1)
    from dynafold.bench.targets import load_input, read_targets
    from dynafold.io import save
    from dynafold.predict import sample_ensemble

    checkpoint, csv_path, name, method, samples, steps, seed, overrides = job
    target = next(t for t in read_targets(csv_path) if t.name == name)
    path = Path(csv_path).parent / "samples" / f"dynafold-{method}" / f"{name}.pdb"
    pred = sample_ensemble(load_input(target), method=method, n_samples=samples, steps=steps, checkpoint=checkpoint,
                           seed=seed, **overrides)
    path.parent.mkdir(parents=True, exist_ok=True)
    save(pred.ensemble, path)
    return (f"| {name} | {method} | {pred.rmsf_A.mean():.2f} | {100 * pred.ca_break_fraction.mean():.2f} | "
            f"{pred.clashes.mean():.2f} | {100 * pred.bond_ok_fraction.mean():.1f} | {int(pred.valid.sum())}/{samples} | "
            f"{pred.relax_shift_A.mean():.2f} | {pred.timings_s['sampling']:.0f} |")


def xray_names(split: Path) -> list[str]:
    """The X-ray systems of a split file (name,kind,reason)."""
    return [r["name"] for r in split_rows(split) if r["kind"] == "xray"]


@dataclass
class XrayStructure:
    """A stored X-ray system read and featurized once, for scoring B-factor heads and baselines."""

    name: str
    feats: dict  # featurize(..., method="xray")
    residue: np.ndarray  # (C,) residue of each C-alpha
    chains: np.ndarray  # (C,) chain of each C-alpha
    xyz: np.ndarray  # (C, 3) C-alpha coordinates, Angstrom
    deposited: np.ndarray  # (C,) deposited C-alpha B-factors


def xray_structures(store: Path, names: list[str]) -> list[XrayStructure]:
    """The named X-ray systems of a store."""
    from dynafold.data.features import featurize
    from dynafold.data.store import load_manifest, read_system

    files = {e["name"]: e["file"] for e in load_manifest(store)["systems"]}
    out = []
    for name in names:
        ens = read_system(store / files[name]).ensemble.protein()
        ca = ens.topology.atom_names == "CA"
        out.append(XrayStructure(name, featurize(ens, method="xray"), ens.topology.residue_index()[ca],
                                 ens.topology.chain_ids[ca], ens.coords[0, ca], ens.bfactors[0, ca]))
    return out


def head_r(model, s: XrayStructure) -> tuple[float, list[float]]:
    """Pearson r of a model's B-factor head with the deposited C-alpha B-factors: whole, and within each chain
    (copies in one crystal can differ in mean B, which no predictor sees)."""
    pred = model.predict_bfactor({k: v[None] for k, v in s.feats.items()})[0].numpy()
    head = pred[s.residue]
    per_chain = [float(np.corrcoef(head[s.chains == c], s.deposited[s.chains == c])[0, 1])
                 for c in dict.fromkeys(s.chains.tolist())]
    return float(np.corrcoef(head, s.deposited)[0, 1]), per_chain


def bfactor_scores(checkpoint: str, store: Path, names: list[str]) -> list[tuple[str, int, list[float], list[float]]]:
    """Pearson r with the deposited C-alpha B-factors of X-ray systems, as (name, residues, [the B-factor
    head, ANM and GNM fluctuations, the inverse weighted contact number of the same structure], [the head
    within each chain])."""
    from dynafold.enm import raw_msf, weighted_contact_number
    from dynafold.model import load_model

    model, _ = load_model(checkpoint)
    scores = []
    for s in xray_structures(store, names):
        head, per_chain = head_r(model, s)
        baselines = (raw_msf(s.xyz, "anm"), raw_msf(s.xyz, "gnm"), 1.0 / weighted_contact_number(s.xyz))
        scores.append((s.name, len(s.residue), [head] + [float(np.corrcoef(p, s.deposited)[0, 1]) for p in baselines],
                       per_chain))
    return scores


def bfactor_rows(checkpoint: str, store: Path, names: list[str]) -> list[str]:
    """Table rows of ``bfactor_scores``: system, residues, head, ANM, GNM, 1 / WCN, head within each chain."""
    rows = []
    for name, n, r, per_chain in bfactor_scores(checkpoint, store, names):
        within = ", ".join(f"{v:.2f}" for v in per_chain) if len(per_chain) > 1 else "-"
        rows.append(f"| {name} | {n} | " + " | ".join(f"{v:.2f}" for v in r) + f" | {within} |")
    return rows


def per_target_rows(per_target: dict, csv_path: Path) -> list[str]:
    """Per target and generator (``per_target`` of the report's results.json): RMSF r, mean RMSF over the
    reference's, diversity (and the reference's)."""
    from dynafold.bench.targets import load_reference, read_targets
    from dynafold.metrics.ensemble import lddt_diversity
    from dynafold.metrics.lddt import lddt_matrix

    rows = []
    for target in read_targets(csv_path):
        ref = load_reference(target).protein().ca()
        ref_div = lddt_diversity(lddt_matrix(ref.coords[:200], ref.coords[:200], ref.topology.residue_index()).global_)
        for label, metrics in per_target.items():
            m = metrics.get(target.name)
            if not m:
                continue
            rmsf = m["rmsf"]
            ratio = np.mean(rmsf["pred_A"]) / np.mean(rmsf["ref_A"])
            rows.append(f"| {target.name} | {label} | {rmsf['pearson']:.2f} | {np.mean(rmsf['pred_A']):.2f} / "
                        f"{np.mean(rmsf['ref_A']):.2f} ({ratio:.2f}x) | {m['lddt']['diversity']:.3f} / {ref_div:.3f} | "
                        f"{m['lddt']['precision']:.3f} |")
    return rows


def width_rows(per_target: dict) -> list[str]:
    """Per generator (``per_target`` of the report's results.json): global RMSF r as measured, with each
    target's mean width set to GNM's, and to the reference's (the pattern kept): how much of the global r
    is lost to the width per target."""
    from dynafold.metrics.correlation import pearson

    gnm = per_target["gnm"]
    rows = []
    for label, metrics in per_target.items():
        names = [name for name in metrics if name in gnm]
        pred = [np.asarray(metrics[n]["rmsf"]["pred_A"]) for n in names]
        ref = [np.asarray(metrics[n]["rmsf"]["ref_A"]) for n in names]
        as_gnm = [p * np.mean(gnm[n]["rmsf"]["pred_A"]) / p.mean() for p, n in zip(pred, names)]
        as_ref = [p * r.mean() / p.mean() for p, r in zip(pred, ref)]
        rs = [pearson(np.concatenate(x), np.concatenate(ref)) for x in (pred, as_gnm, as_ref)]
        rows.append(f"| {label} | " + " | ".join(f"{r:.3f}" for r in rs) + " |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("store", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="seed of the samplers (repeat runs gauge sampling noise)")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated method labels to sample")
    add_md_setting_options(parser)
    parser.add_argument("--split", type=Path, default=HERE / "validation_split.csv",
                        help="systems to score (name,kind,reason), e.g. training/unseen.csv")
    args = parser.parse_args()

    from dynafold.bench import benchmark
    from dynafold.bench.targets import make_targets_from, read_targets

    csv_path = args.out / "targets.csv"
    if not csv_path.exists():
        make_targets_from("store", args.store, csv_path, args.split)
    targets = [t.name for t in read_targets(csv_path)]
    methods = args.methods.split(",")
    jobs = [(args.checkpoint, str(csv_path), name, method, args.samples, args.steps, args.seed,
             md_setting(args, method))
            for name in targets for method in methods]
    with ProcessPoolExecutor(args.workers) as pool:
        geometry_rows = list(pool.map(sample_one, jobs))
    gens = [f"files:{args.out / 'samples' / f'dynafold-{m}'}" for m in methods] + ["anm", "gnm", "md-split"]
    for atoms in ("ca", "heavy"):
        benchmark(csv_path, gens, args.out / f"report_{atoms}", atoms=atoms, samples=args.samples)
        print(f"## {atoms}\n")
        print((args.out / f"report_{atoms}" / "table.md").read_text())
    print("## per target (C-alpha)\n")
    print("| target | generator | RMSF r | mean RMSF pred / ref (A) | diversity pred / ref | precision |")
    print("|---|---|---|---|---|---|")
    per_target = json.loads((args.out / "report_ca" / "results.json").read_text())["per_target"]
    print("\n".join(per_target_rows(per_target, csv_path)))
    print("\n## global RMSF r and the width per target (C-alpha)\n")
    print("| generator | as sampled | each target's mean width set to GNM's | to the reference's |")
    print("|---|---|---|---|")
    print("\n".join(width_rows(per_target)))
    print(f"\n## geometry ({args.samples} samples, {args.steps} steps)\n")
    print("| target | method | mean RMSF (A) | CA breaks > 4.2 A (% links) | clashing pairs / sample | "
          "bonds within 0.2 A of ideal (%) | passing | RMS shift by the restraints (A) | sampling s |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(geometry_rows))
    print("\n## B-factor head on held-out X-ray structures\n")
    print("| system | residues | head | ANM | GNM | 1 / WCN | head within each chain |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(bfactor_rows(args.checkpoint, args.store, xray_names(args.split))))


if __name__ == "__main__":
    main()
