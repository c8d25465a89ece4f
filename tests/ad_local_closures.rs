//! Local closures called in the body are differentiated where they are
//! called (gd-macros/src/lower/inline.rs): each function is checked against
//! central differences and against the same function with the closure
//! written out by hand.

use gd::differentiable;

mod common;
use common::fd_grad;

fn close(name: &str, a: &[f64], b: &[f64], tol: f64) {
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{name}[{k}]: {x} vs {y}");
    }
}

// Nested calls, an untyped parameter, a call on a constant.
#[differentiable]
fn logistic(w: f64, x: f64) -> f64 {
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    let sq = |v| v * v;
    sq(sig(w * x)) + sig(2.0)
}

fn logistic_by_hand(w: f64, x: f64) -> f64 {
    let s = 1.0 / (1.0 + (-(w * x)).exp());
    s * s + 1.0 / (1.0 + (-2.0f64).exp())
}

// A closure that reads a differentiated value from outside, called in a
// loop and in an iterator fold, with a return type.
#[differentiable]
fn captured(xs: &[f64], c: f64) -> f64 {
    let scaled = |v: f64| -> f64 { (v * c).sin() };
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += scaled(xs[i]);
    }
    s + xs.iter().map(|&x| scaled(x * x)).sum::<f64>()
}

fn captured_by_hand(xs: &[f64], c: f64) -> f64 {
    xs.iter().map(|&v| (v * c).sin()).sum::<f64>() + xs.iter().map(|&x| (x * x * c).sin()).sum::<f64>()
}

// A closure calling another, both of several parameters.
#[differentiable]
fn two_args(a: f64, b: f64) -> f64 {
    let hyp = |x: f64, y: f64| (x * x + y * y).sqrt();
    let mix = |x: f64, y: f64| hyp(x, y) * x - y;
    mix(a, b) + hyp(b, 1.0)
}

fn two_args_by_hand(a: f64, b: f64) -> f64 {
    (a * a + b * b).sqrt() * a - b + (b * b + 1.0).sqrt()
}

// The name reused later for something else: calls before it are inlined,
// the closure's own parameters may shadow outer names.
#[differentiable]
fn shadowing(x: f64) -> f64 {
    let y = 2.0 * x;
    let f = |y: f64| y * y * x;
    let first = f(y);
    let f = 3.0;
    first + f * x
}

fn shadowing_by_hand(x: f64) -> f64 {
    let y = 2.0 * x;
    y * y * x + 3.0 * x
}

#[test]
fn closures_against_differences_and_the_hand_written_function() {
    for &(w, x) in &[(0.3, 2.0), (-1.1, 0.4)] {
        assert_eq!(logistic(w, x), logistic_by_hand(w, x));
        let (v, g) = logistic::value_and_grad(w, x);
        assert_eq!(v, logistic_by_hand(w, x));
        close("logistic", &[g.0, g.1], &fd_grad(&|p| logistic_by_hand(p[0], p[1]), &[w, x]), 1e-7);
        let (a, b) = (w, x + 0.5);
        // The value of the lowered (inlined) code is the primal's.
        assert_eq!(two_args::value_and_grad(a, b).0, two_args(a, b));
        assert_eq!(shadowing::value_and_grad(x).0, shadowing(x));
        close("two_args", &{
            let g = two_args::grad(a, b);
            [g.0, g.1]
        }, &fd_grad(&|p| two_args_by_hand(p[0], p[1]), &[a, b]), 1e-7);
        assert_eq!(two_args(a, b), two_args_by_hand(a, b));
        close("shadowing", &[shadowing::grad(x)], &fd_grad(&|p| shadowing_by_hand(p[0]), &[x]), 1e-7);
        assert_eq!(shadowing(x), shadowing_by_hand(x));
    }
    let xs = [0.3, -0.8, 1.2];
    let c = 0.7;
    assert!((captured(&xs, c) - captured_by_hand(&xs, c)).abs() < 1e-14);
    assert_eq!(captured::value_and_grad(&xs, c).0, captured(&xs, c));
    let (gx, gc) = captured::grad(&xs, c);
    let mut all = xs.to_vec();
    all.push(c);
    let fd = fd_grad(&|p| captured_by_hand(&p[..3], p[3]), &all);
    close("captured", &[gx.clone(), vec![gc]].concat(), &fd, 1e-7);
    // Forward mode agrees with reverse mode.
    let (_, d) = captured::jvp(&xs, c, &[1.0, 0.5, -2.0], 0.25);
    let expect: f64 = gx.iter().zip([1.0, 0.5, -2.0]).map(|(g, t)| g * t).sum::<f64>() + gc * 0.25;
    assert!((d - expect).abs() < 1e-12);
}
