#!/usr/bin/env python3
"""Markdown table of the benchmark zoo (benches/shapes.rs) from criterion's
estimates. Run after `cargo bench --bench shapes`:

    python3 benches/shapes_ratios.py [--stat median|mean] [--instructions TSV] [--readme] [CRITERION_DIR ...]

CRITERION_DIR defaults to $CRITERION_HOME, else target/criterion (or
$CARGO_TARGET_DIR/criterion); given several (repeated runs), every time is
the smallest over them. Reads every <dir>/**/new/benchmark.json whose group is
`shapes/<shape>` and its estimates.json (ns per call), and prints per shape
and n: set / hand, set / primal and vag / hand_vec (✗ where an aim is
missed), then the max and median of set / hand. With --instructions (the TSV
that benches/shapes_instructions.sh writes) a column of set / hand in
instructions is added. With --readme, the README's compact form: one row
per shape, n = 10³ / 10⁵ side by side in each column. Standard library only.
"""

import json
import os
import statistics
import sys

AIM_SET_HAND = 1.25
AIM_SET_HAND_MEDIAN = 1.1
AIM_SET_PRIMAL = 3.0
AIM_VAG = 1.2


def collect(root, stat, times):
    for dirpath, _, files in os.walk(root):
        if "benchmark.json" not in files or os.path.basename(dirpath) != "new":
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            meta = json.load(f)
        group = meta.get("group_id", "")
        if not group.startswith("shapes/"):
            continue
        with open(os.path.join(dirpath, "estimates.json")) as f:
            t = json.load(f)[stat]["point_estimate"]
        key = (group[len("shapes/"):], int(meta["value_str"]), meta["function_id"])
        times[key] = min(t, times.get(key, t))


def read_instructions(path):
    """(shape, n) -> instructions of (set / hand, set / primal)."""
    out = {}
    with open(path) as f:
        for line in f:
            cols = line.split()
            if len(cols) >= 5 and cols[0] != "shape":
                shape, n, primal, hand, set_ = cols[:5]
                out[(shape, int(n))] = (int(set_) / int(hand), int(set_) / int(primal))
    return out


def fmt_aim(r, aim):
    return "–" if r is None else f"{r:.2f}" + ("" if r <= aim else " ✗")


def summary(what, rows):
    """rows: (ratio, shape, n)"""
    worst = max(rows)
    med = statistics.median(r for r, _, _ in rows)
    print(f"{what} over {len(rows)} rows: median {fmt_aim(med, AIM_SET_HAND_MEDIAN)} (aim ≤ {AIM_SET_HAND_MEDIAN}), "
          f"max {worst[0]:.2f} ({worst[1]}, n = {worst[2]}; aim ≤ {AIM_SET_HAND} each), "
          f"{sum(r > AIM_SET_HAND for r, _, _ in rows)} rows over {AIM_SET_HAND}")


def ratio(times, shape, n, num, den, aim):
    a, b = times.get((shape, n, num)), times.get((shape, n, den))
    if a is None or b is None:
        return None, "–"
    r = a / b
    return r, f"{r:.2f}" + ("" if r <= aim else " ✗")


def main(argv):
    stat, instr_path, roots, readme = "median", None, [], False
    it = iter(argv)
    for arg in it:
        if arg == "--stat":
            stat = next(it)
        elif arg == "--instructions":
            instr_path = next(it)
        elif arg == "--readme":
            readme = True
        else:
            roots.append(arg)
    if not roots:
        target = os.environ.get("CARGO_TARGET_DIR", "target")
        roots = [os.environ.get("CRITERION_HOME", os.path.join(target, "criterion"))]
    times = {}
    for root in roots:
        collect(root, stat, times)
    if not times:
        sys.exit(f"no shapes/* estimates under {roots}; run `cargo bench --bench shapes` first")
    instr = read_instructions(instr_path) if instr_path else {}
    if readme:
        return compact(times, instr)
    head = ["shape", "n", "primal", "hand", "set / hand", "set / primal", "vag / hand_vec"]
    if instr:
        head += ["set / hand (instructions)", "set / primal (instructions)"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 1))
    set_hand, set_hand_instr = [], []
    for shape, n in sorted({(s, n) for s, n, _ in times}, key=lambda k: (k[0], k[1])):
        r, sh = ratio(times, shape, n, "set", "hand", AIM_SET_HAND)
        if r is not None:
            set_hand.append((r, shape, n))
        row = [shape, str(n), fmt_ns(times.get((shape, n, "primal"))), fmt_ns(times.get((shape, n, "hand"))), sh,
               ratio(times, shape, n, "set", "primal", AIM_SET_PRIMAL)[1],
               ratio(times, shape, n, "vag", "hand_vec", AIM_VAG)[1]]
        if instr:
            sh_i, sp_i = instr.get((shape, n), (None, None))
            row += [fmt_aim(sh_i, AIM_SET_HAND), fmt_aim(sp_i, AIM_SET_PRIMAL)]
            if sh_i is not None:
                set_hand_instr.append((sh_i, shape, n))
        print("| " + " | ".join(row) + " |")
    print()
    if set_hand:
        summary("set / hand (time)", set_hand)
    if set_hand_instr:
        print()
        summary("set / hand (instructions)", set_hand_instr)


def compact(times, instr, ns=(1000, 100000)):
    """One row per shape, the columns at each of `ns` joined by ` / `."""
    both = " / ".join(f"n = {n:,}".replace(",", " ") for n in ns)
    print(f"| shape | set / hand (time), {both} | set / hand (instructions) | set / primal (time) | vag / hand_vec (time) |")
    print("|---|---:|---:|---:|---:|")
    rows = {"time": [], "instr": []}
    for shape in sorted({s for s, _, _ in times}):
        cols = [[], [], [], []]
        for n in ns:
            r, sh = ratio(times, shape, n, "set", "hand", AIM_SET_HAND)
            cols[0].append(sh)
            if r is not None:
                rows["time"].append((r, shape, n))
            ri = instr.get((shape, n), (None, None))[0]
            cols[1].append(fmt_aim(ri, AIM_SET_HAND))
            if ri is not None:
                rows["instr"].append((ri, shape, n))
            cols[2].append(ratio(times, shape, n, "set", "primal", AIM_SET_PRIMAL)[1])
            cols[3].append(ratio(times, shape, n, "vag", "hand_vec", AIM_VAG)[1])
        print(f"| `{shape}` | " + " | ".join(" / ".join(c) for c in cols) + " |")
    print()
    if rows["time"]:
        summary(f"set / hand (time, {both})", rows["time"])
    if rows["instr"]:
        print()
        summary("set / hand (instructions)", rows["instr"])


def fmt_ns(ns):
    if ns is None:
        return "–"
    for scale, unit in ((1e6, "ms"), (1e3, "µs")):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


if __name__ == "__main__":
    main(sys.argv[1:])
