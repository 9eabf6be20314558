#!/usr/bin/env bash
# Reproduce the shipped model: prepare a store from ../shared/data, train the
# `small` preset on 2 CPU cores, holding out one MD system and one NMR ensemble.
# Usage: bash training/shipped_model.sh [STORE_DIR] [RUN_DIR]
set -euo pipefail
D=${DATA:-../shared/data}
STORE=${1:-runs/shipped_store}
RUN=${2:-runs/shipped_small}
dynafold prepare nmr "$D/nmr" --out "$STORE" --quiet
dynafold prepare xray "$D/xray" --out "$STORE" --quiet
dynafold prepare traj "$D/md/mdcath_2hbaA00/2hbaA00_320_0.xtc" --topology "$D/md/mdcath_2hbaA00/2hbaA00.pdb" \
    --method md --out "$STORE" --quiet
dynafold prepare traj "$D/md/atlas_3tvj_I/3tvj_I_10frames.dcd" --topology "$D/md/atlas_3tvj_I/3tvj_I.pdb" \
    --method md --out "$STORE" --quiet
dynafold prepare traj "$D/md/adk_oplsaa/adk_oplsaa.xtc" --topology "$D/md/adk_oplsaa/adk_oplsaa.gro" \
    --method md --out "$STORE" --quiet
OMP_NUM_THREADS=1 dynafold train --data "$STORE" --preset small --out "$RUN" --seed 0 \
    --val-systems 3tvj_I_10frames,1l2y
