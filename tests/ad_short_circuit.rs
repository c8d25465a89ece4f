//! `&&` and `||` short-circuit in every generated sweep: the right operand
//! may index out of bounds or take a root of a negative number when the left
//! one decides, as in `while i < xs.len() && xs[i] > 0.0`. Evaluating both
//! operands eagerly (e.g. into temporaries) would panic or poison values.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn guarded(xs: &[f64], k: usize) -> f64 {
    let mut i = 0;
    let mut s = 0.0;
    while i < xs.len() && xs[i] > 0.0 {
        s += xs[i] * xs[i];
        i += 1;
    }
    if k < xs.len() && xs[k] > 0.0 {
        s += xs[k].ln();
    }
    if k >= xs.len() || xs[k] < 1.0 {
        s *= 2.0;
    }
    let ok = k < xs.len() && xs[k].sqrt() > 0.5;
    if ok || s < 0.0 {
        s += xs[0] * 3.0;
    }
    s
}
fn guarded_d<D: Dn>(xs: &[D], k: usize) -> D {
    let mut i = 0;
    let mut s = c::<D>(0.0);
    while i < xs.len() && xs[i] > 0.0 {
        s += xs[i] * xs[i];
        i += 1;
    }
    if k < xs.len() && xs[k] > 0.0 {
        s += xs[k].ln();
    }
    if k >= xs.len() || xs[k] < 1.0 {
        s *= 2.0;
    }
    let ok = k < xs.len() && xs[k].re().sqrt() > 0.5;
    if ok || s < 0.0 {
        s += xs[0] * 3.0;
    }
    s
}
fn case_guarded(k: usize) -> Case {
    let pts = vec![vec![1.5, 2.0, 0.7], vec![0.4, -1.0, 2.5], vec![0.9, 0.3, -0.2], vec![-0.5, 1.2, 1.7]];
    Case::new("guarded", move |v| guarded(v, k), move |v| guarded_d(v, k), pts)
}

#[test]
fn oracles_agree() {
    for k in [0, 1, 2, 7] {
        case_guarded(k).check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn short_circuit_in_every_sweep_ad() {
        // k = 7 is out of bounds: only the short-circuit keeps xs[k] unread
        for k in [0, 1, 2, 7] {
            case_guarded(k).check_api(Api {
                value_and_grad: &|v| guarded::value_and_grad(v, k),
                grad: &|v| guarded::grad(v, k),
                jvp: &|v, t| guarded::jvp(v, k, t),
                grad_into: &|v, g| guarded::value_and_grad_into(v, k, g),
            });
            for x in &case_guarded(k).points {
                let hv = guarded::hvp(x, k, &[1.0, 0.5, -1.0]);
                let want = hyperdual_hvp(&|v| guarded_d(v, k), x, &[1.0, 0.5, -1.0]);
                assert_close("guarded: hvp vs hyper-dual", &hv, &want, 1e-10, 0.0);
            }
        }
    }
}
