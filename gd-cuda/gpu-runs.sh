#!/usr/bin/env bash
# The GPU runs issues 7, 19 (NCCL, one rank) and 20 still need, in two halves:
#
#   gd-cuda/gpu-runs.sh build   # here (x86-64, cargo): release test and bench
#                               # binaries, stripped, into gd-cuda/.gpu-bin/
#   gd-cuda/gpu-runs.sh run     # on the GPU machine, from the repository root;
#                               # carry gd-cuda/.gpu-bin (git-ignored); no Rust needed there
#
# `run` runs every step, each under a time limit, and fails at the end if any
# step failed; GD_REQUIRE_GPU=1 makes a missing GPU a failure instead of a
# skip. Each step's log goes to ${OUT:-.}/STEP.log.
set -euo pipefail
cd "$(dirname "$0")/.."
bins=(no_gpu gpu_kernels gpu_digits gpu_batch nccl gpu_train gpu_optim)
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
    # Issue 20: the examples of a user's own #[differentiable(cuda)] loss.
    cargo build --release -p gd-examples --features cuda --example cuda_logistic --example cuda_oscillator
    for e in cuda_logistic cuda_oscillator; do
        cp "target/release/examples/$e" "gd-cuda/.gpu-bin/$e" && strip "gd-cuda/.gpu-bin/$e"
    done
    du -sh gd-cuda/.gpu-bin
    ;;
run)
    # Every step runs even when one before it failed (device time is scarce:
    # one call should say everything); the summary at the end lists each
    # step's exit status, and the script fails if any step did.
    set +e
    export GD_REQUIRE_GPU=1
    export LD_LIBRARY_PATH="/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}"
    out="${OUT:-.}"
    summary=()
    step() { # step NAME SECONDS CMD...: run with a time limit, log to $out/NAME.log
        local name=$1 limit=$2; shift 2
        echo "== $name"
        timeout "$limit" "$@" 2>&1 | tee "$out/$name.log"
        local rc=${PIPESTATUS[0]}
        summary+=("$name: exit $rc")
    }
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv
    ls /usr/local/cuda/lib64 2>/dev/null | grep -E '^lib(nvrtc|cublas)\.so' | tr '\n' ' '; echo
    # nccl: one rank over NCCL (libnccl needed, e.g. pip nvidia-nccl-cu12 on
    # LD_LIBRARY_PATH) against the plain GPU loop, bit for bit (issue 19).
    for t in no_gpu gpu_kernels gpu_digits gpu_batch nccl; do
        step "$t" 300 "gd-cuda/.gpu-bin/$t" --nocapture --test-threads=1
    done
    step gpu_optim 200 gd-cuda/.gpu-bin/gpu_optim --bench
    step gpu_train 200 gd-cuda/.gpu-bin/gpu_train --bench
    export PYTHONUNBUFFERED=1
    step torch_mlp 200 python3 gd-cuda/benches/torch_mlp.py
    # Issue 20: each example checks its device gradient against the CPU's
    # within 1e-5 relative (f32) and exits 1 otherwise; it prints samples/s
    # on the GPU and on the CPU's cores, then fits (L-BFGS; Adam on
    # mini-batches for the logistic regression). PyTorch on the same GPU
    # for the logistic regression's value and gradient.
    step cuda_logistic 300 gd-cuda/.gpu-bin/cuda_logistic
    step cuda_oscillator 300 gd-cuda/.gpu-bin/cuda_oscillator
    step torch_logistic 200 python3 gd-cuda/benches/torch_logistic.py
    echo "== summary"
    printf '%s\n' "${summary[@]}" | tee "$out/summary.log"
    ! printf '%s\n' "${summary[@]}" | grep -vq 'exit 0$'
    ;;
*)
    echo "usage: $0 build|run" >&2
    exit 2
    ;;
esac
