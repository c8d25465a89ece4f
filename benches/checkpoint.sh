#!/bin/sh
# The README's #[checkpoint] table: peak resident set and time of the RK4
# pendulum's gradient (examples/pendulum), every trip taped (`plain`)
# against `#[checkpoint(snapshots = 32)]` (`ckpt`), with the primal alone
# for reference, for 10⁴ to 10⁷ steps. One process per cell (peak RSS is
# per process). Prints a Markdown table.
set -e
cargo build --release --example pendulum
bin="${CARGO_TARGET_DIR:-target}/release/examples/pendulum"
echo "| steps | primal: time, peak RSS | plain reverse: time (× primal), peak RSS | checkpointed, K = 32: time (× primal), peak RSS |"
echo "|---|---|---|---|"
for n in 1e4 1e5 1e6 2e6 1e7; do
  set -- $("$bin" "$n" primal) ; pt=$5 ; pm=$3 ; steps=$2
  set -- $("$bin" "$n" plain)  ; lt=$5 ; lm=$3
  set -- $("$bin" "$n" ckpt)   ; ct=$5 ; cm=$3
  awk -v n="$steps" -v pt="$pt" -v pm="$pm" -v lt="$lt" -v lm="$lm" -v ct="$ct" -v cm="$cm" 'BEGIN {
    printf "| %d | %.2f ms, %.1f MB | %.2f ms (%.1f×), %.1f MB | %.2f ms (%.1f×), %.1f MB |\n", n, pt*1e3, pm, lt*1e3, lt/pt, lm, ct*1e3, ct/pt, cm }'
done
