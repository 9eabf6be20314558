"""Refit the ANM/GNM baseline scales (src/dynafold/bench/enm_scales.json) on equilibrium MD of the training split.

The systems are the MD entries of training/training_systems.txt listed in
EQUILIBRIUM_MD (no validation system, no biased or non-equilibrium run such as
the AdK DIMS transition). Each becomes a benchmark target read from the store.

Usage: python training/fit_enm_scales.py STORE [WORK_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EQUILIBRIUM_MD = ("2hbaA00_320_0", "mda_cobrotoxin", "mda_yiip", "mdciao_gs_b2ar", "prolif_gpcr")


def main(store: str, work: str | None = None) -> None:
    from dynafold.bench.enm import fit_scales
    from dynafold.bench.targets import make_targets_from

    training = set((HERE / "training_systems.txt").read_text().split())
    missing = sorted(set(EQUILIBRIUM_MD) - training)
    if missing:
        raise SystemExit(f"not in the training list: {', '.join(missing)}")
    folder = Path(work or tempfile.mkdtemp(prefix="enm_scales_"))
    folder.mkdir(parents=True, exist_ok=True)
    split = folder / "systems.csv"
    split.write_text("name\n" + "\n".join(EQUILIBRIUM_MD) + "\n")
    csv = folder / "targets.csv"
    make_targets_from("store", store, csv, split)
    print(fit_scales(csv))


if __name__ == "__main__":
    main(*sys.argv[1:])
