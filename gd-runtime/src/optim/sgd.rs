//! Stochastic gradient descent, with heavy-ball or Nesterov momentum
//! (torch.optim.SGD semantics).

use serde::{Deserialize, Serialize};

use super::{begin_step, lazy, Optimizer};
use crate::error::{check, GdError};

/// Hyperparameters of [`Sgd`]. Defaults (torch.optim.SGD): `lr = 1e-3`,
/// `momentum = 0`, `dampening = 0`, `nesterov = false`.
///
/// Update (torch): with momentum μ > 0, `b₁ = g`, `bₜ = μ bₜ₋₁ + (1 − dampening) g`;
/// the step direction is `d = g + μ bₜ` (Nesterov) or `d = bₜ` (heavy ball);
/// `p ← p − lr · d`. Without momentum `p ← p − lr · g`.
/// Weight decay is composed with [`super::OptimizerExt`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Learning rate, `>= 0`. Default `1e-3`.
    pub lr: f64,
    /// Momentum factor μ in `[0, 1)`. Default `0`.
    pub momentum: f64,
    /// Dampening in `[0, 1]`. Default `0`.
    pub dampening: f64,
    /// Nesterov momentum (needs `momentum > 0` and `dampening = 0`). Default `false`.
    pub nesterov: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 1e-3, momentum: 0.0, dampening: 0.0, nesterov: false }
    }
}

impl SgdConfig {
    /// Validate and build the optimizer.
    pub fn build(self) -> Result<Sgd, GdError> {
        check::non_negative("Sgd.lr", self.lr)?;
        check::unit_open("Sgd.momentum", self.momentum)?;
        check::unit_closed("Sgd.dampening", self.dampening)?;
        if self.nesterov && self.momentum <= 0.0 {
            return Err(GdError::BadHyperparameter {
                name: "Sgd.momentum",
                value: self.momentum,
                allowed: "> 0 when nesterov = true",
            });
        }
        if self.nesterov && self.dampening != 0.0 {
            return Err(GdError::BadHyperparameter {
                name: "Sgd.dampening",
                value: self.dampening,
                allowed: "= 0 when nesterov = true",
            });
        }
        Ok(Sgd { cfg: self, buf: Vec::new(), dim: None, t: 0 })
    }
}

/// SGD with optional heavy-ball or Nesterov momentum. See [`SgdConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    cfg: SgdConfig,
    buf: Vec<f64>,
    dim: Option<usize>,
    t: u64,
}

impl Sgd {
    /// Plain gradient descent `p ← p − lr · g`.
    pub fn new(lr: f64) -> Result<Sgd, GdError> {
        SgdConfig { lr, ..SgdConfig::default() }.build()
    }
    /// Heavy-ball momentum μ (torch `SGD(lr, momentum=μ)`).
    pub fn momentum(lr: f64, momentum: f64) -> Result<Sgd, GdError> {
        SgdConfig { lr, momentum, ..SgdConfig::default() }.build()
    }
    /// Nesterov momentum μ (torch `SGD(lr, momentum=μ, nesterov=True)`).
    pub fn nesterov(lr: f64, momentum: f64) -> Result<Sgd, GdError> {
        SgdConfig { lr, momentum, nesterov: true, ..SgdConfig::default() }.build()
    }
    /// The hyperparameters (with the current learning rate).
    pub fn config(&self) -> &SgdConfig {
        &self.cfg
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        let n = begin_step("Sgd.lr", self.cfg.lr, &mut self.dim, params, grad)?;
        let SgdConfig { lr, momentum: mu, dampening, nesterov } = self.cfg;
        if mu == 0.0 {
            for (p, &g) in params.iter_mut().zip(grad) {
                *p -= lr * g;
            }
        } else {
            let first = self.t == 0 || self.buf.len() != n;
            lazy(&mut self.buf, n, 0.0);
            for ((p, &g), b) in params.iter_mut().zip(grad).zip(self.buf.iter_mut()) {
                *b = if first { g } else { mu * *b + (1.0 - dampening) * g };
                let d = if nesterov { g + mu * *b } else { *b };
                *p -= lr * d;
            }
        }
        self.t += 1;
        Ok(())
    }
    fn lr(&self) -> f64 {
        self.cfg.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.cfg.lr = lr;
    }
    fn reset(&mut self) {
        self.buf.clear();
        self.dim = None;
        self.t = 0;
    }
}

impl Default for Sgd {
    /// Plain SGD with torch's default `lr = 1e-3`.
    fn default() -> Self {
        Sgd { cfg: SgdConfig::default(), buf: Vec::new(), dim: None, t: 0 }
    }
}
