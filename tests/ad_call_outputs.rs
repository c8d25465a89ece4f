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
    let m: [f64; 3] = moments(p, &TS, 2);
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

/// A typed tuple pattern, a `Vec` bound `mut` and pushed onto after the
/// call, and a local array passed to the callee.
#[differentiable]
fn mixed(x: &[f64]) -> f64 {
    let (a, b): (f64, f64) = polar(x[0], x[1]);
    let h = vec![a, b * x[2], x[0]];
    let mut v: Vec<f64> = squares(&h);
    v.push(a * b);
    let mut s = 0.0;
    for i in 0..v.len() {
        s += v[i] * (i + 1) as f64;
    }
    s
}

fn mixed_d<D: Dn>(x: &[D]) -> D {
    let (a, b) = polar_d(x[0], x[1]);
    let h = [a, b * x[2], x[0]];
    let mut v = squares_d(&h);
    v.push(a * b);
    let mut s = D::from(0.0);
    for i in 0..v.len() {
        s += v[i] * ((i + 1) as f64);
    }
    s
}

#[test]
fn typed_patterns_pushes_and_local_arguments() {
    check!(mixed, mixed_d, &X);
}

/// The nested callee's own vector API (`jacobian`, `vjp`, `jvp`) goes
/// through `polar`'s `__gd_jvp` and `__gd_vjp`.
#[test]
fn nested_callee_jacobian() {
    let (r, th, ph) = (1.3, 0.4, -0.9);
    let (out, j) = rotated::jacobian(r, th, ph);
    assert_eq!(out, rotated(r, th, ph));
    for c in 0..3 {
        let mut e = [0.0; 3];
        e[c] = 1.0;
        let at = |s: f64| {
            let p = [r + s * e[0], th + s * e[1], ph + s * e[2]];
            let (a, b, c) = rotated(p[0], p[1], p[2]);
            [a, b, c]
        };
        let (hi, lo) = (at(1e-6), at(-1e-6));
        let fd: Vec<f64> = (0..3).map(|k| (hi[k] - lo[k]) / 2e-6).collect();
        let col: Vec<f64> = j.column(c).iter().copied().collect();
        assert_close(&format!("rotated jacobian column {c}"), &col, &fd, 1e-7, 0.0);
        // num-dual through the generic copy.
        let d = |k: usize| common::Dual64::new([r, th, ph][k], e[k]);
        let (a, b, cc) = rotated_d(d(0), d(1), d(2));
        assert_close(&format!("rotated jacobian column {c} vs num-dual"), &col, &[a.eps, b.eps, cc.eps], 1e-12, 0.0);
    }
    let w = [0.5, -1.5, 2.0];
    let (_, (gr, gt, gp)) = rotated::vjp(r, th, ph, &w);
    for (c, g) in [gr, gt, gp].into_iter().enumerate() {
        let want: f64 = (0..3).map(|k| w[k] * j[(k, c)]).sum();
        assert_close(&format!("rotated vjp {c}"), &[g], &[want], 1e-12, 0.0);
    }
    let (_, t) = rotated::jvp(r, th, ph, 0.2, -0.1, 0.7);
    for k in 0..3 {
        let want = 0.2 * j[(k, 0)] - 0.1 * j[(k, 1)] + 0.7 * j[(k, 2)];
        assert_close(&format!("rotated jvp {k}"), &[t[k]], &[want], 1e-12, 0.0);
    }
}

#[differentiable]
fn polar32(r: f32, theta: f32) -> (f32, f32) {
    (r * theta.cos(), r * theta.sin())
}

#[differentiable]
fn spiral32(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let (a, b) = polar32(x[i], x[i] * 2.0);
        s += a * b - a;
    }
    s
}

fn spiral32_d<D: Dn>(x: &[D]) -> D {
    let mut s = D::from(0.0);
    for i in 0..x.len() {
        let (a, b) = polar_d(x[i], x[i] * 2.0);
        s += a * b - a;
    }
    s
}

#[test]
fn f32_callee() {
    let x = [0.8f32, -0.3, 1.1];
    let (v, g) = spiral32::value_and_grad(&x);
    assert_eq!(v, spiral32(&x));
    let g64: Vec<f64> = g.iter().map(|&a| a as f64).collect();
    let x64: Vec<f64> = x.iter().map(|&a| a as f64).collect();
    let (_, dg) = dual_grad(&|p| spiral32_d(p), &x64);
    assert_close("spiral32 gradient vs num-dual", &g64, &dg, 1e-5, 0.0);
    assert_close("spiral32 gradient vs differences", &g64, &common::fd_grad_f32(&|p| spiral32(p), &x), 1e-2, 0.0);
    let t = [0.3f32, -0.7, 0.5];
    let (_, d) = spiral32::jvp(&x, &t);
    let want: f32 = g.iter().zip(&t).map(|(a, b)| a * b).sum();
    assert_close("spiral32 jvp vs reverse", &[d as f64], &[want as f64], 1e-5, 0.0);
    let hv: Vec<f64> = spiral32::hvp(&x, &t).iter().map(|&a| a as f64).collect();
    // H·v against differences, along t, of the num-dual gradient of the
    // generic copy evaluated in f64.
    let t64: Vec<f64> = t.iter().map(|&a| a as f64).collect();
    let want = fd_hvp(&|p| dual_grad(&|y| spiral32_d(y), p).1, &x64, &t64);
    assert_close("spiral32 hvp vs differences of the num-dual gradient", &hv, &want, 1e-4, 0.0);
}

/// A vector-valued callee given a data matrix (a vector-valued callee's
/// lanes copy runs its dual copy once per lane, `emit::lanes::per_lane`,
/// which the caller's `hessian` reaches through its own lanes copy).
#[differentiable(wrt(x))]
fn weighted_squares(x: &[f64], m: &gd::nalgebra::DMatrix<f64>) -> Vec<f64> {
    let mut v = Vec::new();
    for i in 0..m.nrows() {
        let mut s = 0.0;
        for j in 0..x.len() {
            s += m[(i, j)] * x[j] * x[j];
        }
        v.push(s.sin());
    }
    v
}

fn weight(i: usize, j: usize) -> f64 {
    0.5 + (i as f64) - 0.3 * (j as f64)
}

#[differentiable]
fn through_data_matrix(x: &[f64]) -> f64 {
    let m = gd::nalgebra::DMatrix::from_fn(2, x.len(), weight);
    let v: Vec<f64> = weighted_squares(x, &m);
    v[0] * v[1] + x[0] * v[1]
}

fn through_data_matrix_d<D: Dn>(x: &[D]) -> D {
    let v: Vec<D> = (0..2)
        .map(|i| (0..x.len()).map(|j| x[j] * x[j] * weight(i, j)).fold(D::from(0.0), |a, b| a + b).sin())
        .collect();
    v[0] * v[1] + x[0] * v[1]
}

#[test]
fn per_lane_vector_callee() {
    check!(through_data_matrix, through_data_matrix_d, &X);
}

/// The call in a checkpointed loop, its outputs carried to the next trip:
/// the reverse sweep recomputes trips from snapshots, calls included.
#[differentiable]
fn orbit(x: &[f64]) -> f64 {
    let (mut u, mut w) = (x[0], x[1]);
    #[checkpoint(snapshots = 2)]
    for i in 0..7 {
        let (a, b) = polar(1.0 + 0.1 * u, w + x[2] * i as f64);
        u = a;
        w = b;
    }
    u * w
}

fn orbit_d<D: Dn>(x: &[D]) -> D {
    let (mut u, mut w) = (x[0], x[1]);
    for i in 0..7 {
        let (a, b) = polar_d(u * 0.1 + 1.0, w + x[2] * (i as f64));
        u = a;
        w = b;
    }
    u * w
}

#[test]
fn checkpointed_loop() {
    check!(orbit, orbit_d, &X);
}

/// Arrays typed `Vec<f64>` that are not call outputs keep their own
/// lowering: `Vec::new()` then pushes, and a collected map (which the
/// lowering rewrites into `Vec::new()` and a loop).
#[differentiable]
fn not_calls(x: &[f64]) -> f64 {
    let mut a: Vec<f64> = Vec::new();
    a.push(x[0] * x[1]);
    let h: Vec<f64> = x.iter().map(|v| v.sin()).collect();
    let (p, q) = polar(a[0], h[2]);
    p * q + h[1]
}

fn not_calls_d<D: Dn>(x: &[D]) -> D {
    let a = [x[0] * x[1]];
    let h: Vec<D> = x.iter().map(|v| v.sin()).collect();
    let (p, q) = polar_d(a[0], h[2]);
    p * q + h[1]
}

#[test]
fn constructors_are_not_call_outputs() {
    check!(not_calls, not_calls_d, &X);
}

/// A vector-valued function whose output is a callee's, pushed onto.
#[differentiable]
fn extended(x: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = squares(x);
    v.push(x[0] * x[1]);
    v
}

#[test]
fn output_from_a_callee() {
    let x = [0.8, -0.6, 1.1];
    let (out, j) = extended::jacobian(&x);
    assert_eq!(out, extended(&x));
    assert_eq!(j.shape(), (4, 3));
    for c in 0..3 {
        let mut e = vec![0.0; 3];
        e[c] = 1.0;
        let xd: Vec<common::Dual64> = x.iter().zip(&e).map(|(a, b)| common::Dual64::new(*a, *b)).collect();
        let mut want: Vec<f64> = squares_d(&xd).iter().map(|d| d.eps).collect();
        want.push((xd[0] * xd[1]).eps);
        let col: Vec<f64> = j.column(c).iter().copied().collect();
        assert_close(&format!("extended jacobian column {c} vs num-dual"), &col, &want, 1e-12, 0.0);
    }
    let w = [0.5, -1.0, 0.25, 2.0];
    let (_, g) = extended::vjp(&x, &w);
    let want: Vec<f64> = (0..3).map(|c| (0..4).map(|r| w[r] * j[(r, c)]).sum()).collect();
    assert_close("extended vjp vs jacobian", &g, &want, 1e-12, 0.0);
}

// ---- the method form: `let (a, b) = self.g(..)` in an `impl` ----

/// A struct whose vector-valued methods a scalar method binds.
struct Lens {
    k: f64,
}

impl Lens {
    /// Tuple-valued method (data `self`, not differentiated).
    #[differentiable(wrt(r, theta))]
    fn polar_m(&self, r: f64, theta: f64) -> (f64, f64) {
        (self.k * r * theta.cos(), r * theta.sin())
    }

    /// Array-valued method.
    #[differentiable(wrt(x))]
    fn triple(&self, x: &[f64]) -> [f64; 3] {
        [x[0] * x[1], self.k * x[1].exp(), x[0] - x[2] * x[2]]
    }

    /// `Vec`-valued method.
    #[differentiable(wrt(x))]
    fn scaled(&self, x: &[f64]) -> Vec<f64> {
        let mut v = Vec::new();
        for i in 0..x.len() {
            v.push(self.k * x[i] * x[i]);
        }
        v
    }

    /// Binds all three through `self.g(..)`, one of them in a loop.
    #[differentiable(wrt(x))]
    fn energy(&self, x: &[f64]) -> f64 {
        let (a, b) = self.polar_m(x[0], x[1]);
        let t: [f64; 3] = self.triple(x);
        let mut s = a * b + t[1].sin();
        for i in 0..2 {
            let v: Vec<f64> = self.scaled(x);
            s += v[i] * t[i] + a;
        }
        s
    }
}

const K: f64 = 1.7;

fn energy_d<D: Dn>(x: &[D]) -> D {
    let (a, b) = (x[0] * x[1].cos() * K, x[0] * x[1].sin());
    let t = [x[0] * x[1], x[1].exp() * K, x[0] - x[2] * x[2]];
    let mut s = a * b + t[1].sin();
    for i in 0..2 {
        let v: Vec<D> = x.iter().map(|&v| v * v * K).collect();
        s += v[i] * t[i] + a;
    }
    s
}

#[test]
fn method_form_of_vector_callees() {
    let l = Lens { k: K };
    check_all(
        "Lens::energy",
        &X,
        &|x| l.energy(x),
        &|x| energy_d(x),
        &|x| l.energy_value_and_grad(x),
        &|x, t| l.energy_jvp(x, t).1,
        &|x, g| l.energy_value_and_grad_set(x, g),
        &|x, t| l.energy_hvp(x, t),
        &|x| l.energy_hessian(x),
    );
}
