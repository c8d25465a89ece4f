//! A parameter struct's float fields, and elements of its vector fields,
//! given to `#[differentiable]` functions that take a float (`sq(p.bias)`,
//! `sig(p.w[i] * x[i] + p.bias)`). The macro cannot see whether a field is a
//! float or a matrix, so the argument is converted to the callee's parameter
//! type by rustc (src/__private/tensor/call.rs). Checked against central
//! differences through the primal, jvp against the gradient, and hvp against
//! differences of the gradient.

use gd::{differentiable, Params};
use nalgebra::DVector;

mod common;
use common::{assert_close, dot, fd_grad};

#[derive(Clone, Debug, gd::Params)]
struct Model {
    w: Vec<f64>,
    v: DVector<f64>,
    bias: f64,
}

#[differentiable]
fn sq(v: f64) -> f64 {
    v * v
}

#[differentiable]
fn sig(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[differentiable]
fn mix(a: f64, b: f64, c: f64) -> f64 {
    a * b.sin() + c * a
}

#[differentiable(wrt(a))]
fn scale_by(a: f64, xs: &[f64]) -> f64 {
    a * a * xs.iter().sum::<f64>()
}

#[differentiable(wrt(p))]
fn loss(p: &Model, x: &[f64]) -> f64 {
    let mut s = sq(p.bias);
    for i in 0..x.len() {
        s += sig(p.w[i] * x[i] + p.bias);
    }
    s += mix(p.v[0], p.v[1], x[0]);
    s + scale_by(p.v[2], x) + sq(p.w[0]) * p.bias
}

// A differentiated float of the caller's own beside a field, in one call.
#[differentiable(wrt(p, t))]
fn with_scalar(p: &Model, t: f64) -> f64 {
    mix(p.bias, t, t * t) + sq(t * p.v[1])
}

fn model() -> Model {
    Model { w: vec![0.4, -1.3, 0.9], v: DVector::from_vec(vec![0.7, -0.2, 1.1]), bias: 0.3 }
}

fn at(p: &Model, flat: &[f64]) -> Model {
    let mut m = p.clone();
    m.read_from(flat);
    m
}

#[test]
fn float_fields_passed_to_float_functions() {
    let (p, x) = (model(), [0.5, -2.0, 1.5]);
    let (v, g) = loss::value_and_grad(&p, &x);
    assert_eq!(v, loss(&p, &x));
    let flat = p.to_vec();
    let fd = fd_grad(&|q| loss(&at(&p, q), &x), &flat);
    assert_close("loss gradient vs differences", &g.to_vec(), &fd, 1e-7, 0.0);

    // Forward mode along a tangent struct agrees with the gradient.
    let tan = at(&p, &[0.3, -0.7, 0.2, 1.0, 0.5, -0.4, 0.8]);
    let (v2, d) = loss::jvp(&p, &x, &tan);
    assert_eq!(v2, v);
    assert_close("loss jvp vs grad·t", &[d], &[dot(&g.to_vec(), &tan.to_vec())], 1e-12, 0.0);

    // Second order (the dual copy): hvp against differences of the gradient.
    let hv = loss::hvp(&p, &x, &tan).to_vec();
    let h = 1e-5;
    let shifted = |s: f64| {
        let q: Vec<f64> = flat.iter().zip(tan.to_vec()).map(|(a, t)| a + s * t).collect();
        loss::grad(&at(&p, &q), &x).to_vec()
    };
    let fd_hv: Vec<f64> = shifted(h).iter().zip(shifted(-h)).map(|(a, b)| (a - b) / (2.0 * h)).collect();
    assert_close("loss hvp vs differences of the gradient", &hv, &fd_hv, 1e-6, 0.0);
}

#[test]
fn a_field_beside_a_differentiated_float() {
    let (p, t) = (model(), 0.8);
    let (v, (gp, gt)) = with_scalar::value_and_grad(&p, t);
    assert_eq!(v, with_scalar(&p, t));
    let mut flat = p.to_vec();
    flat.push(t);
    let n = flat.len() - 1;
    let fd = fd_grad(&|q| with_scalar(&at(&p, &q[..n]), q[n]), &flat);
    let mut got = gp.to_vec();
    got.push(gt);
    assert_close("with_scalar gradient vs differences", &got, &fd, 1e-7, 0.0);

    let tp = at(&p, &[0.1, 0.2, -0.3, 0.4, -0.5, 0.6, 0.7]);
    let (_, d) = with_scalar::jvp(&p, t, &tp, -1.5);
    assert_close("with_scalar jvp vs grad·t", &[d], &[dot(&gp.to_vec(), &tp.to_vec()) - 1.5 * gt], 1e-12, 0.0);

    let (hp, ht) = with_scalar::hvp(&p, t, &tp, -1.5);
    let h = 1e-5;
    let shifted = |s: f64| {
        let q: Vec<f64> = p.to_vec().iter().zip(tp.to_vec()).map(|(a, d)| a + s * d).collect();
        let (a, b) = with_scalar::grad(&at(&p, &q), t - 1.5 * s);
        let mut g = a.to_vec();
        g.push(b);
        g
    };
    let fd_hv: Vec<f64> = shifted(h).iter().zip(shifted(-h)).map(|(a, b)| (a - b) / (2.0 * h)).collect();
    let mut got = hp.to_vec();
    got.push(ht);
    assert_close("with_scalar hvp vs differences of the gradient", &got, &fd_hv, 1e-6, 0.0);
}

// The same in f32: a field is an `f32`, the callee takes an `f32`.
#[derive(Clone, Debug, gd::Params)]
struct Model32 {
    w: Vec<f32>,
    bias: f32,
}

#[differentiable]
fn cube32(v: f32) -> f32 {
    v * v * v
}

#[differentiable]
fn sig32(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

#[differentiable(wrt(p))]
fn loss32(p: &Model32, x: &[f32]) -> f32 {
    let mut s = cube32(p.bias);
    for i in 0..x.len() {
        s += sig32(p.w[i] * x[i] + p.bias);
    }
    s
}

#[test]
fn f32_fields_passed_to_f32_functions() {
    let (p, x) = (Model32 { w: vec![0.4, -1.3], bias: 0.6 }, [0.5f32, -2.0]);
    let (v, g) = loss32::value_and_grad(&p, &x);
    assert_eq!(v, loss32(&p, &x));
    // The hand-derived gradient, in f64.
    let s = |z: f64| 1.0 / (1.0 + (-z).exp());
    let (b, w) = (p.bias as f64, [p.w[0] as f64, p.w[1] as f64]);
    let zs = [w[0] * x[0] as f64 + b, w[1] * x[1] as f64 + b];
    let ds = zs.map(|z| s(z) * (1.0 - s(z)));
    let want = [ds[0] * x[0] as f64, ds[1] * x[1] as f64, 3.0 * b * b + ds[0] + ds[1]];
    assert_close("f32 loss gradient vs hand-derived", &g.to_vec(), &want, 1e-6, 0.0);
    let tan = Model32 { w: vec![0.3, -0.7], bias: 0.5 };
    let (_, d) = loss32::jvp(&p, &x, &tan);
    assert_close("f32 jvp vs grad·t", &[d as f64], &[dot(&g.to_vec(), &tan.to_vec())], 1e-6, 0.0);
}
