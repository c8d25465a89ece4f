//! The training loop across processes ([`crate::dist`]): the same loop as
//! [`Trainer::fit`] on every rank, each batch's loss and gradient summed
//! over the ranks in one all-reduce, and the settings, the parameters after
//! each epoch and every rank's failures shared, so that every rank ends
//! with the same parameters or the same error. Rank 0 writes checkpoints.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::dist::reduce::Reducer;
use crate::dist::{agree, broadcast_bytes, same_on_all, status, Checkpoint, Collective};
use crate::error::{check, GdError, RankFailure};
use crate::optim::Optimizer;
use crate::params::Params;

use super::{BatchMode, EpochEnd, History, Position, Resume, TrainParams, TrainReport, Trainer};

/// Where and how often a distributed run saves itself, and whether it
/// starts from what it saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckpointPlan {
    pub path: PathBuf,
    pub every: usize,
    pub resume: bool,
}

impl<'a> Trainer<'a> {
    /// In [`Trainer::fit_distributed`] / [`Trainer::fit_params_distributed`],
    /// rank 0 writes a [`Checkpoint`] (parameters, optimizer state, epochs
    /// and steps done) to `path` after every `every` epochs; every rank
    /// learns whether the write succeeded (a failed write is every rank's
    /// [`GdError::RankFailed`]). `every` 0 is a
    /// [`GdError::BadHyperparameter`] when the run starts.
    pub fn checkpoint(mut self, path: impl Into<PathBuf>, every: usize) -> Self {
        let resume = self.resume_pending || self.checkpoint.as_ref().is_some_and(|c| c.resume);
        self.checkpoint = Some(CheckpointPlan { path: path.into(), every, resume });
        self
    }

    /// Start a distributed run from the [`Trainer::checkpoint`] file when
    /// rank 0 finds one (otherwise from the parameters and optimizer given):
    /// rank 0 reads it and sends it to every rank, which take its
    /// parameters, optimizer state and position, replay the seeded shuffles
    /// of the epochs done, and continue to the parameters the uninterrupted
    /// run would have. Needs the same seed and settings; without
    /// [`Trainer::checkpoint`] it does nothing.
    pub fn resume(mut self, on: bool) -> Self {
        if let Some(c) = self.checkpoint.as_mut() {
            c.resume = on;
        } else if on {
            self.resume_pending = true;
        }
        self
    }

    /// [`Trainer::fit`] across the ranks of `comm` (data parallel).
    ///
    /// Every rank calls it with the same settings, `n_samples` (the number
    /// of samples in all) and initial parameters. Rank r holds the block
    /// [`crate::dist::shard_range`]`(n_samples, r, size)` of the samples;
    /// `loss(params, samples, grad)` gets the current batch's samples in
    /// that block as indices into the block (0 is the block's first
    /// sample), and returns their mean loss and gradient, as in `fit`. The
    /// batches are those of one process: the shuffle is seeded
    /// ([`super::TrainConfig::seed`]) and the same on every rank, and a
    /// mini-batch's size is the global one. One all-reduce a step sums the
    /// ranks' `n_r·loss` and `n_r·gradient` (with each rank's status), so
    /// every rank steps on the batch's mean gradient and ends with the same
    /// parameters: one process's, up to the order of the sums. After each
    /// epoch the ranks check that their parameters are bitwise equal.
    ///
    /// A validation closure and [`Trainer::on_epoch`] run on every rank and
    /// must decide the same there (compute a validation loss over all ranks
    /// with [`crate::dist::objective`], or over data every rank holds).
    ///
    /// Errors: those of `fit`, the same on every rank, and
    /// - [`GdError::RankMismatch`] when the ranks' sample counts, parameter
    ///   counts, seeds, batch settings or epoch limits differ;
    /// - [`GdError::RankFailed`] when a rank's loss panics, returns a
    ///   non-finite loss or gradient for its samples, its parameters drift
    ///   from rank 0's, or rank 0 cannot write a checkpoint: every rank
    ///   returns it at the same step, naming the rank and the cause;
    /// - [`GdError::Checkpoint`] for a checkpoint that cannot be read or
    ///   does not fit (other parameter count or seed).
    pub fn fit_distributed<C, O, L>(&mut self, comm: &C, opt: &mut O, params: &mut [f64], n_samples: usize, loss: L) -> Result<TrainReport, GdError>
    where
        C: Collective + ?Sized,
        O: Optimizer + Serialize + DeserializeOwned,
        L: FnMut(&[f64], &[usize], &mut [f64]) -> f64,
    {
        self.fit_dist(comm, opt, params, n_samples, loss)
    }

    /// [`Trainer::fit_params`] across the ranks of `comm`: as
    /// [`Trainer::fit_distributed`], with parameters of any [`Params`] type
    /// (all-reduced in their flat order).
    pub fn fit_params_distributed<C, O, P, L>(&mut self, comm: &C, opt: &mut O, params: &mut P, n_samples: usize, loss: L) -> Result<TrainReport, GdError>
    where
        C: Collective + ?Sized,
        O: Optimizer + Serialize + DeserializeOwned,
        P: Params + Clone,
        L: FnMut(&P, &[usize], &mut P) -> f64,
    {
        self.fit_dist(comm, opt, params, n_samples, loss)
    }

    fn fit_dist<C, O, P, L>(&mut self, comm: &C, opt: &mut O, params: &mut P, n_samples: usize, mut loss: L) -> Result<TrainReport, GdError>
    where
        C: Collective + ?Sized,
        O: Optimizer + Serialize + DeserializeOwned,
        P: TrainParams + ?Sized,
        L: FnMut(&P, &[usize], &mut P) -> f64,
    {
        self.error_history = None;
        let plan = self.checkpoint.clone();
        let resume = match self.prepare(comm, opt, params, n_samples, plan.as_ref()) {
            Ok(r) => r,
            Err(e) => {
                self.error_history = Some(History::default());
                return Err(e);
            }
        };
        let seed = self.config.seed;
        let mut reducer = Reducer::new(comm, n_samples);
        let mut hook = |end: EpochEnd<'_, P>, opt: &O| -> Result<(), GdError> {
            let epoch = end.at.epochs - 1;
            check_replicas(comm, end.params, epoch)?;
            if let Some(plan) = plan.as_ref().filter(|p| end.at.epochs % p.every == 0) {
                let written = if comm.rank() == 0 {
                    let ck = Checkpoint {
                        epochs: end.at.epochs,
                        steps: end.at.steps,
                        seed,
                        ranks: comm.size(),
                        threshold: end.at.threshold,
                        last_finite_loss: end.at.last_finite,
                        params: end.params.flat().into_owned(),
                        optimizer: opt,
                        stopping: end.stopping.clone(),
                        best_params: end.best_params.map(|b| b.flat().into_owned()),
                        history: end.history.clone(),
                        lr_rule: end.lr_rule.cloned(),
                    };
                    ck.write(&plan.path)
                } else {
                    Ok(())
                };
                agree(comm, written)?;
            }
            Ok(())
        };
        let step_loss = |p: &P, b: &[usize], g: &mut P, step: usize| reducer.eval(&mut loss, p, b, g, Some(step));
        self.fit_core(opt, params, n_samples, step_loss, resume, Some(&mut hook))
    }

    /// Before a distributed run: the settings checked the same on every
    /// rank, and the checkpoint, if resuming from one, loaded everywhere.
    fn prepare<C, O, P>(&mut self, comm: &C, opt: &mut O, params: &mut P, n_samples: usize, plan: Option<&CheckpointPlan>) -> Result<Resume, GdError>
    where
        C: Collective + ?Sized,
        O: Optimizer + DeserializeOwned,
        P: TrainParams + ?Sized,
    {
        let cfg = self.config;
        let batch = match cfg.batch {
            BatchMode::Full => -1.0,
            BatchMode::Stochastic => -2.0,
            BatchMode::MiniBatch(b) => b as f64,
        };
        // The seed as two exact halves: a u64 does not fit an f64's mantissa.
        same_on_all(
            comm,
            &[
                ("n_samples", n_samples as f64),
                ("parameter count", params.flat_len() as f64),
                ("seed (low 32 bits)", (cfg.seed & 0xffff_ffff) as f64),
                ("seed (high 32 bits)", (cfg.seed >> 32) as f64),
                ("batch size (-1 full, -2 stochastic)", batch),
                ("gradient accumulation steps", cfg.accumulate as f64),
                ("shuffle", cfg.shuffle as u8 as f64),
                ("max_epochs", cfg.max_epochs as f64),
                ("max_steps", cfg.max_steps.map_or(-1.0, |m| m as f64)),
                ("checkpoint interval", plan.map_or(-1.0, |p| p.every as f64)),
                ("resume", plan.map_or(0.0, |p| p.resume as u8 as f64)),
            ],
        )?;
        if self.resume_pending && plan.is_none() {
            return Err(GdError::Checkpoint { path: String::new(), message: "resume(true) without a checkpoint(path, every) to resume from".into() });
        }
        let Some(plan) = plan else { return Ok(Resume::default()) };
        check::at_least_one("Trainer.checkpoint every", plan.every)?;
        if !plan.resume {
            return Ok(Resume::default());
        }
        // Rank 0 reads, every rank gets the bytes: the ranks of a run on
        // several machines need not share a file system.
        let read = if comm.rank() == 0 { read_if_any(&plan.path) } else { Ok(Vec::new()) };
        let mut bytes = agree(comm, read)?;
        broadcast_bytes(comm, 0, &mut bytes)?;
        if bytes.is_empty() {
            return Ok(Resume::default());
        }
        // The same bytes on every rank: every rank takes the same branch.
        let ck: Checkpoint<O> = Checkpoint::from_bytes(&plan.path, &bytes)?;
        let bad = |message: String| GdError::Checkpoint { path: plan.path.display().to_string(), message };
        if ck.params.len() != params.flat_len() {
            return Err(bad(format!("it holds {} parameters, this run has {}", ck.params.len(), params.flat_len())));
        }
        if ck.seed != cfg.seed {
            return Err(bad(format!("it was written by a run with seed {}, this run's seed is {}", ck.seed, cfg.seed)));
        }
        params.read_flat(&ck.params);
        *opt = ck.optimizer;
        if ck.best_params.as_ref().is_some_and(|b| b.len() != ck.params.len()) {
            return Err(bad("its best-validation parameters are not as many as its parameters".into()));
        }
        Ok(Resume {
            at: Position { epochs: ck.epochs, steps: ck.steps, threshold: ck.threshold, last_finite: ck.last_finite_loss },
            stopping: ck.stopping,
            best_params: ck.best_params,
            history: ck.history,
            lr_rule: ck.lr_rule,
        })
    }
}

/// The file's bytes, or none when there is no file yet (a first run).
fn read_if_any(path: &Path) -> Result<Vec<u8>, String> {
    match std::fs::read(path) {
        Ok(b) if b.is_empty() => Err(format!("checkpoint {} is empty", path.display())),
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("could not read checkpoint {}: {e}", path.display())),
    }
}

/// Every rank's parameters bitwise equal to rank 0's, compared through a
/// 64-bit hash of their bits sent as two exact 32-bit halves: one small
/// all-reduce an epoch. Ranks that drifted apart (a loss that is not the
/// same function everywhere) would otherwise train on silently.
fn check_replicas<C: Collective + ?Sized, P: TrainParams + ?Sized>(comm: &C, params: &P, epoch: usize) -> Result<(), GdError> {
    let h = fnv1a(&params.flat());
    let (r, n) = (comm.rank(), comm.size());
    let mut all = vec![0.0; 2 * n];
    all[2 * r] = (h & 0xffff_ffff) as f64;
    all[2 * r + 1] = (h >> 32) as f64;
    comm.all_reduce_sum(&mut all)?;
    match (1..n).find(|&q| all[2 * q..2 * q + 2] != all[0..2]) {
        None => Ok(()),
        Some(rank) => Err(status::failed(comm, rank, None, RankFailure::Drifted { epoch })),
    }
}

/// FNV-1a over the values' bits.
fn fnv1a(v: &[f64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in v {
        for b in x.to_bits().to_le_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}
