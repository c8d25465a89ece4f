//! Stochastic gradient descent, with heavy-ball or Nesterov momentum
//! (torch.optim.SGD semantics).

use serde::{Deserialize, Serialize};

use super::state::{Kernel, State};
use super::{GradMap, Optimizer};
use crate::leaves::LeafPairs;
use crate::params::ParamScalar;
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
        Ok(Sgd { cfg: self, state: State::new(1), t: 0 })
    }
}

/// SGD with optional heavy-ball or Nesterov momentum. See [`SgdConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sgd {
    cfg: SgdConfig,
    /// The momentum buffer.
    state: State,
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

/// One SGD step on a leaf; `first` starts the momentum buffer at `g`.
struct SgdKernel {
    cfg: SgdConfig,
    first: bool,
}

impl Kernel<1> for SgdKernel {
    #[inline(always)]
    fn update<T: ParamScalar>(&self, p: &mut [T], g: &[T], [buf]: [&mut [T]; 1]) {
        let SgdConfig { lr, momentum, dampening, nesterov } = self.cfg;
        let lr = T::from_f64(lr);
        if momentum == 0.0 {
            for (p, &g) in p.iter_mut().zip(g) {
                *p -= lr * g;
            }
            return;
        }
        let (mu, keep) = (T::from_f64(momentum), T::from_f64(1.0 - dampening));
        for ((p, &g), b) in p.iter_mut().zip(g).zip(buf.iter_mut()) {
            *b = if self.first { g } else { mu * *b + keep * g };
            let d = if nesterov { g + mu * *b } else { *b };
            *p -= lr * d;
        }
    }
}

impl Optimizer for Sgd {
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        check::non_negative("Sgd.lr", self.cfg.lr)?;
        let with_buf = self.cfg.momentum != 0.0;
        let fresh = self.state.prepare(leaves, &[with_buf.then_some(0.0)])?;
        let kernel = SgdKernel { cfg: self.cfg, first: self.t == 0 || fresh };
        self.state.apply(leaves, map, &kernel)?;
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
        self.state.clear();
        self.t = 0;
    }
}

impl Default for Sgd {
    /// Plain SGD with torch's default `lr = 1e-3`.
    fn default() -> Self {
        Sgd { cfg: SgdConfig::default(), state: State::new(1), t: 0 }
    }
}
