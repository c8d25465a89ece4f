#!/usr/bin/env python3
"""Writes tests/ad_fuzz_stencils.rs: random accumulator loops over a slice that
read it at several offsets per trip (stencils), with strides (`step_by`),
windows, exact chunks and zips of shifted slices, followed by a linear or
non-linear tail, and recurrences (`s = 0.9 s + e`, over a range or a
reversed one) that the reverse sweep replays backwards; some read a reduction of the slice computed before the loop
(a mean, a norm, a running max), some add a second pass after it (which gradient write
comes first, and which may assign, then changes). Then local arrays written by
a recurrence and read by a second pass (`local_function`). These are the loops whose gradient writes the planner
carries in registers and assigns (gd-macros/src/plan/window.rs) and whose
sum's adjoint it knows up front (gd-macros/src/plan/fused.rs). Each function
has a generic copy rendered from the same expression tree for num-dual.

    python3 tests/common/gen_fuzz_stencils.py [seed] [count] [local count] > tests/ad_fuzz_stencils.rs

Each is checked at several lengths (0, 1 or 2 trips and more) against
num-dual, central differences, jvp, `_set` into garbage against `_into`
into zeros, and hyper-dual `hvp`/`hessian`.
"""
import random
import sys

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 2026
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 40
LOCAL_COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 16
rng = random.Random(SEED)


class E:
    def __init__(self, m, d):
        self.m, self.d = m, d


def const():
    k = rng.choice([0.5, 1.5, -0.7, 2.0, 0.25, -1.25])
    return E(f"{k!r}_f64", f"c::<D>({k!r})")


def expr(leaves, depth):
    """A smooth expression over `leaves` (pairs of macro and dual spellings)."""
    if depth <= 0 or rng.random() < 0.25:
        if rng.random() < 0.85:
            m, d = rng.choice(leaves)
            return E(m, d)
        return const()
    r = rng.random()
    if r < 0.4:
        a = expr(leaves, depth - 1)
        op = rng.choice(["sin", "cos", "tanh", "atan", "sq", "ln1", "exp_t"])
        if op == "sq":
            return E(f"({a.m}).powi(2)", f"({a.d}).powi(2)")
        if op == "ln1":
            return E(f"(1.0 + ({a.m}) * ({a.m})).ln()", f"(c::<D>(1.0) + ({a.d}) * ({a.d})).ln()")
        if op == "exp_t":
            return E(f"({a.m}).tanh().exp()", f"({a.d}).tanh().exp()")
        return E(f"({a.m}).{op}()", f"({a.d}).{op}()")
    a, b = expr(leaves, depth - 1), expr(leaves, depth - 1)
    op = rng.choice(["+", "-", "*", "*"])
    return E(f"({a.m} {op} {b.m})", f"({a.d} {op} {b.d})")


def loop_source():
    """The loop: (macro lines, dual lines, the reads as leaves, shortest length)."""
    kind = rng.choice(["range", "range", "step_by", "windows", "chunks", "zip", "recur", "recur_rev"])
    if kind in ("recur", "recur_rev"):
        # A recurrence, not a sum: the reverse sweep replays it backwards.
        o = rng.choice([-1, 0, 1])
        read = f"xs[i + {o}]" if o > 0 else f"xs[i - {-o}]" if o < 0 else "xs[i]"
        lo, hi = max(0, -o), max(0, o)
        head_end = f"xs.len() - {hi}" if hi else "xs.len()"
        head = f"({lo}..{head_end}).rev()" if kind == "recur_rev" else f"{lo}..{head_end}"
        leaves = [(read, read)] + ([("s", "s")] if rng.random() < 0.5 else [])
        return f"for i in {head} {{", leaves, lo + hi, True
    if kind in ("range", "step_by"):
        offs = sorted(rng.sample([-2, -1, 0, 1, 2], rng.randint(1, 3)))
        lo, hi = max(0, -offs[0]), max(0, offs[-1])
        var = "i" if kind == "range" else "i"
        reads = [(f"xs[i + {o}]" if o > 0 else f"xs[i - {-o}]" if o < 0 else "xs[i]") for o in offs]
        head_end = f"xs.len() - {hi}" if hi else "xs.len()"
        head = f"{lo}..{head_end}"
        if kind == "step_by":
            head = f"({head}).step_by({rng.randint(2, 3)})"
        leaves = [(r, r) for r in reads]
        return f"for {var} in {head} {{", leaves, lo + hi, False
    if kind == "windows":
        k = rng.randint(2, 3)
        leaves = [(f"w[{j}]", f"w[{j}]") for j in range(k)]
        return f"for w in xs.windows({k}) {{", leaves, k - 1, False
    if kind == "chunks":
        k = rng.randint(2, 3)
        leaves = [(f"ch[{j}]", f"ch[{j}]") for j in rng.sample(range(k), rng.randint(1, k))]
        return f"for ch in xs.chunks_exact({k}) {{", leaves, 0, False
    sh = rng.randint(1, 2)
    leaves = [("a", "a"), ("b", "b")]
    return f"for (a, b) in xs[{sh}..].iter().zip(&xs[..xs.len() - {sh}]) {{", leaves, sh, False


def tail():
    """What the function returns from the sum `s`: (macro, dual)."""
    k = rng.choice(["s", "scaled", "mean", "plus_x", "minus", "nonlinear"])
    if k == "s":
        return "s", "s"
    if k == "scaled":
        return "0.5 * s", "s * 0.5"
    if k == "mean":
        return "s / (xs.len() as f64 + 1.0)", "s / (xs.len() as f64 + 1.0)"
    if k == "plus_x":
        return "x * y + s", "x * y + s"
    if k == "minus":
        return "1.5 - s * 2.0", "c::<D>(1.5) - s * 2.0"
    return "(1.0 + s * s).ln() + x", "(c::<D>(1.0) + s * s).ln() + x"


def prelude():
    """A pass over `xs` before the loop whose result `p` the loop reads:
    (macro, dual), or None. It writes its gradient after the loop's."""
    k = rng.choice([None, None, "mean", "norm", "max"])
    if k == "mean":
        return ("let p = xs.iter().sum::<f64>() / (xs.len() as f64 + 1.0);",
                "let p = xs.iter().fold(c::<D>(0.0), |a, &b| a + b) / (xs.len() as f64 + 1.0);")
    if k == "norm":
        return ("let p = (1.0 + xs.iter().map(|v| v * v).sum::<f64>()).sqrt();",
                "let p = (c::<D>(1.0) + xs.iter().fold(c::<D>(0.0), |a, &b| a + b * b)).sqrt();")
    if k == "max":
        # log-sum-exp's shift: a selection fold (plan/select.rs) read by
        # every trip; it starts finite so that an empty slice is no NaN.
        return ("let p = xs.iter().copied().fold(-10.0_f64, f64::max);",
                "let p = xs.iter().copied().fold(c::<D>(-10.0), dmax);")
    return None


def postlude():
    """A pass over `xs` after the loop, added to the result: (macro, dual), or None."""
    if rng.random() < 0.3:
        return ("let q = xs.iter().map(|v| v.sin()).sum::<f64>();",
                "let q = xs.iter().fold(c::<D>(0.0), |a, &b| a + b.sin());")
    return None


def function(idx):
    name = f"fs{idx}"
    head, reads, shortest, recur = loop_source()
    pre, post = prelude(), postlude()
    leaves = reads + [("x", "x"), ("y", "y")] + ([("p", "p")] if pre else [])
    body = expr(leaves, 3)
    # Every read takes part: a smooth term of its own besides the random tree.
    for m, d in reads:
        if m == "s":
            continue
        k = rng.choice([0.5, -0.3, 0.7])
        f = rng.choice(["sin", "tanh", "atan"])
        body = E(f"{body.m} + ({m}).{f}() * {k!r}", f"{body.d} + ({d}).{f}() * {k!r}")
    # Some bodies compute through a `let` first, as users write them.
    use_let = rng.random() < 0.5
    tm, td = tail()
    dual_head = head.replace("xs.windows", "xs.windows").replace("&xs[..", "&xs[..")
    lines_m = ([f"    {pre[0]}"] if pre else []) + ["    let mut s = 0.0;", f"    {head}"]
    lines_d = ([f"    {pre[1]}"] if pre else []) + ["    let mut s = c::<D>(0.0);", f"    {dual_head}"]
    # A recurrence's step is bounded (tanh), so that `s` stays finite.
    upd = (lambda e: f"s = s * 0.9 + ({e}).tanh();") if recur else (lambda e: f"s += {e};")
    if use_let:
        lines_m += [f"        let e = {body.m};", f"        {upd('e * e * 0.5 + e')}"]
        lines_d += [f"        let e = {body.d};", f"        {upd('e * e * 0.5 + e')}"]
    else:
        lines_m += [f"        {upd(body.m)}"]
        lines_d += [f"        {upd(body.d)}"]
    if post:
        lines_m += ["    }", f"    {post[0]}", f"    {tm} + 0.3 * q"]
        lines_d += ["    }", f"    {post[1]}", f"    {td} + q * 0.3"]
    else:
        lines_m += ["    }", f"    {tm}"]
        lines_d += ["    }", f"    {td}"]
    lines_d = [l.replace("for (a, b) in", "for (&a, &b) in") for l in lines_d]
    lines_m = [l.replace("for (a, b) in", "for (&a, &b) in") for l in lines_m]
    lens = sorted({shortest, shortest + 1, shortest + 2, 7, 12})
    return source(name, lines_m, lines_d, lens, 5000 + idx)


def source(name, lines_m, lines_d, lens, seed):
    """The function, its dual copy, and the test that checks it at lengths `lens`."""
    src = [
        "#[differentiable]",
        f"fn {name}(x: f64, y: f64, xs: &[f64]) -> f64 {{",
        *lines_m,
        "}",
        f"fn {name}_d<D: Dn>(x: D, y: D, xs: &[D]) -> D {{",
        *lines_d,
        "}",
        "",
        "#[test]",
        f"fn {name}_oracles() {{",
        f"    for (k, n) in {lens}.into_iter().enumerate() {{",
        f"        let v = &rand_points({seed} + k as u64, 1, 2 + n, -1.2, 1.2)[0];",
        "        check(",
        f'            "{name}",',
        "            v,",
        f"            &|v| {name}(v[0], v[1], &v[2..]),",
        f"            &|v| {name}_d(v[0], v[1], &v[2..]),",
        f"            &|v, g| {{ let (gx, rest) = g.split_at_mut(1); let (gy, gs) = rest.split_at_mut(1); {name}::value_and_grad_set(v[0], v[1], &v[2..], &mut gx[0], &mut gy[0], gs) }},",
        f"            &|v, g| {{ let (gx, rest) = g.split_at_mut(1); let (gy, gs) = rest.split_at_mut(1); {name}::value_and_grad_into(v[0], v[1], &v[2..], &mut gx[0], &mut gy[0], gs) }},",
        f"            &|v, t| {name}::jvp(v[0], v[1], &v[2..], t[0], t[1], &t[2..]).1,",
        "        );",
        "        check_second(",
        f'            "{name}",',
        "            std::slice::from_ref(v),",
        f"            &|v| {name}_d(v[0], v[1], &v[2..]),",
        f"            &|v| {{ let (val, (gx, gy, gs)) = {name}::value_and_grad(v[0], v[1], &v[2..]); (val, [vec![gx, gy], gs].concat()) }},",
        f"            &|v, t| {{ let (hx, hy, hs) = {name}::hvp(v[0], v[1], &v[2..], t[0], t[1], &t[2..]); [vec![hx, hy], hs].concat() }},",
        f"            &|v| {{ let (val, (gx, gy, gs), h) = {name}::hessian(v[0], v[1], &v[2..]); (val, [vec![gx, gy], gs].concat(), h.iter().copied().collect()) }},",
        "        );",
        "    }",
        "}",
        "",
    ]
    return "\n".join(src)


def local_function(idx):
    """A local array written by a recurrence (each trip stores one element
    from the ones earlier trips stored: `h[i - 1]`, `h[i - 2]`; forwards,
    backwards or with a stride), then read by a second pass: the loads whose
    adjoints the planner carries in registers to an earlier trip's store
    (gd-macros/src/plan/carry.rs). Some read the element about to be
    overwritten or read one in a branch (the memory path beside the
    registers), some run the recurrence twice over the array (an outer loop);
    the first trips read elements set before the loop."""
    name = f"fl{idx}"
    depth = rng.choice([1, 1, 2])
    backwards = rng.random() < 0.3
    stride = 1 if backwards else rng.choice([1, 1, 1, 2])
    # `h` has `m = n + pad` elements; the recurrence stores `n` of them
    # (`pad` is what its first trips read: set before the loop).
    pad = depth * stride
    if backwards:
        head, data, init = "(0..n).rev()", "xs[i]", "n..m"
        reads = [f"h[i + {d}]" for d in range(1, depth + 1)]
    else:
        head = f"{pad}..m" if stride == 1 else f"({pad}..m).step_by({stride})"
        data, init = f"xs[i - {pad}]", f"0..{pad}"
        reads = [f"h[i - {d * stride}]" for d in range(1, depth + 1)]
    leaves = [(r, r) for r in reads] + [(data, data), ("x", "x"), ("y", "y")]
    if rng.random() < 0.25:  # the element before this trip overwrites it
        leaves.append(("h[i]", "h[i]"))
    e = expr(leaves, 2)
    # Every read of an earlier trip's element takes part.
    for r in reads:
        k = rng.choice([0.6, -0.4, 0.3])
        e = E(f"{e.m} + {r} * {k!r}", f"{e.d} + {r} * {k!r}")
    form = rng.choice(["tanh", "sum", "product"])
    first = reads[0]
    if form == "tanh":
        step = {"m": f"({e.m}).tanh()", "d": f"({e.d}).tanh()"}
    elif form == "sum":  # a running sum: the adjoint of `h[i]` passes on unchanged
        step = {k: f"{first} * 0.9 + ({v}).tanh() * 0.5" for k, v in (("m", e.m), ("d", e.d))}
    else:  # a running product
        step = {"m": f"{first} * (1.0 + ({e.m}).tanh() * 0.3)", "d": f"{first} * (({e.d}).tanh() * 0.3 + 1.0)"}
    branch = rng.random() < 0.25  # a read in a branch: not carried
    twice = rng.random() < 0.2  # the recurrence run twice over the array
    pair = rng.random() < 0.3  # the second pass also reads `h[i - 1]`
    lines = {}
    for key, zero in (("m", "0.0"), ("d", "c::<D>(0.0)")):
        out = ["    let n = xs.len();", f"    let m = n + {pad};", f"    let mut h = vec![{zero}; m];"]
        out += [f"    for j in {init} {{", "        h[j] = y * 0.5 + (j as f64) * 0.1;", "    }"]
        ind = "        " if twice else "    "
        if twice:
            out.append("    for _ in 0..2 {")
        out.append(f"{ind}for i in {head} {{")
        if branch:
            out += [f"{ind}    let b = if {first} > 0.0 {{ {first} * 0.5 }} else {{ x * 0.25 }};", f"{ind}    h[i] = {step[key]} + b * 0.1;"]
        else:
            out.append(f"{ind}    h[i] = {step[key]};")
        out.append(f"{ind}}}")
        if twice:
            out.append("    }")
        out += [f"    let mut s = {zero};", "    for i in 0..m {", "        s += (h[i] - 0.3).powi(2);", "    }"]
        if pair:
            out += ["    for i in 1..m {", "        s += h[i] * h[i - 1] * 0.5;", "    }"]
        out.append("    s + x * 0.1")
        lines[key] = out
    return source(name, lines["m"], lines["d"], [0, 1, 2, 3, 7, 12], 7000 + idx)

HEADER = f"""//! GENERATED by tests/common/gen_fuzz_stencils.py (seed {SEED}, {COUNT} + {LOCAL_COUNT} functions): do not edit by hand.
//! Random accumulator loops that read a slice at several offsets per trip
//! (ranges, `step_by`, `windows`, `chunks_exact`, zips of shifted slices),
//! with linear and non-linear tails, some after or before another pass over
//! the slice; local arrays written by a recurrence (`h[i] = f(h[i - 1], ..)`)
//! and read by a second pass; each checked at several lengths against
//! num-dual, central differences, jvp, `_set` against `_into`, and
//! hyper-dual second derivatives.
#![allow(clippy::all, unused_variables, unused_parens)]

mod common;
use common::*;
use gd::differentiable;

type Into = dyn Fn(&[f64], &mut [f64]) -> f64;

/// num-dual, differences, jvp, and `_set` into garbage against `_into` into zeros.
fn check(name: &str, v: &[f64], f: &dyn Fn(&[f64]) -> f64, fd_: &dyn Fn(&[num_dual::Dual64]) -> num_dual::Dual64, set: &Into, into: &Into, jvp: &dyn Fn(&[f64], &[f64]) -> f64) {{
    let n = v.len();
    let mut gs: Vec<f64> = (0..n).map(|i| if i % 2 == 0 {{ f64::NAN }} else {{ 1e300 }}).collect();
    let vs = set(v, &mut gs);
    let mut gi = vec![0.0; n];
    let vi = into(v, &mut gi);
    assert_eq!(vs, vi, "{{name}} (n = {{n}}): value");
    assert_eq!(gs, gi, "{{name}} (n = {{n}}): set against into");
    let (dv, dg) = dual_grad(fd_, v);
    assert!((vs - dv).abs() <= 1e-12 * (1.0 + dv.abs()), "{{name}} (n = {{n}}): value {{vs}} against num-dual {{dv}}");
    let fdg = fd_grad(f, v);
    for k in 0..n {{
        assert!((gs[k] - dg[k]).abs() <= 1e-10 * (1.0 + dg[k].abs()), "{{name}} (n = {{n}}) entry {{k}}: {{}} against num-dual {{}}", gs[k], dg[k]);
        assert!((gs[k] - fdg[k]).abs() <= 1e-5 * (1.0 + fdg[k].abs()), "{{name}} (n = {{n}}) entry {{k}}: {{}} against differences {{}}", gs[k], fdg[k]);
    }}
    let t: Vec<f64> = (0..n).map(|k| 1.0 - 0.37 * k as f64 % 1.3).collect();
    let want: f64 = gs.iter().zip(&t).map(|(a, b)| a * b).sum();
    let got = jvp(v, &t);
    assert!((got - want).abs() <= 1e-10 * (1.0 + want.abs()), "{{name}} (n = {{n}}): jvp {{got}} against grad · t {{want}}");
}}
"""


def main():
    global rng
    out = [HEADER]
    for i in range(COUNT):
        out.append(function(i))
    # Drawn from a stream of their own, so that adding them left the
    # stencils above as they were.
    rng = random.Random(SEED + 1)
    for i in range(LOCAL_COUNT):
        out.append(local_function(i))
    print("\n".join(out))


main()
