//! Learning-rate schedules as plain functions of the step (optax style), and
//! the stateful reduce-on-plateau rule.
//!
//! A [`Schedule`] maps the step t = 0, 1, 2, … to a learning rate. Attach one
//! to any optimizer with [`crate::optim::OptimizerExt::with_schedule`]. Any
//! `Fn(usize) -> f64` closure is a schedule too. Formulas follow
//! torch.optim.lr_scheduler's closed forms; where torch would keep cycling or
//! raise an error past the end, the behaviour is stated on the type.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use crate::error::{check, GdError};

/// A learning rate as a function of the step (counted from 0).
pub trait Schedule {
    /// The learning rate at step `step`.
    fn lr(&self, step: usize) -> f64;
}

impl<F: Fn(usize) -> f64> Schedule for F {
    fn lr(&self, step: usize) -> f64 {
        self(step)
    }
}

/// `lr(t) = lr`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Constant {
    lr: f64,
}

impl Constant {
    /// A constant rate (`lr >= 0`).
    pub fn new(lr: f64) -> Result<Self, GdError> {
        Ok(Constant { lr: check::non_negative("Constant.lr", lr)? })
    }
}

impl Schedule for Constant {
    fn lr(&self, _step: usize) -> f64 {
        self.lr
    }
}

/// torch StepLR: `lr(t) = lr₀ · γ^⌊t / step_size⌋`. torch's default γ is 0.1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepDecay {
    lr0: f64,
    step_size: usize,
    gamma: f64,
}

impl StepDecay {
    /// `step_size >= 1`, `gamma >= 0` (0.1 in torch).
    pub fn new(lr0: f64, step_size: usize, gamma: f64) -> Result<Self, GdError> {
        Ok(StepDecay {
            lr0: check::non_negative("StepDecay.lr0", lr0)?,
            step_size: check::at_least_one("StepDecay.step_size", step_size)?,
            gamma: check::non_negative("StepDecay.gamma", gamma)?,
        })
    }
}

impl Schedule for StepDecay {
    fn lr(&self, step: usize) -> f64 {
        self.lr0 * self.gamma.powf((step / self.step_size) as f64)
    }
}

/// torch MultiStepLR: `lr(t) = lr₀ · γ^(number of milestones ≤ t)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiStep {
    lr0: f64,
    milestones: Vec<usize>,
    gamma: f64,
}

impl MultiStep {
    /// Milestones in any order (they are sorted; duplicates count twice, as
    /// in torch), `gamma >= 0` (0.1 in torch).
    pub fn new(lr0: f64, milestones: &[usize], gamma: f64) -> Result<Self, GdError> {
        let mut milestones = milestones.to_vec();
        milestones.sort_unstable();
        Ok(MultiStep {
            lr0: check::non_negative("MultiStep.lr0", lr0)?,
            milestones,
            gamma: check::non_negative("MultiStep.gamma", gamma)?,
        })
    }
}

impl Schedule for MultiStep {
    fn lr(&self, step: usize) -> f64 {
        let k = self.milestones.partition_point(|&m| m <= step);
        self.lr0 * self.gamma.powf(k as f64)
    }
}

/// torch ExponentialLR: `lr(t) = lr₀ · γᵗ`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Exponential {
    lr0: f64,
    gamma: f64,
}

impl Exponential {
    /// `gamma >= 0`.
    pub fn new(lr0: f64, gamma: f64) -> Result<Self, GdError> {
        Ok(Exponential {
            lr0: check::non_negative("Exponential.lr0", lr0)?,
            gamma: check::non_negative("Exponential.gamma", gamma)?,
        })
    }
}

impl Schedule for Exponential {
    fn lr(&self, step: usize) -> f64 {
        self.lr0 * self.gamma.powf(step as f64)
    }
}

/// torch CosineAnnealingLR closed form:
/// `lr(t) = η_min + (lr₀ − η_min)(1 + cos(π t / T_max)) / 2` for `t ≤ T_max`,
/// and `η_min` after (optax's cosine_decay_schedule; torch's closed form
/// would rise again).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealing {
    lr0: f64,
    t_max: usize,
    eta_min: f64,
}

impl CosineAnnealing {
    /// `t_max >= 1`, `eta_min >= 0` (0 in torch).
    pub fn new(lr0: f64, t_max: usize, eta_min: f64) -> Result<Self, GdError> {
        Ok(CosineAnnealing {
            lr0: check::non_negative("CosineAnnealing.lr0", lr0)?,
            t_max: check::at_least_one("CosineAnnealing.t_max", t_max)?,
            eta_min: check::non_negative("CosineAnnealing.eta_min", eta_min)?,
        })
    }
}

fn cosine(from: f64, to: f64, pct: f64) -> f64 {
    to + (from - to) * (1.0 + (PI * pct).cos()) / 2.0
}

impl Schedule for CosineAnnealing {
    fn lr(&self, step: usize) -> f64 {
        let pct = (step.min(self.t_max)) as f64 / self.t_max as f64;
        cosine(self.lr0, self.eta_min, pct)
    }
}

/// torch CosineAnnealingWarmRestarts (SGDR): cycles of length `T_0`,
/// `T_0·T_mult`, `T_0·T_mult²`, …; inside a cycle of length `T_i` at position
/// `T_cur`: `lr = η_min + (lr₀ − η_min)(1 + cos(π T_cur / T_i)) / 2`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CosineWarmRestarts {
    lr0: f64,
    t_0: usize,
    t_mult: usize,
    eta_min: f64,
}

impl CosineWarmRestarts {
    /// `t_0 >= 1`, `t_mult >= 1` (1 in torch), `eta_min >= 0` (0 in torch).
    pub fn new(lr0: f64, t_0: usize, t_mult: usize, eta_min: f64) -> Result<Self, GdError> {
        Ok(CosineWarmRestarts {
            lr0: check::non_negative("CosineWarmRestarts.lr0", lr0)?,
            t_0: check::at_least_one("CosineWarmRestarts.t_0", t_0)?,
            t_mult: check::at_least_one("CosineWarmRestarts.t_mult", t_mult)?,
            eta_min: check::non_negative("CosineWarmRestarts.eta_min", eta_min)?,
        })
    }
}

impl Schedule for CosineWarmRestarts {
    fn lr(&self, step: usize) -> f64 {
        let (t_cur, t_i) = if self.t_mult == 1 {
            (step % self.t_0, self.t_0)
        } else {
            // Cycle lengths grow geometrically: at most ~64 iterations.
            let (mut t_cur, mut t_i) = (step, self.t_0);
            while t_cur >= t_i {
                t_cur -= t_i;
                t_i = t_i.saturating_mul(self.t_mult);
            }
            (t_cur, t_i)
        };
        cosine(self.lr0, self.eta_min, t_cur as f64 / t_i as f64)
    }
}

/// torch OneCycleLR (two phases, cosine annealing) for the learning rate;
/// momentum is not cycled.
///
/// Defaults as torch: `pct_start = 0.3`, `div_factor = 25`,
/// `final_div_factor = 1e4`. Initial rate `max_lr / div_factor`, rising to
/// `max_lr` at step `pct_start·total_steps − 1`, then annealed to
/// `initial / final_div_factor` at step `total_steps − 1`; the final rate is
/// kept after that (torch raises an error).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OneCycle {
    max_lr: f64,
    total_steps: usize,
    pct_start: f64,
    div_factor: f64,
    final_div_factor: f64,
}

impl OneCycle {
    /// One-cycle with torch's defaults.
    pub fn new(max_lr: f64, total_steps: usize) -> Result<Self, GdError> {
        Self::with_params(max_lr, total_steps, 0.3, 25.0, 1e4)
    }

    /// All parameters: `total_steps >= 2`, `pct_start` in `[0, 1]`,
    /// `div_factor > 0`, `final_div_factor > 0`.
    pub fn with_params(
        max_lr: f64,
        total_steps: usize,
        pct_start: f64,
        div_factor: f64,
        final_div_factor: f64,
    ) -> Result<Self, GdError> {
        if total_steps < 2 {
            return Err(GdError::BadHyperparameter {
                name: "OneCycle.total_steps",
                value: total_steps as f64,
                allowed: ">= 2",
            });
        }
        Ok(OneCycle {
            max_lr: check::non_negative("OneCycle.max_lr", max_lr)?,
            total_steps,
            pct_start: check::unit_closed("OneCycle.pct_start", pct_start)?,
            div_factor: check::positive("OneCycle.div_factor", div_factor)?,
            final_div_factor: check::positive("OneCycle.final_div_factor", final_div_factor)?,
        })
    }
}

impl Schedule for OneCycle {
    fn lr(&self, step: usize) -> f64 {
        let initial = self.max_lr / self.div_factor;
        let min_lr = initial / self.final_div_factor;
        let end1 = self.pct_start * self.total_steps as f64 - 1.0;
        let end2 = (self.total_steps - 1) as f64;
        let t = step as f64;
        if t <= end1 {
            let pct = if end1 > 0.0 { t / end1 } else { 1.0 };
            cosine(initial, self.max_lr, pct)
        } else {
            let span = end2 - end1;
            let pct = if span > 0.0 { ((t - end1) / span).min(1.0) } else { 1.0 };
            cosine(self.max_lr, min_lr, pct)
        }
    }
}

/// Linear warm-up before any schedule: for `t < warmup_steps`,
/// `lr(t) = init + (inner.lr(0) − init) · t / warmup_steps`; after,
/// `lr(t) = inner.lr(t − warmup_steps)` (optax's join of a linear schedule
/// and the inner one).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Warmup<S> {
    warmup_steps: usize,
    init_lr: f64,
    inner: S,
}

impl<S: Schedule> Warmup<S> {
    /// Warm up from `init_lr` (`>= 0`, often 0) over `warmup_steps` steps.
    pub fn new(warmup_steps: usize, init_lr: f64, inner: S) -> Result<Self, GdError> {
        Ok(Warmup { warmup_steps, init_lr: check::non_negative("Warmup.init_lr", init_lr)?, inner })
    }
}

impl<S: Schedule> Schedule for Warmup<S> {
    fn lr(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            let peak = self.inner.lr(0);
            self.init_lr + (peak - self.init_lr) * step as f64 / self.warmup_steps as f64
        } else {
            self.inner.lr(step - self.warmup_steps)
        }
    }
}

/// Hyperparameters of [`ReduceLrOnPlateau`]. Defaults (torch
/// ReduceLROnPlateau, mode "min", threshold_mode "rel"): `factor = 0.1`,
/// `patience = 10`, `threshold = 1e-4`, `cooldown = 0`, `min_lr = 0`,
/// `eps = 1e-8`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlateauConfig {
    /// Multiply the rate by this on a plateau, in `[0, 1)`. Default `0.1`.
    pub factor: f64,
    /// Number of non-improving evaluations tolerated. Default `10`.
    pub patience: usize,
    /// Relative improvement needed: better means `metric < best·(1 − threshold)`. Default `1e-4`.
    pub threshold: f64,
    /// Evaluations to wait after a reduction. Default `0`.
    pub cooldown: usize,
    /// Lower bound on the rate. Default `0`.
    pub min_lr: f64,
    /// Reductions smaller than this are skipped. Default `1e-8`.
    pub eps: f64,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        PlateauConfig { factor: 0.1, patience: 10, threshold: 1e-4, cooldown: 0, min_lr: 0.0, eps: 1e-8 }
    }
}

impl PlateauConfig {
    /// Validate and build.
    pub fn build(self) -> Result<ReduceLrOnPlateau, GdError> {
        check::unit_open("ReduceLrOnPlateau.factor", self.factor)?;
        check::non_negative("ReduceLrOnPlateau.threshold", self.threshold)?;
        check::non_negative("ReduceLrOnPlateau.min_lr", self.min_lr)?;
        check::non_negative("ReduceLrOnPlateau.eps", self.eps)?;
        Ok(ReduceLrOnPlateau { cfg: self, best: None, num_bad: 0, cooldown_counter: 0, reductions: 0 })
    }
}

/// torch ReduceLROnPlateau (mode "min", relative threshold): fed with a loss
/// after each epoch, returns the learning rate to use. Stateful, hence not a
/// [`Schedule`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReduceLrOnPlateau {
    cfg: PlateauConfig,
    // None until the first finite metric (an infinite start would not
    // survive JSON, which has no Inf).
    best: Option<f64>,
    num_bad: usize,
    cooldown_counter: usize,
    reductions: usize,
}

impl Default for ReduceLrOnPlateau {
    fn default() -> Self {
        PlateauConfig::default().build().expect("default plateau config is valid")
    }
}

impl ReduceLrOnPlateau {
    /// Feed the metric (NaN counts as no improvement); returns the new
    /// learning rate given the current one.
    pub fn step(&mut self, metric: f64, current_lr: f64) -> f64 {
        let improved = match self.best {
            None => !metric.is_nan(),
            Some(best) => metric < best * (1.0 - self.cfg.threshold),
        };
        if improved {
            self.best = Some(metric);
            self.num_bad = 0;
        } else {
            self.num_bad += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad = 0;
        }
        if self.num_bad > self.cfg.patience {
            self.cooldown_counter = self.cfg.cooldown;
            self.num_bad = 0;
            let new_lr = (current_lr * self.cfg.factor).max(self.cfg.min_lr);
            if current_lr - new_lr > self.cfg.eps {
                self.reductions += 1;
                return new_lr;
            }
        }
        current_lr
    }
    /// Best metric seen (`+∞` before the first one).
    pub fn best(&self) -> f64 {
        self.best.unwrap_or(f64::INFINITY)
    }
    /// Number of reductions made.
    pub fn reductions(&self) -> usize {
        self.reductions
    }
}
