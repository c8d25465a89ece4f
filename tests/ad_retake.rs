//! Saving loops over ranges whose reverse sweep takes each trip's item
//! again (the range run backwards) and recomputes the indices computed from
//! it instead of saving them (gd-macros/src/plan/retake.rs). A local array
//! written then read, written several ways: a prefix sum over `1..n`, a
//! suffix sum over a reversed range, an index through a `let`, an inclusive
//! range with a product, a two-dimensional recurrence in nested loops; and
//! two that must keep saving what they cannot recompute: an offset bound
//! again after the loop, and an index carried by the body (`o = i`).
//! Each against num-dual, central differences and forward mode, and
//! `value_and_grad_set` against `value_and_grad_into`.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn prefix(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut h = vec![0.0; n];
    h[0] = xs[0];
    for i in 1..n {
        h[i] = h[i - 1] + xs[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += (h[i] - 0.25 * i as f64).powi(2);
    }
    s
}
fn prefix_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut h = vec![c::<D>(0.0); n];
    h[0] = xs[0];
    for i in 1..n {
        h[i] = h[i - 1] + xs[i];
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += (h[i] - 0.25 * i as f64).powi(2);
    }
    s
}

#[differentiable]
fn suffix_rev(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut h = vec![0.0; n];
    h[n - 1] = xs[n - 1];
    for i in (0..n - 1).rev() {
        h[i] = h[i + 1] * 0.5 + xs[i] * xs[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += h[i].sin();
    }
    s
}
fn suffix_rev_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut h = vec![c::<D>(0.0); n];
    h[n - 1] = xs[n - 1];
    for i in (0..n - 1).rev() {
        h[i] = h[i + 1] * 0.5 + xs[i] * xs[i];
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += h[i].sin();
    }
    s
}

#[differentiable]
fn through_let(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut h = vec![0.0; n];
    h[0] = xs[0].cos();
    for k in 1..n {
        let j = k - 1;
        let here = j + 1;
        h[here] = h[j] * 0.75 + xs[here] * xs[j];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += h[i] * h[i];
    }
    s
}
fn through_let_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut h = vec![c::<D>(0.0); n];
    h[0] = xs[0].cos();
    for k in 1..n {
        let j = k - 1;
        let here = j + 1;
        h[here] = h[j] * 0.75 + xs[here] * xs[j];
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += h[i] * h[i];
    }
    s
}

#[differentiable]
fn inclusive_prod(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut h = vec![0.0; n];
    h[0] = xs[0];
    for i in 1..=n - 1 {
        h[i] = h[i - 1] * (xs[i] * 0.25 + 0.5);
    }
    let mut s = 0.0;
    for i in 0..n {
        s += h[i] * (1.0 + i as f64);
    }
    s
}
fn inclusive_prod_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut h = vec![c::<D>(0.0); n];
    h[0] = xs[0];
    for i in 1..=n - 1 {
        h[i] = h[i - 1] * (xs[i] * 0.25 + 0.5);
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += h[i] * (1.0 + i as f64);
    }
    s
}

// A 3×3 grid, each row from the one above: the inner loop's indices read
// the outer pattern (`i`), taken again in the outer loop's reverse trip.
#[differentiable]
fn grid(xs: &[f64]) -> f64 {
    let m = 3;
    let mut h = vec![0.0; m * m];
    for j in 0..m {
        h[j] = xs[j];
    }
    for i in 1..m {
        for j in 0..m {
            h[i * m + j] = h[(i - 1) * m + j] * xs[i * m + j] + h[(i - 1) * m + (j + 1) % m];
        }
    }
    let mut s = 0.0;
    for k in 0..m * m {
        s += h[k].tanh();
    }
    s
}
fn grid_d<D: Dn>(xs: &[D]) -> D {
    let m = 3;
    let mut h = vec![c::<D>(0.0); m * m];
    for j in 0..m {
        h[j] = xs[j];
    }
    for i in 1..m {
        for j in 0..m {
            h[i * m + j] = h[(i - 1) * m + j] * xs[i * m + j] + h[(i - 1) * m + (j + 1) % m];
        }
    }
    let mut s = c::<D>(0.0);
    for k in 0..m * m {
        s += h[k].tanh();
    }
    s
}

// `off` is bound again after the loop: its trips' indices are saved.
#[differentiable]
fn rebound_after(xs: &[f64]) -> f64 {
    let n = xs.len();
    let off = 1;
    let mut h = vec![0.0; n];
    h[0] = xs[0];
    for i in off..n {
        h[i] = h[i - off] * 0.5 + xs[i].sin();
    }
    let off = 2;
    let mut s = 0.0;
    for i in 0..n {
        s += h[i] * h[(i + off) % n];
    }
    s
}
fn rebound_after_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let off = 1;
    let mut h = vec![c::<D>(0.0); n];
    h[0] = xs[0];
    for i in off..n {
        h[i] = h[i - off] * 0.5 + xs[i].sin();
    }
    let off = 2;
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += h[i] * h[(i + off) % n];
    }
    s
}

// The body carries an index in a plain variable (`o = i`): the read that
// uses it is saved, the others taken again.
#[differentiable]
fn carried_index(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut h = vec![0.0; n];
    let mut o = 0;
    for i in 0..n {
        h[i] = xs[i] * xs[i] + h[o] * 0.5;
        o = i;
    }
    let mut s = 0.0;
    for i in 0..n {
        s += h[i].exp();
    }
    s
}
fn carried_index_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut h = vec![c::<D>(0.0); n];
    let mut o = 0;
    for i in 0..n {
        h[i] = xs[i] * xs[i] + h[o] * 0.5;
        o = i;
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += h[i].exp();
    }
    s
}

slice_cases!(-1.2, 1.2;
    prefix, prefix_d, 301, 6;
    suffix_rev, suffix_rev_d, 302, 5;
    through_let, through_let_d, 303, 7;
    inclusive_prod, inclusive_prod_d, 304, 5;
    grid, grid_d, 305, 9;
    rebound_after, rebound_after_d, 306, 6;
    carried_index, carried_index_d, 307, 6;
);

#[cfg(not(gd_oracles_only))]
#[test]
fn retaken_items_ad() {
    check_all_api();
}
