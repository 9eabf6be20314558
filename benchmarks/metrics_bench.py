"""Time the K x M lDDT matrix against biotite.structure.lddt on the same input.

Input: 100 + 100 perturbed copies (Gaussian, 0.5 A per coordinate, seed 0) of
the X-ray structure 5ugo (326 residues, 2608 heavy atoms) from ../shared/data.
C-alpha and all heavy atoms. biotite runs on a few reference conformers (one
call per reference conformer against the 100 predicted ones) and is scaled to
100. Peak memory: ru_maxrss of the process (no tracemalloc: it slowed a
two-worker call by 30 %). Wall and CPU (process) time are
printed: the load average shows how much of the 2 cores other work took.
``--threads N`` sets lDDT's workers (threads sharing the pairs).

Run: python benchmarks/metrics_bench.py [--threads 1] [--biotite-refs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import biotite.structure as struc
import numpy as np

from dynafold.io import load
from dynafold.metrics.lddt import lddt_matrix

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _atom_array(ens) -> struc.AtomArray:
    arr = struc.AtomArray(ens.n_atoms)
    arr.chain_id = ens.topology.chain_ids
    arr.res_id = ens.topology.res_ids
    arr.res_name = ens.topology.res_names
    return arr


def run(selection: str, n: int, biotite_refs: int, noise_A: float, workers: int) -> dict:
    ens = load(DATA / "xray" / "5ugo.pdb").protein()
    ens = ens.ca() if selection == "ca" else ens
    rng = np.random.default_rng(0)
    base = ens.coords[0]
    pred = (base + rng.normal(0, noise_A, (n, *base.shape))).astype(np.float32)
    ref = (base + rng.normal(0, noise_A, (n, *base.shape))).astype(np.float32)
    res_idx = ens.topology.residue_index()

    t0, c0 = time.perf_counter(), time.process_time()
    ours = lddt_matrix(pred, ref, res_idx, workers=workers).global_
    t_ours, cpu_ours = time.perf_counter() - t0, time.process_time() - c0
    rss_after_ours = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

    arr = _atom_array(ens)
    t0 = time.perf_counter()
    theirs = []
    for m in range(biotite_refs):
        arr.coord = ref[m]
        theirs.append(struc.lddt(arr, pred))
    t_bio = (time.perf_counter() - t0) * n / biotite_refs
    diff = float(np.abs(np.stack(theirs, 1) - ours[:, :biotite_refs]).max())
    return {"selection": selection, "atoms": ens.n_atoms, "residues": ens.n_residues,
            "ours_s": t_ours, "ours_cpu_s": cpu_ours, "biotite_s_scaled": t_bio, "ratio": t_bio / t_ours,
            "max_rss_after_ours_GiB": rss_after_ours, "max_abs_diff": diff,
            "mean_lddt": float(ours.mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="predicted and reference conformers")
    parser.add_argument("--biotite-refs", type=int, default=2)
    parser.add_argument("--noise", type=float, default=0.5, help="Gaussian noise, Angstrom")
    parser.add_argument("--threads", type=int, default=1,
                        help="lDDT workers (more only pays off on idle cores)")
    args = parser.parse_args()
    print(f"lDDT workers: {args.threads}, load average {os.getloadavg()[0]:.1f}")
    for selection, refs in (("ca", max(args.biotite_refs, 10)), ("heavy", args.biotite_refs)):
        r = run(selection, args.n, refs, args.noise, args.threads)
        print(f"{r['selection']:5s} {r['residues']} res {r['atoms']:5d} atoms  {args.n}x{args.n}: "
              f"ours {r['ours_s']:.2f} s (CPU {r['ours_cpu_s']:.2f} s), biotite {r['biotite_s_scaled']:.1f} s "
              f"(scaled from {refs} refs), ratio {r['ratio']:.0f}x, "
              f"max RSS after ours {r['max_rss_after_ours_GiB']:.2f} GiB, max |diff| {r['max_abs_diff']:.1e}, "
              f"mean lDDT {r['mean_lddt']:.3f}")
    print(f"process max RSS (biotite included) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
