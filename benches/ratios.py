#!/usr/bin/env python3
"""Markdown table of the `ad_gradient` benchmark from criterion's estimates.

Run after `cargo bench --bench ad_gradient`:

    python3 benches/ratios.py [--stat mean|median] [CRITERION_DIR ...]

CRITERION_DIR defaults to $CRITERION_HOME, else target/criterion (or
$CARGO_TARGET_DIR/criterion). Given several directories (repeated runs, each
with its own CRITERION_HOME), every time is the smallest over the runs: on a
shared machine other processes only ever add time.
Reads <dir>/<case>/<variant>/new/estimates.json (point estimates, ns per call)
for every case that ad_gradient.rs writes, and prints one row per case:
ns per call of each variant, then value_and_grad_set, value_and_grad_into
and value_and_grad over primal and over hand;
then a table of the diagnostic variants relative to hand. Standard library only.
"""

import json
import os
import sys

CASES = ["rosenbrock_n10", "rosenbrock_n1000", "rosenbrock_n100000", "logreg_10000x10"]
VARIANTS = ["primal", "value_and_grad_set", "value_and_grad_into", "value_and_grad", "hand", "num_dual_gradient", "num_dual", "central_fd"]
# Hand-written variants that show where time goes (see ad_gradient.rs).
DIAGNOSTICS = ["diag_hand_add", "diag_hand_vec"]
AIM_PRIMAL = 3.0
AIM_HAND = 1.2


def load_one(root, case, variant, stat):
    path = os.path.join(root, case, variant, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)[stat]["point_estimate"]
    except FileNotFoundError:
        return None


def load(roots, case, variant, stat):
    found = [t for t in (load_one(r, case, variant, stat) for r in roots) if t is not None]
    return min(found) if found else None


def fmt_ns(ns):
    if ns is None:
        return "–"
    if ns >= 1e6:
        return f"{ns / 1e6:.3g} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.3g} µs"
    return f"{ns:.3g} ns"


def fmt_ratio(num, den, aim):
    if num is None or den is None:
        return "–"
    r = num / den
    return f"{r:.2f}" + ("" if r <= aim else " ✗")


def main(argv):
    stat = "mean"
    args = list(argv)
    if "--stat" in args:
        i = args.index("--stat")
        stat = args[i + 1]
        del args[i : i + 2]
    if stat not in ("mean", "median"):
        sys.exit("--stat must be mean or median")
    default = os.environ.get("CRITERION_HOME") or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
    roots = args or [default]
    for root in roots:
        if not os.path.isdir(root):
            sys.exit(f"no criterion output in {root}: run `cargo bench --bench ad_gradient` first")

    head = ["case"] + VARIANTS + [
        "set / primal (≤ 3)",
        "into / primal (≤ 3)",
        "vag / primal (≤ 3)",
        "set / hand (≤ 1.2)",
        "into / hand (≤ 1.2)",
        "vag / hand (≤ 1.2)",
    ]
    runs = f", smallest over {len(roots)} runs" if len(roots) > 1 else ""
    print(f"Time per call ({stat} point estimate{runs}); ✗ marks a ratio above the aim.\n")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for case in CASES:
        t = {v: load(roots, case, v, stat) for v in VARIANTS}
        if all(x is None for x in t.values()):
            continue
        row = [case] + [fmt_ns(t[v]) for v in VARIANTS] + [
            fmt_ratio(t[v], t[base], aim)
            for base, aim in [("primal", AIM_PRIMAL), ("hand", AIM_HAND)]
            for v in ["value_and_grad_set", "value_and_grad_into", "value_and_grad"]
        ]
        print("| " + " | ".join(row) + " |")

    print("\nDiagnostics: time per call, and its ratio to `hand`.\n")
    head = ["case", "value_and_grad_into", "value_and_grad"] + DIAGNOSTICS + ["hand"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for case in CASES:
        t = {v: load(roots, case, v, stat) for v in ["value_and_grad_into", "value_and_grad", "hand"] + DIAGNOSTICS}
        if t["hand"] is None:
            continue
        row = [case]
        for v in head[1:]:
            if t[v] is None:
                row.append("–")
            else:
                row.append(f"{fmt_ns(t[v])} ({t[v] / t['hand']:.2f})")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
