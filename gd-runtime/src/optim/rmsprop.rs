//! RMSprop, plain or centered, with optional momentum (torch.optim.RMSprop).

use serde::{Deserialize, Serialize};

use super::{begin_step, lazy, Optimizer};
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
        Ok(RmsProp { cfg: self, sq: Vec::new(), avg: Vec::new(), buf: Vec::new(), dim: None })
    }
}

/// RMSprop. See [`RmsPropConfig`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RmsProp {
    cfg: RmsPropConfig,
    sq: Vec<f64>,
    avg: Vec<f64>,
    buf: Vec<f64>,
    dim: Option<usize>,
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

impl Optimizer for RmsProp {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        let n = begin_step("RmsProp.lr", self.cfg.lr, &mut self.dim, params, grad)?;
        let RmsPropConfig { lr, alpha, eps, momentum, centered } = self.cfg;
        lazy(&mut self.sq, n, 0.0);
        if centered {
            lazy(&mut self.avg, n, 0.0);
        }
        if momentum > 0.0 {
            lazy(&mut self.buf, n, 0.0);
        }
        for i in 0..n {
            let g = grad[i];
            let v = alpha * self.sq[i] + (1.0 - alpha) * g * g;
            self.sq[i] = v;
            let d = if centered {
                let a = alpha * self.avg[i] + (1.0 - alpha) * g;
                self.avg[i] = a;
                (v - a * a).max(0.0).sqrt() + eps
            } else {
                v.sqrt() + eps
            };
            if momentum > 0.0 {
                let b = momentum * self.buf[i] + g / d;
                self.buf[i] = b;
                params[i] -= lr * b;
            } else {
                params[i] -= lr * g / d;
            }
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
        self.sq.clear();
        self.avg.clear();
        self.buf.clear();
        self.dim = None;
    }
}
