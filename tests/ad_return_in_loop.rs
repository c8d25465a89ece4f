//! Early `return` from inside loops (the README promises it; the issue's
//! list has early return outside loops only): a `for` whose `return` is not
//! taken, then a `while` whose `return` is. Reverse mode got this wrong
//! before f895693 (gradient [0, 12.5, 0, 1.5, ..] instead of [0.062, 0.102,
//! 0.201, 0.0044, ..]; forward mode was right), so it has its own file.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- early return from inside for and while ---

#[differentiable]
fn return_in_loop(xs: &[f64], t: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        if s > 2.0 {
            return s * t;
        }
        s += xs[i] * xs[i];
    }
    let mut k = 0;
    while k < xs.len() {
        s = s * 0.5 + xs[k] * t;
        if s < -1.0 {
            return s.exp();
        }
        k += 1;
    }
    s
}
fn return_in_loop_d<D: Dn>(xs: &[D], t: D) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..xs.len() {
        if s > 2.0 {
            return s * t;
        }
        s += xs[i] * xs[i];
    }
    let mut k = 0;
    while k < xs.len() {
        s = s * 0.5 + xs[k] * t;
        if s < -1.0 {
            return s.exp();
        }
        k += 1;
    }
    s
}
fn case_return_in_loop() -> Case {
    let pts = vec![
        vec![1.0, 1.2, 0.5, 0.3, 0.7],   // returns from the for
        vec![0.2, 0.3, -0.1, 0.4, 0.5],  // falls through both
        vec![0.3, -0.4, -0.9, 0.2, 2.5], // returns from the while
    ];
    Case::new("return_in_loop", |v| return_in_loop(&v[..4], v[4]), |v| return_in_loop_d(&v[..4], v[4]), pts)
}

#[test]
fn oracles_agree() {
    case_return_in_loop().check_oracles();
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn return_in_loop_ad() {
        case_return_in_loop().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, gt)): (f64, (Vec<f64>, f64)) = return_in_loop::value_and_grad(&v[..4], v[4]);
                (val, [gx, vec![gt]].concat())
            },
            grad: &|v| {
                let (gx, gt): (Vec<f64>, f64) = return_in_loop::grad(&v[..4], v[4]);
                [gx, vec![gt]].concat()
            },
            jvp: &|v, t| return_in_loop::jvp(&v[..4], v[4], &t[..4], t[4]),
            grad_into: &|v, g| {
                let (gx, gt) = g.split_at_mut(4);
                return_in_loop::value_and_grad_into(&v[..4], v[4], gx, &mut gt[0])
            },
        });
    }

}
