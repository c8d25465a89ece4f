//! Vector-valued `#[differentiable]` callees whose outputs the caller binds:
//! `let (a, b) = polar(r, t);`, `let v: [f64; 3] = f(..);`,
//! `let v: Vec<f64> = f(..);`. The outputs go to a local array (see
//! `Stmt::CallArr`); each sweep calls the callee's own code for it (its
//! primal, `__gd_jvp`, `__gd_vjp`, and the dual and lanes copies for `hvp`
//! and `hessian`). Each caller is checked against central differences of
//! its plain function, a num-dual copy written by hand, forward mode
//! against reverse, `_set` against `value_and_grad`, and `hvp` and
//! `hessian` against differences of the gradient.

use gd::differentiable;

mod common;
use common::{assert_close, dot, dual_grad, fd_grad, fd_hvp, Dn};

#[differentiable]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

fn polar_d<D: Dn>(r: D, theta: D) -> (D, D) {
    (r * theta.cos(), r * theta.sin())
}

/// A tuple of two, destructured, one output used twice.
#[differentiable]
fn cart(x: &[f64]) -> f64 {
    let (a, b) = polar(x[0], x[1]);
    a * b + a.sin() + x[2] * b
}

fn cart_d<D: Dn>(x: &[D]) -> D {
    let (a, b) = polar_d(x[0], x[1]);
    a * b + a.sin() + x[2] * b
}

/// A fixed array of three, with data arguments (`ts`, `k`).
#[differentiable(wrt(p))]
fn moments(p: &[f64], ts: &[f64], k: usize) -> [f64; 3] {
    let mut s = [0.0; 3];
    for i in 0..ts.len() {
        let e = p[0] * (p[1] * ts[i]).exp() * k as f64;
        s[0] += e;
        s[1] += e * ts[i];
        s[2] += e * e;
    }
    s
}

fn moments_d<D: Dn>(p: &[D], ts: &[f64], k: usize) -> [D; 3] {
    let mut s = [D::from(0.0); 3];
    for &t in ts {
        let e = p[0] * (p[1] * t).exp() * (k as f64);
        s[0] += e;
        s[1] += e * t;
        s[2] += e * e;
    }
    s
}

const TS: [f64; 4] = [0.0, 0.3, -0.5, 0.9];

/// Bound as an array, read by index in a loop and in a branch.
#[differentiable]
fn use_moments(p: &[f64]) -> f64 {
    let m: [f64; 3] = moments(p, &TS[..], 2);
    let mut s = 0.0;
    for i in 0..3 {
        if m[i] > 1.0 {
            s += m[i].ln();
        } else {
            s += m[i] * m[i];
        }
    }
    s + m[0] * p[1]
}

fn use_moments_d<D: Dn>(p: &[D]) -> D {
    let m = moments_d(p, &TS, 2);
    let mut s = D::from(0.0);
    for i in 0..3 {
        if m[i].re() > 1.0 {
            s += m[i].ln();
        } else {
            s += m[i] * m[i];
        }
    }
    s + m[0] * p[1]
}

/// A `Vec` output whose length depends on the input.
#[differentiable]
fn squares(x: &[f64]) -> Vec<f64> {
    let mut v = Vec::new();
    for i in 0..x.len() {
        v.push(x[i] * x[i] + x[(i + 1) % x.len()]);
    }
    v
}

fn squares_d<D: Dn>(x: &[D]) -> Vec<D> {
    (0..x.len()).map(|i| x[i] * x[i] + x[(i + 1) % x.len()]).collect()
}

/// Bound as a `Vec`, iterated and read by index; the call inside a loop,
/// each trip's outputs read in that trip.
#[differentiable]
fn use_squares(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..2 {
        let v: Vec<f64> = squares(x);
        s += v.iter().map(|a| a.sqrt()).sum::<f64>() * (k + 1) as f64;
        s += v[k] * x[k];
    }
    s
}

fn use_squares_d<D: Dn>(x: &[D]) -> D {
    let mut s = D::from(0.0);
    for k in 0..2 {
        let v = squares_d(x);
        s += v.iter().map(|a| a.sqrt()).fold(D::from(0.0), |a, b| a + b) * ((k + 1) as f64);
        s += v[k] * x[k];
    }
    s
}

/// Nested: a vector-valued callee that itself binds a vector-valued callee.
#[differentiable]
fn rotated(r: f64, theta: f64, phi: f64) -> (f64, f64, f64) {
    let (a, b) = polar(r, theta + phi);
    (a, b, a * b)
}

fn rotated_d<D: Dn>(r: D, theta: D, phi: D) -> (D, D, D) {
    let (a, b) = polar_d(r, theta + phi);
    (a, b, a * b)
}

/// The call in a branch, and `_` for an output not used.
#[differentiable]
fn nested(x: &[f64]) -> f64 {
    let mut s = x[0];
    if x[2] > 0.0 {
        let (a, _, c) = rotated(x[0], x[1], x[2]);
        s += a * c;
    } else {
        let (_, b, c) = rotated(x[1], x[0], x[2]);
        s -= b * c;
    }
    s
}

fn nested_d<D: Dn>(x: &[D]) -> D {
    let mut s = x[0];
    if x[2].re() > 0.0 {
        let (a, _, c) = rotated_d(x[0], x[1], x[2]);
        s += a * c;
    } else {
        let (_, b, c) = rotated_d(x[1], x[0], x[2]);
        s -= b * c;
    }
    s
}

const X: [f64; 3] = [0.8, 0.6, 0.4];
const T: [f64; 3] = [0.3, -0.7, 0.5];

/// Every entry point against the oracles.
#[allow(clippy::too_many_arguments)]
fn check_all(
    what: &str,
    x: &[f64],
    f: &dyn Fn(&[f64]) -> f64,
    fd_copy: &dyn Fn(&[common::Dual64]) -> common::Dual64,
    vg: &dyn Fn(&[f64]) -> (f64, Vec<f64>),
    jvp: &dyn Fn(&[f64], &[f64]) -> f64,
    set: &dyn Fn(&[f64], &mut [f64]) -> f64,
    hvp: &dyn Fn(&[f64], &[f64]) -> Vec<f64>,
    hessian: &dyn Fn(&[f64]) -> (f64, Vec<f64>, gd::nalgebra::DMatrix<f64>),
) {
    let t = &T[..x.len()];
    let (v, g) = vg(x);
    assert_eq!(v, f(x), "{what}: value");
    assert_close(&format!("{what}: gradient vs differences"), &g, &fd_grad(f, x), 1e-7, 0.0);
    let (dv, dg) = dual_grad(fd_copy, x);
    assert_close(&format!("{what}: value vs num-dual"), &[v], &[dv], 1e-12, 0.0);
    assert_close(&format!("{what}: gradient vs num-dual"), &g, &dg, 1e-12, 0.0);
    assert_close(&format!("{what}: jvp vs reverse"), &[jvp(x, t)], &[dot(&g, t)], 1e-12, 0.0);
    let mut buf = vec![9.0; x.len()];
    assert_eq!(set(x, &mut buf), v);
    assert_eq!(buf, g, "{what}: _set");
    let grad = |p: &[f64]| vg(p).1;
    let fd_hv = fd_hvp(&grad, x, t);
    assert_close(&format!("{what}: hvp vs differences of the gradient"), &hvp(x, t), &fd_hv, 1e-6, 0.0);
    let (hv0, hg, h) = hessian(x);
    assert_eq!(hv0, v, "{what}: hessian's value");
    assert_close(&format!("{what}: hessian's gradient"), &hg, &g, 1e-12, 0.0);
    for j in 0..x.len() {
        let mut e = vec![0.0; x.len()];
        e[j] = 1.0;
        let col: Vec<f64> = h.column(j).iter().copied().collect();
        assert_close(&format!("{what}: hessian column {j} vs differences of the gradient"), &col, &fd_hvp(&grad, x, &e), 1e-6, 0.0);
    }
}

macro_rules! check {
    ($f:ident, $fd:ident, $x:expr) => {
        check_all(
            stringify!($f),
            $x,
            &|x| $f(x),
            &|x| $fd(x),
            &|x| $f::value_and_grad(x),
            &|x, t| $f::jvp(x, t).1,
            &|x, g| $f::value_and_grad_set(x, g),
            &|x, t| $f::hvp(x, t),
            &|x| $f::hessian(x),
        )
    };
}

#[test]
fn tuple_of_two() {
    check!(cart, cart_d, &X);
}

#[test]
fn fixed_array_with_data_arguments() {
    check!(use_moments, use_moments_d, &X[..2]);
    check!(use_moments, use_moments_d, &[0.1, -0.4]);
}

#[test]
fn vec_in_a_loop() {
    check!(use_squares, use_squares_d, &X);
}

#[test]
fn nested_vector_callees_in_branches() {
    check!(nested, nested_d, &X);
    check!(nested, nested_d, &[0.8, 0.6, -0.4]);
}
