//! Slice and array methods as people write them over differentiated values
//! (issue 16): `reduce(|a, b| ..).unwrap()`, `position(..)` (an index, no
//! derivative), `let [p, q] = a;`, `c.copy_from_slice(&x[..k])` and
//! `c.fill(v)` on local arrays. Each against a num-dual copy, central
//! differences, forward mode, `_set`, and second order against hyper-duals.
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

/// `reduce` over `copied()` and over a `map`, with `unwrap` and `expect`.
#[differentiable]
fn reduced(x: &[f64]) -> f64 {
    let a = x.iter().copied().reduce(|a, b| a * b + b.sin()).unwrap();
    let m = x.iter().map(|v| v * v).reduce(|a, b| a.max(b)).expect("empty");
    a + m
}
fn reduced_d<D: Dn>(x: &[D]) -> D {
    let mut a = x[0];
    for &b in &x[1..] {
        a = a * b + b.sin();
    }
    let mut m = x[0] * x[0];
    for &v in &x[1..] {
        m = dmax(m, v * v);
    }
    a + m
}

/// `position` over a parameter, over a range reading it, and over a local
/// array; `count` of a filter.
#[differentiable]
fn positioned(x: &[f64]) -> f64 {
    let i = x.iter().position(|&v| v > 0.0).unwrap_or(0);
    // the name passed on by value, twice (the dual copies borrow it too)
    let n = gd::stop_gradient(x).len() + gd::stop_gradient(x).iter().filter(|&&v| v < 0.0).count();
    let j = (0..x.len()).rposition(|k| x[k] < 0.5).unwrap_or(1);
    let c = [x[2] * x[1], x[0]];
    let m = c.iter().position(|&v| v > 0.0).unwrap_or(1);
    let k = x.iter().filter(|&&v| v > 0.0).count();
    x[i] * x[j] + x[0] * k as f64 + c[m] * c[m] + x[1] * n as f64
}
fn positioned_d<D: Dn>(x: &[D]) -> D {
    let i = x.iter().position(|v| v.re() > 0.0).unwrap_or(0);
    let j = (0..x.len()).rposition(|k| x[k].re() < 0.5).unwrap_or(1);
    let c = [x[2] * x[1], x[0]];
    let m = c.iter().position(|v| v.re() > 0.0).unwrap_or(1);
    let k = x.iter().filter(|v| v.re() > 0.0).count();
    let n = x.len() + x.iter().filter(|v| v.re() < 0.0).count();
    x[i] * x[j] + x[0] * (k as f64) + c[m] * c[m] + x[1] * (n as f64)
}

/// `let [p, q] = a;` over a local array and over an array literal, with `_`.
#[differentiable]
fn array_patterns(x: &[f64]) -> f64 {
    let a = [x[0] * x[1], x[2]];
    let [p, q] = a;
    let [r, _, s] = [x[1].exp(), x[0], q * p];
    let [u, w] = [x[2], 2.0];
    p * q.sin() + r * s + u * w * u
}
fn array_patterns_d<D: Dn>(x: &[D]) -> D {
    let (p, q) = (x[0] * x[1], x[2]);
    let (r, s) = (x[1].exp(), q * p);
    let (u, w) = (x[2], 2.0);
    p * q.sin() + r * s + u * w * u
}

/// `copy_from_slice` from a sub-slice of a parameter and from a local
/// array, then `fill` with a differentiated value and with a constant.
#[differentiable]
fn copied_and_filled(x: &[f64]) -> f64 {
    let mut c = [0.0; 2];
    c.copy_from_slice(&x[1..3]);
    let mut d = vec![1.0; 2];
    d.copy_from_slice(&c);
    let s0 = c[0] * d[1] + x[0];
    c.fill(x[0] * x[2]);
    let s1 = c[0] * c[1] + d[0].cos();
    d.fill(0.5);
    s0 * s1 + d[0] * x[1]
}
fn copied_and_filled_d<D: Dn>(x: &[D]) -> D {
    let s0 = x[1] * x[2] + x[0];
    let f = x[0] * x[2];
    let s1 = f * f + x[1].cos();
    s0 * s1 + x[1] * 0.5
}

slice_cases! { -1.5, 1.5;
    reduced, reduced_d, 1601, 4;
    positioned, positioned_d, 1602, 4;
    array_patterns, array_patterns_d, 1603, 3;
    copied_and_filled, copied_and_filled_d, 1604, 3;
}

#[cfg(not(gd_oracles_only))]
#[test]
fn api_agrees() {
    check_all_api();
}

#[cfg(not(gd_oracles_only))]
#[test]
fn second_order() {
    second_slice!(reduced, reduced_d, rand_points(1611, 2, 4, -1.2, 1.2));
    second_slice!(positioned, positioned_d, rand_points(1612, 2, 4, -1.2, 1.2));
    second_slice!(array_patterns, array_patterns_d, rand_points(1613, 2, 3, -1.2, 1.2));
    second_slice!(copied_and_filled, copied_and_filled_d, rand_points(1614, 2, 3, -1.2, 1.2));
}

/// `reduce` over an empty slice panics as `unwrap` does.
#[cfg(not(gd_oracles_only))]
#[test]
#[should_panic(expected = "called `Option::unwrap()` on a `None` value")]
fn reduce_of_nothing_panics() {
    let _ = reduced::grad(&[]);
}
