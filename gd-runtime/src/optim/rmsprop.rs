//! RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop).

use serde::{Deserialize, Serialize};

use super::state::{Kernel, State};
use super::{GradMap, Optimizer};
use crate::leaves::LeafPairs;
use crate::params::ParamScalar;
use crate::error::{check, GdError};

/// Hyperparameters of [`RmsProp`]. Defaults (torch.optim.RMSprop): `lr = 1e-2`,
/// `alpha = 0.99`, `eps = 1e-8`, `momentum = 0`, `centered = false`.
///
/// Update: `v ← α v + (1 − α) g²`; centered: `ḡ ← α ḡ + (1 − α) g`,
/// `d = √(v − ḡ²) + eps`, else `d = √v + eps`; with momentum μ > 0:
/// `b ← μ b + g / d`, `p ← p − lr · b`; without: `p ← p − lr · g / d`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RmsPropConfig {
    /// Learning rate, `>= 0`. Default `1e-2`.
    pub lr: f64,
    /// Smoothing constant α in `[0, 1)`. Default `0.99`.
    pub alpha: f64,
    /// Added to the denominator, `> 0`. Default `1e-8`.
    pub eps: f64,
    /// Momentum μ in `[0, 1)`. Default `0`.
    pub momentum: f64,
    /// Normalise by the estimated variance instead of the raw second moment.
    /// Default `false`.
    pub centered: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig { lr: 1e-2, alpha: 0.99, eps: 1e-8, momentum: 0.0, centered: false }
    }
}

impl RmsPropConfig {
    /// Validate and build the optimizer.
    pub fn build(self) -> Result<RmsProp, GdError> {
        check::non_negative("RmsProp.lr", self.lr)?;
        check::unit_open("RmsProp.alpha", self.alpha)?;
        check::positive("RmsProp.eps", self.eps)?;
        check::unit_open("RmsProp.momentum", self.momentum)?;
        Ok(RmsProp { cfg: self, state: State::new(3) })
    }
}

/// RMSprop. See [`RmsPropConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RmsProp {
    cfg: RmsPropConfig,
    /// Mean square, mean (centered), momentum buffer.
    state: State,
}

impl Default for RmsProp {
    fn default() -> Self {
        RmsPropConfig::default().build().expect("default RMSprop hyperparameters are valid")
    }
}

impl RmsProp {
    /// RMSprop with learning rate `lr` and the other defaults.
    pub fn new(lr: f64) -> Result<RmsProp, GdError> {
        RmsPropConfig { lr, ..RmsPropConfig::default() }.build()
    }
    /// The hyperparameters.
    pub fn config(&self) -> &RmsPropConfig {
        &self.cfg
    }
}

impl Kernel<3> for RmsPropConfig {
    #[inline(always)]
    fn update<T: ParamScalar>(&self, p: &mut [T], g: &[T], [sq, avg, buf]: [&mut [T]; 3]) {
        let RmsPropConfig { lr, alpha, eps, momentum, centered } = *self;
        let (lr, a, one_minus_a, eps, mu) =
            (T::from_f64(lr), T::from_f64(alpha), T::from_f64(1.0 - alpha), T::from_f64(eps), T::from_f64(momentum));
        for i in 0..p.len() {
            let g = g[i];
            let v = a * sq[i] + one_minus_a * g * g;
            sq[i] = v;
            let d = if centered {
                let m = a * avg[i] + one_minus_a * g;
                avg[i] = m;
                (v - m * m).max(T::ZERO).sqrt() + eps
            } else {
                v.sqrt() + eps
            };
            if momentum > 0.0 {
                let b = mu * buf[i] + g / d;
                buf[i] = b;
                p[i] -= lr * b;
            } else {
                p[i] -= lr * g / d;
            }
        }
    }
}

impl Optimizer for RmsProp {
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        check::non_negative("RmsProp.lr", self.cfg.lr)?;
        let c = self.cfg;
        self.state.prepare(leaves, &[Some(0.0), c.centered.then_some(0.0), (c.momentum > 0.0).then_some(0.0)])?;
        self.state.apply(leaves, map, &c)
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
