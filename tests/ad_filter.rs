//! `.filter(..)` in reductions over differentiated arrays
//! (`xs.iter().filter(|&&v| v > 0.0).map(..).sum()`, after a `map`, with
//! `copied`, `enumerate`, `fold`, over a range reading the array) and in
//! `for` loops (`for &v in xs.iter().filter(|&&v| ..)`): the steps after a
//! filter run only for the elements it keeps, so a step undefined on the
//! others (`ln` of a non-positive) leaves no NaN in the gradient. Checked
//! against num-dual copies, central differences, forward mode, `_set`, and
//! second order against hyper-duals.
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn positive_squares(xs: &[f64]) -> f64 {
    xs.iter().filter(|&&v| v > 0.0).map(|v| v * v).sum::<f64>()
}
fn positive_squares_d<D: Dn>(xs: &[D]) -> D {
    xs.iter().filter(|v| re(**v) > 0.0).map(|&v| v * v).sum::<D>()
}

/// A filter on a mapped value, then another map.
#[differentiable]
fn after_map(xs: &[f64]) -> f64 {
    xs.iter().map(|&v| v * 3.0 - 1.0).filter(|&w| w < 1.0).map(|w| w.exp()).sum::<f64>()
}
fn after_map_d<D: Dn>(xs: &[D]) -> D {
    xs.iter().map(|&v| v * 3.0 - 1.0).filter(|w| re(*w) < 1.0).map(|w| w.exp()).sum::<D>()
}

/// Filtered elements summed as they are.
#[differentiable]
fn plain_sum(xs: &[f64]) -> f64 {
    xs.iter().filter(|&&v| v.abs() < 1.0).sum::<f64>() * xs[1]
}
fn plain_sum_d<D: Dn>(xs: &[D]) -> D {
    xs.iter().filter(|v| re(**v).abs() < 1.0).copied().sum::<D>() * xs[1]
}

/// `copied`, then a fold over the kept elements.
#[differentiable]
fn folded(xs: &[f64]) -> f64 {
    xs.iter().copied().filter(|&v| v < 0.8).fold(1.0, |acc, v| acc * (1.0 + v * v))
}
fn folded_d<D: Dn>(xs: &[D]) -> D {
    xs.iter().copied().filter(|v| re(*v) < 0.8).fold(c::<D>(1.0), |acc, v| acc * (v * v + 1.0))
}

/// `ln` only where it is defined: the skipped elements add nothing, not
/// `0 · ∞`.
#[differentiable]
fn log_of_positive(xs: &[f64]) -> f64 {
    xs.iter().filter(|&&v| v > 0.0).map(|&v| v.ln()).sum::<f64>() + xs[0]
}
fn log_of_positive_d<D: Dn>(xs: &[D]) -> D {
    xs.iter().filter(|v| re(**v) > 0.0).map(|&v| v.ln()).sum::<D>() + xs[0]
}

/// A range whose filter reads the differentiated array.
#[differentiable]
fn range_filter(xs: &[f64]) -> f64 {
    (0..xs.len()).filter(|&i| xs[i] > 0.0).map(|i| xs[i] * xs[i] * i as f64).sum::<f64>()
}
fn range_filter_d<D: Dn>(xs: &[D]) -> D {
    (0..xs.len()).filter(|&i| re(xs[i]) > 0.0).map(|i| xs[i] * xs[i] * i as f64).sum::<D>()
}

/// `enumerate` filtered on the index.
#[differentiable]
fn even_positions(xs: &[f64]) -> f64 {
    xs.iter().enumerate().filter(|(i, _)| i % 2 == 0).map(|(_, &v)| v * v * v).sum::<f64>()
}
fn even_positions_d<D: Dn>(xs: &[D]) -> D {
    xs.iter().enumerate().filter(|(i, _)| i % 2 == 0).map(|(_, &v)| v * v * v).sum::<D>()
}

/// A `for` loop over a filtered iterator.
#[differentiable]
fn loop_filter(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in xs.iter().filter(|&&v| v > -0.3) {
        s += v.cos() * v;
    }
    s
}
fn loop_filter_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for &v in xs.iter().filter(|v| re(**v) > -0.3) {
        s += v.cos() * v;
    }
    s
}

slice_cases!(-1.2, 1.2;
    positive_squares, positive_squares_d, 501, 6;
    after_map, after_map_d, 503, 6;
    plain_sum, plain_sum_d, 504, 5;
    folded, folded_d, 505, 6;
    log_of_positive, log_of_positive_d, 506, 6;
    range_filter, range_filter_d, 507, 6;
    even_positions, even_positions_d, 508, 7;
    loop_filter, loop_filter_d, 509, 6;
);

#[cfg(not(gd_oracles_only))]
#[test]
fn filtered_reductions_ad() {
    check_all_api();
}

/// Elements that the filter drops, including an exact zero under `ln`:
/// the gradient is `1/v` where kept, 0 elsewhere (plus the `xs[0]` term),
/// and finite.
#[cfg(not(gd_oracles_only))]
#[test]
fn dropped_elements_leave_no_nan() {
    let xs = [0.0, -1.0, 2.0, 0.5, -0.0];
    let (v, g) = log_of_positive::value_and_grad(&xs);
    assert_eq!(v, log_of_positive(&xs));
    assert_eq!(g, vec![1.0, 0.0, 0.5, 2.0, 0.0]);
    let h = log_of_positive::hvp(&xs, &[1.0, 1.0, 1.0, 1.0, 1.0]);
    assert_eq!(h, vec![0.0, 0.0, -0.25, -4.0, 0.0]);
}

#[cfg(not(gd_oracles_only))]
#[test]
fn filtered_reductions_second_order() {
    second_slice!(positive_squares, positive_squares_d, rand_points(511, 2, 5, -1.2, 1.2));
    second_slice!(after_map, after_map_d, rand_points(512, 2, 6, -1.2, 1.2));
    second_slice!(folded, folded_d, rand_points(513, 2, 5, -1.2, 1.2));
    second_slice!(range_filter, range_filter_d, rand_points(514, 2, 6, -1.2, 1.2));
    second_slice!(loop_filter, loop_filter_d, rand_points(515, 2, 5, -1.2, 1.2));
}
