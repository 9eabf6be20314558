"""Time one denoiser call of this tree against the same call at a git ref (e.g. before a speed change).

The denoiser call is the unit of sampling cost (predict makes steps x batches of
them). Input: the first 150 residues of the X-ray structure 5ugo from
../shared/data (1,192 heavy atoms in 2,100 atom-14 slots), 20 noisy copies at
sigma 2 A, a `small` model with random weights (the time does not depend on the
weights). Each round times the call in a fresh process from each tree, alternating
which goes first, PYTHONPATH pointing at the tree's ``src``; the base ref is
checked out in a temporary git worktree. Prints the median per-call seconds and
the base/new ratio, and the CPU seconds of each process.

Run: python benchmarks/denoiser_bench.py --base REF [--rounds 3] [--residues 150] [--samples 20]
     [--heap default|keep]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

CHILD = r"""
import ctypes, sys, time, torch
if sys.argv[4] == "keep":  # what dynafold.cli.heap does, here for either tree
    libc = ctypes.CDLL(None)
    libc.mallopt(-4, 0)
    libc.mallopt(-1, 1 << 30)
torch.set_num_threads(1)
from dynafold.io import load
from dynafold.data.features import featurize
from dynafold.data.dataset import collate
from dynafold.model.config import MODEL_PRESETS
from dynafold.model.dynafold import DynafoldModel
residues, samples = int(sys.argv[1]), int(sys.argv[2])
ens = load(sys.argv[3]).protein()
ens = ens.select_atoms(ens.topology.residue_index() < residues)
batch = collate([featurize(ens)])
torch.manual_seed(0)
model = DynafoldModel(MODEL_PRESETS["small"]).eval()
g = torch.Generator().manual_seed(0)
with torch.no_grad():
    cond = model.condition(batch)
    if hasattr(model.denoiser, "prepare"):  # trees that prepare the template-only terms once per input
        cond = model.denoiser.prepare(cond)
    x = batch["coords"][:, None].expand(-1, samples, -1, -1, -1)
    x = x + 2.0 * torch.randn(x.shape, generator=g)
    sigma = torch.full((1, samples), 2.0)
    model.denoiser(x, sigma, cond)  # warm-up
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        model.denoiser(x, sigma, cond)
        times.append(time.perf_counter() - t0)
print(sorted(times)[len(times) // 2])
"""


def run_once(src: Path, residues: int, samples: int, heap: str) -> tuple[float, float]:
    """Median seconds of one denoiser call, and the CPU seconds of the whole child process."""
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-c", CHILD, str(residues), str(samples), str(DATA / "xray" / "5ugo.pdb"), heap],
                         env=env, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return float(out.split()[-1]), (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git ref to compare against, e.g. 0f9ab61 (atom-14 slots)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--residues", type=int, default=150)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--heap", choices=("default", "keep"), default="default",
                        help="keep: glibc malloc serves large blocks from the heap and never trims it "
                             "(dynafold.cli.heap, what the command line does)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.base],
                       check=True, capture_output=True)
        try:
            rows = {"base": [], "new": []}
            for r in range(args.rounds):
                order = [("base", base / "src"), ("new", ROOT / "src")]
                for label, src in order if r % 2 == 0 else order[::-1]:
                    rows[label].append(run_once(src, args.residues, args.samples, args.heap))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=True)
    med = {k: sorted(t for t, _ in v)[len(v) // 2] for k, v in rows.items()}
    print(f"{args.residues} residues, {args.samples} samples per call, 1 thread, heap {args.heap}, {args.rounds} rounds, "
          f"{time.strftime('%Y-%m-%d')}")
    print("| tree | denoiser call s (median) | per round | child CPU s |")
    print("|---|---|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {med[k]:.3f} | {', '.join(f'{t:.3f}' for t, _ in v)} | "
              f"{', '.join(f'{c:.1f}' for _, c in v)} |")
    print(f"base / new: {med['base'] / med['new']:.2f}x")


if __name__ == "__main__":
    main()
