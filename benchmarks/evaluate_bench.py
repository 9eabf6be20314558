"""Time `dynafold evaluate` whole-process: this source tree against a git ref, interleaved.

Input: the first 158 residues of the X-ray structure 5ugo (1256 heavy atoms) from
../shared/data, 100 + 100 perturbed copies (Gaussian, 0.5 A per coordinate, seed
0): the prediction as a 100-model PDB, the reference as an XTC trajectory with a
PDB topology. Each round runs ``dynafold evaluate --atoms heavy --ref-frames 100``
once from each tree (alternating which goes first), with PYTHONPATH pointing at
the tree's ``src``; the base ref is checked out in a temporary git worktree.
Wall and CPU time (user + system of the child) are printed with their ratios,
and the JSON files the two trees write must agree: lDDT and RMSF exactly, the
pairwise RMSD statistics to 1e-9 A (they may be computed in another order). Then two processes
of each tree, alternating, time their phases (imports, loading, lDDT ...) the way the
command runs them.

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


def check_same(base: dict, new: dict) -> None:
    """Stop unless the two trees' scores agree: all exactly but the pairwise RMSD statistics (to 1e-9 A)."""
    rmsd = [result.pop("pairwise_rmsd_A") for result in (base, new)]
    if base != new:
        raise SystemExit(f"the JSON files differ; lDDT scores {base['lddt']} and {new['lddt']}")
    for which in ("pred", "ref"):
        for key, value in rmsd[0][which].items():
            if abs(value - rmsd[1][which][key]) > 1e-9:
                raise SystemExit(f"pairwise RMSD {which} {key}: {value} and {rmsd[1][which][key]}")


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


PHASES = """
import time
t0, w0 = time.process_time(), time.perf_counter()
def mark(name):
    global t0, w0
    t, w = time.process_time(), time.perf_counter()
    print(f"{name:24s} wall {w - w0:6.2f} s  CPU {t - t0:6.2f} s", flush=True)
    t0, w0 = t, w
import sys
from pathlib import Path
import numpy as np
import click, rich.console, rich.table
from dynafold.cli.inputs import load_protein
from dynafold.metrics import evaluate as E
from dynafold.metrics.ligand import ligand_metrics
mark("imports")
pred = load_protein(Path(sys.argv[1]), None, "--pred-top")
mark("load prediction (PDB)")
ref = load_protein(Path(sys.argv[2]), Path(sys.argv[3]), "--ref-top")
mark("load reference (XTC)")
pm, rm, _ = E.match_ensembles(pred, ref)
frames = E.subsample_frames(rm.n_conformers, 100, 0)
rm = rm.select_frames(frames)
E.residue_rmsf(pm), E.residue_rmsf(rm)
mark("match, RMSF")
E.lddt_matrix(pm.coords, rm.coords, rm.topology.residue_index())
mark("lDDT pred x ref")
E.lddt_matrix(pm.coords, pm.coords, rm.topology.residue_index())
mark("lDDT pred x pred")
E.pairwise_rmsd_stats(pm.ca().coords), E.pairwise_rmsd_stats(rm.ca().coords)
ligand_metrics(pred, ref.select_frames(frames))
mark("pairwise RMSD, ligands")
"""


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
                check_same(*(json.loads((tmp / f"{name}.json").read_text()) for name in trees))
            for name in ("base", "new", "base", "new"):
                print(f"phases of one process of the {name} tree (OMP_NUM_THREADS={args.threads}):", flush=True)
                subprocess.run([sys.executable, "-c", PHASES, eval_args[1], eval_args[3], eval_args[5]], check=True,
                               env={**os.environ, "PYTHONPATH": str(trees[name]), "OMP_NUM_THREADS": str(args.threads)})
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base_tree)], check=True)
    for i, what in enumerate(("wall", "CPU")):
        base = np.median([t[i] for t in times["base"]])
        new = np.median([t[i] for t in times["new"]])
        print(f"median {what}: base {base:.2f} s, new {new:.2f} s, base / new {base / new:.2f}")
    print("JSON files equal in every round (lDDT and RMSF exactly, pairwise RMSD to 1e-9 A)")


if __name__ == "__main__":
    main()
