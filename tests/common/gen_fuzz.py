#!/usr/bin/env python3
"""Writes tests/ad_fuzz.rs: random #[differentiable] functions, each with its
num-dual generic copy rendered from the same expression tree, checked like the
hand-written ones (finite differences, num-dual, jvp vs grad, grad_into).

    python3 tests/common/gen_fuzz.py [seed] [count] > tests/ad_fuzz.rs
    python3 tests/common/gen_fuzz.py 2027 24 f32 > tests/ad_fuzz_f32.rs

With `f32` the #[differentiable] functions are f32 and the generic copies
still run in f64 (the `Case32` oracles); no second-order checks.

Expressions use only operations that are smooth on the whole real line (or on
the domain the tree guarantees: ln/sqrt of 1 + e^2, division by 1 + e^2), so
any point is a fair point; branches compare a random expression with 0, and
loops carry accumulators through `for` over ranges, over the slice, and with
branches inside.
"""
import random
import sys

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 2026
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 40
F = sys.argv[3] if len(sys.argv) > 3 else "f64"
CASE = "Case" if F == "f64" else "Case32"
PT_BASE = 1000 if F == "f64" else 3000
rng = random.Random(SEED)


class E:
    """An expression: (macro rendering, dual rendering)."""

    def __init__(self, m, d):
        self.m, self.d = m, d


def const():
    k = rng.choice([0.5, 1.5, -0.7, 2.0, 0.25, -1.25, 3.0])
    return E(f"{k!r}_f64", f"c::<D>({k!r})")


def leaf(vars_):
    if vars_ and rng.random() < 0.8:
        v = rng.choice(vars_)
        return E(v, v)
    return const()


def expr(vars_, depth):
    if depth <= 0 or rng.random() < 0.2:
        return leaf(vars_)
    kind = rng.random()
    if kind < 0.45:
        a = expr(vars_, depth - 1)
        op = rng.choice(["sin", "cos", "tanh", "atan", "exp_tanh", "ln1", "sqrt1", "powi2", "powi3", "exp_m1", "ln_1p", "asinh", "recip1", "hyp", "neg", "sinh_t", "cbrt1", "exp2_t", "log2_1", "log10_1", "cosh_t"])
        if op in ("sin", "cos", "tanh", "atan", "asinh"):
            return E(f"({a.m}).{op}()", f"({a.d}).{op}()")
        if op == "exp_tanh":
            return E(f"({a.m}).tanh().exp()", f"({a.d}).tanh().exp()")
        if op == "exp2_t":
            return E(f"({a.m}).tanh().exp2()", f"({a.d}).tanh().exp2()")
        if op == "sinh_t":
            return E(f"({a.m}).tanh().sinh()", f"({a.d}).tanh().sinh()")
        if op == "cosh_t":
            return E(f"({a.m}).atan().cosh()", f"({a.d}).atan().cosh()")
        if op == "ln1":
            return E(f"(1.0 + ({a.m}) * ({a.m})).ln()", f"(c::<D>(1.0) + ({a.d}) * ({a.d})).ln()")
        if op == "log2_1":
            return E(f"(2.0 + ({a.m}).powi(2)).log2()", f"(c::<D>(2.0) + ({a.d}).powi(2)).log2()")
        if op == "log10_1":
            return E(f"(0.5 + ({a.m}).powi(2)).log10()", f"(c::<D>(0.5) + ({a.d}).powi(2)).log10()")
        if op == "sqrt1":
            return E(f"(1.0 + ({a.m}) * ({a.m})).sqrt()", f"(c::<D>(1.0) + ({a.d}) * ({a.d})).sqrt()")
        if op == "cbrt1":
            return E(f"(1.0 + ({a.m}) * ({a.m})).cbrt()", f"(c::<D>(1.0) + ({a.d}) * ({a.d})).cbrt()")
        if op == "powi2":
            return E(f"({a.m}).powi(2)", f"({a.d}).powi(2)")
        if op == "powi3":
            return E(f"({a.m}).tanh().powi(3)", f"({a.d}).tanh().powi(3)")
        if op == "exp_m1":
            return E(f"({a.m}).tanh().exp_m1()", f"({a.d}).tanh().exp_m1()")
        if op == "ln_1p":
            return E(f"(({a.m}) * ({a.m})).ln_1p()", f"(({a.d}) * ({a.d})).ln_1p()")
        if op == "recip1":
            return E(f"(1.0 + ({a.m}) * ({a.m})).recip()", f"(c::<D>(1.0) + ({a.d}) * ({a.d})).recip()")
        if op == "hyp":
            return E(f"({a.m}).hypot(0.75)", f"dhypot({a.d}, c::<D>(0.75))")
        return E(f"-({a.m})", f"-({a.d})")
    a = expr(vars_, depth - 1)
    b = expr(vars_, depth - 1)
    op = rng.choice(["+", "-", "*", "div", "mul_add", "hypot", "atan2", "powf", "call"])
    if op == "call":
        h = rng.choice(["helpers::h0", "h1", "helpers::h2"])
        if rng.random() < 0.5:
            # both arguments depend on x
            return E(f"{h}({a.m} + x * 0.01, {b.m} - x * 0.01)", f"{h}_d({a.d} + x * 0.01, {b.d} - x * 0.01)")
        # either may be constant, or both the same value (see also
        # tests/ad_call_const_arg.rs and tests/ad_call_aliased_args.rs)
        return E(f"{h}({a.m}, {b.m})", f"{h}_d({a.d}, {b.d})")
    if op in "+-*":
        return E(f"({a.m}) {op} ({b.m})", f"({a.d}) {op} ({b.d})")
    if op == "div":
        return E(f"({a.m}) / (1.0 + ({b.m}) * ({b.m}))", f"({a.d}) / (c::<D>(1.0) + ({b.d}) * ({b.d}))")
    if op == "mul_add":
        k = expr(vars_, depth - 2)
        return E(f"({a.m}).mul_add({b.m}, {k.m})", f"dmul_add({a.d}, {b.d}, {k.d})")
    if op == "hypot":
        return E(f"({a.m}).hypot(1.0 + ({b.m}).tanh())", f"dhypot({a.d}, c::<D>(1.0) + ({b.d}).tanh())")
    if op == "atan2":
        return E(f"({a.m}).atan2(2.0 + ({b.m}).sin())", f"({a.d}).atan2(c::<D>(2.0) + ({b.d}).sin())")
    # powf: positive base, bounded exponent
    return E(f"(1.5 + ({a.m}).sin()).powf(({b.m}).tanh())", f"dpowf(c::<D>(1.5) + ({a.d}).sin(), ({b.d}).tanh())")


def is_wrt(idx):
    """Every fourth f64 function differentiates x and xs only: y is a constant."""
    return F == "f64" and idx % 4 == 3


def function(idx):
    name = f"fz{idx}"
    vars_ = ["x", "y"]
    mac, dual = [], []
    n_stmt = rng.randint(3, 6)
    t = 0
    for _ in range(n_stmt):
        r = rng.random()
        v = f"t{t}"
        t += 1
        if r < 0.35:
            e = expr(vars_, 3)
            mac.append(f"    let {v} = {e.m};")
            dual.append(f"    let {v} = {e.d};")
        elif r < 0.5:
            cnd, a, b = expr(vars_, 2), expr(vars_, 2), expr(vars_, 2)
            mac.append(f"    let {v} = if {cnd.m} > 0.0 {{ {a.m} }} else {{ {b.m} }};")
            dual.append(f"    let {v} = if {cnd.d} > 0.0 {{ {a.d} }} else {{ {b.d} }};")
        elif r < 0.7:
            init = expr(vars_, 2)
            inner = vars_ + [v, "xs[i]"]
            upd = expr(inner, 3)
            mac += [f"    let mut {v} = {init.m};", "    for i in 0..xs.len() {", f"        {v} = ({v} * 0.5 + {upd.m}).tanh();", "    }"]
            dual += [f"    let mut {v} = {init.d};", "    for i in 0..xs.len() {", f"        {v} = ({v} * 0.5 + {upd.d}).tanh();", "    }"]
        elif r < 0.85:
            init = expr(vars_, 2)
            inner = vars_ + [v, "x_"]
            cnd, a, b = expr(inner, 2), expr(inner, 2), expr(inner, 2)
            for out, key in ((mac, "m"), (dual, "d")):
                out += [
                    f"    let mut {v} = {getattr(init, key)};",
                    "    for &x_ in xs {",
                    f"        if {getattr(cnd, key)} > 0.0 {{",
                    f"            {v} = ({getattr(a, key)}).atan();",
                    "        } else {",
                    f"            {v} += ({getattr(b, key)}).tanh() * 0.5;",
                    "        }",
                    "    }",
                ]
        elif r < 0.85 + 0.0 and False:
            pass
        elif r < 0.88 and rng.random() < 0.5:
            kind = rng.choice(["map_sum", "fold", "zip", "enumerate", "product", "max_fold", "min_fold"])
            if kind == "map_sum":
                e = expr(vars_ + ["q"], 2)
                mac.append(f"    let {v} = xs.iter().map(|&q| {e.m}).sum::<f64>();")
                dual.append(f"    let {v} = xs.iter().map(|&q| {e.d}).sum::<D>();")
            elif kind == "fold":
                init, e = expr(vars_, 1), expr(vars_ + ["acc", "q"], 2)
                mac.append(f"    let {v} = xs.iter().fold({init.m}, |acc, &q| (acc * 0.5 + {e.m}).tanh());")
                dual.append(f"    let {v} = xs.iter().fold({init.d}, |acc, &q| (acc * 0.5 + {e.d}).tanh());")
            elif kind in ("max_fold", "min_fold"):
                # A running max or min (a selection fold, plan/select.rs).
                op = kind[:3]
                init, e = expr(vars_, 1), expr(vars_ + ["q"], 2)
                mac.append(f"    let {v} = xs.iter().fold({init.m}, |acc, &q| acc.{op}({e.m}));")
                dual.append(f"    let {v} = xs.iter().fold({init.d}, |acc, &q| d{op}(acc, {e.d}));")
            elif kind == "zip":
                e = expr(vars_ + ["p", "q"], 2)
                mac.append(f"    let {v} = xs.iter().zip(xs.iter()).map(|(&p, &q)| {e.m}).sum::<f64>();")
                dual.append(f"    let {v} = xs.iter().zip(xs.iter()).map(|(&p, &q)| {e.d}).sum::<D>();")
            elif kind == "enumerate":
                e = expr(vars_ + ["q"], 2)
                mac.append(f"    let {v} = xs.iter().enumerate().map(|(i, &q)| ({e.m}) * (i as f64 + 1.0)).sum::<f64>();")
                dual.append(f"    let {v} = xs.iter().enumerate().map(|(i, &q)| ({e.d}) * (i as f64 + 1.0)).sum::<D>();")
            else:
                e = expr(vars_ + ["q"], 2)
                mac.append(f"    let {v} = xs.iter().map(|&q| 1.0 + 0.1 * ({e.m}).tanh()).product::<f64>();")
                dual.append(f"    let {v} = xs.iter().map(|&q| ({e.d}).tanh() * 0.1 + 1.0).product::<D>();")
        elif r < 0.88:
            init = expr(vars_, 2)
            upd = expr(vars_ + [v, "xs[i]", "xs[j]"], 2)
            for out, key in ((mac, "m"), (dual, "d")):
                out += [
                    f"    let mut {v} = {getattr(init, key)};",
                    "    for i in 0..xs.len() {",
                    "        for j in 0..i {",
                    f"            {v} = ({v} * 0.9 + {getattr(upd, key)}).sin();",
                    "        }",
                    "    }",
                ]
        elif r < 0.91:
            init = expr(vars_, 2)
            a, b, c_ = (expr(vars_ + [v, "xs[k]"], 2) for _ in range(3))
            for out, key in ((mac, "m"), (dual, "d")):
                out += [
                    f"    let mut {v} = {getattr(init, key)};",
                    "    let mut k = 0;",
                    "    while k < xs.len() {",
                    "        match k % 3 {",
                    f"            0 => {v} = ({getattr(a, key)}).tanh(),",
                    f"            1 | 4 => {v} += ({getattr(b, key)}).atan() * 0.5,",
                    f"            _ => {v} = {v} * ({getattr(c_, key)}).cos(),",
                    "        }",
                    "        k += 1;",
                    "    }",
                ]
        elif r < 0.94:
            init = expr(vars_, 2)
            upd = expr(vars_ + [v, "xs[k]"], 2)
            for out, key in ((mac, "m"), (dual, "d")):
                out += [
                    f"    let mut {v} = {getattr(init, key)};",
                    "    let mut k = 0;",
                    "    loop {",
                    "        if k + 1 >= xs.len() {",
                    "            break;",
                    "        }",
                    f"        {v} = ({v} + {getattr(upd, key)}).tanh();",
                    "        k += 1;",
                    "    }",
                ]
        elif r < 0.97 and not any("return" in line for line in mac):
            cnd, e = expr(vars_, 2), expr(vars_, 2)
            mac.append(f"    if {cnd.m} > 0.5 {{")
            mac.append(f"        return {e.m};")
            mac.append("    }")
            dual.append(f"    if {cnd.d} > 0.5 {{")
            dual.append(f"        return {e.d};")
            dual.append("    }")
            t -= 1
            continue
        else:
            init = expr(vars_, 2)
            inner = vars_ + [v]
            upd = expr(inner, 2)
            trips = rng.randint(2, 5)
            for out, key in ((mac, "m"), (dual, "d")):
                out += [
                    f"    let mut {v} = {getattr(init, key)};",
                    f"    for k in (0..{trips}).rev() {{",
                    f"        let w = {getattr(upd, key)};",
                    f"        {v} = ({v} * w).sin() + w * 0.25;",
                    "        if k == 1 {",
                    "            continue;",
                    "        }",
                    f"        {v} = {v} * 0.75;",
                    "    }",
                ]
        vars_.append(v)
    if F != "f64":
        mac = [l.replace("_f64", "_" + F).replace("::<f64>", f"::<{F}>").replace("as f64", f"as {F}") for l in mac]
    ret = expr(vars_[2:] + ["x", "y"], 2)
    # make sure the result depends on every statement
    tail_m = " + ".join([f"{w} * {0.1 * (i + 1):.1f}" for i, w in enumerate(vars_[2:])])
    tail_d = " + ".join([f"{w} * {0.1 * (i + 1):.1f}" for i, w in enumerate(vars_[2:])])
    mac.append(f"    {ret.m} + {tail_m}".replace("_f64", "_" + F))
    dual.append(f"    {ret.d} + {tail_d}")
    wrt = is_wrt(idx)
    if wrt:
        case = (f'    {CASE}::new("{name}", |v| {name}(v[0], Y_CONST, &v[1..]), |v| {name}_d(v[0], c(Y_CONST), &v[1..]), '
                f'rand_points({PT_BASE + idx}, 3, 4, -1.5, 1.5))')
    else:
        case = (f'    {CASE}::new("{name}", |v| {name}(v[0], v[1], &v[2..]), |v| {name}_d(v[0], v[1], &v[2..]), '
                f'rand_points({PT_BASE + idx}, 3, 5, -1.5, 1.5))')
    if F != "f64" and any("tanh" in l or "h0(" in l for l in mac):
        # The generated code's f32 tanh is the crate's kernel, not tanhf:
        # its value may differ from the function's (common::TANH_TOL).
        case += ".with_tanh()"
    src = [
        "#[differentiable(wrt(x, xs))]" if wrt else "#[differentiable]",
        f"fn {name}(x: {F}, y: {F}, xs: &[{F}]) -> {F} {{",
        *mac,
        "}",
        f"fn {name}_d<D: Dn>(x: D, y: D, xs: &[D]) -> D {{",
        *dual,
        "}",
        f"fn case_{name}() -> {CASE} {{",
        case,
        "}",
        "",
    ]
    return "\n".join(src)


def main():
    out = [
        f"//! GENERATED by tests/common/gen_fuzz.py (seed {SEED}, {COUNT} functions, {F}): do not edit by hand.",
        "//! Random compositions of the supported float operations, lets, branches on",
        "//! active values, and loops that carry values (over ranges, reversed ranges",
        "//! with `continue`, and the slice, with branches inside), `map/sum`, `fold`,",
        "//! `zip`, `enumerate`, `product`,",
        "//! iterator folds, calls to other differentiable functions; each has a",
        "//! generic copy rendered from the same expression tree for num-dual (and",
        "//! hyper-dual numbers for `hvp` / `hessian`)." + (" Every fourth function has" if F == "f64" else ""),
        *(["//! `wrt(x, xs)`, leaving the float `y` a constant."] if F == "f64" else []),
        "// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).",
        "#![allow(unexpected_cfgs)]",
        "#![allow(clippy::all, unused_variables, unused_parens)]",
        "",
        "#[macro_use]",
        "mod common;",
        "use common::*;",
        "use gd::differentiable;",
        "",
    ]
    if F == "f64":
        out += [
            "/// The value of `y` in the functions that differentiate x and xs only.",
            "const Y_CONST: f64 = 0.37;",
            "",
        ]
    out += [
        "mod helpers {",
        "    use crate::common::*;",
        "    use gd::differentiable;",
        "    #[differentiable]",
        f"    pub fn h0(a: {F}, b: {F}) -> {F} {{",
        "        (a * b).sin() + (a - b).tanh()",
        "    }",
        "    pub fn h0_d<D: Dn>(a: D, b: D) -> D {",
        "        (a * b).sin() + (a - b).tanh()",
        "    }",
        "    #[differentiable]",
        f"    pub fn h2(a: {F}, b: {F}) -> {F} {{",
        "        let mut s = a;",
        "        for k in 0..3 {",
        f"            s = if s > b {{ (s - b).atan() + b.sin() * k as {F} }} else {{ (s - b) + b.sin() * k as {F} }};",
        "        }",
        "        s",
        "    }",
        "    pub fn h2_d<D: Dn>(a: D, b: D) -> D {",
        "        let mut s = a;",
        "        for k in 0..3 {",
        "            s = if s > b.re() { (s - b).atan() + b.sin() * k as f64 } else { (s - b) + b.sin() * k as f64 };",
        "        }",
        "        s",
        "    }",
        "}",
        "",
        "#[differentiable]",
        f"fn h1(a: {F}, b: {F}) -> {F} {{",
        "    (1.0 + a * a).ln() * b.cos()",
        "}",
        "fn h1_d<D: Dn>(a: D, b: D) -> D {",
        "    (c::<D>(1.0) + a * a).ln() * b.cos()",
        "}",
        "",
    ]
    for i in range(COUNT):
        out.append(function(i))
    out.append(f"fn cases() -> Vec<{CASE}> {{")
    out.append("    vec![" + ", ".join(f"case_fz{i}()" for i in range(COUNT)) + "]")
    out.append("}")
    out.append("")
    out.append("#[test]\nfn oracles_agree() {\n    for case in cases() {\n        case.check_oracles();\n    }\n}\n")
    out.append("#[cfg(not(gd_oracles_only))]\nmod api {\n    use super::*;\n")
    for i in range(COUNT):
        if F != "f64":
            out.append(f"""    #[test]
    fn fz{i}_ad() {{
        case_fz{i}().check_api(Api32 {{
            value_and_grad: &|v| {{
                let (val, (gx, gy, gs)): ({F}, ({F}, {F}, Vec<{F}>)) = fz{i}::value_and_grad(v[0], v[1], &v[2..]);
                (val, [vec![gx, gy], gs].concat())
            }},
            grad: &|v| {{
                let (gx, gy, gs) = fz{i}::grad(v[0], v[1], &v[2..]);
                [vec![gx, gy], gs].concat()
            }},
            jvp: &|v, t| fz{i}::jvp(v[0], v[1], &v[2..], t[0], t[1], &t[2..]),
            grad_into: &|v, g| {{
                let (gx, rest) = g.split_at_mut(1);
                let (gy, gs) = rest.split_at_mut(1);
                fz{i}::value_and_grad_into(v[0], v[1], &v[2..], &mut gx[0], &mut gy[0], gs)
            }},
        }});
    }}
""")
            continue
        if is_wrt(i):
            out.append(f"""    #[test]
    fn fz{i}_wrt_ad() {{
        case_fz{i}().check_api(Api {{
            value_and_grad: &|v| {{
                let (val, (gx, gs)): (f64, (f64, Vec<f64>)) = fz{i}::value_and_grad(v[0], Y_CONST, &v[1..]);
                (val, [vec![gx], gs].concat())
            }},
            grad: &|v| {{
                let (gx, gs) = fz{i}::grad(v[0], Y_CONST, &v[1..]);
                [vec![gx], gs].concat()
            }},
            jvp: &|v, t| fz{i}::jvp(v[0], Y_CONST, &v[1..], t[0], &t[1..]),
            grad_into: &|v, g| {{
                let (gx, gs) = g.split_at_mut(1);
                fz{i}::value_and_grad_into(v[0], Y_CONST, &v[1..], &mut gx[0], gs)
            }},
        }});
    }}

    #[test]
    fn fz{i}_wrt_hvp() {{
        check_second(
            "fz{i}",
            &case_fz{i}().points,
            &|v| fz{i}_d(v[0], c(Y_CONST), &v[1..]),
            &|v| {{
                let (val, (gx, gs)) = fz{i}::value_and_grad(v[0], Y_CONST, &v[1..]);
                (val, [vec![gx], gs].concat())
            }},
            &|v, t| {{
                let (hx, hs) = fz{i}::hvp(v[0], Y_CONST, &v[1..], t[0], &t[1..]);
                [vec![hx], hs].concat()
            }},
            &|v| {{
                let (val, (gx, gs), h) = fz{i}::hessian(v[0], Y_CONST, &v[1..]);
                (val, [vec![gx], gs].concat(), h.iter().copied().collect())
            }},
        );
    }}
""")
            continue
        out.append(f"""    #[test]
    fn fz{i}_ad() {{
        case_fz{i}().check_api(Api {{
            value_and_grad: &|v| {{
                let (val, (gx, gy, gs)): (f64, (f64, f64, Vec<f64>)) = fz{i}::value_and_grad(v[0], v[1], &v[2..]);
                (val, [vec![gx, gy], gs].concat())
            }},
            grad: &|v| {{
                let (gx, gy, gs) = fz{i}::grad(v[0], v[1], &v[2..]);
                [vec![gx, gy], gs].concat()
            }},
            jvp: &|v, t| fz{i}::jvp(v[0], v[1], &v[2..], t[0], t[1], &t[2..]),
            grad_into: &|v, g| {{
                let (gx, rest) = g.split_at_mut(1);
                let (gy, gs) = rest.split_at_mut(1);
                fz{i}::value_and_grad_into(v[0], v[1], &v[2..], &mut gx[0], &mut gy[0], gs)
            }},
        }});
    }}

    #[test]
    fn fz{i}_hvp() {{
        check_second(
            "fz{i}",
            &case_fz{i}().points,
            &|v| fz{i}_d(v[0], v[1], &v[2..]),
            &|v| {{
                let (val, (gx, gy, gs)) = fz{i}::value_and_grad(v[0], v[1], &v[2..]);
                (val, [vec![gx, gy], gs].concat())
            }},
            &|v, t| {{
                let (hx, hy, hs) = fz{i}::hvp(v[0], v[1], &v[2..], t[0], t[1], &t[2..]);
                [vec![hx, hy], hs].concat()
            }},
            &|v| {{
                let (val, (gx, gy, gs), h) = fz{i}::hessian(v[0], v[1], &v[2..]);
                (val, [vec![gx, gy], gs].concat(), h.iter().copied().collect())
            }},
        );
    }}
""")
    out.append("}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
