#!/bin/sh
# Compile cost of #[differentiable] (issue 16): builds the crate of
# benches/compile_cost/gen.py with and without the attribute, in release and
# debug, and prints wall and CPU (user + sys) seconds of the generated
# crate's own build (its dependencies are built once first, untimed).
#
#     sh benches/compile_cost/measure.sh [count] [reps]   # defaults: 150, 1
#
# The machine is shared: CPU time is the steadier number; the minimum over
# `reps` builds is printed. Per function: (with − without) / count.
# COMPILE_COST_DIR: where the crates and their target directory go
# (default target/compile_cost; CARGO_TARGET_DIR, if set, is kept, so two
# checkouts can share their dependencies' builds: run them one after the
# other, with a COMPILE_COST_DIR each). COMPILE_COST_USE=1: the crate also
# calls every function's hvp and hessian (gen.py --use).
set -e
count=${1:-150}
reps=${2:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${COMPILE_COST_DIR:-$root/target/compile_cost}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$dir/target} CARGO_INCREMENTAL=0
python3 "$root/benches/compile_cost/gen.py" "$dir/ad" "$count" ${COMPILE_COST_USE:+--use}
python3 "$root/benches/compile_cost/gen.py" "$dir/plain" "$count" --plain
for profile in release debug; do
    flag=$([ $profile = release ] && echo --release || true)
    for kind in plain ad; do
        (cd "$dir/$kind" && cargo build -q $flag -p gd)   # the dependencies, untimed
        best=""
        for _ in $(seq "$reps"); do
            touch "$dir/$kind/src/lib.rs"
            t=$(cd "$dir/$kind" && /usr/bin/time -f "%e %U %S" cargo build -q $flag 2>&1 >/dev/null | tail -1)
            line=$(echo "$t" | awk '{ printf "%.2f %.2f", $1, $2 + $3 }')
            best=$(printf '%s\n%s\n' "$best" "$line" | awk 'NF' | sort -k2 -n | head -1)
        done
        echo "$profile $kind $best"
    done
done | awk -v n="$count" '
    { wall[$1, $2] = $3; cpu[$1, $2] = $4; print $1, $2 ": wall " $3 " s, cpu " $4 " s" }
    END {
        for (p = 1; p <= 2; p++) {
            pr = (p == 1) ? "release" : "debug"
            printf "%s per differentiated function: wall %.0f ms, cpu %.0f ms (without the attribute: cpu %.1f ms)\n",
                pr, 1000 * (wall[pr, "ad"] - wall[pr, "plain"]) / n, 1000 * (cpu[pr, "ad"] - cpu[pr, "plain"]) / n, 1000 * cpu[pr, "plain"] / n
        }
    }'
