//! Spellings of a prefix sum read back by a squared error (issue 15, the
//! zoo's `cumsum_local`), for an instruction counter as in
//! `benches/shapes_instructions.sh`:
//!
//!     cumsum_calls vecz|push|fixed|two_back|scalar|per_trip primal|set N REPS
//!
//! (cachegrind's count for REPS calls subtracted from that for 2 REPS, over
//! REPS). `fixed` uses 1000 elements whatever N (give N = 1000).
use gd::differentiable;
use std::hint::black_box;

/// The zoo's form: a zeroed `vec!`, then a recurrence, then a read (the
/// zoo's own function, `cumsum_local`).
#[path = "../../benches/fixtures/shapes/recur.rs"]
#[allow(dead_code)]
mod recur;
use recur::cumsum_local as vecz;

/// Pushed instead of zeroed then stored.
#[differentiable(wrt(x))]
pub fn push(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let mut c = Vec::with_capacity(n);
    c.push(x[0]);
    for i in 1..n {
        c.push(c[i - 1] + x[i]);
    }
    let mut s = 0.0;
    for i in 0..n {
        s += (c[i] - y[i]).powi(2);
    }
    s
}

/// A fixed-size local array.
#[differentiable(wrt(x))]
pub fn fixed(x: &[f64], y: &[f64]) -> f64 {
    let mut c = [0.0; 1000];
    c[0] = x[0];
    for i in 1..1000 {
        c[i] = c[i - 1] + x[i];
    }
    let mut s = 0.0;
    for i in 0..1000 {
        s += (c[i] - y[i]).powi(2);
    }
    s
}

/// Two back: `c[i] = c[i - 1] + c[i - 2] x[i]`.
#[differentiable(wrt(x))]
pub fn two_back(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.0; n];
    c[0] = x[0];
    c[1] = x[1];
    for i in 2..n {
        c[i] = c[i - 1] + 0.5 * c[i - 2] * x[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += (c[i] - y[i]).powi(2);
    }
    s
}

/// The running sum in a scalar, no array (what the hand code does forward).
#[differentiable(wrt(x))]
pub fn scalar(x: &[f64], y: &[f64]) -> f64 {
    let mut c = 0.0;
    let mut s = 0.0;
    for i in 0..x.len() {
        c += x[i];
        s += (c - y[i]).powi(2);
    }
    s
}

/// A short local array made anew on each trip of an outer loop (its
/// adjoint too): windows of 8 running sums.
#[differentiable(wrt(x))]
pub fn per_trip(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for j in 0..n / 8 {
        let mut c = vec![0.0; 8];
        c[0] = x[8 * j];
        for i in 1..8 {
            c[i] = c[i - 1] + x[8 * j + i];
        }
        for i in 0..8 {
            s += (c[i] - y[8 * j + i]).powi(2);
        }
    }
    s
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (name, var, n, reps) = (&a[0], &a[1], a[2].parse::<usize>().unwrap(), a[3].parse::<usize>().unwrap());
    let x: Vec<f64> = (0..n).map(|i| ((i * 37 % 101) as f64 / 50.0 - 1.0) * 0.1).collect();
    let y: Vec<f64> = (0..n).map(|i| (i * 53 % 97) as f64 / 48.0 - 1.0).collect();
    let mut g = vec![0.0; n];
    let f: fn(&[f64], &[f64]) -> f64 = match name.as_str() {
        "vecz" => vecz, "push" => push, "fixed" => fixed, "two_back" => two_back, "scalar" => scalar, "per_trip" => per_trip, _ => panic!(),
    };
    let s: fn(&[f64], &[f64], &mut [f64]) -> f64 = match name.as_str() {
        "vecz" => vecz::value_and_grad_set, "push" => push::value_and_grad_set,
        "fixed" => fixed::value_and_grad_set, "two_back" => two_back::value_and_grad_set,
        "scalar" => scalar::value_and_grad_set, "per_trip" => per_trip::value_and_grad_set, _ => panic!(),
    };
    let mut acc = 0.0;
    for _ in 0..reps {
        acc += match var.as_str() {
            "primal" => f(black_box(&x), black_box(&y)),
            "set" => s(black_box(&x), black_box(&y), black_box(&mut g)),
            _ => panic!(),
        };
    }
    println!("{}", acc + g[0]);
}
