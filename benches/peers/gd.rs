//! gd's side of the peer comparison (issue 17, `benches/peers/`): the same
//! cases as `jax_bench.py`, `torch_bench.py` and `candle/`, written with the
//! README's API, printing the same TSV rows
//! (`case  impl  dtype  threads  seconds_per_unit`) and the same `check`
//! rows (values that must agree across implementations).
//!
//! Run: `cargo bench --bench peers -- [--quick]` (or all implementations at
//! once: `benches/peers/run.sh`). A plain `main` (harness = false), not a
//! criterion bench: every implementation times itself the same way (blocks
//! of calls, median per call over the blocks; see `time_per`).

use gd::differentiable;
use gd::nalgebra::{DMatrix, DVector};
use gd::runtime::optim::{Adam, Optimizer};
use gd::runtime::{BatchMode, Trainer};
use std::hint::black_box;
use std::time::Instant;

// ---------------------------------------------------------------- Rosenbrock

/// The extended Rosenbrock function, chained form (the README's Quick Start).
#[differentiable]
fn rosen(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]).powi(2);
    }
    s
}

#[differentiable]
fn rosen32(x: &[f32]) -> f32 {
    let mut s = 0.0f32;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]).powi(2);
    }
    s
}

// ---------------------------------------------------------------- MLP

#[macro_use]
#[path = "../common/xent_mlp.rs"]
mod xent_mlp;
xent_mlp!(Layer, Mlp, xent, f64);
xent_mlp!(Layer32, Mlp32, xent32, f32);

// ------------------------------------------------- shared definitions (all impls)

/// Rosenbrock's point: −1.2 at even indices, 1 at odd (Moré–Garbow–Hillstrom's start).
fn rosen_x(n: usize) -> Vec<f64> {
    (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect()
}

/// Weights W[r, c] = sin(1 + 0.7 r + 1.3 c + l) / sqrt(fan_in), biases 0.
fn init_w(l: usize, out: usize, inp: usize) -> DMatrix<f64> {
    DMatrix::from_fn(out, inp, |r, c| (1.0 + 0.7 * r as f64 + 1.3 * c as f64 + l as f64).sin() / (inp as f64).sqrt())
}

fn mlp(sizes: &[usize]) -> Mlp {
    Mlp {
        layers: sizes
            .windows(2)
            .enumerate()
            .map(|(l, s)| Layer { w: init_w(l, s[1], s[0]), b: DVector::zeros(s[1]) })
            .collect(),
    }
}

fn mlp32(p: &Mlp) -> Mlp32 {
    Mlp32 { layers: p.layers.iter().map(|l| Layer32 { w: l.w.map(|v| v as f32), b: l.b.map(|v| v as f32) }).collect() }
}

/// Samples: feature j of sample s is sin(0.1 · ((31 s + 17 j) mod 101)),
/// label ((31 s) mod 101) mod 10. Columns are samples (gd's layout).
fn data(d: usize, n: usize) -> (DMatrix<f64>, Vec<usize>) {
    let x = DMatrix::from_fn(d, n, |j, s| (0.1 * ((31 * s + 17 * j) % 101) as f64).sin());
    let y = (0..n).map(|s| ((31 * s) % 101) % 10).collect();
    (x, y)
}

const N_SAMPLES: usize = 1024;
const CHECK_STEPS: usize = 20;

// ---------------------------------------------------------------- timing

struct Timing {
    block_s: f64,
    reps: usize,
}

impl Timing {
    /// Seconds per call of `f`: grow the call count until a block takes at
    /// least half of `block_s` (this is the warm-up), then time `reps`
    /// blocks of about `block_s` and return the median per call.
    fn per_call(&self, mut f: impl FnMut()) -> f64 {
        let mut iters = 1usize;
        loop {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            let e = t.elapsed().as_secs_f64();
            if e >= self.block_s / 2.0 {
                iters = ((iters as f64) * self.block_s / e).ceil().max(1.0) as usize;
                break;
            }
            iters *= 2;
        }
        let mut v: Vec<f64> = (0..self.reps)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..iters {
                    f();
                }
                t.elapsed().as_secs_f64() / iters as f64
            })
            .collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    }
}

/// `--retain`: the run keeps freed memory (`gd::runtime::heap::retain_freed_memory`),
/// and its rows are named `gd+retain`, `gd-trainer+retain`.
static RETAIN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn row(case: &str, imp: &str, dtype: &str, threads: usize, s: f64) {
    let tag = if RETAIN.load(std::sync::atomic::Ordering::Relaxed) { "+retain" } else { "" };
    println!("{case}\t{imp}{tag}\t{dtype}\t{threads}\t{s:.4e}");
}

fn check(what: &str, imp: &str, dtype: &str, v: f64) {
    println!("check\t{what}\t{imp}\t{dtype}\t{v:.9e}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<String> = args.iter().position(|a| a == "--only").map(|i| args[i + 1].clone());
    let want = |c: &str| only.as_deref().map_or(true, |o| c.starts_with(o));
    let tm = if quick { Timing { block_s: 0.05, reps: 3 } } else { Timing { block_s: 0.2, reps: 5 } };
    let all = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if args.iter().any(|a| a == "--retain") {
        assert!(gd::runtime::heap::retain_freed_memory(), "--retain: not glibc");
        RETAIN.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    // ---- checks (small cases; must agree with the other implementations)
    {
        let x = rosen_x(1000);
        let mut g = vec![0.0; 1000];
        let v = rosen::value_and_grad_set(&x, &mut g);
        check("rosen_1e3_value", "gd", "f64", v);
        check("rosen_1e3_grad_sum", "gd", "f64", g.iter().sum());
        let x10 = rosen_x(10);
        let mut h = DMatrix::zeros(10, 10);
        rosen::hessian_into(&x10, &mut h);
        check("rosen_hess_10_sum", "gd", "f64", h.sum());
        check("rosen_hess_10_trace", "gd", "f64", h.trace());
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut g32 = vec![0.0f32; 1000];
        let v32 = rosen32::value_and_grad_set(&x32, &mut g32);
        check("rosen_1e3_value", "gd", "f32", v32 as f64);
        check("rosen_1e3_grad_sum", "gd", "f32", g32.iter().map(|&v| v as f64).sum());
        let x10_32: Vec<f32> = x10.iter().map(|&v| v as f32).collect();
        let mut h32 = DMatrix::<f32>::zeros(10, 10);
        rosen32::hessian_into(&x10_32, &mut h32);
        check("rosen_hess_10_sum", "gd", "f32", h32.sum() as f64);
        check("rosen_hess_10_trace", "gd", "f32", h32.trace() as f64);
        for (case, sizes, batch) in [("mlp64", [64usize, 64, 10], 32usize), ("mlp784", [784, 256, 10], 128)] {
            let (x, y) = data(sizes[0], N_SAMPLES);
            let xb: Vec<DMatrix<f64>> = (0..N_SAMPLES / batch).map(|k| x.columns(k * batch, batch).into_owned()).collect();
            let yb: Vec<Vec<usize>> = y.chunks(batch).map(|c| c.to_vec()).collect();
            let mut p = mlp(&sizes);
            let mut g = p.clone();
            let mut opt = Adam::new(1e-3).unwrap();
            let mut losses = vec![];
            for k in 0..CHECK_STEPS {
                let b = k % xb.len();
                losses.push(xent::value_and_grad_set(&p, &xb[b], &yb[b], &mut g));
                opt.step_params(&mut p, &g).unwrap();
            }
            check(&format!("{case}_loss_step0"), "gd", "f64", losses[0]);
            check(&format!("{case}_loss_step{}", CHECK_STEPS - 1), "gd", "f64", losses[CHECK_STEPS - 1]);
            let xb32: Vec<DMatrix<f32>> = xb.iter().map(|m| m.map(|v| v as f32)).collect();
            let mut p = mlp32(&mlp(&sizes));
            let mut g = p.clone();
            let mut opt = Adam::new(1e-3).unwrap();
            let mut losses = vec![];
            for k in 0..CHECK_STEPS {
                let b = k % xb.len();
                losses.push(xent32::value_and_grad_set(&p, &xb32[b], &yb[b], &mut g));
                opt.step_params(&mut p, &g).unwrap();
            }
            check(&format!("{case}_loss_step0"), "gd", "f32", losses[0] as f64);
            check(&format!("{case}_loss_step{}", CHECK_STEPS - 1), "gd", "f32", losses[CHECK_STEPS - 1] as f64);
        }
    }

    // ---- Rosenbrock gradient (value and gradient into a caller's buffer), s per call
    for (case, n) in [("rosen_grad_1e3", 1_000usize), ("rosen_grad_1e5", 100_000)] {
        if !want(case) {
            continue;
        }
        let x = rosen_x(n);
        let mut g = vec![0.0; n];
        row(case, "gd", "f64", 1, tm.per_call(|| {
            black_box(rosen::value_and_grad_set(black_box(&x), &mut g));
        }));
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut g32 = vec![0.0f32; n];
        row(case, "gd", "f32", 1, tm.per_call(|| {
            black_box(rosen32::value_and_grad_set(black_box(&x32), &mut g32));
        }));
    }

    // ---- dense Hessian, s per call
    for (case, n) in [("rosen_hess_10", 10usize), ("rosen_hess_100", 100)] {
        if !want(case) {
            continue;
        }
        let x = rosen_x(n);
        let mut h = DMatrix::zeros(n, n);
        row(case, "gd", "f64", 1, tm.per_call(|| {
            black_box(rosen::hessian_into(black_box(&x), &mut h));
        }));
        let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut h32 = DMatrix::<f32>::zeros(n, n);
        row(case, "gd", "f32", 1, tm.per_call(|| {
            black_box(rosen32::hessian_into(black_box(&x32), &mut h32));
        }));
    }

    // ---- MLP training, s per sample
    for (case, sizes, batch) in [("mlp64_b32", [64usize, 64, 10], 32usize), ("mlp784_b128", [784, 256, 10], 128)] {
        if !want(case) {
            continue;
        }
        let (x, y) = data(sizes[0], N_SAMPLES);
        let steps = N_SAMPLES / batch;
        let x32 = x.map(|v| v as f32);
        // (a) the plain loop, same batches in the same order as the peers
        //     (pre-split once): value_and_grad_set + Adam.step_params. Its
        //     thread count is `all`: outside a Trainer's budget a product of
        //     at least 2^22 multiply-adds (the 784-wide layer's) runs on
        //     every core (src/__private/tensor/gemm.rs), as does an
        //     optimizer step on a leaf of over 2^16 elements; smaller ones
        //     run serially whatever the count.
        let xb: Vec<DMatrix<f64>> = (0..steps).map(|k| x.columns(k * batch, batch).into_owned()).collect();
        let xb32: Vec<DMatrix<f32>> = xb.iter().map(|m| m.map(|v| v as f32)).collect();
        let yb: Vec<Vec<usize>> = y.chunks(batch).map(|c| c.to_vec()).collect();
        {
            let mut p = mlp(&sizes);
            let mut g = p.clone();
            let mut opt = Adam::new(1e-3).unwrap();
            let s = tm.per_call(|| {
                for k in 0..steps {
                    black_box(xent::value_and_grad_set(&p, &xb[k], &yb[k], &mut g));
                    opt.step_params(&mut p, &g).unwrap();
                }
            });
            row(case, "gd", "f64", all, s / N_SAMPLES as f64);
            let mut p = mlp32(&mlp(&sizes));
            let mut g = p.clone();
            let mut opt = Adam::new(1e-3).unwrap();
            let s = tm.per_call(|| {
                for k in 0..steps {
                    black_box(xent32::value_and_grad_set(&p, &xb32[k], &yb[k], &mut g));
                    opt.step_params(&mut p, &g).unwrap();
                }
            });
            row(case, "gd", "f32", all, s / N_SAMPLES as f64);
        }
        // (b) the Trainer: fit_params_sharded, one epoch per call (shuffled
        //     batches, each shard gathers its columns), 1 thread and all.
        for threads in [1, all] {
            let mut p = mlp(&sizes);
            let mut opt = Adam::new(1e-3).unwrap();
            let loss = |p: &Mlp, b: &[usize], g: &mut Mlp| {
                let yb: Vec<usize> = b.iter().map(|&j| y[j]).collect();
                xent::value_and_grad_set(p, &x.select_columns(b), &yb, g)
            };
            let s = tm.per_call(|| {
                Trainer::new()
                    .batch(BatchMode::MiniBatch(batch))
                    .max_epochs(1)
                    .progress(false)
                    .threads(threads)
                    .fit_params_sharded(&mut opt, &mut p, N_SAMPLES, loss)
                    .unwrap();
            });
            row(case, "gd-trainer", "f64", threads, s / N_SAMPLES as f64);
            let mut p = mlp32(&mlp(&sizes));
            let mut opt = Adam::new(1e-3).unwrap();
            let loss = |p: &Mlp32, b: &[usize], g: &mut Mlp32| {
                let yb: Vec<usize> = b.iter().map(|&j| y[j]).collect();
                xent32::value_and_grad_set(p, &x32.select_columns(b), &yb, g) as f64
            };
            let s = tm.per_call(|| {
                Trainer::new()
                    .batch(BatchMode::MiniBatch(batch))
                    .max_epochs(1)
                    .progress(false)
                    .threads(threads)
                    .fit_params_sharded(&mut opt, &mut p, N_SAMPLES, loss)
                    .unwrap();
            });
            row(case, "gd-trainer", "f32", threads, s / N_SAMPLES as f64);
        }
    }
}
