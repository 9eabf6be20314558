"""Time `dynafold evaluate` whole-process: this source tree against a git ref, interleaved.

Input: the first 158 residues of the X-ray structure 5ugo (1256 heavy atoms) from
../shared/data, 100 + 100 perturbed copies (Gaussian, 0.5 A per coordinate, seed
0): the prediction as a 100-model PDB, the reference as an XTC trajectory with a
PDB topology. Each round runs ``dynafold evaluate --atoms heavy --ref-frames 100``
once from each tree (alternating which goes first), with PYTHONPATH pointing at
the tree's ``src``; the base ref is checked out in a temporary git worktree.
Wall and CPU time (user + system of the child) are printed with their ratios,
and the lDDT scores of the two trees must be equal.

Run: python benchmarks/evaluate_bench.py --base REF [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def make_input(folder: Path) -> list[str]:
    """Write the prediction and reference files; return the evaluate arguments."""
    from dynafold.io import load, save

    ens = load(DATA / "xray" / "5ugo.pdb").protein()
    ens = ens.select_atoms(ens.topology.residue_index() < 158)
    rng = np.random.default_rng(0)
    base = ens.coords[0]
    pred, ref = ((base + rng.normal(0, 0.5, (100, *base.shape))).astype(np.float32) for _ in range(2))
    save(replace(ens, coords=pred, bfactors=None), folder / "pred.pdb")
    save(replace(ens, coords=ref, bfactors=None), folder / "ref.xtc", folder / "ref.pdb")
    return ["--pred", str(folder / "pred.pdb"), "--ref", str(folder / "ref.xtc"), "--ref-top",
            str(folder / "ref.pdb"), "--atoms", "heavy", "--ref-frames", "100"]


def run_once(src: Path, args: list[str], out_json: Path, threads: int) -> tuple[float, float]:
    """Wall and CPU seconds of one whole `dynafold evaluate` process."""
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": str(threads)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dynafold", "evaluate", *args, "--json", str(out_json)],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git ref of the code to compare against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="OMP_NUM_THREADS of the timed processes")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs, OMP_NUM_THREADS={args.threads}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base_tree = tmp / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base_tree), args.base],
                       check=True, capture_output=True)
        try:
            eval_args = make_input(tmp)
            trees = {"base": base_tree / "src", "new": ROOT / "src"}
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
            for r in range(args.rounds):
                order = list(trees) if r % 2 == 0 else list(trees)[::-1]
                for name in order:
                    wall, cpu = run_once(trees[name], eval_args, tmp / f"{name}.json", args.threads)
                    times[name].append((wall, cpu))
                    print(f"round {r} {name}: wall {wall:.2f} s, CPU {cpu:.2f} s", flush=True)
                scores = [json.loads((tmp / f"{name}.json").read_text())["lddt"] for name in trees]
                if scores[0] != scores[1]:
                    raise SystemExit(f"lDDT scores differ: {scores}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)], check=True)
    for i, what in enumerate(("wall", "CPU")):
        base = np.median([t[i] for t in times["base"]])
        new = np.median([t[i] for t in times["new"]])
        print(f"median {what}: base {base:.2f} s, new {new:.2f} s, base / new {base / new:.2f}")
    print("lDDT scores equal in every round")


if __name__ == "__main__":
    main()
