//! `for i in (0..xs.len()).rev()` and `(0..xs.len()).step_by(k)`, i.e. a
//! range adaptor whose bound reads the length of an active slice: Horner's
//! rule written the way people write it, in f64 and f32. In its own file
//! because the macro once rejected this form (0cfcc7f, fixed in e90cd26)
//! and a compile error here must not hide the other loop tests;
//! ad_loops.rs and ad_f32.rs test Horner with the bound in a local
//! (`let n = coef.len(); (0..n).rev()`).
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- polynomial by Horner, reverse range; coefficients and x active ---

#[differentiable]
fn horner(coef: &[f64], x: f64) -> f64 {
    let mut acc = 0.0;
    for i in (0..coef.len()).rev() {
        acc = acc * x + coef[i];
    }
    acc
}
fn horner_d<D: Dn>(coef: &[D], x: D) -> D {
    let mut acc = c::<D>(0.0);
    for i in (0..coef.len()).rev() {
        acc = acc * x + coef[i];
    }
    acc
}
fn case_horner() -> Case {
    // flat vector: 6 coefficients then x
    Case::new("horner", |v| horner(&v[..6], v[6]), |v| horner_d(&v[..6], v[6]), rand_points(22, 5, 7, -1.3, 1.3))
}

// --- Horner with (a..b).rev(); gradient (Vec<f32>, f32) ---

#[differentiable]
fn horner32(coef: &[f32], x: f32) -> f32 {
    let mut acc = 0.0;
    for i in (0..coef.len()).rev() {
        acc = acc * x + coef[i];
    }
    acc
}
fn horner32_d<D: Dn>(coef: &[D], x: D) -> D {
    let mut acc = c::<D>(0.0);
    for i in (0..coef.len()).rev() {
        acc = acc * x + coef[i];
    }
    acc
}
fn case_horner32() -> Case32 {
    Case32::new("horner32", |v| horner32(&v[..5], v[5]), |v| horner32_d(&v[..5], v[5]), rand_points(71, 4, 6, -1.2, 1.2))
}

// --- step_by with a length bound: every other coefficient ---

#[differentiable]
fn even_terms(coef: &[f64], x: f64) -> f64 {
    let mut acc = 0.0;
    for i in (0..coef.len()).step_by(2) {
        acc += coef[i] * x.powi(i as i32);
    }
    acc
}
fn even_terms_d<D: Dn>(coef: &[D], x: D) -> D {
    let mut acc = c::<D>(0.0);
    for i in (0..coef.len()).step_by(2) {
        acc += coef[i] * x.powi(i as i32);
    }
    acc
}
fn case_even_terms() -> Case {
    Case::new("even_terms", |v| even_terms(&v[..6], v[6]), |v| even_terms_d(&v[..6], v[6]), rand_points(29, 4, 7, -1.3, 1.3))
}

#[test]
fn oracles_agree() {
    case_horner().check_oracles();
    case_even_terms().check_oracles();
    case_horner32().check_oracles();
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn horner_ad() {
        case_horner().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gc, gx)): (f64, (Vec<f64>, f64)) = horner::value_and_grad(&v[..6], v[6]);
                (val, [gc, vec![gx]].concat())
            },
            grad: &|v| {
                let (gc, gx): (Vec<f64>, f64) = horner::grad(&v[..6], v[6]);
                [gc, vec![gx]].concat()
            },
            jvp: &|v, t| horner::jvp(&v[..6], v[6], &t[..6], t[6]),
            grad_into: &|v, g| {
                let (gc, gx) = g.split_at_mut(6);
                horner::value_and_grad_into(&v[..6], v[6], gc, &mut gx[0])
            },
        });
    }

    #[test]
    fn even_terms_ad() {
        case_even_terms().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gc, gx)): (f64, (Vec<f64>, f64)) = even_terms::value_and_grad(&v[..6], v[6]);
                (val, [gc, vec![gx]].concat())
            },
            grad: &|v| {
                let (gc, gx): (Vec<f64>, f64) = even_terms::grad(&v[..6], v[6]);
                [gc, vec![gx]].concat()
            },
            jvp: &|v, t| even_terms::jvp(&v[..6], v[6], &t[..6], t[6]),
            grad_into: &|v, g| {
                let (gc, gx) = g.split_at_mut(6);
                even_terms::value_and_grad_into(&v[..6], v[6], gc, &mut gx[0])
            },
        });
    }

    #[test]
    fn horner32_ad() {
        case_horner32().check_api(Api32 {
            value_and_grad: &|v| {
                let (val, (gc, gx)): (f32, (Vec<f32>, f32)) = horner32::value_and_grad(&v[..5], v[5]);
                (val, [gc, vec![gx]].concat())
            },
            grad: &|v| {
                let (gc, gx): (Vec<f32>, f32) = horner32::grad(&v[..5], v[5]);
                [gc, vec![gx]].concat()
            },
            jvp: &|v, t| horner32::jvp(&v[..5], v[5], &t[..5], t[5]),
            grad_into: &|v, g| {
                let (gc, gx) = g.split_at_mut(5);
                horner32::value_and_grad_into(&v[..5], v[5], gc, &mut gx[0])
            },
        });
    }

}
