//! One training epoch on 1 thread against 2 (`Trainer::threads`, the
//! sharded fits of issue 17), in the same run:
//!
//! - `overhead`: a loss that does nothing, 1 437 samples in batches of 32
//!   (45 steps): what the sharded path itself costs per step (a scoped
//!   thread's start and join, the reduction of 2 buffers of 4 810 values).
//! - `busy_b32`: a loss that is arithmetic only (about 2 µs a sample, no
//!   memory traffic, no allocation), same batches: the speed-up the machine
//!   offers at the moment of the run, the ceiling of the others.
//! - `digits_mlp_b32`: the digits example's network (64 → 64 tanh → 10
//!   softmax, 4 810 parameters, `fit_params_sharded` over the parameter
//!   struct) on 1 437 synthetic 8×8 images, Adam, batches of 32.
//! - `mlp_b256`: the `mlp` bench's network (64 → 32 → 10) on 4 096 samples
//!   in batches of 256.
//! - `logreg_b64`: the `train_epoch` bench's logistic regression
//!   (100 000 × 20, batches of 64, generated gradient).
//!
//! Run: `cargo bench --bench threads` (then `python3 benches/threads_ratios.py`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gd::differentiable;
use gd::nalgebra::{DMatrix, DVector};
use gd::runtime::optim::Adam;
use gd::runtime::{BatchMode, Trainer};
use gd::Params;
use rand::{Rng, SeedableRng};

#[macro_use]
#[path = "common/xent_mlp.rs"]
mod xent_mlp;
xent_mlp!(Layer, Mlp, xent, f64);

/// Mean logistic loss over the rows in `batch` (labels in {-1, 1}), as in
/// `train_epoch`.
#[differentiable(wrt(w))]
fn logreg(w: &[f64], xs: &[f64], ys: &[f64], batch: &[usize]) -> f64 {
    let d = w.len();
    let mut loss = 0.0;
    for &i in batch {
        let mut z = 0.0;
        for j in 0..d {
            z += w[j] * xs[i * d + j];
        }
        let m = -ys[i] * z;
        loss += if m > 0.0 { m + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
    }
    loss / batch.len() as f64
}

fn mlp(sizes: &[usize], seed: u64) -> Mlp {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let layers = sizes
        .windows(2)
        .map(|s| Layer { w: DMatrix::from_fn(s[1], s[0], |_, _| rng.gen_range(-0.3..0.3)), b: DVector::zeros(s[1]) })
        .collect();
    Mlp { layers }
}

fn trainer(batch: usize, threads: usize) -> Trainer<'static> {
    // min_shard 8, not the default 32: the b32 cases are there to show what
    // two shards of 16 cost (the reason for the default).
    Trainer::new().batch(BatchMode::MiniBatch(batch)).max_epochs(1).seed(1).progress(false).threads(threads).min_shard(8)
}

/// One epoch of an MLP classifier on `n` random samples of 64 features.
fn mlp_epoch(c: &mut Criterion, name: &str, sizes: &[usize], n: usize, batch: usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let x = DMatrix::from_fn(64, n, |_, _| rng.gen_range(-1.0..1.0));
    let labels: Vec<usize> = (0..n).map(|j| (j * 7) % 10).collect();
    let p0 = mlp(sizes, 1);
    let loss = |p: &Mlp, batch: &[usize], g: &mut Mlp| {
        // Each shard gathers its own columns.
        let xb = DMatrix::from_fn(64, batch.len(), |i, j| x[(i, batch[j])]);
        let yb: Vec<usize> = batch.iter().map(|&j| labels[j]).collect();
        g.set_zero();
        xent::value_and_grad_into(p, &xb, &yb, g)
    };
    let mut group = c.benchmark_group("threads");
    group.sample_size(20);
    for threads in [1, 2] {
        group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &t| {
            b.iter(|| {
                let mut p = p0.clone();
                trainer(batch, t).fit_params_sharded(&mut Adam::new(1e-3).unwrap(), &mut p, n, loss).unwrap()
            })
        });
    }
    group.finish();
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads");
    group.sample_size(20);
    let dim = mlp(&[64, 64, 10], 1).num_params();
    for threads in [1, 2] {
        group.bench_with_input(BenchmarkId::new("overhead", threads), &threads, |b, &t| {
            b.iter(|| {
                let mut p = vec![0.0; dim];
                trainer(32, t)
                    .fit_sharded(&mut Adam::new(1e-3).unwrap(), &mut p, 1437, |_: &[f64], _: &[usize], g: &mut [f64]| {
                        g.fill(0.0);
                        1.0
                    })
                    .unwrap()
            })
        });
    }
    for threads in [1, 2] {
        group.bench_with_input(BenchmarkId::new("busy_b32", threads), &threads, |b, &t| {
            b.iter(|| {
                let mut p = vec![0.0; 4];
                trainer(32, t)
                    .fit_sharded(&mut Adam::new(1e-3).unwrap(), &mut p, 1437, |p: &[f64], batch: &[usize], g: &mut [f64]| {
                        let mut s = 0.0;
                        for &i in batch {
                            for k in 0..1000 {
                                s += (p[0] + (i * 1000 + k) as f64).sqrt();
                            }
                        }
                        g.fill(0.0);
                        s / batch.len() as f64
                    })
                    .unwrap()
            })
        });
    }
    group.finish();

    mlp_epoch(c, "digits_mlp_b32", &[64, 64, 10], 1437, 32);
    mlp_epoch(c, "mlp_b256", &[64, 32, 10], 4096, 256);

    const N: usize = 100_000;
    const D: usize = 20;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let xs: Vec<f64> = (0..N * D).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let ys: Vec<f64> = (0..N).map(|i| if xs[i * D] + 0.5 * xs[i * D + 1] > 0.0 { 1.0 } else { -1.0 }).collect();
    let mut group = c.benchmark_group("threads");
    group.sample_size(10);
    for threads in [1, 2] {
        group.bench_with_input(BenchmarkId::new("logreg_b64", threads), &threads, |b, &t| {
            b.iter(|| {
                let mut w = vec![0.0; D];
                trainer(64, t)
                    .fit_sharded(&mut Adam::new(1e-2).unwrap(), &mut w, N, |w: &[f64], batch: &[usize], g: &mut [f64]| {
                        g.fill(0.0);
                        logreg::value_and_grad_into(w, &xs, &ys, batch, g)
                    })
                    .unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
