//! Standard-library forms rewritten into ones the lowering knows
//! (`gd-macros/src/lower/sugar.rs`): `x.sin_cos()` as the pair of calls,
//! `xs.to_vec()` as a local array filled by a loop, `first`/`last`/`get`
//! through `Option` as indexing, `split_at` as two sub-slices, a `fold` over a
//! tuple of accumulators as a loop. Checked against
//! differences, by hand, and against a num-dual copy, forward mode and the
//! buffer API.
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

/// `sin_cos()` (rewritten to the pair of calls): destructured, and one part.
#[differentiable]
fn polar_parts(r: f64, t: f64) -> f64 {
    let (s, c) = t.sin_cos();
    r * s * s + r * r * c + (2.0 * t).sin_cos().1 * t.sin_cos().0
}

#[cfg(not(gd_oracles_only))]
#[test]
fn sin_cos_pairs() {
    let (r, t) = (1.3, 0.4);
    let (v, (gr, gt)) = polar_parts::value_and_grad(r, t);
    assert_eq!(v, polar_parts(r, t));
    let fd = fd_grad(&|p| polar_parts(p[0], p[1]), &[r, t]);
    assert_close("sin_cos gradient vs differences", &[gr, gt], &fd, 1e-7, 0.0);
    let hand_t = 2.0 * r * t.sin() * t.cos() - r * r * t.sin() - 2.0 * (2.0 * t).sin() * t.sin() + (2.0 * t).cos() * t.cos();
    assert_close("sin_cos gradient by hand", &[gr, gt], &[t.sin().powi(2) + 2.0 * r * t.cos(), hand_t], 1e-13, 0.0);
}

/// `to_vec()` copies, then changed in place (a running sum) and read.
#[differentiable(wrt(xs))]
fn copied_then_scanned(xs: &[f64], data: &[f64]) -> f64 {
    let mut y = xs.to_vec();
    let d: Vec<f64> = data.to_vec();
    let tail = xs[1..].to_vec();
    for i in 1..y.len() {
        y[i] += y[i - 1] * d[i];
    }
    y.iter().map(|v| v * v).sum::<f64>() + tail[0] * tail[1]
}
fn copied_then_scanned_d<D: Dn>(xs: &[D], data: &[f64]) -> D {
    let mut y = xs.to_vec();
    for i in 1..y.len() {
        let prev = y[i - 1];
        y[i] += prev * data[i];
    }
    y.iter().map(|&v| v * v).sum::<D>() + xs[1] * xs[2]
}

#[cfg(not(gd_oracles_only))]
#[test]
fn to_vec_copies() {
    let data = [0.0, 0.7, -1.1, 0.4, 0.9];
    Case::new("copied_then_scanned", move |v| copied_then_scanned(v, &data), move |v| copied_then_scanned_d(v, &data), rand_points(520, 4, 5, -1.2, 1.2))
        .check_api(Api {
            value_and_grad: &|v| copied_then_scanned::value_and_grad(v, &data),
            grad: &|v| copied_then_scanned::grad(v, &data),
            jvp: &|v, t| copied_then_scanned::jvp(v, &data, t),
            grad_into: &|v, g| copied_then_scanned::value_and_grad_into(v, &data, g),
        });
}

/// Element access through `Option`: `first`/`last` unwrapped (dereferenced
/// or copied), and `get(i).copied().unwrap_or(0.0)` at a stencil's ends.
#[differentiable]
fn ends_and_stencil(xs: &[f64]) -> f64 {
    let a = *xs.first().unwrap();
    let b = xs.last().copied().unwrap();
    let mut s = a * b + xs.first().cloned().unwrap().sin();
    for i in 0..xs.len() {
        let left = if i > 0 { xs[i - 1] } else { 0.0 };
        let right = xs.get(i + 1).copied().unwrap_or(0.0);
        s += (right - 2.0 * xs[i] + left).powi(2);
    }
    s + *xs.last().unwrap() * 0.5
}
fn ends_and_stencil_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let (a, b) = (xs[0], xs[n - 1]);
    let mut s = a * b + xs[0].sin();
    for i in 0..n {
        let left = if i > 0 { xs[i - 1] } else { c(0.0) };
        let right = if i + 1 < n { xs[i + 1] } else { c(0.0) };
        s += (right - xs[i] * 2.0 + left).powi(2);
    }
    s + xs[n - 1] * 0.5
}

#[cfg(not(gd_oracles_only))]
#[test]
fn option_element_access() {
    Case::new("ends_and_stencil", |v| ends_and_stencil(v), |v| ends_and_stencil_d(v), rand_points(521, 4, 6, -1.2, 1.2)).check_api(api_slice!(ends_and_stencil));
}

/// `split_at` into two halves, each iterated and indexed.
#[differentiable]
fn halves(xs: &[f64]) -> f64 {
    let (head, tail) = xs.split_at(xs.len() / 2);
    head.iter().map(|v| v * v).sum::<f64>() * tail[0] + tail.iter().map(|v| v.sin()).sum::<f64>()
}
fn halves_d<D: Dn>(xs: &[D]) -> D {
    let (head, tail) = xs.split_at(xs.len() / 2);
    head.iter().map(|&v| v * v).sum::<D>() * tail[0] + tail.iter().map(|v| v.sin()).sum::<D>()
}

#[cfg(not(gd_oracles_only))]
#[test]
fn split_halves() {
    Case::new("halves", |v| halves(v), |v| halves_d(v), rand_points(522, 4, 7, -1.2, 1.2)).check_api(api_slice!(halves));
}

/// Folds over a tuple of accumulators: sum and sum of squares (a variance),
/// then a minimum and maximum over mapped values, three accumulators.
#[differentiable]
fn tuple_folds(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (s, q) = xs.iter().fold((0.0, 0.0), |(s, q), &v| (s + v, q + v * v));
    let var = q / n - (s / n).powi(2);
    let (lo, hi, count) = xs.iter().map(|v| v.sin()).fold((f64::INFINITY, f64::NEG_INFINITY, 0.0), |(lo, hi, c), w| (lo.min(w), hi.max(w), c + 1.0));
    var + (hi - lo) * count
}
fn tuple_folds_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len() as f64;
    let (s, q) = xs.iter().fold((c::<D>(0.0), c::<D>(0.0)), |(s, q), &v| (s + v, q + v * v));
    let var = q / n - (s / n).powi(2);
    let (lo, hi) = xs.iter().map(|v| v.sin()).fold((c::<D>(f64::INFINITY), c::<D>(f64::NEG_INFINITY)), |(lo, hi), w| (dmin(lo, w), dmax(hi, w)));
    var + (hi - lo) * n
}

#[cfg(not(gd_oracles_only))]
#[test]
fn folds_over_tuples() {
    Case::new("tuple_folds", |v| tuple_folds(v), |v| tuple_folds_d(v), rand_points(523, 4, 6, -1.2, 1.2)).check_api(api_slice!(tuple_folds));
}
