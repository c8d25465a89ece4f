//! A plain function called with constant arguments need not be pure: a
//! counter, a random draw (noise injection, dropout masks), a log line.
//! `value_and_grad` must return the gradient of the computation whose value
//! it returns, and run the body's side effects as often as the function
//! itself does. A reverse sweep that replays a loop's trips calls such a
//! function again, with other results: a159479 gave the gradient [6, 5, 4]
//! for the draws [1, 2, 3] and advanced the counter to 6; fixed in 5fd615b.
use gd::differentiable;
use std::cell::Cell;

thread_local! {
    static TICKS: Cell<u32> = const { Cell::new(0) };
}

/// 1, 2, 3, … on successive calls: a stand-in for a random draw.
fn tick(_i: usize) -> f64 {
    TICKS.with(|c| {
        c.set(c.get() + 1);
        c.get() as f64
    })
}

fn reset() {
    TICKS.with(|c| c.set(0));
}

fn ticks() -> u32 {
    TICKS.with(|c| c.get())
}

#[differentiable]
fn noisy_sum(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let w = tick(i);
        let t = xs[i] * w;
        s += t;
    }
    s
}

#[differentiable]
fn noisy_straight(x: f64, y: f64) -> f64 {
    let w = tick(0);
    x * w + y * tick(1)
}

/// Printing and asserting macros may read active values (README); their
/// side effects, like the function's, happen once per trip.
#[differentiable]
fn printing(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += xs[i] * xs[i];
        println!("trip {i}: s = {s}");
        assert!(s.is_finite() && tick(i) > 0.0, "s = {}", s);
    }
    debug_assert!(s >= 0.0);
    s * xs[0]
}

#[test]
fn printing_and_asserting_macros() {
    let x = [1.5, -0.5, 2.0];
    reset();
    let (v, g) = printing::value_and_grad(&x);
    assert_eq!(ticks(), 3, "the assert in the loop ran once per trip");
    let s = 1.5f64 * 1.5 + 0.25 + 4.0;
    assert_eq!(v, printing(&x));
    assert_eq!(g, vec![s + 2.0 * 1.5 * 1.5, 2.0 * -0.5 * 1.5, 2.0 * 2.0 * 1.5]);
    reset();
    let (_, d) = printing::jvp(&x, &[1.0, 0.0, 0.0]);
    assert_eq!((d, ticks()), (g[0], 3));
}

#[test]
fn impure_call_in_a_loop() {
    reset();
    let plain = noisy_sum(&[1.0, 1.0, 1.0]);
    assert_eq!((plain, ticks()), (6.0, 3));

    reset();
    let (v, g) = noisy_sum::value_and_grad(&[1.0, 1.0, 1.0]);
    assert_eq!(v, 6.0, "value with draws 1, 2, 3");
    assert_eq!(g, vec![1.0, 2.0, 3.0], "the gradient of that value: the draws it used");
    assert_eq!(ticks(), 3, "the body's calls run once per call, as in the function itself");

    reset();
    let (v, d) = noisy_sum::jvp(&[1.0, 1.0, 1.0], &[1.0, 1.0, 1.0]);
    assert_eq!((v, d, ticks()), (6.0, 6.0, 3));

    reset();
    let mut buf = vec![0.0; 3];
    noisy_sum::value_and_grad_into(&[1.0, 1.0, 1.0], &mut buf);
    assert_eq!((buf, ticks()), (vec![1.0, 2.0, 3.0], 3));
}

#[test]
fn impure_call_in_straight_line_code() {
    reset();
    let (v, g) = noisy_straight::value_and_grad(1.0, 1.0);
    assert_eq!((v, g, ticks()), (3.0, (1.0, 2.0), 2));
}
