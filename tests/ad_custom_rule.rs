//! Hand-written rules (`#[differentiable(value_and_grad = rule)]`) where
//! reverse mode has work to do around them: a rule-backed function carried
//! through a loop (`s = lse(s, x)`, a reduction that overwrites its
//! accumulator), called with a constant argument, inside an iterator
//! closure, under a branch, and in f32. The rule is the exact derivative, so
//! num-dual through the analytic generic copy is the oracle.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

/// log(e^a + e^b), shifted by the max.
fn lse_rule(a: f64, b: f64) -> (f64, (f64, f64)) {
    let m = a.max(b);
    let (ea, eb) = ((a - m).exp(), (b - m).exp());
    let s = ea + eb;
    (m + s.ln(), (ea / s, eb / s))
}

#[differentiable(value_and_grad = lse_rule)]
fn lse(a: f64, b: f64) -> f64 {
    (a.exp() + b.exp()).ln()
}
fn lse_d<D: Dn>(a: D, b: D) -> D {
    let m = dmax(a, b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

#[differentiable]
fn uses_rule(xs: &[f64], t: f64) -> f64 {
    let mut s = xs[0];
    for i in 1..xs.len() {
        s = lse(s, xs[i] * t);
    }
    let c = lse(t, 0.0);
    let m = xs.iter().map(|&x| lse(x, t)).sum::<f64>();
    let b = if s > 1.0 { lse(s, -s) } else { s * c };
    s + c * m + b
}
fn uses_rule_d<D: Dn>(xs: &[D], t: D) -> D {
    let mut s = xs[0];
    for i in 1..xs.len() {
        s = lse_d(s, xs[i] * t);
    }
    let c = lse_d(t, c(0.0));
    let m = xs.iter().map(|&x| lse_d(x, t)).sum::<D>();
    let b = if s > 1.0 { lse_d(s, -s) } else { s * c };
    s + c * m + b
}
fn case_uses_rule() -> Case {
    Case::new("uses_rule", |v| uses_rule(&v[..4], v[4]), |v| uses_rule_d(&v[..4], v[4]), rand_points(270, 5, 5, -2.0, 2.0))
}

fn lse32_rule(a: f32, b: f32) -> (f32, (f32, f32)) {
    let m = a.max(b);
    let (ea, eb) = ((a - m).exp(), (b - m).exp());
    let s = ea + eb;
    (m + s.ln(), (ea / s, eb / s))
}

#[differentiable(value_and_grad = lse32_rule)]
fn lse32(a: f32, b: f32) -> f32 {
    (a.exp() + b.exp()).ln()
}

#[differentiable]
fn uses_rule32(xs: &[f32]) -> f32 {
    let mut s = xs[0];
    for &x in xs {
        s = lse32(s * 0.5, x);
    }
    s
}
fn uses_rule32_d<D: Dn>(xs: &[D]) -> D {
    let mut s = xs[0];
    for &x in xs {
        s = lse_d(s * 0.5, x);
    }
    s
}

#[test]
fn oracles_agree() {
    case_uses_rule().check_oracles();
    Case32::new("uses_rule32", |v| uses_rule32(v), |v| uses_rule32_d(v), rand_points(271, 3, 4, -2.0, 2.0)).check_oracles();
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn rule_in_loops_closures_branches_ad() {
        case_uses_rule().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, gt)): (f64, (Vec<f64>, f64)) = uses_rule::value_and_grad(&v[..4], v[4]);
                (val, [gx, vec![gt]].concat())
            },
            grad: &|v| {
                let (gx, gt) = uses_rule::grad(&v[..4], v[4]);
                [gx, vec![gt]].concat()
            },
            jvp: &|v, t| uses_rule::jvp(&v[..4], v[4], &t[..4], t[4]),
            grad_into: &|v, g| {
                let (gx, gt) = g.split_at_mut(4);
                uses_rule::value_and_grad_into(&v[..4], v[4], gx, &mut gt[0])
            },
        });
        // the rule, not the body: finite at large inputs where the body overflows
        let (v, (ga, gb)) = lse::value_and_grad(1000.0, 999.0);
        assert!(v.is_finite() && (ga + gb - 1.0).abs() < 1e-15, "{v} {ga} {gb}");
    }

    #[test]
    fn rule_f32_ad() {
        Case32::new("uses_rule32", |v| uses_rule32(v), |v| uses_rule32_d(v), rand_points(271, 3, 4, -2.0, 2.0)).check_api(api32_slice!(uses_rule32));
    }
}
