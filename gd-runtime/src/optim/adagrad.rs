//! Adagrad (torch.optim.Adagrad semantics).

use serde::{Deserialize, Serialize};

use super::state::{Kernel, State};
use super::{GradMap, Optimizer};
use crate::leaves::LeafPairs;
use crate::params::ParamScalar;
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
        Ok(Adagrad { cfg: self, state: State::new(1), t: 0 })
    }
}

/// Adagrad: per-coordinate step sizes from the running sum of squared
/// gradients. See [`AdagradConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adagrad {
    cfg: AdagradConfig,
    /// The sum of squared gradients.
    state: State,
    t: u64,
}

impl Default for Adagrad {
    fn default() -> Self {
        AdagradConfig::default().build().expect("default Adagrad hyperparameters are valid")
    }
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

/// One Adagrad step on a leaf at the decayed rate `clr`.
struct AdagradKernel {
    clr: f64,
    eps: f64,
}

impl Kernel<1> for AdagradKernel {
    #[inline(always)]
    fn update<T: ParamScalar>(&self, p: &mut [T], g: &[T], [sum]: [&mut [T]; 1]) {
        let (clr, eps) = (T::from_f64(self.clr), T::from_f64(self.eps));
        for ((p, &g), s) in p.iter_mut().zip(g).zip(sum.iter_mut()) {
            *s += g * g;
            *p -= clr * g / (s.sqrt() + eps);
        }
    }
}

impl Optimizer for Adagrad {
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        check::non_negative("Adagrad.lr", self.cfg.lr)?;
        self.state.prepare(leaves, &[Some(self.cfg.initial_accumulator_value)])?;
        self.t += 1;
        let clr = self.cfg.lr / (1.0 + (self.t - 1) as f64 * self.cfg.lr_decay);
        self.state.apply(leaves, map, &AdagradKernel { clr, eps: self.cfg.eps })
    }
    fn lr(&self) -> f64 {
        self.cfg.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }
    fn reset(&mut self) {
        self.state.clear();
        self.t = 0;
    }
}
