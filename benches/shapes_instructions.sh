#!/usr/bin/env bash
# Instructions per call of every shape of the benchmark zoo (primal, hand,
# value_and_grad_set), counted by cachegrind (needs valgrind, which the
# README commands do not): the difference of two runs of REPS and 2 REPS
# calls, so that start-up and setup cancel. Prints per call, per element and
# set / hand, and writes the counts to target/shapes_instructions.tsv for
# `benches/shapes_ratios.py --instructions`.
# Usage: benches/shapes_instructions.sh [N ...] (default 1000 100000);
# SHAPES="huber rnn" to count some shapes only; VARIANTS="hand_vec vag" to
# count other variants of shapes_calls (default "primal hand set"; `vag` is
# `value_and_grad`, `hand_vec` a hand-written gradient returning a new
# `Vec`), written to target/shapes_instructions_<variants>.tsv so that the
# default TSV stays the one shapes_ratios.py reads. set / hand and
# vag / hand_vec are printed where both variants are counted.
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
read -r -a variants <<< "${VARIANTS:-primal hand set}"
[ -n "${VARIANTS:-}" ] && tsv="$target/shapes_instructions_$(IFS=_; echo "${variants[*]}").tsv"
(IFS=$'\t'; echo "shape	n	${variants[*]}") > "$tsv"
for n in "${ns[@]}"; do
    reps=$(( 2000000 / n + 10 ))
    for s in $shapes; do
        per=()
        for v in "${variants[@]}"; do
            a=$(count "$s" "$v" "$n" "$reps")
            b=$(count "$s" "$v" "$n" $(( 2 * reps )))
            per+=($(( (b - a) / reps )))
        done
        (IFS=$'\t'; echo "$s	$n	${per[*]}") >> "$tsv"
        awk -v s="$s" -v n="$n" -v names="${variants[*]}" -v counts="${per[*]}" 'BEGIN {
            k = split(names, v, " "); split(counts, c, " ")
            line = sprintf("%-16s n = %-7d", s, n)
            for (i = 1; i <= k; i++) { at[v[i]] = c[i]; line = line sprintf("  %s %9d (%5.1f/elt)", v[i], c[i], c[i] / n) }
            if (("set" in at) && ("hand" in at)) line = line sprintf("  set/hand %.2f", at["set"] / at["hand"])
            if (("vag" in at) && ("hand_vec" in at)) line = line sprintf("  vag/hand_vec %.2f", at["vag"] / at["hand_vec"])
            print line }'
    done
done
