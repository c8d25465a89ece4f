#!/usr/bin/env python3
"""Markdown table of the `hessian` benchmark from criterion's estimates.

Run after `cargo bench --bench hessian`:

    python3 benches/hessian_ratios.py [--stat mean|median] [CRITERION_DIR ...]

CRITERION_DIR defaults to $CRITERION_HOME, else target/criterion (or
$CARGO_TARGET_DIR/criterion); given several (repeated runs), each time is the
smallest over them. One row per case: time per call of the primal, `hvp`,
the generated `hessian` and the Hessian as n separate hvps, then
hessian / (n × hvp) (below 1: the chunks share work across columns),
hessian / primal (the Hessian's cost in primal evaluations) and
hessian / n (per column). Standard library only.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ratios import fmt_ns, load  # noqa: E402

# (criterion group, label, n)
CASES = [
    ("rosen_chain_n10", "chained Rosenbrock", 10),
    ("rosen_chain_n100", "chained Rosenbrock", 100),
    ("rosen_chain_n1000", "chained Rosenbrock", 1000),
    ("quad_data_n100", "quadratic form over data + Σ ln(1+x²)", 100),
    ("loop_call_n100", "loop calling a differentiable fn", 100),
    ("nalgebra_n50", "nalgebra Σ tanh(Ax) (matrix parameter: per column)", 50),
]
VARIANTS = ["primal", "hvp", "hessian", "hessian_by_hvp"]


def r(num, den):
    return "–" if num is None or den is None else f"{num / den:.3g}"


def main(argv):
    stat = "median"
    args = list(argv)
    if "--stat" in args:
        i = args.index("--stat")
        stat = args[i + 1]
        del args[i : i + 2]
    default = os.environ.get("CRITERION_HOME") or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
    roots = args or [default]
    head = ["case", "n", "primal", "`hvp`", "`hessian`", "n × `hvp`", "hessian / (n × hvp)", "hessian / primal", "hessian / n"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for case, label, n in CASES:
        t = {v: load(roots, case, v, stat) for v in VARIANTS}
        if all(x is None for x in t.values()):
            continue
        per_n = None if t["hessian"] is None else t["hessian"] / n
        row = [label, str(n)] + [fmt_ns(t[v]) for v in VARIANTS] + [
            r(t["hessian"], t["hessian_by_hvp"]),
            r(t["hessian"], t["primal"]),
            fmt_ns(per_n),
        ]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
