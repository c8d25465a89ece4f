//! Adagrad (torch.optim.Adagrad semantics).

use serde::{Deserialize, Serialize};

use super::{begin_step, lazy, Optimizer};
use crate::error::{check, GdError};

/// Hyperparameters of [`Adagrad`]. Defaults (torch.optim.Adagrad): `lr = 1e-2`,
/// `lr_decay = 0`, `initial_accumulator_value = 0`, `eps = 1e-10`.
///
/// Update at step t = 1, 2, …: `s ← s + g²`,
/// `p ← p − lr / (1 + (t − 1)·lr_decay) · g / (√s + eps)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdagradConfig {
    /// Learning rate, `>= 0`. Default `1e-2`.
    pub lr: f64,
    /// Learning-rate decay, `>= 0`. Default `0`.
    pub lr_decay: f64,
    /// Initial value of the sum of squares, `>= 0`. Default `0`.
    pub initial_accumulator_value: f64,
    /// Added to the denominator, `> 0`. Default `1e-10`.
    pub eps: f64,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig { lr: 1e-2, lr_decay: 0.0, initial_accumulator_value: 0.0, eps: 1e-10 }
    }
}

impl AdagradConfig {
    /// Validate and build the optimizer.
    pub fn build(self) -> Result<Adagrad, GdError> {
        check::non_negative("Adagrad.lr", self.lr)?;
        check::non_negative("Adagrad.lr_decay", self.lr_decay)?;
        check::non_negative("Adagrad.initial_accumulator_value", self.initial_accumulator_value)?;
        check::positive("Adagrad.eps", self.eps)?;
        Ok(Adagrad { cfg: self, sum: Vec::new(), dim: None, t: 0 })
    }
}

/// Adagrad: per-coordinate step sizes from the running sum of squared
/// gradients. See [`AdagradConfig`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Adagrad {
    cfg: AdagradConfig,
    sum: Vec<f64>,
    dim: Option<usize>,
    t: u64,
}

impl Adagrad {
    /// Adagrad with learning rate `lr` and the other defaults.
    pub fn new(lr: f64) -> Result<Adagrad, GdError> {
        AdagradConfig { lr, ..AdagradConfig::default() }.build()
    }
    /// The hyperparameters.
    pub fn config(&self) -> &AdagradConfig {
        &self.cfg
    }
}

impl Optimizer for Adagrad {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        let n = begin_step("Adagrad.lr", self.cfg.lr, &mut self.dim, params, grad)?;
        lazy(&mut self.sum, n, self.cfg.initial_accumulator_value);
        self.t += 1;
        let clr = self.cfg.lr / (1.0 + (self.t - 1) as f64 * self.cfg.lr_decay);
        let eps = self.cfg.eps;
        for ((p, &g), s) in params.iter_mut().zip(grad).zip(self.sum.iter_mut()) {
            *s += g * g;
            *p -= clr * g / (s.sqrt() + eps);
        }
        Ok(())
    }
    fn lr(&self) -> f64 {
        self.cfg.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }
    fn reset(&mut self) {
        self.sum.clear();
        self.dim = None;
        self.t = 0;
    }
}
