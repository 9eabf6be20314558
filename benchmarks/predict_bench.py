"""Time `sample_ensemble` with one worker against several, and set it against the machine's floor.

Input: the first 150 residues of the X-ray structure 5ugo from ../shared/data,
the shipped model (or ``--checkpoint``), ``--method md``. Each round runs the
whole sampling (trunk once, ``--samples`` x ``--steps`` denoising, geometry checks)
once with ``workers=1`` and once with ``--workers``, alternating which goes first,
in this process; the ensembles must be equal. The time spent in the geometry
restraints is printed too (it does not depend on the steps). The floor is the FLOPs of one
denoiser call (torch's FLOP counter, matmuls and attention) over the GFLOP/s of
a large one-thread matmul measured here: the sampler's time per denoiser call is
printed as a multiple of it.

Run: python benchmarks/predict_bench.py [--samples 100] [--steps 20] [--workers 2] [--rounds 2] [--heap keep|default]
"""

from __future__ import annotations

import argparse
import os
import time
import timeit
from pathlib import Path

import numpy as np
import torch

from dynafold.cli.heap import keep_freed_memory
from dynafold.const import DEFAULT_BATCH_SAMPLES, SAMPLING_STEPS
from dynafold.io import load
from dynafold.predict.pipeline import sample_ensemble

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def matmul_gflops(n: int = 1024, repeats: int = 5) -> float:
    """Best one-thread float32 GFLOP/s of an n x n matmul."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = min(timeit.repeat(lambda: a @ b, number=1, repeat=repeats))
    return 2 * n**3 / best / 1e9


def denoiser_flops(structure, samples: int, checkpoint: str | None) -> float:
    """FLOPs of one denoiser call on ``samples`` conformers."""
    from torch.utils.flop_counter import FlopCounterMode

    from dynafold.data.dataset import collate
    from dynafold.data.features import featurize
    from dynafold.model.checkpoint import default_checkpoint, load_model

    model, _ = load_model(checkpoint or default_checkpoint())
    batch = collate([featurize(structure, method="md")])
    with torch.no_grad():
        cond = model.denoiser.prepare(model.condition(batch))  # as sampling does, once per input
        x = batch["template_coords"][:, None].expand(-1, samples, -1, -1, -1)
        with FlopCounterMode(display=False) as counter:
            model.denoiser(x, torch.full((1, samples), 2.0), cond)
    return float(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residues", type=int, default=150)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--heap", choices=("default", "keep"), default="keep",
                        help="keep (what the command line does): glibc malloc reuses large freed blocks")
    args = parser.parse_args()
    if args.heap == "keep":
        keep_freed_memory()
    torch.set_num_threads(args.workers)
    structure = load(DATA / "xray" / "5ugo.pdb").protein()
    structure = structure.select_atoms(structure.topology.residue_index() < args.residues)
    times: dict[int, list[float]] = {1: [], args.workers: []}
    relax_s: dict[int, list[float]] = {1: [], args.workers: []}
    coords = {}
    for r in range(args.rounds):
        for workers in (1, args.workers) if r % 2 == 0 else (args.workers, 1):
            pred = sample_ensemble(structure, method="md", n_samples=args.samples, steps=args.steps,
                                   checkpoint=args.checkpoint, workers=workers)
            times[workers].append(pred.timings_s["sampling"])
            relax_s[workers].append(pred.timings_s["relax_in_batches"])
            coords[workers] = pred.ensemble.coords
    def projected(workers: int) -> float:
        """Sampling s of 100 x SAMPLING_STEPS: the denoising scaled by steps and samples, the restraints
        (their summed time shared by the workers) by samples only."""
        best = int(np.argmin(times[workers]))
        relax = relax_s[workers][best] / workers
        return ((times[workers][best] - relax) * SAMPLING_STEPS / args.steps + relax) * 100 / args.samples

    if not np.array_equal(coords[1], coords[args.workers]):
        raise SystemExit("the ensembles of 1 and several workers differ")
    torch.set_num_threads(1)
    gflops = matmul_gflops()
    batch = min(DEFAULT_BATCH_SAMPLES, args.samples)
    calls = -(-args.samples // batch) * args.steps
    floor = denoiser_flops(structure, batch, args.checkpoint) / (gflops * 1e9)
    print(f"{structure.n_residues} residues, {args.samples} conformers x {args.steps} steps, batches of {batch}, "
          f"heap {args.heap}, {time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs")
    print("| workers | sampling s (per round) | per denoiser call s | x floor (one core) |")
    print("|---|---|---|---|")
    for workers, t in times.items():
        best = min(t)
        print(f"| {workers} | {', '.join(f'{x:.1f}' for x in t)} | {best / calls:.3f} | "
              f"{best / calls / floor * workers:.1f} |")
    print(f"1 worker / {args.workers} workers: {min(times[1]) / min(times[args.workers]):.2f}x; "
          f"floor per call {floor * 1e3:.1f} ms ({gflops:.0f} GFLOP/s one-thread matmul); "
          f"projected 100 x {SAMPLING_STEPS} with {args.workers} workers: {projected(args.workers):.0f} s")
    print("geometry restraints (inside the sampling times, summed over batches): "
          + "; ".join(f"{w} workers {', '.join(f'{x:.1f}' for x in t)} s" for w, t in relax_s.items()))


if __name__ == "__main__":
    main()
