#!/usr/bin/env bash
# Issue 17, peers: run gd, JAX, PyTorch and candle on the same cases, in
# rounds (every implementation once per round, the order rotated each
# round), append their TSV rows to one file, and print the README table
# (benches/peers/table.py: medians over the rounds, ratios gd / fastest).
#
#   benches/peers/run.sh [--rounds N] [--quick] [--out FILE] [--only CASE] [--impls LIST]
#
# --impls: the implementations to run, comma-separated, of gd,jax,torch,
# candle (default all four); e.g. `--impls gd,jax` needs neither PyTorch
# nor candle's build.
#
# Optional and outside the README's two set-up commands: needs python3 (a
# venv is made in benches/peers/.venv with `pip install jax optax torch` on
# the first run) and builds the separate candle crate (benches/peers/candle,
# its own workspace and target/). The machine should be idle: check
# `uptime` first; the load average before each command is recorded in the
# output as `#` lines, and table.py reports its range.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ROUNDS=3
ARGS=()
OUT=""
IMPLS="gd,jax,torch,candle"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --quick) ARGS+=(--quick); shift ;;
    --only) ARGS+=(--only "$2"); shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --impls) IMPLS="$2"; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--quick] [--out FILE] [--only CASE] [--impls LIST]" >&2; exit 2 ;;
  esac
done
ALL="$(nproc)"
mkdir -p "$ROOT/target/peers"
OUT="${OUT:-$ROOT/target/peers/peers-$(date -u +%Y%m%dT%H%M%SZ).tsv}"

want() { case ",$IMPLS," in *",$1,"*) true ;; *) false ;; esac; }
PY="$HERE/.venv/bin/python"
PIP=()
want jax && PIP+=(jax optax)
want torch && PIP+=(torch)
if [ ${#PIP[@]} -gt 0 ]; then
  [ -x "$PY" ] || python3 -m venv "$HERE/.venv"
  # Installs only what the venv lacks (a venv made for JAX alone gets torch
  # when torch is asked for).
  "$PY" -c "import $(IFS=,; echo "${PIP[*]}")" 2>/dev/null || "$HERE/.venv/bin/pip" install -q "${PIP[@]}"
fi
CANDLE="$HERE/candle/target/release/gd-peers-candle"

CMDS=()
if want gd; then
  (cd "$ROOT" && cargo bench -q --bench peers --no-run)
  CMDS+=("cd '$ROOT' && cargo bench -q --bench peers -- ${ARGS[*]:-}")
  # The MLPs again with freed memory kept (gd::runtime::heap): rows gd+retain.
  CMDS+=("cd '$ROOT' && cargo bench -q --bench peers -- ${ARGS[*]:-} --retain --only mlp")
fi
if want jax; then
  CMDS+=(
    "cd '$HERE' && '$PY' jax_bench.py --dtype f32 ${ARGS[*]:-}"
    "cd '$HERE' && '$PY' jax_bench.py --dtype f64 ${ARGS[*]:-}"
    "cd '$HERE' && XLA_FLAGS='--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1' taskset -c 0 '$PY' jax_bench.py --dtype f32 ${ARGS[*]:-}"
  )
fi
if want torch; then
  CMDS+=(
    "cd '$HERE' && '$PY' torch_bench.py --dtype f32 --threads 1 ${ARGS[*]:-}"
    "cd '$HERE' && '$PY' torch_bench.py --dtype f32 --threads $ALL ${ARGS[*]:-}"
    "cd '$HERE' && '$PY' torch_bench.py --dtype f64 --threads $ALL ${ARGS[*]:-}"
  )
fi
if want candle; then
  (cd "$HERE/candle" && cargo build -q --release)
  CMDS+=(
    "RAYON_NUM_THREADS=1 '$CANDLE' --dtype f32 ${ARGS[*]:-}"
    "'$CANDLE' --dtype f32 ${ARGS[*]:-}"
    "'$CANDLE' --dtype f64 ${ARGS[*]:-}"
  )
fi
N=${#CMDS[@]}
{
  echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# started: $(date -u +%Y-%m-%dT%H:%M:%SZ), rounds: $ROUNDS, args: ${ARGS[*]:-}"
} | tee -a "$OUT"
for r in $(seq 1 "$ROUNDS"); do
  for k in $(seq 0 $((N - 1))); do
    c="${CMDS[$(((k + r - 1) % N))]}"
    echo "# round $r load $(cut -d' ' -f1 /proc/loadavg) at $(date -u +%H:%M:%S): $c" | tee -a "$OUT"
    bash -c "$c" 2>/dev/null | tee -a "$OUT"
  done
done
echo "# ended: $(date -u +%Y-%m-%dT%H:%M:%SZ)" | tee -a "$OUT"
echo "# results: $OUT"
"$PY" "$HERE/table.py" "$OUT"
