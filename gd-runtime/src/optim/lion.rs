//! Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms").

use serde::{Deserialize, Serialize};

use super::{begin_step, lazy, Optimizer};
use crate::error::{check, GdError};

/// Hyperparameters of [`Lion`]. Defaults (optax.lion / lion-pytorch):
/// `lr = 1e-4`, `beta1 = 0.9`, `beta2 = 0.99`.
///
/// Update: `c = β₁ m + (1 − β₁) g`, `p ← p − lr · sign(c)` (sign(0) = 0),
/// `m ← β₂ m + (1 − β₂) g`. Lion's decoupled weight decay is composed with
/// [`super::OptimizerExt::decoupled_weight_decay`] (applied before the
/// update, as in lion-pytorch); it is 0 unless you add it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LionConfig {
    /// Learning rate, `>= 0`. Default `1e-4`.
    pub lr: f64,
    /// Interpolation factor β₁ in `[0, 1)`. Default `0.9`.
    pub beta1: f64,
    /// Momentum decay β₂ in `[0, 1)`. Default `0.99`.
    pub beta2: f64,
}

impl Default for LionConfig {
    fn default() -> Self {
        LionConfig { lr: 1e-4, beta1: 0.9, beta2: 0.99 }
    }
}

impl LionConfig {
    /// Validate and build the optimizer.
    pub fn build(self) -> Result<Lion, GdError> {
        check::non_negative("Lion.lr", self.lr)?;
        check::unit_open("Lion.beta1", self.beta1)?;
        check::unit_open("Lion.beta2", self.beta2)?;
        Ok(Lion { cfg: self, m: Vec::new(), dim: None })
    }
}

/// Lion: sign of an interpolated momentum. See [`LionConfig`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lion {
    cfg: LionConfig,
    m: Vec<f64>,
    dim: Option<usize>,
}

impl Lion {
    /// Lion with learning rate `lr` and the other defaults.
    pub fn new(lr: f64) -> Result<Lion, GdError> {
        LionConfig { lr, ..LionConfig::default() }.build()
    }
    /// The hyperparameters.
    pub fn config(&self) -> &LionConfig {
        &self.cfg
    }
}

/// torch.sign: 0 at 0 (unlike `f64::signum`), NaN stays NaN.
#[inline]
fn sign(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x.signum()
    }
}

impl Optimizer for Lion {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        let n = begin_step("Lion.lr", self.cfg.lr, &mut self.dim, params, grad)?;
        lazy(&mut self.m, n, 0.0);
        let LionConfig { lr, beta1: b1, beta2: b2 } = self.cfg;
        for ((p, &g), m) in params.iter_mut().zip(grad).zip(self.m.iter_mut()) {
            let c = b1 * *m + (1.0 - b1) * g;
            *p -= lr * sign(c);
            *m = b2 * *m + (1.0 - b2) * g;
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
        self.m.clear();
        self.dim = None;
    }
}
