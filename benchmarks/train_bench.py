"""Training and sampling speed of dynafold on this machine.

Builds a store from the real data in ../shared/data (NMR, X-ray, and the MD
trajectories), trains the ``small`` preset for a few steps and reports steps/s
and peak memory, then times sampling of 100 conformers x 200 steps for a
150-residue protein (adenylate kinase, first 150 residues) with the small
model. Run:  OMP_NUM_THREADS=2 python benchmarks/train_bench.py [--steps 30]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from dynafold.data.dataset import collate, crop_item
from dynafold.data.features import featurize
from dynafold.data.prepare import prepare_store
from dynafold.data.sources import SourceOptions
from dynafold.io import load
from dynafold.model import DynafoldModel
from dynafold.model.config import MODEL_PRESETS
from dynafold.train.run import train

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def build_store(store: Path) -> Path:
    """All real sources of ../shared/data in one store (skips systems already there)."""
    prepare_store("nmr", [DATA / "nmr"], store)
    prepare_store("xray", [DATA / "xray"], store)
    md = DATA / "md"
    for traj, top in ((md / "mdcath_2hbaA00" / "2hbaA00_320_0.xtc", md / "mdcath_2hbaA00" / "2hbaA00.pdb"),
                      (md / "atlas_3tvj_I" / "3tvj_I_10frames.dcd", md / "atlas_3tvj_I" / "3tvj_I.pdb"),
                      (md / "adk_oplsaa" / "adk_oplsaa.xtc", md / "adk_oplsaa" / "adk_oplsaa.gro")):
        prepare_store("traj", [traj], store, SourceOptions(method="md", topology=str(top)))
    return store


def bench_training(store: Path, steps: int) -> dict:
    with tempfile.TemporaryDirectory() as run:
        t0 = time.perf_counter()
        train(store, "small", run, max_steps=steps, accelerator="cpu", seed=0, log_every=1, val_every=0,
              checkpoint_every=steps)
        wall = time.perf_counter() - t0
        log = [json.loads(line) for line in (Path(run) / "metrics.jsonl").read_text().splitlines()]
    # steady state: skip the first 3 steps (allocation, first data reads)
    t = [r["elapsed_s"] for r in log]
    rate = (len(t) - 4) / (t[-1] - t[3])
    return {"steps": steps, "steps_per_s": rate, "s_per_step": 1 / rate, "wall_s": wall,
            "peak_rss_GiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def bench_sampling(n_samples: int, steps: int, n_res: int) -> dict:
    adk = DATA / "md" / "adk_oplsaa"
    ens = load(adk / "adk_oplsaa.xtc", adk / "adk_oplsaa.gro", stop=1)
    r = ens.n_residues
    targets = {"bfactor_A2": np.zeros(r), "bfactor_mask": np.zeros(r, bool),
               "rmsf_A": np.zeros(r), "rmsf_mask": np.zeros(r, bool)}
    item = crop_item(featurize(ens, method="md", residue_targets=targets), torch.arange(n_res))
    batch = collate([item])
    torch.manual_seed(0)
    model = DynafoldModel(MODEL_PRESETS["small"]).eval()
    t0 = time.perf_counter()
    coords = model.sample(batch, n_samples, steps=steps, generator=torch.Generator().manual_seed(0))
    wall = time.perf_counter() - t0
    assert torch.isfinite(coords).all()
    return {"n_samples": n_samples, "steps": steps, "n_residues": n_res, "wall_s": wall,
            "peak_rss_GiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "dynafold_bench_store")
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--sample-steps", type=int, default=200)
    ap.add_argument("--skip-training", action="store_true")
    args = ap.parse_args()
    print(f"torch threads: {torch.get_num_threads()}")
    results = {}
    if not args.skip_training:
        results["training_small"] = bench_training(build_store(args.store), args.steps)
        print(json.dumps(results["training_small"], indent=1))
    results["sampling_small"] = bench_sampling(args.samples, args.sample_steps, 150)
    print(json.dumps(results["sampling_small"], indent=1))


if __name__ == "__main__":
    main()
