#!/usr/bin/env bash
# The speed checks that need a CUDA GPU, as one script for a borrowed machine (at most 9 minutes).
#
# 1. Here, on the machine with the data and the installed project:
#      bash benchmarks/gpu_checks.sh prepare STORE
#    writes runs/gpu/: the first 150 residues of 5ugo (../shared/data), a copy of the corpus store of
#    training/corpus.py (about 22 MB) and a Python 3.12 x86-64 wheel of the gemmi installed here (`pip download`), which a
#    PyTorch image lacks; predict and train on a prepared store need neither mdtraj nor biotite.
# 2. There, from the repository root, with runs/gpu carried along (PyTorch with CUDA installed):
#      bash benchmarks/gpu_checks.sh run OUT_DIR
#    writes OUT_DIR/gpu_checks.log with, each under its own time limit:
#    - predict on cuda: 150 residues, 100 x 200 (whole process and the sampling time of the summary);
#    - train --preset base for 50 steps on the GPU (bf16-mixed trunk, the denoiser's coordinates in fp32);
#    - a one-GPU DDP start (train --strategy ddp --devices 1, 20 steps);
#    - the shipped recipe (train --preset small) for up to 1,000 steps, for its steps per second.
#    `dynafold evaluate` has no GPU path (its lDDT kernel is numpy), so it is not part of the checks.
# The numbers go to benchmarks/RESULTS.md with the machine and the date.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
GPU=$ROOT/runs/gpu
VAL=3tvj_I_10frames,1l2y,pytraj_dpdp
# Overridable for a smoke run on a CPU (e.g. PYTHON=.venv/bin/python DEVICE=cpu ACCELERATOR=cpu SAMPLES=2 STEPS=2
# BASE_STEPS=1 DDP_STEPS=2 SMALL_STEPS=2 bash benchmarks/gpu_checks.sh run /tmp/smoke)
PYTHON=${PYTHON:-python3} DEVICE=${DEVICE:-cuda} ACCELERATOR=${ACCELERATOR:-gpu}
SAMPLES=${SAMPLES:-100} STEPS=${STEPS:-200} BASE_STEPS=${BASE_STEPS:-50} DDP_STEPS=${DDP_STEPS:-20} SMALL_STEPS=${SMALL_STEPS:-1000}

prepare() {
    local store=$1
    mkdir -p "$GPU/wheels"
    "$PYTHON" - <<EOF
from dynafold.io import load, save
s = load("$ROOT/../shared/data/xray/5ugo.pdb").protein()
save(s.select_atoms(s.topology.residue_index() < 150), "$GPU/5ugo_150.pdb")
EOF
    rm -rf "$GPU/store" && cp -r "$store" "$GPU/store"
    "$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d "$GPU/wheels" "gemmi==$("$PYTHON" -c 'import importlib.metadata as m; print(m.version("gemmi"))')"
    du -sh "$GPU"
}

step() {  # step NAME LIMIT_S COMMAND...: run one check under a time limit, log its wall time and status
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    echo "== $name (limit $limit s)"
    timeout -k 15 "$limit" "$@" 2>&1 | tail -n 25
    echo "== $name: exit ${PIPESTATUS[0]}, $((SECONDS - t0)) s wall"
}

run() {
    local out=$1
    mkdir -p "$out"
    exec > >(tee "$out/gpu_checks.log") 2>&1
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$GPU"/wheels/*.whl
    export PYTHONPATH=$ROOT/src:/tmp/site PYTHONUNBUFFERED=1
    date -u; nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
    "$PYTHON" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
    local dyn=("$PYTHON" -m dynafold)
    local train=("${dyn[@]}" train --data "$GPU/store" --systems "$ROOT/training/training_systems.txt" --accelerator "$ACCELERATOR")
    step "predict $DEVICE, 150 residues, $SAMPLES x $STEPS" 150 \
        "${dyn[@]}" predict "$GPU/5ugo_150.pdb" --method md --samples "$SAMPLES" --steps "$STEPS" --device "$DEVICE" --out "$out/predict"
    "$PYTHON" -c "import json, sys; print('sampling timings (s):', json.load(open(sys.argv[1]))['timings_s'])" \
        "$out/predict/5ugo_150_summary.json"
    step "train --preset base, $BASE_STEPS steps" 120 \
        "${train[@]}" --preset base --max-steps "$BASE_STEPS" --val-systems "" --out "$out/train_base"
    step "train one-GPU DDP start, $DDP_STEPS steps" 90 \
        "${train[@]}" --preset small --max-steps "$DDP_STEPS" --strategy ddp --devices 1 --val-systems "" --out "$out/train_ddp"
    step "train the shipped recipe, $SMALL_STEPS steps" 150 \
        "${train[@]}" --preset small --max-steps "$SMALL_STEPS" --val-systems "$VAL" --out "$out/train_small"
}

case "${1:-}" in
    prepare) prepare "${2:?usage: gpu_checks.sh prepare STORE}" ;;
    run) run "${2:?usage: gpu_checks.sh run OUT_DIR}" ;;
    *) echo "usage: bash benchmarks/gpu_checks.sh prepare STORE | run OUT_DIR" >&2; exit 2 ;;
esac
