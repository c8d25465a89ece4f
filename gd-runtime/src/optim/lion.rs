//! Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms").

use serde::{Deserialize, Serialize};

use super::state::{Kernel, State};
use super::{GradMap, Optimizer};
use crate::leaves::LeafPairs;
use crate::params::ParamScalar;
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
        Ok(Lion { cfg: self, state: State::new(1) })
    }
}

/// Lion: sign of an interpolated momentum. See [`LionConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lion {
    cfg: LionConfig,
    /// The momentum.
    state: State,
}

impl Default for Lion {
    fn default() -> Self {
        LionConfig::default().build().expect("default Lion hyperparameters are valid")
    }
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
fn sign<T: ParamScalar>(x: T) -> T {
    if x == T::ZERO {
        T::ZERO
    } else {
        x.signum()
    }
}

impl Kernel<1> for LionConfig {
    #[inline(always)]
    fn update<T: ParamScalar>(&self, p: &mut [T], g: &[T], [m]: [&mut [T]; 1]) {
        let (lr, b1, c1) = (T::from_f64(self.lr), T::from_f64(self.beta1), T::from_f64(1.0 - self.beta1));
        let (b2, c2) = (T::from_f64(self.beta2), T::from_f64(1.0 - self.beta2));
        for ((p, &g), m) in p.iter_mut().zip(g).zip(m.iter_mut()) {
            let c = b1 * *m + c1 * g;
            *p -= lr * sign(c);
            *m = b2 * *m + c2 * g;
        }
    }
}

impl Optimizer for Lion {
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        check::non_negative("Lion.lr", self.cfg.lr)?;
        self.state.prepare(leaves, &[Some(0.0)])?;
        self.state.apply(leaves, map, &self.cfg)
    }
    fn lr(&self) -> f64 {
        self.cfg.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }
    fn reset(&mut self) {
        self.state.clear();
    }
}
