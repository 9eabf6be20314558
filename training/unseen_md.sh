#!/usr/bin/env bash
# Store of MD systems that are in no part of the training corpus, for training/evaluate_shipped.py --split
# training/unseen_md.csv: the rhodopsin trajectory shipped in the nglview 4.0.1 sdist (MIT licence,
# nglview/datafiles/md_1u19.xtc + md_1u19.gro, 51 frames). The sdist does not build, so pip keeps its
# unpacked source (--no-clean).
# Usage: bash training/unseen_md.sh [WORK_DIR] [STORE_DIR]
set -euo pipefail
WORK=${1:-runs/unseen_downloads}
STORE=${2:-runs/unseen_store}
mkdir -p "$WORK"
if ! ls "$WORK"/pip-download-*/nglview_*/nglview/datafiles/md_1u19.xtc >/dev/null 2>&1; then
    TMPDIR=$(cd "$WORK" && pwd) pip download --no-clean --no-deps --no-binary :all: --no-build-isolation \
        nglview==4.0.1 -d "$WORK" >/dev/null 2>&1 || true
fi
DATA=$(ls -d "$WORK"/pip-download-*/nglview_*/nglview/datafiles | head -1)
dynafold prepare traj "$DATA/md_1u19.xtc" --topology "$DATA/md_1u19.gro" --out "$STORE" --method md --quiet
