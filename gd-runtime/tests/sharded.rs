//! The sharded paths (`Trainer::fit_sharded`, `fit_params_sharded`,
//! `objective::sharded`): the same result on any thread count up to
//! rounding, the same bits on repeated runs, small batches, f32, bad
//! settings, and a panicking shard.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;

use gd_runtime::optim::{Adam, Sgd};
use gd_runtime::{objective, BatchMode, GdError, Lbfgs, Objective, TrainReport, Trainer};
use nalgebra::DMatrix;

/// y = 1.5 x₀ − 0.5 x₁ + 0.25 x₂ + 0.1 + a little deterministic noise, 200 rows.
fn data() -> Vec<([f64; 3], f64)> {
    (0..200)
        .map(|i| {
            let x = [((i * 7) % 11) as f64 / 11.0, ((i * 3) % 5) as f64 / 5.0 - 0.5, ((i * 13) % 17) as f64 / 17.0];
            let noise = 0.01 * (((i * 31) % 7) as f64 - 3.0);
            (x, 1.5 * x[0] - 0.5 * x[1] + 0.25 * x[2] + 0.1 + noise)
        })
        .collect()
}

/// Mean squared error of `[w0, w1, w2, b]` over `batch`; gradient overwritten.
fn mse(d: &[([f64; 3], f64)], p: &[f64], batch: &[usize], g: &mut [f64]) -> f64 {
    let mut l = 0.0;
    g.fill(0.0);
    for &i in batch {
        let (x, y) = d[i];
        let r = p[0] * x[0] + p[1] * x[1] + p[2] * x[2] + p[3] - y;
        l += r * r;
        for j in 0..3 {
            g[j] += 2.0 * r * x[j];
        }
        g[3] += 2.0 * r;
    }
    let m = batch.len() as f64;
    g.iter_mut().for_each(|v| *v /= m);
    l / m
}

fn train(threads: usize, batch: BatchMode, min_shard: usize) -> ([f64; 4], TrainReport) {
    let d = data();
    let mut p = [0.0; 4];
    let rep = Trainer::new()
        .progress(false)
        .max_epochs(40)
        .batch(batch)
        .threads(threads)
        .min_shard(min_shard)
        .fit_sharded(&mut Sgd::new(0.2).unwrap(), &mut p, d.len(), |p: &[f64], b: &[usize], g: &mut [f64]| mse(&d, p, b, g))
        .unwrap();
    (p, rep)
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / y.abs().max(1e-300)).fold(0.0, f64::max)
}

#[test]
fn thread_counts_agree_up_to_rounding() {
    for batch in [BatchMode::MiniBatch(20), BatchMode::Full] {
        let (serial, rep1) = train(1, batch, 1);
        // Trained (the full-batch run is 40 steps, not yet at the minimum).
        assert!((serial[0] - 1.5).abs() < 0.5 && rep1.final_loss < 0.1, "{serial:?}");
        for threads in [2, 3, 7] {
            let (p, rep) = train(threads, batch, 1);
            assert!(max_rel(&p, &serial) < 1e-12, "{threads} threads, {batch:?}: {p:?} vs {serial:?}");
            assert!((rep.final_loss - rep1.final_loss).abs() <= 1e-12 * rep1.final_loss, "{threads} threads");
            assert_eq!(rep.steps, rep1.steps);
        }
    }
}

#[test]
fn one_thread_is_the_plain_fit() {
    let d = data();
    let loss = |p: &[f64], b: &[usize], g: &mut [f64]| mse(&d, p, b, g);
    let mut p = [0.0; 4];
    let t = || Trainer::new().progress(false).max_epochs(10).batch(BatchMode::MiniBatch(16));
    t().fit(&mut Adam::new(0.01).unwrap(), &mut p, d.len(), loss).unwrap();
    let mut q = [0.0; 4];
    t().threads(1).fit_sharded(&mut Adam::new(0.01).unwrap(), &mut q, d.len(), loss).unwrap();
    assert_eq!(p, q);
}

#[test]
fn repeated_runs_are_bitwise_identical() {
    for threads in [2, 3, 7] {
        let (a, ra) = train(threads, BatchMode::MiniBatch(20), 1);
        for _ in 0..3 {
            let (b, rb) = train(threads, BatchMode::MiniBatch(20), 1);
            assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits), "{threads} threads");
            let bits = |r: &TrainReport| r.history.steps.iter().map(|s| (s.loss.to_bits(), s.grad_norm.to_bits())).collect::<Vec<_>>();
            assert_eq!(bits(&ra), bits(&rb));
        }
    }
}

/// Records the shards the loss was called with.
fn shard_lengths(threads: usize, min_shard: usize, batch: usize, n: usize) -> Vec<Vec<usize>> {
    let d = data();
    let seen = Mutex::new(Vec::new());
    let mut p = [0.0; 4];
    Trainer::new()
        .progress(false)
        .max_steps(1)
        .batch(BatchMode::MiniBatch(batch))
        .threads(threads)
        .min_shard(min_shard)
        .fit_sharded(&mut Sgd::new(0.1).unwrap(), &mut p, n, |p: &[f64], b: &[usize], g: &mut [f64]| {
            seen.lock().unwrap().push(b.to_vec());
            mse(&d, p, b, g)
        })
        .unwrap();
    let mut s = seen.into_inner().unwrap();
    s.sort();
    s
}

#[test]
fn batches_smaller_than_the_thread_count() {
    // Batch 2 on 7 threads, shards of at least 1: two shards of one sample.
    let s = shard_lengths(7, 1, 2, 10);
    assert_eq!(s.iter().map(Vec::len).collect::<Vec<_>>(), [1, 1]);
    // Batch 5 on 7 threads: five shards, together the batch, each index once.
    let s = shard_lengths(7, 1, 5, 10);
    assert_eq!(s.len(), 5);
    let mut all: Vec<usize> = s.concat();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 5);
    // A minimum shard of 8 keeps a batch of 10 on one thread ...
    assert_eq!(shard_lengths(4, 8, 10, 200).len(), 1);
    // ... and cuts a batch of 32 into 4 shards of 8 on 4 threads.
    assert_eq!(shard_lengths(4, 8, 32, 200).iter().map(Vec::len).collect::<Vec<_>>(), [8, 8, 8, 8]);
    // The default minimum shard keeps the digits example's batches of 32 whole.
    assert_eq!(gd_runtime::shard::shard_count(32, 2, gd_runtime::shard::DEFAULT_MIN_SHARD), 1);
    assert_eq!(gd_runtime::shard::shard_count(256, 2, gd_runtime::shard::DEFAULT_MIN_SHARD), 2);
    // And training with more threads than samples per batch still agrees.
    let (serial, _) = train(1, BatchMode::MiniBatch(3), 1);
    let (p, _) = train(7, BatchMode::MiniBatch(3), 1);
    assert!(max_rel(&p, &serial) < 1e-12, "{p:?} vs {serial:?}");
}

#[test]
fn f32_params_through_fit_params_sharded() {
    let d = data();
    let run = |threads: usize| {
        // Weights 1×3 and bias 1×1, in f32.
        let mut p = vec![DMatrix::<f32>::zeros(1, 3), DMatrix::<f32>::zeros(1, 1)];
        Trainer::new()
            .progress(false)
            .max_epochs(60)
            .batch(BatchMode::MiniBatch(25))
            .threads(threads)
            .min_shard(1)
            .fit_params_sharded(&mut Adam::new(0.02).unwrap(), &mut p, d.len(), |p: &Vec<DMatrix<f32>>, b: &[usize], g: &mut Vec<DMatrix<f32>>| {
                let (w, bias) = (&p[0], p[1][0]);
                let mut l = 0.0f32;
                g[0].fill(0.0);
                g[1].fill(0.0);
                for &i in b {
                    let (x, y) = d[i];
                    let r = w[0] * x[0] as f32 + w[1] * x[1] as f32 + w[2] * x[2] as f32 + bias - y as f32;
                    l += r * r;
                    for j in 0..3 {
                        g[0][j] += 2.0 * r * x[j] as f32;
                    }
                    g[1][0] += 2.0 * r;
                }
                let m = b.len() as f32;
                g[0] /= m;
                g[1] /= m;
                (l / m) as f64
            })
            .unwrap();
        p
    };
    let serial = run(1);
    assert!((serial[0][0] - 1.5).abs() < 0.1, "{serial:?}");
    for threads in [2, 3, 7] {
        let p = run(threads);
        for (a, b) in p.iter().zip(&serial) {
            assert!((a - b).amax() < 1e-4, "{threads} threads: {p:?} vs {serial:?}");
        }
        assert_eq!(p, run(threads), "repeatable");
    }
}

#[test]
fn bad_settings_are_errors() {
    let d = data();
    let loss = |p: &[f64], b: &[usize], g: &mut [f64]| mse(&d, p, b, g);
    let mut t = Trainer::new().progress(false).threads(0);
    let err = t.fit_sharded(&mut Sgd::new(0.1).unwrap(), &mut [0.0; 4], d.len(), loss).unwrap_err();
    assert!(matches!(err, GdError::BadHyperparameter { name: "threads", value, .. } if value == 0.0), "{err}");
    assert!(t.error_history().is_some_and(|h| h.steps.is_empty()));
    let err = Trainer::new().progress(false).min_shard(0).fit_sharded(&mut Sgd::new(0.1).unwrap(), &mut [0.0; 4], d.len(), loss).unwrap_err();
    assert!(matches!(err, GdError::BadHyperparameter { name: "min_shard", .. }), "{err}");
    let err = Trainer::new().progress(false).threads(2).fit_sharded(&mut Sgd::new(0.1).unwrap(), &mut [0.0; 4], 0, loss).unwrap_err();
    assert_eq!(err, GdError::EmptyDataset);
    assert!(matches!(objective::sharded(0, 2, loss), Err(GdError::EmptyDataset)));
    assert!(matches!(objective::sharded(10, 0, loss), Err(GdError::BadHyperparameter { name: "threads", .. })));
    assert!(matches!(objective::sharded(10, 2, loss).unwrap().min_shard(0), Err(GdError::BadHyperparameter { name: "min_shard", .. })));
    // The default is the machine's parallelism.
    assert_eq!(Trainer::new().config.threads, std::thread::available_parallelism().unwrap().get());
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload.downcast_ref::<String>().cloned().or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

#[test]
fn a_panicking_shard_panics_the_caller_with_its_message() {
    let d = data();
    // Full batch of 200 on 4 threads: sample 150 is in shard 3 (a spawned
    // thread), sample 0 in shard 0 (the calling thread).
    for bad in [150, 0] {
        let r = catch_unwind(AssertUnwindSafe(|| {
            Trainer::new().progress(false).max_epochs(3).threads(4).fit_sharded(
                &mut Sgd::new(0.1).unwrap(),
                &mut [0.0; 4],
                d.len(),
                |p: &[f64], b: &[usize], g: &mut [f64]| {
                    if b.contains(&bad) {
                        panic!("bad sample {bad}");
                    }
                    mse(&d, p, b, g)
                },
            )
        }));
        let msg = panic_message(r.unwrap_err());
        assert_eq!(msg, format!("bad sample {bad}"));
    }
}

#[test]
fn sharded_objective_for_lbfgs() {
    let d = data();
    let loss = |p: &[f64], b: &[usize], g: &mut [f64]| mse(&d, p, b, g);
    let serial = Lbfgs::new().minimize(&mut objective::sharded(d.len(), 1, loss).unwrap(), &[0.0; 4]).unwrap();
    for threads in [2, 3, 7] {
        let mut obj = objective::sharded(d.len(), threads, loss).unwrap().min_shard(1).unwrap();
        // Value and gradient at one point: equal to the serial ones up to rounding, same bits twice.
        let (mut g1, mut g2, mut gs) = ([0.0; 4], [0.0; 4], [0.0; 4]);
        let x = [0.3, -0.2, 0.1, 0.05];
        let v1 = obj.value_and_grad(&x, &mut g1);
        let v2 = obj.value_and_grad(&x, &mut g2);
        let vs = mse(&d, &x, &(0..d.len()).collect::<Vec<_>>(), &mut gs);
        assert_eq!((v1.to_bits(), g1.map(f64::to_bits)), (v2.to_bits(), g2.map(f64::to_bits)));
        assert!((v1 - vs).abs() < 1e-14 * vs && max_rel(&g1, &gs) < 1e-12, "{g1:?} vs {gs:?}");
        let r = Lbfgs::new().minimize(&mut obj, &[0.0; 4]).unwrap();
        assert!(r.converged(), "{:?}", r.stop);
        assert!(max_rel(&r.x, &serial.x) < 1e-6, "{threads} threads: {:?} vs {:?}", r.x, serial.x);
    }
}

/// The LR range test on threads: one thread is `lr_find` itself; two
/// threads with shards of 8 give the same sweep up to rounding (and the
/// shards really run: a `min_shard` above the batch keeps it whole); bad
/// settings are errors.
#[test]
fn lr_find_sharded_sweeps_as_lr_find() {
    use gd_runtime::{lr_find, lr_find_sharded, LrFindConfig};
    let d = data();
    let loss = |p: &[f64], b: &[usize], g: &mut [f64]| mse(&d, p, b, g);
    let cfg = LrFindConfig { num_iter: 40, start_lr: 1e-4, end_lr: 5.0, batch: BatchMode::MiniBatch(32), seed: 9, ..Default::default() };
    let mut p = [0.0; 4];
    let plain = lr_find(&Adam::new(1e-3).unwrap(), &mut p, d.len(), loss, cfg).unwrap();
    let one = lr_find_sharded(&Adam::new(1e-3).unwrap(), &mut p, d.len(), loss, LrFindConfig { threads: 1, ..cfg }).unwrap();
    assert_eq!(one, plain);
    let shards = Mutex::new(Vec::new());
    let counted = |p: &[f64], b: &[usize], g: &mut [f64]| {
        shards.lock().unwrap().push(b.len());
        mse(&d, p, b, g)
    };
    let two = lr_find_sharded(&Adam::new(1e-3).unwrap(), &mut p, d.len(), counted, LrFindConfig { threads: 2, min_shard: 8, ..cfg }).unwrap();
    let seen = shards.into_inner().unwrap();
    // 200 samples: six batches of 32 cut in two, then a last batch of 8 kept whole.
    assert!(seen.contains(&16) && seen.iter().all(|&n| n == 16 || n == 8), "{seen:?}");
    assert_eq!(two.lrs, plain.lrs);
    assert!(max_rel(&two.raw_losses, &plain.raw_losses) < 1e-12, "{:?}\n{:?}", two.raw_losses, plain.raw_losses);
    assert_eq!(two.suggestion, plain.suggestion);
    assert_eq!(p, [0.0; 4], "parameters restored");
    let bad = lr_find_sharded(&Adam::new(1e-3).unwrap(), &mut p, d.len(), loss, LrFindConfig { threads: 0, ..cfg }).unwrap_err();
    assert!(matches!(bad, GdError::BadHyperparameter { name: "threads", .. }), "{bad}");
}
