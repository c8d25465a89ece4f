#!/usr/bin/env python3
"""Markdown table of the `second_order` benchmark from criterion's estimates.

Run after `cargo bench --bench second_order`:

    python3 benches/second_order_ratios.py [--stat mean|median] [CRITERION_DIR ...]

CRITERION_DIR defaults to $CRITERION_HOME, else target/criterion (or
$CARGO_TARGET_DIR/criterion). Given several directories (repeated runs, each
with its own CRITERION_HOME), every time is the smallest over the runs: on a
shared machine other processes only ever add time.
Reads <dir>/<case>/<variant>/new/estimates.json (point estimates, ns per call)
for every case that second_order.rs writes, and prints one row per case: time
per call of `grad`, `hvp`, `hessian` and num-dual's `hessian`, then hvp / grad,
hessian / (n · hvp) (how close the Hessian is to n separate hvps) and
generated hessian / num-dual hessian (below 1: the generated one is faster).
Standard library only.
"""

import os
import sys

# The same reading and formatting as the first-order table.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ratios import fmt_ns, load  # noqa: E402

# (criterion group, label, n)
CASES = [
    ("rosenbrock_n10", "extended Rosenbrock", 10),
    ("rosenbrock_n100", "extended Rosenbrock", 100),
    ("logreg_200x10", "logistic regression, 200 points", 10),
    ("logreg_200x100", "logistic regression, 200 points", 100),
]
VARIANTS = ["grad", "hvp", "hessian", "num_dual_hessian"]
# The aim: an hvp costs "a small constant times one gradient".
AIM_HVP = 5.0


def ratio(num, den):
    if num is None or den is None:
        return None
    return num / den


def fmt_ratio(r, aim=None):
    if r is None:
        return "–"
    return f"{r:.2f}" + (" ✗" if aim is not None and r > aim else "")


def main(argv):
    stat = "mean"
    args = list(argv)
    if "--stat" in args:
        i = args.index("--stat")
        if i + 1 >= len(args):
            sys.exit("--stat needs a value: mean or median")
        stat = args[i + 1]
        del args[i : i + 2]
    if stat not in ("mean", "median"):
        sys.exit("--stat must be mean or median")
    default = os.environ.get("CRITERION_HOME") or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
    roots = args or [default]
    for root in roots:
        if not os.path.isdir(root):
            sys.exit(f"no criterion output in {root}: run `cargo bench --bench second_order` first")

    head = [
        "case",
        "n",
        "`grad`",
        "`hvp`",
        "`hessian`",
        "num-dual `hessian`",
        f"hvp / grad (≤ {AIM_HVP:g})",
        "hessian / (n · hvp)",
        "hessian / num-dual",
    ]
    runs = f", smallest over {len(roots)} runs" if len(roots) > 1 else ""
    print(f"Time per call ({stat} point estimate{runs}); ✗ marks an hvp / grad ratio above {AIM_HVP:g}.\n")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    printed = 0
    for case, label, n in CASES:
        t = {v: load(roots, case, v, stat) for v in VARIANTS}
        if all(x is None for x in t.values()):
            continue
        per_col = None if t["hvp"] is None else n * t["hvp"]
        row = [label, str(n)] + [fmt_ns(t[v]) for v in VARIANTS] + [
            fmt_ratio(ratio(t["hvp"], t["grad"]), AIM_HVP),
            fmt_ratio(ratio(t["hessian"], per_col)),
            fmt_ratio(ratio(t["hessian"], t["num_dual_hessian"])),
        ]
        print("| " + " | ".join(row) + " |")
        printed += 1
    if printed == 0:
        sys.exit(f"no second_order results under {', '.join(roots)}: run `cargo bench --bench second_order` first")


if __name__ == "__main__":
    main(sys.argv[1:])
