#!/usr/bin/env bash
# The GPU runs issue 7 still needs, in two halves:
#
#   gd-cuda/gpu-runs.sh build   # here (x86-64, cargo): release test and bench
#                               # binaries, stripped, into gd-cuda/.gpu-bin/
#   gd-cuda/gpu-runs.sh run     # on the GPU machine, from the repository root;
#                               # carry gd-cuda/.gpu-bin (git-ignored); no Rust needed there
#
# `run` fails on the first failing test; GD_REQUIRE_GPU=1 makes a missing GPU
# a failure instead of a skip. Its log goes to ${OUT:-.}/gpu-runs.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bins=(no_gpu gpu_kernels gpu_digits gpu_train gpu_optim)
case "${1:-}" in
build)
    mkdir -p gd-cuda/.gpu-bin
    json=$( { cargo test -p gd-cuda --release --no-run --message-format=json-render-diagnostics
              cargo bench -p gd-cuda --no-run --message-format=json-render-diagnostics; } )
    for b in "${bins[@]}"; do
        exe=$(printf '%s\n' "$json" | python3 -c '
import json, sys
name = sys.argv[1]
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == name:
        print(m["executable"])
' "$b" | tail -1)
        [ -n "$exe" ] || { echo "no executable for $b" >&2; exit 1; }
        cp "$exe" "gd-cuda/.gpu-bin/$b" && strip "gd-cuda/.gpu-bin/$b"
    done
    du -sh gd-cuda/.gpu-bin
    ;;
run)
    export GD_REQUIRE_GPU=1
    export LD_LIBRARY_PATH="/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
    log="${OUT:-.}/gpu-runs.log"
    {
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || true
        for t in no_gpu gpu_kernels gpu_digits; do
            echo "== $t"
            "gd-cuda/.gpu-bin/$t" --nocapture --test-threads=1
        done
        echo "== gpu_train (samples/s)"
        "gd-cuda/.gpu-bin/gpu_train" --bench
        echo "== PyTorch, same MLP"
        PYTHONUNBUFFERED=1 python3 gd-cuda/benches/torch_mlp.py
        echo "== gpu_optim (GB/s)"
        "gd-cuda/.gpu-bin/gpu_optim" --bench
    } 2>&1 | tee "$log"
    ;;
*)
    echo "usage: $0 build|run" >&2
    exit 2
    ;;
esac
