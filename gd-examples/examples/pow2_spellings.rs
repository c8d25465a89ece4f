//! Spellings of the zoo's `windows_tv` and of a norm, for an instruction
//! counter (cachegrind): `pow2_spellings NAME N REPS` calls NAME's
//! `value_and_grad_set` REPS times on N elements. What `plan::pow2` folds
//! (`√(d² + c)`'s 0.5 and 2) is spelled several ways here:
//!
//!     for s in tv_windows tv_for tv_for_powi tv_hypot norm; do
//!       for r in 2000 4000; do valgrind --tool=cachegrind --cache-sim=no \
//!         --cachegrind-out-file=/dev/null target/release/examples/pow2_spellings $s 1000 $r; done; done
use gd::differentiable;
use std::hint::black_box;

#[differentiable]
fn tv_windows(x: &[f64]) -> f64 {
    x.windows(2).map(|w| ((w[1] - w[0]).powi(2) + 0.01).sqrt()).sum::<f64>()
}

#[differentiable]
fn tv_for(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n - 1 {
        let d = x[i + 1] - x[i];
        s += (d * d + 0.01).sqrt();
    }
    s
}

#[differentiable]
fn tv_for_powi(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += ((x[i + 1] - x[i]).powi(2) + 0.01).sqrt();
    }
    s
}

#[differentiable]
fn tv_hypot(x: &[f64]) -> f64 {
    x.windows(2).map(|w| (w[1] - w[0]).hypot(0.1)).sum::<f64>()
}

/// `normalise`'s first pass alone: the square root of a sum.
#[differentiable]
fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (name, n, reps) = (&a[0], a[1].parse::<usize>().unwrap(), a[2].parse::<usize>().unwrap());
    let f: fn(&[f64], &mut [f64]) -> f64 = match name.as_str() {
        "tv_windows" => tv_windows::value_and_grad_set,
        "tv_for" => tv_for::value_and_grad_set,
        "tv_for_powi" => tv_for_powi::value_and_grad_set,
        "tv_hypot" => tv_hypot::value_and_grad_set,
        "norm" => norm::value_and_grad_set,
        _ => panic!("unknown spelling {name}"),
    };
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 1.37).sin()).collect();
    let mut g = vec![0.0; n];
    let mut acc = 0.0;
    for _ in 0..reps {
        acc += f(black_box(&x), black_box(&mut g));
    }
    println!("{acc} {}", g[0]);
}
