#!/usr/bin/env python3
"""Read the TSV rows of benches/peers/run.sh (case, impl, dtype, threads,
seconds per unit; `check` rows; `#` comments with the load average) and
print the README table: per implementation/dtype/threads the median over
the rounds, then gd's best over the fastest peer and gd's f32 over the
fastest f32 peer. Also checks that every implementation computed the same
thing (the `check` rows: Rosenbrock value and gradient sum, Hessian sum and
trace, the MLP's loss at step 0 and 19 from the same weights and batches).

    python3 benches/peers/table.py FILE.tsv [FILE.tsv ...] [--spread]
"""
import re
import statistics
import sys
from collections import defaultdict

CASES = [
    ("rosen_grad_1e3", "Rosenbrock gradient, n = 10³, s / call"),
    ("rosen_grad_1e5", "Rosenbrock gradient, n = 10⁵, s / call"),
    ("rosen_hess_10", "dense Hessian, n = 10, s / call"),
    ("rosen_hess_100", "dense Hessian, n = 100, s / call"),
    ("mlp64_b32", "MLP 64-64-10, batch 32, s / sample"),
    ("mlp784_b128", "MLP 784-256-10, batch 128, s / sample"),
]
IMPL_ORDER = {"gd": 0, "gd-trainer": 1, "gd+retain": 2, "gd-trainer+retain": 3, "jax": 4, "torch": 5, "candle": 6}
NAMES = {"gd": "gd (loop)", "gd-trainer": "gd (Trainer)", "gd+retain": "gd (loop, freed memory kept)",
         "gd-trainer+retain": "gd (Trainer, freed memory kept)", "jax": "JAX", "torch": "PyTorch", "candle": "candle"}
TOL = {"f64": 1e-9, "f32": 2e-3}  # relative agreement required across implementations


def main():
    files = [a for a in sys.argv[1:] if not a.startswith("--")]
    spread = "--spread" in sys.argv
    times = defaultdict(list)
    checks = defaultdict(dict)
    loads = []
    machine = started = None
    for f in files:
        for line in open(f):
            line = line.rstrip("\n")
            if line.startswith("#"):
                m = re.match(r"# round \d+ load ([\d.]+)", line)
                if m:
                    loads.append(float(m.group(1)))
                if line.startswith("# machine:"):
                    machine = line[len("# machine: "):]
                if line.startswith("# started:"):
                    started = line[len("# started: "):].split(",")[0]
                continue
            p = line.split("\t")
            if p[0] == "check" and len(p) == 5:
                checks[(p[1], p[3])][p[2]] = float(p[4])
            elif len(p) == 5:
                times[(p[0], p[1], p[2], int(p[3]))].append(float(p[4]))
    if not times:
        sys.exit("no rows")
    med = {k: statistics.median(v) for k, v in times.items()}
    cols = sorted({(k[1], k[2], k[3]) for k in med}, key=lambda c: (IMPL_ORDER.get(c[0], 9), c[1], c[2]))

    print(f"machine: {machine}; started {started}; load average before each command {min(loads):.2f}–{max(loads):.2f}" if loads else "")
    print(f"median over {max(len(v) for v in times.values())} rounds\n")
    head = "| implementation | dtype | threads | " + " | ".join(d for _, d in CASES) + " |"
    print(head)
    print("|---|---|---:|" + "---:|" * len(CASES))
    for c in cols:
        cells = []
        for case, _ in CASES:
            k = (case, *c)
            if k not in med:
                cells.append("–")
            elif spread and len(times[k]) > 1:
                cells.append(f"{med[k]:.2e} ({min(times[k]):.2e}–{max(times[k]):.2e})")
            else:
                cells.append(f"{med[k]:.2e}")
        print(f"| {NAMES.get(c[0], c[0])} | {c[1]} | {c[2]} | " + " | ".join(cells) + " |")

    def best(case, pred):
        v = [(med[k], k) for k in med if k[0] == case and pred(k)]
        return min(v) if v else None

    is_gd = lambda k: k[1].startswith("gd") and not k[1].endswith("+retain")
    is_retain = lambda k: k[1].endswith("+retain")
    rows = {"gd best / fastest peer": [], "gd f32 / fastest f32 peer": [], "gd, freed memory kept / fastest peer": [], "fastest peer": []}
    for case, _ in CASES:
        g, p = best(case, is_gd), best(case, lambda k: not is_gd(k) and not is_retain(k))
        r = best(case, is_retain)
        rows["gd, freed memory kept / fastest peer"].append(f"{r[0] / p[0]:.2f}" if r and p else "–")
        g32, p32 = best(case, lambda k: is_gd(k) and k[2] == "f32"), best(case, lambda k: not is_gd(k) and not is_retain(k) and k[2] == "f32")
        rows["gd best / fastest peer"].append(f"**{g[0] / p[0]:.2f}**" if g and p else "–")
        rows["gd f32 / fastest f32 peer"].append(f"{g32[0] / p32[0]:.2f}" if g32 and p32 else "–")
        rows["fastest peer"].append(f"{NAMES.get(p[1][1])} {p[1][2]} {p[1][3]}t" if p else "–")
    for name, cells in rows.items():
        print(f"| {name} | | | " + " | ".join(cells) + " |")

    print("\nchecks (same inputs, same weights and batches; max relative difference across implementations):")
    bad = 0
    for (what, dtype), vals in sorted(checks.items()):
        ref = vals.get("gd", next(iter(vals.values())))
        dev = max(abs(v - ref) / max(abs(ref), 1e-300) for v in vals.values())
        ok = dev <= TOL[dtype]
        bad += not ok
        print(f"  {what:24s} {dtype}  {ref:.9e}  max rel diff {dev:.1e} over {','.join(sorted(vals))} {'ok' if ok else 'MISMATCH'}")
    for case in ("mlp64", "mlp784"):
        for dtype in ("f32", "f64"):
            a, b = checks.get((f"{case}_loss_step0", dtype), {}), checks.get((f"{case}_loss_step19", dtype), {})
            for imp in a:
                if imp in b and not b[imp] < a[imp]:
                    bad += 1
                    print(f"  {case} {dtype} {imp}: loss did not decrease ({a[imp]} -> {b[imp]})")
    if bad:
        sys.exit(f"{bad} check(s) failed")


if __name__ == "__main__":
    main()
