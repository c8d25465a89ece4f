//! `#[differentiable]` on a function inside a block (a `#[test]` function
//! here, `main` alike): the generated API is associated functions of a type
//! named like the function, which see the block's items — its types, and
//! other differentiable functions of the block, which it calls.

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[test]
fn differentiable_fn_inside_a_test() {
    // A type of the block, used as data by the function.
    #[derive(Clone, Copy)]
    struct Shift {
        by: usize,
    }

    #[differentiable]
    fn shifted(xs: &[f64], s: Shift) -> f64 {
        let mut acc = 0.0;
        for i in 0..xs.len() {
            acc += xs[(i + s.by) % xs.len()] * xs[i].cos();
        }
        acc
    }
    fn shifted_d<D: Dn>(xs: &[D], by: usize) -> D {
        let mut acc = c(0.0);
        for i in 0..xs.len() {
            acc += xs[(i + by) % xs.len()] * xs[i].cos();
        }
        acc
    }

    let s = Shift { by: 1 };
    let case = Case::new("shifted", move |v| shifted(v, s), move |v| shifted_d(v, 1), rand_points(50, 4, 3, -2.0, 2.0));
    case.check_api(Api {
        value_and_grad: &|v| shifted::value_and_grad(v, s),
        grad: &|v| shifted::grad(v, s),
        jvp: &|v, t| shifted::jvp(v, s, t),
        grad_into: &|v, g| shifted::value_and_grad_into(v, s, g),
    });
}

#[test]
fn nested_calls_nested() {
    #[differentiable]
    fn sq(x: f64) -> f64 {
        x * x
    }
    #[differentiable]
    fn outer(x: f64, y: f64) -> f64 {
        sq(x) * y + sq(y).sin()
    }
    fn outer_d<D: Dn>(x: D, y: D) -> D {
        x * x * y + (y * y).sin()
    }

    let case = Case::new("outer", |v| outer(v[0], v[1]), |v| outer_d(v[0], v[1]), rand_points(51, 4, 2, -2.0, 2.0));
    case.check_api(api_scalars!(outer; 2));
    for x in &case.points {
        let d = [0.5, -1.5];
        let (hx, hy) = outer::hvp(x[0], x[1], d[0], d[1]);
        let want = hyperdual_hvp(&|v| outer_d(v[0], v[1]), x, &d);
        assert_close("outer: hvp vs hyper-dual (through sq's dual copy)", &[hx, hy], &want, 1e-12, 0.0);
    }
}

/// A plain `fn` written inside a differentiated body and called with data
/// only (a differentiated value given to it is a spanned error: the ui case
/// `call_nested_fn_item`).
#[differentiable]
fn with_inner_helper(x: f64, n: usize) -> f64 {
    fn weight(i: usize) -> f64 {
        1.0 / (1.0 + i as f64)
    }
    let mut s = 0.0;
    for i in 0..n {
        s += weight(i) * (x * i as f64).sin();
    }
    s
}

#[test]
fn inner_fn_called_with_data() {
    let (x, n) = (0.7, 5);
    let (v, g) = with_inner_helper::value_and_grad(x, n);
    let hand: f64 = (0..n).map(|i| (i as f64) * (x * i as f64).cos() / (1.0 + i as f64)).sum();
    assert_eq!(v, with_inner_helper(x, n));
    assert!((g - hand).abs() < 1e-14, "{g} vs {hand}");
    let h = with_inner_helper::hvp(x, n, 1.0);
    let hand2: f64 = (0..n).map(|i| -(i as f64).powi(2) * (x * i as f64).sin() / (1.0 + i as f64)).sum();
    assert!((h - hand2).abs() < 1e-12, "{h} vs {hand2}");
}
