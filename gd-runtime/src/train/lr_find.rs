//! LR range test (Smith 2015; fastai's `lr_find`, torch-lr-finder's
//! `range_test` with `step_mode="exp"`).

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

use std::borrow::BorrowMut;

use super::model::TrainParams;
use super::BatchMode;
use crate::error::{check, GdError};
use crate::leaves::{first_non_finite, WithGrad};
use crate::optim::{GradMap, Optimizer};
use crate::params::Params;
use crate::shard::Shards;

/// Settings of [`lr_find`]. Defaults (torch-lr-finder): `start_lr = 1e-7`,
/// `end_lr = 10`, `num_iter = 100`, `smooth = 0.05`, `diverge_th = 5`,
/// `skip_start = 10`, `skip_end = 5`; batches: full, seed 0; for the sharded
/// sweeps, every core and shards of at least
/// [`crate::shard::DEFAULT_MIN_SHARD`] samples (as [`super::Trainer`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LrFindConfig {
    /// First learning rate, `> 0`.
    pub start_lr: f64,
    /// Last learning rate, `> start_lr`.
    pub end_lr: f64,
    /// Number of steps (`>= 2`).
    pub num_iter: usize,
    /// Smoothing weight of the new loss, in `[0, 1)`:
    /// `s ← smooth·loss + (1 − smooth)·s`; 0 turns smoothing off
    /// (torch-lr-finder's `smooth_f`).
    pub smooth: f64,
    /// Stop when the smoothed loss exceeds `diverge_th × best`, `> 1`.
    pub diverge_th: f64,
    /// Points ignored at the start when suggesting.
    pub skip_start: usize,
    /// Points ignored at the end when suggesting.
    pub skip_end: usize,
    /// Batching of the sweep (batches cycle, reshuffled per pass).
    pub batch: BatchMode,
    /// Shuffling seed.
    pub seed: u64,
    /// Threads of [`lr_find_sharded`] / [`lr_find_params_sharded`]; the
    /// others call the loss on this thread and give its matrix products
    /// these threads, as [`super::Trainer::fit`] does.
    pub threads: usize,
    /// Shortest shard of a batch those split (see [`super::Trainer::min_shard`]).
    pub min_shard: usize,
}

impl Default for LrFindConfig {
    fn default() -> Self {
        LrFindConfig {
            start_lr: 1e-7,
            end_lr: 10.0,
            num_iter: 100,
            smooth: 0.05,
            diverge_th: 5.0,
            skip_start: 10,
            skip_end: 5,
            batch: BatchMode::Full,
            seed: 0,
            threads: crate::shard::default_threads(),
            min_shard: crate::shard::DEFAULT_MIN_SHARD,
        }
    }
}

/// Result of [`lr_find`].
#[derive(Debug, Clone, PartialEq)]
pub struct LrFindReport {
    /// Learning rate used at each iteration.
    pub lrs: Vec<f64>,
    /// Smoothed loss at each iteration (before its step).
    pub losses: Vec<f64>,
    /// Raw loss at each iteration.
    pub raw_losses: Vec<f64>,
    /// Whether the sweep stopped early (loss above `diverge_th × best`, or
    /// non-finite; a non-finite loss is not recorded).
    pub diverged: bool,
    /// The rate at the steepest descent of the smoothed loss
    /// (argmin of `numpy.gradient(losses)` after skipping), if there are at
    /// least two points left.
    pub suggestion: Option<f64>,
}

/// Exponential learning-rate sweep: iteration i uses
/// `start_lr · (end_lr / start_lr)^(i / (num_iter − 1))` on a clone of `opt`,
/// records the smoothed loss, and stops at divergence. `params` and `opt` are
/// unchanged afterwards (the sweep runs on a clone of the optimizer, and the
/// parameters are restored).
pub fn lr_find<O, L>(
    opt: &O,
    params: &mut [f64],
    n_samples: usize,
    loss: L,
    cfg: LrFindConfig,
) -> Result<LrFindReport, GdError>
where
    O: Optimizer + Clone,
    L: FnMut(&[f64], &[usize], &mut [f64]) -> f64,
{
    lr_find_any(opt, params, n_samples, crate::budget::serial(cfg.threads, loss), cfg)
}

/// [`lr_find`] for parameters of any [`Params`] type (a
/// `#[derive(gd::Params)]` struct, a `Vec<f32>`, a matrix), stepped in place
/// in their own precision; `loss` overwrites a gradient of the parameters'
/// shape (see [`super::Trainer::fit_params`]). The parameters are restored
/// afterwards.
pub fn lr_find_params<O, P, L>(
    opt: &O,
    params: &mut P,
    n_samples: usize,
    loss: L,
    cfg: LrFindConfig,
) -> Result<LrFindReport, GdError>
where
    O: Optimizer + Clone,
    P: Params + Clone,
    L: FnMut(&P, &[usize], &mut P) -> f64,
{
    lr_find_any(opt, params, n_samples, crate::budget::serial(cfg.threads, loss), cfg)
}

/// [`lr_find`] with each batch's gradient computed on
/// [`LrFindConfig::threads`] threads, as [`super::Trainer::fit_sharded`]
/// computes it (contiguous shards, combined in a fixed order), so the sweep
/// runs at the speed the training it prepares will: `loss` is `Fn + Sync`.
/// Errors: those of [`lr_find`], and [`GdError::BadHyperparameter`] for 0
/// threads or a `min_shard` of 0.
pub fn lr_find_sharded<O, L>(
    opt: &O,
    params: &mut [f64],
    n_samples: usize,
    loss: L,
    cfg: LrFindConfig,
) -> Result<LrFindReport, GdError>
where
    O: Optimizer + Clone,
    L: Fn(&[f64], &[usize], &mut [f64]) -> f64 + Sync,
{
    lr_find_shards(opt, params, n_samples, loss, cfg)
}

/// [`lr_find_params`] on several threads, as [`lr_find_sharded`] is to
/// [`lr_find`].
pub fn lr_find_params_sharded<O, P, L>(
    opt: &O,
    params: &mut P,
    n_samples: usize,
    loss: L,
    cfg: LrFindConfig,
) -> Result<LrFindReport, GdError>
where
    O: Optimizer + Clone,
    P: Params + Clone + Send + Sync,
    L: Fn(&P, &[usize], &mut P) -> f64 + Sync,
{
    lr_find_shards(opt, params, n_samples, loss, cfg)
}

/// The two sharded sweeps: the thread settings checked, then the one sweep
/// with the sharded loss (as `Trainer::fit_shards` is to the fits).
fn lr_find_shards<O, P, L>(opt: &O, params: &mut P, n_samples: usize, loss: L, cfg: LrFindConfig) -> Result<LrFindReport, GdError>
where
    O: Optimizer + Clone,
    P: TrainParams + Sync + ?Sized,
    P::Owned: Send,
    L: Fn(&P, &[usize], &mut P) -> f64 + Sync,
{
    let mut shards = Shards::new(cfg.threads, cfg.min_shard)?;
    lr_find_any(opt, params, n_samples, |p: &P, b: &[usize], g: &mut P| shards.eval(&loss, p, b, g), cfg)
}

fn lr_find_any<O, P, L>(
    opt: &O,
    params: &mut P,
    n_samples: usize,
    mut loss: L,
    cfg: LrFindConfig,
) -> Result<LrFindReport, GdError>
where
    O: Optimizer + Clone,
    P: TrainParams + ?Sized,
    L: FnMut(&P, &[usize], &mut P) -> f64,
{
    check::positive("LrFindConfig.start_lr", cfg.start_lr)?;
    if !(cfg.end_lr.is_finite() && cfg.end_lr > cfg.start_lr) {
        return Err(GdError::BadHyperparameter { name: "LrFindConfig.end_lr", value: cfg.end_lr, allowed: "finite and > start_lr" });
    }
    if cfg.num_iter < 2 {
        return Err(GdError::BadHyperparameter { name: "LrFindConfig.num_iter", value: cfg.num_iter as f64, allowed: ">= 2" });
    }
    check::unit_open("LrFindConfig.smooth", cfg.smooth)?;
    if !(cfg.diverge_th.is_finite() && cfg.diverge_th > 1.0) {
        return Err(GdError::BadHyperparameter { name: "LrFindConfig.diverge_th", value: cfg.diverge_th, allowed: "finite and > 1" });
    }
    if n_samples == 0 {
        return Err(GdError::EmptyDataset);
    }
    let bs = match cfg.batch {
        BatchMode::Full => n_samples,
        BatchMode::Stochastic => 1,
        BatchMode::MiniBatch(0) => return Err(GdError::ZeroBatchSize { what: "batch size" }),
        BatchMode::MiniBatch(b) => b.min(n_samples),
    };
    let mut saved = params.copy();
    let mut o = opt.clone();
    let result = sweep(&mut o, params, n_samples, bs, &mut loss, &cfg);
    params.assign(saved.borrow_mut());
    result
}

fn sweep<O: Optimizer, P: TrainParams + ?Sized, L: FnMut(&P, &[usize], &mut P) -> f64>(
    o: &mut O,
    params: &mut P,
    n_samples: usize,
    bs: usize,
    loss: &mut L,
    cfg: &LrFindConfig,
) -> Result<LrFindReport, GdError> {
    let mut order: Vec<usize> = (0..n_samples).collect();
    let shuffle = cfg.batch != BatchMode::Full;
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut g = params.zeros();
    let (mut lrs, mut losses, mut raw) = (Vec::new(), Vec::new(), Vec::new());
    let mut best = f64::INFINITY;
    let mut diverged = false;
    let mut pos = n_samples; // forces a (re)shuffle at the first batch
    let ratio = cfg.end_lr / cfg.start_lr;
    for i in 0..cfg.num_iter {
        if pos >= n_samples {
            if shuffle {
                order.shuffle(&mut rng);
            }
            pos = 0;
        }
        let end = (pos + bs).min(n_samples);
        let batch = &order[pos..end];
        pos = end;
        let lr = cfg.start_lr * ratio.powf(i as f64 / (cfg.num_iter - 1) as f64);
        o.set_lr(lr);
        let l = loss(params, batch, g.borrow_mut());
        if !l.is_finite() || first_non_finite(g.borrow_mut()).is_some() {
            diverged = true;
            break;
        }
        let s = match losses.last() {
            Some(&prev) if cfg.smooth > 0.0 => cfg.smooth * l + (1.0 - cfg.smooth) * prev,
            _ => l,
        };
        lrs.push(lr);
        losses.push(s);
        raw.push(l);
        if s < best {
            best = s;
        }
        if s > cfg.diverge_th * best {
            diverged = true;
            break;
        }
        crate::budget::with(cfg.threads, cfg.threads, || {
            o.update(&mut WithGrad { params: &mut *params, grad: g.borrow_mut() }, &GradMap::IDENTITY)
        })?;
    }
    let suggestion = suggest(&lrs, &losses, cfg.skip_start, cfg.skip_end);
    Ok(LrFindReport { lrs, losses, raw_losses: raw, diverged, suggestion })
}

/// torch-lr-finder's suggestion: skip the first `skip_start` and last
/// `skip_end` points, take `argmin(numpy.gradient(losses))`.
fn suggest(lrs: &[f64], losses: &[f64], skip_start: usize, skip_end: usize) -> Option<f64> {
    let n = losses.len();
    if n < skip_start + skip_end + 2 {
        return None;
    }
    let (l, r) = (&losses[skip_start..n - skip_end], &lrs[skip_start..n - skip_end]);
    let m = l.len();
    let grad = |i: usize| {
        if i == 0 {
            l[1] - l[0]
        } else if i == m - 1 {
            l[m - 1] - l[m - 2]
        } else {
            (l[i + 1] - l[i - 1]) / 2.0
        }
    };
    let best = (0..m).min_by(|&a, &b| grad(a).total_cmp(&grad(b)))?;
    Some(r[best])
}
