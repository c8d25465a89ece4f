#!/usr/bin/env bash
# Instructions per call of every shape of the benchmark zoo (primal, hand,
# value_and_grad_set), counted by cachegrind (needs valgrind, which the
# README commands do not): the difference of two runs of REPS and 2 REPS
# calls, so that start-up and setup cancel. Prints per call, per element and
# set / hand, and writes the counts to target/shapes_instructions.tsv for
# `benches/shapes_ratios.py --instructions`.
# Usage: benches/shapes_instructions.sh [N ...] (default 1000 100000);
# SHAPES="huber rnn" to count some shapes only.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p gd-examples --example shapes_calls
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/examples/shapes_calls"
tsv="$target/shapes_instructions.tsv"
count() { # count SHAPE VARIANT N REPS
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$bin" "$1" "$2" "$3" "$4" 2>&1 >/dev/null |
        awk '/I *refs/ { gsub(",", "", $4); print $4 }'
}
ns=("$@")
[ ${#ns[@]} -gt 0 ] || ns=(1000 100000)
shapes=${SHAPES:-$("$bin" --list)}
echo "shape	n	primal	hand	set" > "$tsv"
for n in "${ns[@]}"; do
    reps=$(( 2000000 / n + 10 ))
    for s in $shapes; do
        per=()
        for v in primal hand set; do
            a=$(count "$s" "$v" "$n" "$reps")
            b=$(count "$s" "$v" "$n" $(( 2 * reps )))
            per+=($(( (b - a) / reps )))
        done
        printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$n" "${per[@]}" >> "$tsv"
        awk -v s="$s" -v n="$n" -v p="${per[0]}" -v h="${per[1]}" -v t="${per[2]}" 'BEGIN {
            printf "%-16s n = %-7d primal %9d (%5.1f/elt)  hand %9d (%5.1f/elt)  set %9d (%5.1f/elt)  set/hand %.2f\n",
                s, n, p, p / n, h, h / n, t, t / n, t / h }'
    done
done
