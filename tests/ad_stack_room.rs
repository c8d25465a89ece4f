//! The reverse sweep's value stacks keep their first values in the sweep's
//! own frame and move to a pooled heap vector when that room fills
//! (`__private::Stack`, 64 values). Recurrences that save one or more values
//! of each kind (f64, f32, usize, bool) per trip, at trip counts around the
//! room's size, and called again after a larger call (the pool's vector
//! reused) and from inside another differentiable function's loop (a nested
//! sweep with rooms of its own): every gradient equals the dual-number
//! oracle's.

mod common;
use common::*;
use gd::differentiable;

/// One `tanh` per trip saved (the f64 stack), and the carried `h` read by
/// the next trip.
#[differentiable]
fn recur(x: &[f64]) -> f64 {
    let mut h = 0.0;
    let mut s = 0.0;
    for t in 0..x.len() {
        h = (0.7 * h + x[t]).tanh();
        s += h * h * x[t];
    }
    s
}
fn recur_d<D: Dn>(x: &[D]) -> D {
    let mut h = c::<D>(0.0);
    let mut s = c::<D>(0.0);
    for t in 0..x.len() {
        h = (h * 0.7 + x[t]).tanh();
        s += h * h * x[t];
    }
    s
}

#[differentiable]
fn recur_f32(x: &[f32]) -> f32 {
    let mut h = 0.0;
    let mut s = 0.0;
    for t in 0..x.len() {
        h = (0.7 * h + x[t]).tanh();
        s += h * h * x[t];
    }
    s
}

/// A branch per trip on the carried value (its side saved: the bool
/// stack) with arms a `ln` and an `exp` (not made branch-free), and a
/// data-dependent index carried across trips (the usize stack).
#[differentiable]
fn branchy(x: &[f64]) -> f64 {
    let n = x.len();
    let mut h = 0.5;
    let mut k = 0;
    for _ in 0..n {
        if h > 0.0 {
            h = (1.0 + h * h).ln() - 0.5 * x[k];
        } else {
            h = (0.3 * h).exp() * x[k];
        }
        k = (k + 7) % n;
    }
    h
}
fn branchy_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut h = c::<D>(0.5);
    let mut k = 0;
    for _ in 0..n {
        if h.re() > 0.0 {
            h = (h * h + 1.0).ln() - x[k] * 0.5;
        } else {
            h = (h * 0.3).exp() * x[k];
        }
        k = (k + 7) % n;
    }
    h
}

/// `recur` called on every trip of a loop: the callee's sweep runs inside
/// the caller's, each with stacks of its own.
#[differentiable]
fn nested(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s = (s + recur(x) * (i as f64 + 1.0)).sin();
    }
    s
}
fn nested_d<D: Dn>(x: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..3 {
        s = (s + recur_d(x) * (i as f64 + 1.0)).sin();
    }
    s
}

/// Trip counts below, at and past the room (64 values), one value per trip
/// and more; then small again after large, so a call finds the pool's vector.
const SIZES: [usize; 12] = [1, 2, 31, 32, 33, 63, 64, 65, 129, 300, 5, 64];

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 37 % 23) as f64 / 23.0 - 0.45) * 1.7).collect()
}

fn check(what: &str, n: usize, set: &dyn Fn(&[f64], &mut [f64]) -> f64, oracle: &dyn Fn(&[Dual64]) -> Dual64, rtol: f64) {
    let x = point(n);
    let (want_v, want) = dual_grad(oracle, &x);
    let mut g = vec![f64::NAN; n];
    let v = set(&x, &mut g);
    assert_close1(&format!("{what} value, n = {n}"), v, want_v, rtol);
    assert_close(&format!("{what} gradient, n = {n}"), &g, &want, rtol, 0.0);
}

#[test]
fn stacks_across_the_room() {
    for n in SIZES {
        check("recur", n, &|x, g| recur::value_and_grad_set(x, g), &|x| recur_d(x), 1e-12);
        check("recur (value_and_grad)", n, &|x, g| {
            let (v, gv) = recur::value_and_grad(x);
            g.copy_from_slice(&gv);
            v
        }, &|x| recur_d(x), 1e-12);
        check("branchy", n, &|x, g| branchy::value_and_grad_set(x, g), &|x| branchy_d(x), 1e-12);
        check("nested", n, &|x, g| nested::value_and_grad_set(x, g), &|x| nested_d(x), 1e-11);
        check("recur_f32", n, &|x, g| {
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let mut g32 = vec![f32::NAN; x.len()];
            let v = recur_f32::value_and_grad_set(&x32, &mut g32);
            g.iter_mut().zip(&g32).for_each(|(a, &b)| *a = b as f64);
            v as f64
        }, &|x| recur_d(x), 2e-4);
    }
}

/// The same recurrence on two threads at once: each thread's stacks and
/// pool are its own.
#[test]
fn stacks_on_two_threads() {
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for n in SIZES.iter().chain(&SIZES) {
                    check("recur", *n, &|x, g| recur::value_and_grad_set(x, g), &|x| recur_d(x), 1e-12);
                }
            });
        }
    });
}
