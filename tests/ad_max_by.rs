//! `max_by` / `min_by` with `partial_cmp` or `total_cmp` closures over a
//! differentiated slice: the derivative goes to the element returned, with
//! `Iterator::max_by`'s ties (the last of equal maxima; `min_by`: the first)
//! and `total_cmp`'s NaN order. Checked against central differences away
//! from ties, against the one-hot gradient at the position std's own
//! `max_by` picks at ties and NaN, forward against reverse, and `hvp`.

use gd::differentiable;

mod common;
use common::{assert_close, dot, fd_grad};

#[differentiable]
fn spread(x: &[f64]) -> f64 {
    let hi = x.iter().cloned().max_by(|a, b| a.partial_cmp(b).unwrap()).unwrap();
    let lo = x.iter().copied().min_by(|a, b| a.total_cmp(b)).unwrap();
    hi * hi * hi - lo * x[0] + x.iter().sum::<f64>()
}

#[differentiable]
fn top(x: &[f64]) -> f64 {
    x.iter().copied().max_by(|a, b| a.total_cmp(b)).unwrap()
}

#[differentiable]
fn bottom(x: &[f64]) -> f64 {
    x.iter().cloned().min_by(|a, b| a.partial_cmp(b).unwrap()).unwrap()
}

/// Reversed operands: the smallest, with `max_by`'s tie rule (the last).
#[differentiable]
fn reversed(x: &[f64]) -> f64 {
    2.0 * x.iter().copied().max_by(|a, b| b.partial_cmp(a).unwrap()).unwrap()
}

/// Plain `.iter()` (items `&f64`), dereferenced.
#[differentiable]
fn by_ref(x: &[f64], t: f64) -> f64 {
    let m = *x.iter().max_by(|a, b| a.total_cmp(b)).unwrap();
    (m * t).sin()
}

fn std_pos(x: &[f64], max: bool, cmp: fn(&f64, &f64) -> std::cmp::Ordering) -> usize {
    let it = x.iter().copied().enumerate();
    if max { it.max_by(|a, b| cmp(&a.1, &b.1)).unwrap().0 } else { it.min_by(|a, b| cmp(&a.1, &b.1)).unwrap().0 }
}

fn one_hot(n: usize, k: usize, v: f64) -> Vec<f64> {
    (0..n).map(|i| if i == k { v } else { 0.0 }).collect()
}

#[test]
fn away_from_ties() {
    let x = [0.4, -1.3, 2.2, 0.9, -0.2];
    let (v, g) = spread::value_and_grad(&x);
    assert_eq!(v, spread(&x));
    assert_close("spread gradient vs differences", &g, &fd_grad(&|p| spread(p), &x), 1e-7, 0.0);
    let t = [0.3, -0.5, 1.0, 0.2, 0.7];
    let (_, d) = spread::jvp(&x, &t);
    assert_close("spread jvp vs reverse", &[d], &[dot(&g, &t)], 1e-12, 0.0);
    // hi³ on x[2] gives 6·hi·t[2] there; -lo·x[0] with lo = x[1] couples x[0] and x[1].
    let hv = spread::hvp(&x, &t);
    assert_close("spread hvp", &hv, &[-t[1], -t[0], 6.0 * 2.2 * t[2], 0.0, 0.0], 1e-12, 0.0);
    let (v, (g, gt)) = by_ref::value_and_grad(&x, 0.7);
    assert_eq!(v, by_ref(&x, 0.7));
    let fd = fd_grad(&|p| by_ref(&p[..5], p[5]), &[0.4, -1.3, 2.2, 0.9, -0.2, 0.7]);
    let mut got = g.clone();
    got.push(gt);
    assert_close("by_ref gradient vs differences", &got, &fd, 1e-7, 0.0);
}

#[test]
fn ties_follow_std() {
    let x = [1.0, 3.0, -2.0, 3.0, -2.0];
    let k = std_pos(&x, true, |a, b| a.total_cmp(b));
    assert_eq!(k, 3, "max_by: the last of equal maxima");
    assert_eq!(top::grad(&x), one_hot(5, k, 1.0));
    let k = std_pos(&x, false, |a, b| a.partial_cmp(b).unwrap());
    assert_eq!(k, 2, "min_by: the first of equal minima");
    assert_eq!(bottom::grad(&x), one_hot(5, k, 1.0));
    let k = std_pos(&x, true, |a, b| b.partial_cmp(a).unwrap());
    assert_eq!(k, 4);
    assert_eq!(reversed::grad(&x), one_hot(5, k, 2.0));
    assert_eq!(reversed(&x), -4.0);
}

#[test]
fn total_cmp_puts_nan_on_top() {
    let x = [0.5, f64::NAN, 2.0];
    let (v, g) = top::value_and_grad(&x);
    assert!(v.is_nan() && top(&x).is_nan());
    assert_eq!(g, one_hot(3, 1, 1.0), "the NaN is returned: its element gets the derivative");
    // -0.0 < +0.0 under total_cmp.
    let z = [0.0, -0.0];
    assert_eq!(bottom::grad(&z), one_hot(2, 0, 1.0), "partial_cmp: equal, the first");
    let k = std_pos(&z, false, |a, b| a.total_cmp(b));
    assert_eq!(k, 1);
}

/// Over a local array (plain `.iter()` and `.copied()`), and over a mapped
/// iterator of a parameter and of a local array: the mapped values are
/// collected into a local array first and the picked element's derivative
/// goes through the map.
#[differentiable]
fn mapped(x: &[f64]) -> f64 {
    let h: Vec<f64> = x.iter().map(|v| (v * 1.5).sin()).collect();
    let a = *h.iter().max_by(|p, q| p.total_cmp(q)).unwrap();
    let b = h.iter().copied().min_by(|p, q| p.partial_cmp(q).unwrap()).unwrap();
    let c = x.iter().map(|v| v * v).max_by(|p, q| p.total_cmp(q)).unwrap();
    let d = h.iter().map(|v| v * x[0]).min_by(|p, q| p.total_cmp(q)).unwrap();
    a * b + c * a + d
}

/// A mapped `max_by` inside a loop, each trip over a different map.
#[differentiable]
fn mapped_in_loop(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..3 {
        let w = 0.5 + k as f64;
        s += x.iter().map(|v| (v * w).cos() * v).max_by(|p, q| p.total_cmp(q)).unwrap() * w;
    }
    s
}

#[test]
fn local_arrays_and_mapped_iterators() {
    let x = [0.4, -1.3, 2.2, 0.9, -0.2];
    let t = [0.3, -0.5, 1.0, 0.2, 0.7];
    for (name, f, vg, jvp, hvp, hess) in [
        (
            "mapped",
            mapped as fn(&[f64]) -> f64,
            mapped::value_and_grad as fn(&[f64]) -> (f64, Vec<f64>),
            mapped::jvp as fn(&[f64], &[f64]) -> (f64, f64),
            mapped::hvp as fn(&[f64], &[f64]) -> Vec<f64>,
            mapped::hessian as fn(&[f64]) -> (f64, Vec<f64>, gd::nalgebra::DMatrix<f64>),
        ),
        (
            "mapped_in_loop",
            mapped_in_loop,
            mapped_in_loop::value_and_grad,
            mapped_in_loop::jvp,
            mapped_in_loop::hvp,
            mapped_in_loop::hessian,
        ),
    ] {
        let (v, g) = vg(&x);
        assert_eq!(v, f(&x), "{name}: value");
        assert_close(&format!("{name}: gradient vs differences"), &g, &fd_grad(&|p| f(p), &x), 1e-7, 0.0);
        assert_close(&format!("{name}: jvp vs reverse"), &[jvp(&x, &t).1], &[dot(&g, &t)], 1e-12, 0.0);
        let grad = |p: &[f64]| vg(p).1;
        let fd_hv = common::fd_hvp(&grad, &x, &t);
        assert_close(&format!("{name}: hvp vs differences of the gradient"), &hvp(&x, &t), &fd_hv, 1e-6, 0.0);
        let (hv0, hg, h) = hess(&x);
        assert_eq!(hv0, v);
        assert_close(&format!("{name}: hessian's gradient"), &hg, &g, 1e-12, 0.0);
        let hv: Vec<f64> = (0..5).map(|i| (0..5).map(|j| h[(i, j)] * t[j]).sum()).collect();
        assert_close(&format!("{name}: hessian · t vs hvp"), &hv, &hvp(&x, &t), 1e-12, 0.0);
    }
}

/// Ties over a mapped iterator follow std: `|v|` maps ±1.5 to the same
/// value; `max_by` takes the last, and its sign decides the derivative.
#[differentiable]
fn abs_top(x: &[f64]) -> f64 {
    x.iter().map(|v| v.abs()).max_by(|p, q| p.total_cmp(q)).unwrap()
}

#[test]
fn mapped_ties_follow_std() {
    let x = [1.5, 0.2, -1.5];
    assert_eq!(abs_top::grad(&x), one_hot(3, 2, -1.0), "the last of equal maxima, through |v|");
    let x = [-1.5, 0.2, 1.5, -0.3];
    assert_eq!(abs_top::grad(&x), one_hot(4, 2, 1.0));
}

/// Adapters other than `map` (items by reference, then by value).
#[differentiable]
fn skipped(x: &[f64]) -> f64 {
    let a = *x.iter().skip(1).max_by(|p, q| p.total_cmp(q)).unwrap();
    let b = x.iter().rev().copied().min_by(|p, q| p.total_cmp(q)).unwrap();
    a * b
}

#[test]
fn other_adapters() {
    let x = [2.0, 0.5, 1.5, -1.0, 1.5];
    // max over x[1..]: 1.5, the last (x[4]); min: -1.0 at x[3].
    assert_eq!(skipped(&x), -1.5);
    assert_eq!(skipped::grad(&x), vec![0.0, 0.0, 0.0, 1.5, -1.0]);
    let y = [0.3, -0.7, 1.2, 0.4];
    assert_close("skipped gradient vs differences", &skipped::grad(&y), &fd_grad(&|p| skipped(p), &y), 1e-7, 0.0);
    assert_close("skipped hvp", &skipped::hvp(&y, &[1.0, 0.0, 0.0, 0.0]), &[0.0, 0.0, 0.0, 0.0], 1e-12, 0.0);
}
