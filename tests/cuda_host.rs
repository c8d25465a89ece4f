//! `#[differentiable(cuda)]`: the printed CUDA C, run on the host by the
//! host C++ compiler (tests/common/cuda_host.rs), against the Rust gradient
//! of the same function: hand-written cases (logistic regression, a damped
//! oscillator's least squares, calls, local arrays, branches, loops over
//! slices and ranges). Skipped, with a message, where no C++ compiler is found.
#![allow(clippy::all)]

#[path = "common/cuda_host.rs"]
mod cuda_host;

use cuda_host::{check, run, Arg, Call};
use gd::differentiable;

#[path = "common/cuda_losses.rs"]
mod cuda_losses;
use cuda_losses::{curve_loss, logistic};

#[differentiable(cuda)]
fn helper(a: f64, b: f64) -> f64 {
    (a * b).sin() + b.tanh()
}

/// Calls, a local array, branches, a `while` with a break, a slice loop.
#[differentiable(cuda)]
fn mixed(x: f64, xs: &[f64], n: usize) -> f64 {
    let mut acc = [0.0; 3];
    for i in 0..n {
        acc[i % 3] += helper(x, xs[i % xs.len()]);
    }
    let lit = [x, x * x, 2.0];
    let mut s = acc[0] * lit[1] + acc[1] * lit[0] + acc[2] * lit[2];
    let mut k = 0;
    while k < xs.len() {
        if xs[k] > 0.0 {
            s += xs[k].exp() * x;
        } else {
            s -= (xs[k] * s).tanh();
        }
        if s > 50.0 {
            break;
        }
        k += 1;
    }
    for &v in xs.iter().rev() {
        s = s * 0.5 + v.powi(2) - helper(v, s);
    }
    s
}

#[differentiable(cuda)]
fn tail_sum(ys: &[f64], w: f64) -> f64 {
    let mut s = 0.0;
    for &v in ys {
        s += (v * w).atan();
    }
    s
}

/// The rest of the documented subset: `step_by`, `enumerate`, reversed
/// slices, sub-slices passed to a call,
/// `i32`/`bool` parameters, constants, a local `const`, local arrays in loops
/// and branches, clamp, max/min, abs,
/// `powi` with a negative exponent, passive local arrays.
#[differentiable(cuda)]
fn more(x: f64, xs: &[f64], k: i32, flip: bool) -> f64 {
    const HALF: f64 = 0.5;
    let mut s = x * std::f64::consts::PI * HALF;
    for i in (0..xs.len()).step_by(2) {
        s += xs[i].clamp(-0.5, 0.5) * x.max(xs[i]) - x.min(0.25).abs();
    }
    for (i, &v) in xs.iter().enumerate() {
        s = s * 0.9 + (v - x).powi(k) * (i as f64 + 1.0) / (1.0 + (v - x).powi(2 * k));
    }
    let mut counts = [0usize; 2];
    let pre = [x * 0.5; 2];
    let mut m = pre[0];
    for i in 0..3 {
        // A fresh local array each trip (its adjoint zeroed for the next).
        let mut w = [x; 2];
        w[i % 2] = w[(i + 1) % 2] * xs[i % xs.len()] + pre[1];
        m += w[0] * w[1] + counts.len() as f64;
    }
    s += m;
    if x > 0.0 {
        // A local array in a branch.
        let w = [x * x; 2];
        s += w[0] - w[1] * 0.5;
    }
    for &v in xs.iter().rev() {
        if v > 0.0 {
            counts[0] += 1;
        } else {
            counts[1] += 1;
        }
    }
    s += counts[0] as f64 * x - counts[1] as f64 * x * x;
    if counts[0] > 1 {
        s += tail_sum(&xs[1..], x);
    }
    if flip {
        -s
    } else {
        s
    }
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

fn uniform(n: usize, seed: u64) -> Vec<f64> {
    // A small LCG: the host test needs no rand.
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

#[test]
fn logistic_and_oscillator_match_rust_in_f32() {
    let mut calls = Vec::new();
    let mut want = Vec::new();
    for seed in 0..20 {
        let p: Vec<f32> = uniform(6, seed).iter().map(|v| *v as f32).collect();
        let x: Vec<f32> = uniform(5, 100 + seed).iter().map(|v| (*v * 3.0) as f32).collect();
        let y = (seed % 2) as f32;
        let (v, g) = logistic::value_and_grad(&p, &x, y);
        calls.push(Call { cname: logistic::cuda_name(), args: vec![Arg::Slice(f64s(&p)), Arg::Slice(f64s(&x)), Arg::Float(y as f64)] });
        want.push((v as f64, [f64s(&g), vec![0.0; 6]].concat()));

        let q = [1.0 + 0.2 * p[0], 0.3 + 0.1 * p[1], 2.0 + p[2], p[3]];
        let curve: Vec<f32> = uniform(16, 200 + seed).iter().map(|v| *v as f32).collect();
        let (v, g) = curve_loss::value_and_grad(&q, &curve, 0.1);
        calls.push(Call { cname: curve_loss::cuda_name(), args: vec![Arg::Slice(f64s(&q)), Arg::Slice(f64s(&curve)), Arg::Float(0.1)] });
        want.push((v as f64, [f64s(&g), vec![0.0; 17]].concat()));
    }
    let sources = [logistic::cuda_source(), curve_loss::cuda_source()];
    let Some(got) = run("f32_cases", "float", &sources, &calls) else {
        eprintln!("SKIPPED: no C++ compiler");
        return;
    };
    check(&got, &want, 1e-5);
}

#[test]
fn calls_arrays_and_branches_match_rust_in_f64() {
    let mut calls = Vec::new();
    let mut want = Vec::new();
    for seed in 0..20 {
        let x = uniform(1, seed)[0];
        let xs = uniform(4 + seed as usize % 3, 50 + seed);
        let n = seed as usize % 7;
        let (v, (gx, gxs)) = mixed::value_and_grad(x, &xs, n);
        calls.push(Call { cname: mixed::cuda_name(), args: vec![Arg::Float(x), Arg::Slice(xs.clone()), Arg::Usize(n)] });
        want.push((v, [vec![gx], gxs].concat()));
    }
    let Some(got) = run("f64_mixed", "double", &[mixed::cuda_source()], &calls) else {
        eprintln!("SKIPPED: no C++ compiler");
        return;
    };
    check(&got, &want, 1e-10);
}

#[test]
fn more_constructs_match_rust_in_f64() {
    let mut calls = Vec::new();
    let mut want = Vec::new();
    for seed in 0..24 {
        let x = uniform(1, 300 + seed)[0];
        let xs = uniform(3 + seed as usize % 4, 400 + seed);
        let k = [-1, 1, 2][seed as usize % 3];
        let flip = seed % 2 == 1;
        let (v, (gx, gxs)) = more::value_and_grad(x, &xs, k, flip);
        calls.push(Call { cname: more::cuda_name(), args: vec![Arg::Float(x), Arg::Slice(xs.clone()), Arg::Int(k), Arg::Bool(flip)] });
        want.push((v, [vec![gx], gxs].concat()));
    }
    let Some(got) = run("f64_more", "double", &[more::cuda_source()], &calls) else {
        eprintln!("SKIPPED: no C++ compiler");
        return;
    };
    check(&got, &want, 1e-10);
}
