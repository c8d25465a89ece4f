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
