//! The training loop over a flat parameter vector, its history, and the LR
//! range test.
//!
//! A dataset is `n_samples` plus a closure
//! `FnMut(params: &[f64], batch: &[usize], grad: &mut [f64]) -> f64` that
//! returns the **mean** loss over the sample indices in `batch` and
//! **overwrites** `grad` with its gradient.
//!
//! ```
//! use gd_runtime::{Trainer, BatchMode, optim::Sgd};
//! // Fit y = 2x on x = 1..5 by full-batch gradient descent on the MSE.
//! let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
//! let mut params = [0.0, 0.0]; // w, b
//! let mut opt = Sgd::new(0.01)?;
//! let report = Trainer::new().max_epochs(1000).batch(BatchMode::Full).fit(
//!     &mut opt, &mut params, xs.len(),
//!     |p, batch, g| {
//!         let (mut l, mut gw, mut gb) = (0.0, 0.0, 0.0);
//!         for &i in batch {
//!             let r = 2.0 * xs[i] - (p[0] * xs[i] + p[1]);
//!             l += r * r; gw += -2.0 * xs[i] * r; gb += -2.0 * r;
//!         }
//!         let m = batch.len() as f64;
//!         g[0] = gw / m; g[1] = gb / m;
//!         l / m
//!     })?;
//! assert!((params[0] - 1.99518).abs() < 1e-5);
//! assert_eq!(report.steps, 1000);
//! # Ok::<(), gd_runtime::GdError>(())
//! ```

mod distributed;
mod history;
mod lr_find;
mod model;
mod passes;
mod progress;
mod stopping;

pub use history::{EpochRecord, History, StepRecord};
pub use stopping::StoppingState;
pub use lr_find::{lr_find, lr_find_params, lr_find_params_sharded, lr_find_sharded, LrFindConfig, LrFindReport};

use std::borrow::{Borrow, BorrowMut};

pub(crate) use model::TrainParams;

/// How far a run has come: epochs and steps done, and the blow-up rule's
/// state.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Position {
    pub epochs: usize,
    pub steps: usize,
    pub threshold: Option<f64>,
    pub last_finite: Option<f64>,
}

/// Where a run starts: a fresh run at epoch 0, a resumed one with the state
/// a checkpoint saved ([`crate::dist::Checkpoint`]), so that it goes on as
/// the uninterrupted run would have.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resume {
    pub at: Position,
    pub stopping: StoppingState,
    /// The parameters of the best validation loss, flat.
    pub best_params: Option<Vec<f64>>,
    pub history: History,
    /// The reduce-on-plateau rule's state (used when the run has one).
    pub lr_rule: Option<ReduceLrOnPlateau>,
}

/// The loop's state after an epoch, for the distributed run's hook (which
/// checks that the ranks agree and writes checkpoints).
pub(crate) struct EpochEnd<'p, P: ?Sized> {
    pub at: Position,
    pub params: &'p P,
    pub stopping: &'p StoppingState,
    pub best_params: Option<&'p P>,
    pub history: &'p History,
    pub lr_rule: Option<&'p ReduceLrOnPlateau>,
}

/// Called after each completed epoch (after its record, the LR rule and the
/// stopping rules' bookkeeping, before the run stops); an error ends the run
/// with it.
pub(crate) type EpochHook<'h, P, O> = &'h mut dyn FnMut(EpochEnd<'_, P>, &O) -> Result<(), GdError>;

use std::ops::ControlFlow;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use crate::error::{check, DivergenceCause, GdError};
use crate::leaves::{first_non_finite, WithGrad};
use crate::optim::{GradMap, Optimizer};
use crate::params::Params;
use crate::schedule::ReduceLrOnPlateau;
use crate::shard::Shards;

/// How an epoch is cut into batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchMode {
    /// One batch of all samples, in order (deterministic gradient descent).
    Full,
    /// Batches of one sample, shuffled each epoch.
    Stochastic,
    /// Batches of this many samples, shuffled each epoch; the last batch of
    /// an epoch may be smaller (torch's `drop_last = false`).
    MiniBatch(usize),
}

/// Stop when the epoch loss has not improved for `patience` epochs;
/// improving means `loss < best − min_rel_delta · |best|`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossPlateau {
    /// Epochs without improvement tolerated.
    pub patience: usize,
    /// Relative improvement that counts.
    pub min_rel_delta: f64,
}

/// Settings of the training loop. Defaults: full batch, no accumulation,
/// 100 epochs, no step limit, no gradient tolerance, no plateau rule, no
/// target loss, blow-up factor `1e6`, seed 0, progress bar on (hidden when
/// stderr is not a terminal), per-step history recorded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Batching. Default [`BatchMode::Full`].
    pub batch: BatchMode,
    /// Accumulate the gradients of this many batches (weighted by batch
    /// size, so k batches of B equal one batch of kB) before one optimizer
    /// step; a shorter group at the end of an epoch is stepped too. Default 1.
    pub accumulate: usize,
    /// Epoch limit. Default 100.
    pub max_epochs: usize,
    /// Optimizer-step limit. Default `None`.
    pub max_steps: Option<usize>,
    /// Stop when the gradient norm is `<= grad_tol`: in full-batch mode the
    /// gradient about to be applied; otherwise the norm of the epoch's mean
    /// gradient. Default `None`.
    pub grad_tol: Option<f64>,
    /// Loss-plateau stopping rule on the epoch loss. Default `None`.
    pub plateau: Option<LossPlateau>,
    /// Stop ([`StopReason::TargetReached`]) as soon as the loss is
    /// `<= target_loss`: in full-batch mode the loss at the current
    /// parameters, checked before the step (so the parameters returned have
    /// that loss and `TrainReport::final_loss <= target_loss`); otherwise the
    /// epoch loss (mean of the epoch's step losses), checked after the epoch.
    /// Must be finite. Default `None`.
    #[serde(default)]
    pub target_loss: Option<f64>,
    /// Divergence when a step's loss exceeds
    /// `blowup_factor · max(|L₀|, 1)`, where `L₀` is the first step's loss.
    /// `None` disables the rule (NaN/Inf are always divergence). Default `Some(1e6)`.
    pub blowup_factor: Option<f64>,
    /// Seed of the shuffling `StdRng`. Default 0.
    pub seed: u64,
    /// Show a progress bar (only when stderr is a terminal). Default `true`.
    pub progress: bool,
    /// Keep a record per optimizer step (epoch records are always kept).
    /// Default `true`.
    pub record_steps: bool,
    /// Threads of [`Trainer::fit_sharded`] / [`Trainer::fit_params_sharded`]
    /// (1: each batch in one call on this thread, as [`Trainer::fit`]): every
    /// thread their steps use, the generated gradients' matrix products
    /// included (shared among a batch's shards; see `crate::budget`).
    /// [`Trainer::fit`] and [`Trainer::fit_params`], whose loss is `FnMut`,
    /// call it on this thread, and its matrix products get these threads
    /// (`threads(1)`: serial, no thread started). Default: the machine's
    /// available parallelism.
    #[serde(default = "crate::shard::default_threads")]
    pub threads: usize,
    /// The sharded paths never cut a batch into shards of fewer samples
    /// than this (a batch shorter than `2 · min_shard` stays on one thread).
    /// Default [`crate::shard::DEFAULT_MIN_SHARD`].
    #[serde(default = "default_min_shard")]
    pub min_shard: usize,
    /// Shuffle the samples before each epoch of [`BatchMode::MiniBatch`] /
    /// [`BatchMode::Stochastic`] (torch's `DataLoader(shuffle=True)`); off,
    /// every epoch takes the batches `0..B, B..2B, …` in order (a time
    /// series, a curriculum, or a loss that slices contiguous samples).
    /// Default `true`.
    #[serde(default = "default_shuffle")]
    pub shuffle: bool,
}

fn default_shuffle() -> bool {
    true
}

fn default_min_shard() -> usize {
    crate::shard::DEFAULT_MIN_SHARD
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            batch: BatchMode::Full,
            accumulate: 1,
            max_epochs: 100,
            max_steps: None,
            grad_tol: None,
            plateau: None,
            target_loss: None,
            blowup_factor: Some(1e6),
            seed: 0,
            progress: true,
            record_steps: true,
            threads: crate::shard::default_threads(),
            min_shard: crate::shard::DEFAULT_MIN_SHARD,
            shuffle: true,
        }
    }
}

/// Why a run stopped (divergence is an error, not a stop reason; see
/// [`Trainer::error_history`] for the records of a diverged run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// `max_epochs` epochs done.
    MaxEpochs,
    /// `max_steps` optimizer steps done.
    MaxSteps,
    /// Gradient norm at or below `grad_tol`.
    GradTol,
    /// Epoch loss stopped improving.
    LossPlateau,
    /// Validation loss stopped improving; best parameters restored.
    EarlyStopping,
    /// The loss reached [`TrainConfig::target_loss`].
    TargetReached,
    /// The [`Trainer::on_epoch`] callback returned [`ControlFlow::Break`].
    Callback,
}

/// Outcome of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    /// Why it stopped.
    pub stop: StopReason,
    /// Epochs completed.
    pub epochs: usize,
    /// Optimizer steps taken.
    pub steps: usize,
    /// Last loss evaluated (loss of the last batch group, before its step).
    pub final_loss: f64,
    /// With validation: `(epoch, loss)` of the best validation loss; the
    /// parameters returned are those of that epoch.
    pub best_validation: Option<(usize, f64)>,
    /// Per-step and per-epoch records.
    pub history: History,
}

type ValidationFn<'a> = Box<dyn FnMut(&[f64]) -> f64 + 'a>;
type EpochFn<'a> = Box<dyn FnMut(&EpochRecord) -> ControlFlow<()> + 'a>;

/// The training loop. Build with the chained setters, then call
/// [`Trainer::fit`] (dataset closure) or [`Trainer::minimize`] (objective).
///
/// When a run fails (a [`GdError::Divergence`], an optimizer error), the
/// records made up to the failure are kept on the trainer:
/// [`Trainer::error_history`] / [`Trainer::take_error_history`].
///
/// ```
/// use std::ops::ControlFlow;
/// use gd_runtime::{GdError, StopReason, Trainer, optim::Sgd};
/// let bowl = |p: &[f64], g: &mut [f64]| { g[0] = 2.0 * p[0]; p[0] * p[0] };
///
/// // Stop at a target loss.
/// let mut x = [3.0];
/// let r = Trainer::new().progress(false).max_epochs(1000).target_loss(1e-6)
///     .minimize(&mut Sgd::new(0.1)?, &mut x, bowl)?;
/// assert_eq!(r.stop, StopReason::TargetReached);
/// assert!(r.final_loss <= 1e-6 && r.epochs < 1000);
///
/// // A callback after each epoch that can stop the run.
/// let mut x = [3.0];
/// let r = Trainer::new().progress(false)
///     .on_epoch(|rec| if rec.epoch == 4 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
///     .minimize(&mut Sgd::new(0.1)?, &mut x, bowl)?;
/// assert_eq!((r.stop, r.history.epochs.len()), (StopReason::Callback, 5));
///
/// // Divergence is an error; the loss curve up to it stays on the trainer.
/// let mut t = Trainer::new().progress(false).max_epochs(1000);
/// let err = t.minimize(&mut Sgd::new(1.1)?, &mut [3.0], bowl).unwrap_err();
/// assert!(matches!(err, GdError::Divergence { .. }));
/// let h = t.take_error_history().unwrap();
/// assert!(h.steps.windows(2).all(|w| w[1].loss > w[0].loss));
/// # Ok::<(), GdError>(())
/// ```
pub struct Trainer<'a> {
    /// The settings.
    pub config: TrainConfig,
    validation: Option<(ValidationFn<'a>, usize)>,
    lr_plateau: Option<ReduceLrOnPlateau>,
    on_epoch: Option<EpochFn<'a>>,
    error_history: Option<History>,
    checkpoint: Option<distributed::CheckpointPlan>,
    // `resume(true)` called before `checkpoint(..)`: applied by it.
    resume_pending: bool,
}

impl Default for Trainer<'_> {
    fn default() -> Self {
        Trainer::new()
    }
}

impl<'a> Trainer<'a> {
    /// A trainer with [`TrainConfig::default`].
    pub fn new() -> Self {
        Trainer::with_config(TrainConfig::default())
    }
    /// A trainer with the given settings.
    pub fn with_config(config: TrainConfig) -> Self {
        Trainer { config, validation: None, lr_plateau: None, on_epoch: None, error_history: None, checkpoint: None, resume_pending: false }
    }
    /// Set [`TrainConfig::batch`].
    pub fn batch(mut self, batch: BatchMode) -> Self {
        self.config.batch = batch;
        self
    }
    /// Set [`TrainConfig::accumulate`].
    pub fn accumulate(mut self, k: usize) -> Self {
        self.config.accumulate = k;
        self
    }
    /// Set [`TrainConfig::max_epochs`].
    pub fn max_epochs(mut self, n: usize) -> Self {
        self.config.max_epochs = n;
        self
    }
    /// Set [`TrainConfig::max_steps`].
    pub fn max_steps(mut self, n: usize) -> Self {
        self.config.max_steps = Some(n);
        self
    }
    /// Set [`TrainConfig::grad_tol`].
    pub fn grad_tol(mut self, tol: f64) -> Self {
        self.config.grad_tol = Some(tol);
        self
    }
    /// Set [`TrainConfig::shuffle`].
    pub fn shuffle(mut self, on: bool) -> Self {
        self.config.shuffle = on;
        self
    }
    /// Set [`TrainConfig::plateau`].
    pub fn plateau(mut self, patience: usize, min_rel_delta: f64) -> Self {
        self.config.plateau = Some(LossPlateau { patience, min_rel_delta });
        self
    }
    /// Set [`TrainConfig::target_loss`]: stop with
    /// [`StopReason::TargetReached`] once the loss is `<= loss`.
    pub fn target_loss(mut self, loss: f64) -> Self {
        self.config.target_loss = Some(loss);
        self
    }
    /// Set [`TrainConfig::blowup_factor`].
    pub fn blowup_factor(mut self, factor: Option<f64>) -> Self {
        self.config.blowup_factor = factor;
        self
    }
    /// Set [`TrainConfig::seed`].
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }
    /// Set [`TrainConfig::threads`] (0 is rejected by the sharded fits).
    pub fn threads(mut self, n: usize) -> Self {
        self.config.threads = n;
        self
    }
    /// Set [`TrainConfig::min_shard`] (0 is rejected by the sharded fits).
    pub fn min_shard(mut self, n: usize) -> Self {
        self.config.min_shard = n;
        self
    }
    /// Set [`TrainConfig::progress`].
    pub fn progress(mut self, on: bool) -> Self {
        self.config.progress = on;
        self
    }
    /// Early stopping: evaluate `val(params)` after each epoch; stop after
    /// `patience` epochs without a new best, and end the run (whatever
    /// stops it) with the parameters of the best validation loss.
    pub fn validation(mut self, val: impl FnMut(&[f64]) -> f64 + 'a, patience: usize) -> Self {
        self.validation = Some((Box::new(val), patience));
        self
    }
    /// Call `f` after each completed epoch with its [`EpochRecord`] (the
    /// record just pushed to the history: epoch index, loss, gradient norm,
    /// learning rate, validation loss). Returning [`ControlFlow::Break`] ends
    /// the run with [`StopReason::Callback`] (the early-stopping rule still
    /// restores the best validated parameters). In full-batch mode an epoch
    /// cut short by `max_steps`, `grad_tol` or `target_loss` is not recorded,
    /// so the callback does not see it.
    pub fn on_epoch(mut self, f: impl FnMut(&EpochRecord) -> ControlFlow<()> + 'a) -> Self {
        self.on_epoch = Some(Box::new(f));
        self
    }
    /// The records (steps and completed epochs) of the last
    /// [`Trainer::fit`] / [`Trainer::minimize`] call if it returned an error:
    /// after a [`GdError::Divergence`] every step taken before it, so the
    /// loss curve up to the blow-up can still be plotted (the offending loss
    /// itself is in the error's `cause`). Empty when the settings were
    /// rejected before training; `None` after a successful run (its history
    /// is in the [`TrainReport`]) or before any run. Each run clears it.
    pub fn error_history(&self) -> Option<&History> {
        self.error_history.as_ref()
    }
    /// Take [`Trainer::error_history`] out of the trainer.
    pub fn take_error_history(&mut self) -> Option<History> {
        self.error_history.take()
    }
    /// Feed the epoch loss (the validation loss when there is one) to a
    /// reduce-on-plateau rule after each epoch and set the optimizer's
    /// learning rate from it. (Has no effect on a [`crate::optim::Scheduled`]
    /// optimizer, whose schedule owns the rate.)
    pub fn reduce_lr_on_plateau(mut self, rule: ReduceLrOnPlateau) -> Self {
        self.lr_plateau = Some(rule);
        self
    }

    /// Minimise an objective `f(x, grad) -> value` (full batch: one step per
    /// epoch, so `max_epochs` bounds the steps). For a [`crate::Objective`]
    /// type pass `obj.as_fn()`.
    pub fn minimize<O, F>(&mut self, opt: &mut O, params: &mut [f64], mut objective: F) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        F: FnMut(&[f64], &mut [f64]) -> f64,
    {
        self.full_batch(|t| t.fit(opt, params, 1, |p: &[f64], _b: &[usize], g: &mut [f64]| objective(p, g)))
    }

    /// [`Trainer::minimize`] for parameters of any [`Params`] type (a
    /// `#[derive(gd::Params)]` struct, a `Vec<f32>`, a matrix): the
    /// objective overwrites a gradient of the parameters' shape, as a
    /// generated `f::value_and_grad_set` does. See [`Trainer::fit_params`].
    pub fn minimize_params<O, P, F>(&mut self, opt: &mut O, params: &mut P, mut objective: F) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        P: Params + Clone,
        F: FnMut(&P, &mut P) -> f64,
    {
        self.full_batch(|t| t.fit_params(opt, params, 1, |p: &P, _b: &[usize], g: &mut P| objective(p, g)))
    }

    /// Run `f` in full-batch mode, then restore the batch setting.
    fn full_batch<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = self.config.batch;
        self.config.batch = BatchMode::Full;
        let r = f(self);
        self.config.batch = saved;
        r
    }

    /// Train `params` with `opt` on a dataset of `n_samples` samples given by
    /// `loss(params, batch, grad) -> mean loss over batch`.
    ///
    /// Errors: [`GdError::EmptyDataset`], [`GdError::ZeroBatchSize`],
    /// [`GdError::BadHyperparameter`] for bad settings, errors of the
    /// optimizer, and [`GdError::Divergence`] — after which `params` hold
    /// the last iterate whose loss was finite and below the blow-up threshold,
    /// and [`Trainer::error_history`] the records up to the divergence.
    pub fn fit<O, L>(
        &mut self,
        opt: &mut O,
        params: &mut [f64],
        n_samples: usize,
        loss: L,
    ) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        L: FnMut(&[f64], &[usize], &mut [f64]) -> f64,
    {
        self.fit_any(opt, params, n_samples, crate::budget::serial(self.config.threads, loss))
    }

    /// [`Trainer::fit`] for parameters of any [`Params`] type: a
    /// `#[derive(gd::Params)]` struct, an nalgebra matrix, a `Vec<f32>`.
    /// `loss(params, batch, grad)` overwrites `grad`, a value of the
    /// parameters' shape (a generated `f::value_and_grad_set` does); the
    /// optimizer steps the parameters in place, leaf by leaf, in their own
    /// precision ([`Optimizer::step_params`]), with no flat copy. The
    /// gradient buffers are `params.zeros_like()`; a diverged run restores
    /// the last good parameters by `clone_from`. A [`Trainer::validation`]
    /// closure is given the parameters flattened ([`Params::to_vec`]) once
    /// per epoch.
    ///
    /// ```
    /// use gd_runtime::{BatchMode, Trainer, optim::Adam};
    /// // Fit y = 2x + 1 in f32: the parameters are a Vec<f32> [w, b].
    /// let xs: Vec<f32> = (0..8).map(|i| i as f32 / 4.0).collect();
    /// let mut p = vec![0.0f32, 0.0];
    /// let report = Trainer::new().progress(false).max_epochs(300).batch(BatchMode::MiniBatch(4))
    ///     .fit_params(&mut Adam::new(0.05)?, &mut p, xs.len(), |p: &Vec<f32>, batch, g: &mut Vec<f32>| {
    ///         let (mut l, mut gw, mut gb) = (0.0f32, 0.0f32, 0.0f32);
    ///         for &i in batch {
    ///             let r = p[0] * xs[i] + p[1] - (2.0 * xs[i] + 1.0);
    ///             l += r * r; gw += 2.0 * r * xs[i]; gb += 2.0 * r;
    ///         }
    ///         let m = batch.len() as f32;
    ///         g[0] = gw / m; g[1] = gb / m;
    ///         (l / m) as f64
    ///     })?;
    /// assert!((p[0] - 2.0).abs() < 1e-2 && (p[1] - 1.0).abs() < 1e-2, "{p:?}");
    /// assert!(report.final_loss < 1e-4);
    /// # Ok::<(), gd_runtime::GdError>(())
    /// ```
    pub fn fit_params<O, P, L>(
        &mut self,
        opt: &mut O,
        params: &mut P,
        n_samples: usize,
        loss: L,
    ) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        P: Params + Clone,
        L: FnMut(&P, &[usize], &mut P) -> f64,
    {
        self.fit_any(opt, params, n_samples, crate::budget::serial(self.config.threads, loss))
    }

    /// [`Trainer::fit`] with the batch's loss and gradient computed on
    /// [`TrainConfig::threads`] threads. `loss` has `fit`'s contract (mean
    /// loss over the indices it is given, gradient overwritten) but is `Fn +
    /// Sync`, for it is called on several threads at once, each time with
    /// one contiguous shard of the batch and its own gradient buffer. The
    /// shards' results are combined weighted by length in shard order, so a
    /// run is bitwise repeatable for a given thread count, and equal to the
    /// one-thread run up to rounding. A batch shorter than `2 · min_shard`,
    /// or `threads(1)`, is one call on this thread, exactly as `fit`. No
    /// step uses more than `threads` threads, matrix products included:
    /// `threads(1)` runs everything on this thread.
    ///
    /// Errors: those of `fit`, and [`GdError::BadHyperparameter`] for 0
    /// threads or a `min_shard` of 0. A panic in the loss is raised again
    /// on the calling thread with its message, once every shard has ended.
    ///
    /// ```
    /// use gd_runtime::{BatchMode, Trainer, optim::Sgd};
    /// let xs: Vec<f64> = (0..64).map(|i| i as f64 / 64.0).collect();
    /// let mse = |p: &[f64], batch: &[usize], g: &mut [f64]| {
    ///     let (mut l, mut gw, mut gb) = (0.0, 0.0, 0.0);
    ///     for &i in batch {
    ///         let r = p[0] * xs[i] + p[1] - (3.0 * xs[i] - 1.0);
    ///         l += r * r; gw += 2.0 * r * xs[i]; gb += 2.0 * r;
    ///     }
    ///     let m = batch.len() as f64;
    ///     g[0] = gw / m; g[1] = gb / m;
    ///     l / m
    /// };
    /// let mut fitted = Vec::new();
    /// for threads in [1, 2, 3] {
    ///     let mut p = [0.0, 0.0];
    ///     Trainer::new().progress(false).max_epochs(200).batch(BatchMode::MiniBatch(32))
    ///         .threads(threads).min_shard(8) // 2 or 3 shards (the default, 32, keeps 32 whole)
    ///         .fit_sharded(&mut Sgd::new(0.5)?, &mut p, xs.len(), mse)?;
    ///     fitted.push(p);
    /// }
    /// assert!((fitted[0][0] - 3.0).abs() < 1e-6);
    /// assert!(fitted.iter().all(|p| (p[0] - fitted[0][0]).abs() < 1e-12 && (p[1] - fitted[0][1]).abs() < 1e-12));
    /// # Ok::<(), gd_runtime::GdError>(())
    /// ```
    pub fn fit_sharded<O, L>(&mut self, opt: &mut O, params: &mut [f64], n_samples: usize, loss: L) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        L: Fn(&[f64], &[usize], &mut [f64]) -> f64 + Sync,
    {
        self.fit_shards(opt, params, n_samples, loss)
    }

    /// [`Trainer::fit_params`] on [`TrainConfig::threads`] threads, as
    /// [`Trainer::fit_sharded`] is to `fit`: `loss(params, shard, grad)` is
    /// `Fn + Sync` and each shard's gradient has its own buffer
    /// (`params.zeros_like()`, made once per run).
    pub fn fit_params_sharded<O, P, L>(&mut self, opt: &mut O, params: &mut P, n_samples: usize, loss: L) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        P: Params + Clone + Send + Sync,
        L: Fn(&P, &[usize], &mut P) -> f64 + Sync,
    {
        self.fit_shards(opt, params, n_samples, loss)
    }

    /// The two sharded fits: the settings checked, then the one loop with
    /// the sharded loss.
    fn fit_shards<O, P, L>(&mut self, opt: &mut O, params: &mut P, n_samples: usize, loss: L) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        P: TrainParams + Sync + ?Sized,
        P::Owned: Send,
        L: Fn(&P, &[usize], &mut P) -> f64 + Sync,
    {
        let mut shards = match Shards::new(self.config.threads, self.config.min_shard) {
            Ok(s) => s,
            Err(e) => {
                self.error_history = Some(History::default());
                return Err(e);
            }
        };
        self.fit_any(opt, params, n_samples, |p: &P, batch: &[usize], g: &mut P| shards.eval(&loss, p, batch, g))
    }

    /// [`Trainer::fit`] and [`Trainer::fit_params`]: the run and its history.
    fn fit_any<O, P, L>(&mut self, opt: &mut O, params: &mut P, n_samples: usize, mut loss: L) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        P: TrainParams + ?Sized,
        L: FnMut(&P, &[usize], &mut P) -> f64,
    {
        let loss = |p: &P, b: &[usize], g: &mut P, _step: usize| Ok(loss(p, b, g));
        self.fit_core(opt, params, n_samples, loss, Resume::default(), None)
    }

    /// Every fit: the run and its history. `loss` also gets the steps
    /// taken (for its errors) and may fail (a distributed step whose rank
    /// failed); `resume` is where the run starts; `hook` runs after each
    /// epoch.
    fn fit_core<O, P, L>(
        &mut self,
        opt: &mut O,
        params: &mut P,
        n_samples: usize,
        loss: L,
        resume: Resume,
        hook: Option<EpochHook<'_, P, O>>,
    ) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        P: TrainParams + ?Sized,
        L: FnMut(&P, &[usize], &mut P, usize) -> Result<f64, GdError>,
    {
        self.error_history = None;
        let mut history = History::default();
        let r = self.run(opt, params, n_samples, loss, resume, hook, &mut history);
        match r {
            Ok(mut report) => {
                report.history = history;
                Ok(report)
            }
            Err(e) => {
                self.error_history = Some(history);
                Err(e)
            }
        }
    }

    /// The loop of [`Trainer::fit`]; records go to `history`, and the
    /// report's `history` is left empty.
    #[allow(clippy::too_many_arguments)]
    fn run<O, P, L>(
        &mut self,
        opt: &mut O,
        params: &mut P,
        n_samples: usize,
        mut loss: L,
        resume: Resume,
        mut hook: Option<EpochHook<'_, P, O>>,
        history: &mut History,
    ) -> Result<TrainReport, GdError>
    where
        O: Optimizer + ?Sized,
        P: TrainParams + ?Sized,
        L: FnMut(&P, &[usize], &mut P, usize) -> Result<f64, GdError>,
    {
        let cfg = self.config;
        if n_samples == 0 {
            return Err(GdError::EmptyDataset);
        }
        let bs = match cfg.batch {
            BatchMode::Full => n_samples,
            BatchMode::Stochastic => 1,
            BatchMode::MiniBatch(0) => return Err(GdError::ZeroBatchSize { what: "batch size" }),
            BatchMode::MiniBatch(b) => b.min(n_samples),
        };
        if cfg.accumulate == 0 {
            return Err(GdError::ZeroBatchSize { what: "gradient accumulation steps" });
        }
        if let Some(f) = cfg.blowup_factor {
            check::positive("TrainConfig.blowup_factor", f)?;
        }
        if let Some(t) = cfg.grad_tol {
            check::non_negative("TrainConfig.grad_tol", t)?;
        }
        if let Some(p) = cfg.plateau {
            check::non_negative("TrainConfig.plateau.min_rel_delta", p.min_rel_delta)?;
        }
        if let Some(t) = cfg.target_loss {
            if !t.is_finite() {
                return Err(GdError::BadHyperparameter { name: "TrainConfig.target_loss", value: t, allowed: "finite" });
            }
        }
        check::non_negative("optimizer learning rate", opt.lr())?;

        let shuffle = cfg.batch != BatchMode::Full && cfg.shuffle;
        let mut order: Vec<usize> = (0..n_samples).collect();
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        let mut g = params.zeros();
        let mut acc = params.zeros();
        let mut epoch_grad = params.zeros();
        let mut prev = params.copy();
        let Resume { at, mut stopping, best_params: resumed_best, history: resumed_history, lr_rule } = resume;
        let mut best_params: Option<P::Owned> = resumed_best.map(|flat| {
            let mut b = params.copy();
            b.borrow_mut().read_flat(&flat);
            b
        });
        if let (Some(rule), Some(state)) = (self.lr_plateau.as_mut(), lr_rule) {
            *rule = state;
        }
        *history = resumed_history;
        let mut steps = at.steps;
        let mut threshold: Option<f64> = at.threshold;
        let mut last_finite: Option<f64> = at.last_finite;
        let mut final_loss = f64::NAN;
        let mut epochs_done = at.epochs;
        let mut stop = StopReason::MaxEpochs;
        let bar = progress::bar(cfg.max_epochs as u64, cfg.progress);
        // A resumed run replays the shuffles of the epochs it skips, so its
        // batches are those of the run it continues.
        if shuffle {
            (0..at.epochs).for_each(|_| order.shuffle(&mut rng));
        }

        'epochs: for epoch in at.epochs..cfg.max_epochs {
            if shuffle {
                order.shuffle(&mut rng);
            }
            let n_batches = order.len().div_ceil(bs);
            let (mut ep_loss, mut ep_samples) = (0.0, 0usize);
            epoch_grad.borrow_mut().zero();
            let (mut grp_loss, mut grp_samples, mut grp_k) = (0.0, 0usize, 0usize);
            for (bi, batch) in order.chunks(bs).enumerate() {
                if cfg.max_steps.is_some_and(|m| steps >= m) {
                    stop = StopReason::MaxSteps;
                    break 'epochs;
                }
                let l = loss(params, batch, g.borrow_mut(), steps)?;
                let diverged = |cause| {
                    Err(GdError::Divergence { step: steps, lr: opt.lr(), last_finite_loss: last_finite, cause })
                };
                if !l.is_finite() {
                    params.assign(prev.borrow_mut());
                    return diverged(DivergenceCause::NonFiniteLoss(l));
                }
                // A finite norm means finite entries: the common path makes
                // one pass over the gradient for both. With no accumulation
                // the batch gradient is the step's, and the epoch's gradient
                // takes it in that same pass (it is read only after the
                // epoch, and an error below ends the run; train/passes.rs).
                let b = batch.len();
                let w = b as f64;
                let batch_norm =
                    if cfg.accumulate == 1 { epoch_grad.borrow_mut().add_scaled_norm(w, g.borrow_mut()) } else { g.borrow_mut().norm() };
                if !batch_norm.is_finite() {
                    if let Some((index, value)) = first_non_finite(g.borrow_mut()) {
                        params.assign(prev.borrow_mut());
                        return diverged(DivergenceCause::NonFiniteGradient { index, value });
                    }
                }
                if cfg.accumulate == 1 {
                    grp_loss = l * w;
                } else {
                    if grp_k == 0 {
                        acc.borrow_mut().zero();
                    }
                    acc.borrow_mut().add_scaled(w, g.borrow_mut());
                    grp_loss += l * w;
                }
                grp_samples += b;
                grp_k += 1;
                if grp_k < cfg.accumulate && bi + 1 < n_batches {
                    continue;
                }
                // One optimizer step on the (accumulated) gradient.
                let gw = grp_samples as f64;
                let step_loss = grp_loss / gw;
                let step_grad: &P = if cfg.accumulate == 1 {
                    g.borrow_mut()
                } else {
                    acc.borrow_mut().div(gw);
                    acc.borrow_mut()
                };
                let thr = *threshold.get_or_insert_with(|| match cfg.blowup_factor {
                    Some(f) => f * step_loss.abs().max(1.0),
                    None => f64::INFINITY,
                });
                if step_loss > thr {
                    params.assign(prev.borrow_mut());
                    return Err(GdError::Divergence {
                        step: steps,
                        lr: opt.lr(),
                        last_finite_loss: last_finite,
                        cause: DivergenceCause::BlowUp { loss: step_loss, threshold: thr },
                    });
                }
                last_finite = Some(step_loss);
                final_loss = step_loss;
                let gnorm = if cfg.accumulate == 1 { batch_norm } else { step_grad.norm() };
                if cfg.batch == BatchMode::Full && cfg.grad_tol.is_some_and(|t| gnorm <= t) {
                    stop = StopReason::GradTol;
                    break 'epochs;
                }
                if cfg.batch == BatchMode::Full && cfg.target_loss.is_some_and(|t| step_loss <= t) {
                    stop = StopReason::TargetReached;
                    break 'epochs;
                }
                if cfg.record_steps {
                    history.steps.push(StepRecord { step: steps, epoch, loss: step_loss, grad_norm: gnorm, lr: opt.lr() });
                }
                prev.borrow_mut().assign(params);
                // Under the run's thread budget, as its losses: a large
                // leaf's update runs on those threads (optim/state.rs).
                let threads = cfg.threads;
                crate::budget::with(threads, threads, || {
                    opt.update(&mut WithGrad { params: &mut *params, grad: step_grad }, &GradMap::IDENTITY)
                })?;
                steps += 1;
                if cfg.accumulate != 1 {
                    epoch_grad.borrow_mut().add_scaled(gw, step_grad);
                }
                ep_loss += step_loss * gw;
                ep_samples += grp_samples;
                grp_loss = 0.0;
                grp_samples = 0;
                grp_k = 0;
            }
            epochs_done = epoch + 1;
            let ep_loss = ep_loss / ep_samples.max(1) as f64;
            epoch_grad.borrow_mut().div(ep_samples.max(1) as f64);
            let ep_gnorm = epoch_grad.borrow_mut().norm();
            let val = self.validation.as_mut().map(|(f, _)| f(&params.flat()));
            if let Some(rule) = self.lr_plateau.as_mut() {
                let new_lr = rule.step(val.unwrap_or(ep_loss), opt.lr());
                opt.set_lr(new_lr);
            }
            let record = EpochRecord { epoch, loss: ep_loss, grad_norm: ep_gnorm, lr: opt.lr(), val_loss: val };
            history.epochs.push(record);
            progress::update(&bar, epoch, ep_loss);
            let mut stop_now = None;
            if let (Some(v), Some((_, patience))) = (val, self.validation.as_ref()) {
                if stopping.validated(epoch, v) {
                    match best_params.as_mut() {
                        Some(bp) => bp.borrow_mut().assign(params),
                        None => best_params = Some(params.copy()),
                    }
                } else if stopping.validation_bad_epochs >= *patience {
                    stop_now = Some(StopReason::EarlyStopping);
                }
            }
            // Every rule's bookkeeping is updated whichever rule stops the
            // run, so that a checkpoint of a stopped run resumes as the
            // run that went on.
            let plateaued = cfg.plateau.is_some_and(|p| stopping.plateaued(ep_loss, p));
            if let Some(h) = hook.as_mut() {
                let at = Position { epochs: epochs_done, steps, threshold, last_finite };
                let end = EpochEnd {
                    at,
                    params: &*params,
                    stopping: &stopping,
                    best_params: best_params.as_ref().map(Borrow::borrow),
                    history: &*history,
                    lr_rule: self.lr_plateau.as_ref(),
                };
                h(end, &*opt)?;
            }
            // Called on every recorded epoch, after the hook (this epoch's
            // checkpoint is on disk when it runs) and the rules' bookkeeping
            // (a run it stops still restores the best parameters).
            let callback_stop = self.on_epoch.as_mut().is_some_and(|f| f(&record).is_break());
            let by_epoch = cfg.batch != BatchMode::Full;
            stop_now = stop_now.or_else(|| {
                if callback_stop {
                    Some(StopReason::Callback)
                } else if by_epoch && cfg.target_loss.is_some_and(|t| ep_loss <= t) {
                    Some(StopReason::TargetReached)
                } else if by_epoch && cfg.grad_tol.is_some_and(|t| ep_gnorm <= t) {
                    Some(StopReason::GradTol)
                } else {
                    plateaued.then_some(StopReason::LossPlateau)
                }
            });
            if let Some(s) = stop_now {
                stop = s;
                break 'epochs;
            }
        }
        bar.finish_and_clear();
        if let Some(mut bp) = best_params {
            params.assign(bp.borrow_mut());
        }
        Ok(TrainReport { stop, epochs: epochs_done, steps, final_loss, best_validation: stopping.best_validation, history: History::default() })
    }
}

/// Minimise an objective for at most `max_steps` full-batch steps with the
/// default [`TrainConfig`] otherwise (blow-up factor 1e6, no progress bar).
pub fn minimize<O, F>(opt: &mut O, params: &mut [f64], objective: F, max_steps: usize) -> Result<TrainReport, GdError>
where
    O: Optimizer + ?Sized,
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    Trainer::new().max_epochs(max_steps).progress(false).minimize(opt, params, objective)
}
