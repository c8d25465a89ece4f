//! The reverse sweep's value stacks come from a per-thread pool: check that
//! nothing leaks between calls. Nested differentiable calls with loops on
//! both sides, a gradient computed *inside* another function's sweep (through
//! a plain function of constant arguments), threads computing gradients at
//! the same time, a call that panics half-way, and alternating sizes must all
//! give the same numbers as a fresh, lone call.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- a callee with a loop, called in a loop; wrt(xs) with a constant `a` ---

#[differentiable(wrt(xs))]
fn inner_loop(xs: &[f64], a: f64) -> f64 {
    let mut s = 0.0;
    for &x in xs {
        s = s * a + (x * a).sin();
    }
    s
}
fn inner_loop_d<D: Dn>(xs: &[D], a: f64) -> D {
    let mut s = c::<D>(0.0);
    for &x in xs {
        s = s * a + (x * a).sin();
    }
    s
}

#[differentiable]
fn nested_calls(xs: &[f64]) -> f64 {
    let mut total = 0.0;
    for i in 0..xs.len() {
        let v = inner_loop(xs, 0.3 + i as f64 * 0.1);
        if v > 0.0 {
            total += v * xs[i];
        } else {
            total -= v * v;
        }
    }
    total
}
fn nested_calls_d<D: Dn>(xs: &[D]) -> D {
    let mut total = c::<D>(0.0);
    for i in 0..xs.len() {
        let v = inner_loop_d(xs, 0.3 + i as f64 * 0.1);
        if v > 0.0 {
            total += v * xs[i];
        } else {
            total -= v * v;
        }
    }
    total
}
fn case_nested_calls() -> Case {
    Case::new("nested_calls", |v| nested_calls(v), |v| nested_calls_d(v), rand_points(110, 5, 6, -2.0, 2.0))
}

// --- a gradient computed inside another gradient's sweep ---

#[differentiable]
fn newton_root(a: f64) -> f64 {
    let mut y = 1.0 + a;
    for _ in 0..30 {
        y = 0.5 * (y + a / y);
    }
    y
}
/// A plain function (data in, data out) that itself runs reverse mode.
fn weight_from_gradient(i: usize) -> f64 {
    newton_root::grad(1.0 + i as f64)
}

#[differentiable]
fn reentrant(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s = s * 0.9 + weight_from_gradient(i) * xs[i] * xs[i];
    }
    s
}
fn reentrant_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..xs.len() {
        s = s * 0.9 + xs[i] * xs[i] * (0.5 / (1.0 + i as f64).sqrt());
    }
    s
}
fn case_reentrant() -> Case {
    Case::new("reentrant", |v| reentrant(v), |v| reentrant_d(v), rand_points(111, 4, 8, -2.0, 2.0))
}

// --- a loop-heavy function for the pool tests ---

#[differentiable]
fn chain(xs: &[f64], idx: &[usize]) -> f64 {
    let mut s = 0.1;
    for k in 0..idx.len() {
        let x = xs[idx[k]];
        s = if s > 0.0 { s * x + x.cos() } else { (s - x).tanh() };
    }
    s
}

#[test]
fn oracles_agree() {
    case_nested_calls().check_oracles();
    case_reentrant().check_oracles();
    for i in 0..5 {
        assert_close1("newton_root: dual vs 1/(2 sqrt a)", weight_from_gradient_dual(i), 0.5 / (1.0 + i as f64).sqrt(), 1e-12);
    }
}
fn weight_from_gradient_dual(i: usize) -> f64 {
    let (_, g) = dual_grad(
        &|a| {
            let a = a[0];
            let mut y = a + 1.0;
            for _ in 0..30 {
                y = (y + a / y) * 0.5;
            }
            y
        },
        &[1.0 + i as f64],
    );
    g[0]
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn nested_calls_with_loops_ad() {
        case_nested_calls().check_api(api_slice!(nested_calls));
    }

    #[test]
    fn gradient_inside_a_sweep_ad() {
        case_reentrant().check_api(api_slice!(reentrant));
    }

    fn chain_inputs(seed: u64, n: usize) -> (Vec<f64>, Vec<usize>) {
        let xs = rand_points(seed, 1, n, -1.5, 1.5).remove(0);
        let idx = rand_points(seed + 1000, 1, 3 * n, 0.0, n as f64).remove(0).iter().map(|v| *v as usize).collect();
        (xs, idx)
    }

    fn bits(g: &[f64]) -> Vec<u64> {
        g.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn threads_agree_with_one_thread() {
        let inputs: Vec<_> = (0..8).map(|k| chain_inputs(120 + k, 5 + 7 * k as usize)).collect();
        let want: Vec<_> = inputs.iter().map(|(x, i)| chain::value_and_grad(x, i)).collect();
        std::thread::scope(|s| {
            for t in 0..4 {
                let (inputs, want) = (&inputs, &want);
                s.spawn(move || {
                    for round in 0..50 {
                        let k = (t + round) % inputs.len();
                        let (x, i) = &inputs[k];
                        let (v, g) = chain::value_and_grad(x, i);
                        assert_eq!(v.to_bits(), want[k].0.to_bits(), "thread {t} round {round}: value");
                        assert_eq!(bits(&g), bits(&want[k].1), "thread {t} round {round}: gradient");
                    }
                });
            }
        });
    }

    #[test]
    fn alternating_sizes_give_fresh_results() {
        let big = chain_inputs(130, 300);
        let small = chain_inputs(131, 3);
        let g_big = chain::grad(&big.0, &big.1);
        let g_small = chain::grad(&small.0, &small.1);
        for _ in 0..3 {
            assert_eq!(bits(&chain::grad(&small.0, &small.1)), bits(&g_small));
            assert_eq!(bits(&chain::grad(&big.0, &big.1)), bits(&g_big));
        }
        // and the result is right, not merely repeatable
        let (_, dg) = dual_grad(
            &|v| {
                let mut s = c::<Dual64>(0.1);
                for &k in &small.1 {
                    let x = v[k];
                    s = if s > 0.0 { s * x + x.cos() } else { (s - x).tanh() };
                }
                s
            },
            &small.0,
        );
        assert_close("chain (small): macro grad vs num-dual", &g_small, &dg, RTOL_DUAL, 0.0);
    }

    #[test]
    fn a_panicking_call_leaves_no_trace() {
        let (xs, idx) = chain_inputs(140, 20);
        let want = chain::value_and_grad(&xs, &idx);
        let mut bad = idx.clone();
        bad[30] = 1000; // out of bounds half-way through the forward sweep
        for _ in 0..3 {
            let r = std::panic::catch_unwind(|| chain::value_and_grad(&xs, &bad));
            assert!(r.is_err(), "indexing out of bounds must panic");
            let r = std::panic::catch_unwind(|| chain::jvp(&xs, &bad, &xs));
            assert!(r.is_err());
            let got = chain::value_and_grad(&xs, &idx);
            assert_eq!(got.0.to_bits(), want.0.to_bits());
            assert_eq!(bits(&got.1), bits(&want.1));
        }
    }
}
