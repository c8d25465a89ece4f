#!/usr/bin/env bash
# Instructions per call of the Rosenbrock primal, hand-written gradient and
# value_and_grad_set, counted by cachegrind (needs valgrind, which the two
# README commands do not): the difference of two runs of different length,
# so that start-up cancels. Usage: benches/instructions.sh [N ...] (default 10 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p gd-examples --example rosenbrock_calls
bin="${CARGO_TARGET_DIR:-target}/release/examples/rosenbrock_calls"
count() { # count VARIANT N REPS
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$bin" "$1" "$2" "$3" 2>&1 >/dev/null |
        awk '/I *refs/ { gsub(",", "", $4); print $4 }'
}
ns=("$@")
[ ${#ns[@]} -gt 0 ] || ns=(10 1000)
for n in "${ns[@]}"; do
    for v in primal hand set; do
        reps=$(( 1000000 / n + 1000 ))
        a=$(count "$v" "$n" "$reps")
        b=$(count "$v" "$n" $(( 2 * reps )))
        echo "n = $n  $v: $(( (b - a) / reps )) instructions per call"
    done
done
