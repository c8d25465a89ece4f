#!/usr/bin/env python3
"""Table of the `threads` benchmark: ms per epoch on 1 and 2 threads and the
speed-up (time on 1 / time on 2), from criterion's estimates.

Run after `cargo bench --bench threads`:

    python3 benches/threads_ratios.py [CRITERION_DIR]

CRITERION_DIR defaults to $CRITERION_HOME, else $CARGO_TARGET_DIR/criterion,
else target/criterion. Standard library only.
"""

import json
import os
import sys

CASES = ["overhead", "busy_b32", "digits_mlp_b32", "mlp_b256", "logreg_b64"]


def root():
    if len(sys.argv) > 1:
        return sys.argv[1]
    if "CRITERION_HOME" in os.environ:
        return os.environ["CRITERION_HOME"]
    return os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")


def ms(case, threads):
    path = os.path.join(root(), "threads", case, str(threads), "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"] / 1e6
    except FileNotFoundError:
        return None


print("| case | 1 thread (ms) | 2 threads (ms) | speed-up |")
print("|---|---:|---:|---:|")
for case in CASES:
    t1, t2 = ms(case, 1), ms(case, 2)
    if t1 is None or t2 is None:
        continue
    print(f"| {case} | {t1:.3f} | {t2:.3f} | {t1 / t2:.2f} |")
