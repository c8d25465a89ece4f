//! Adam (optionally AMSGrad) and AdamW (torch.optim.Adam / AdamW semantics).

use serde::{Deserialize, Serialize};

use super::{begin_step, lazy, Optimizer};
use crate::error::{check, GdError};

/// Hyperparameters of [`Adam`]. Defaults (torch.optim.Adam, optax.adam):
/// `lr = 1e-3`, `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`, `amsgrad = false`.
///
/// Update at step t = 1, 2, …: `m ← β₁ m + (1 − β₁) g`, `v ← β₂ v + (1 − β₂) g²`,
/// `v̂ = max(v̂, v)` if AMSGrad else `v`,
/// `p ← p − lr/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + eps)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// Learning rate, `>= 0`. Default `1e-3`.
    pub lr: f64,
    /// First-moment decay β₁ in `[0, 1)`. Default `0.9`.
    pub beta1: f64,
    /// Second-moment decay β₂ in `[0, 1)`. Default `0.999`.
    pub beta2: f64,
    /// Added to the denominator, `> 0`. Default `1e-8`.
    pub eps: f64,
    /// Use the running maximum of the second moment (AMSGrad). Default `false`.
    pub amsgrad: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false }
    }
}

impl AdamConfig {
    /// Validate and build the optimizer.
    pub fn build(self) -> Result<Adam, GdError> {
        check::non_negative("Adam.lr", self.lr)?;
        check::unit_open("Adam.beta1", self.beta1)?;
        check::unit_open("Adam.beta2", self.beta2)?;
        check::positive("Adam.eps", self.eps)?;
        Ok(Adam { cfg: self, m: Vec::new(), v: Vec::new(), vmax: Vec::new(), dim: None, t: 0 })
    }
}

/// Adam. See [`AdamConfig`]. L2 weight decay (torch's `weight_decay`) is
/// composed with [`super::OptimizerExt::l2_weight_decay`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    cfg: AdamConfig,
    m: Vec<f64>,
    v: Vec<f64>,
    vmax: Vec<f64>,
    dim: Option<usize>,
    t: u64,
}

impl Default for Adam {
    fn default() -> Self {
        AdamConfig::default().build().expect("default Adam hyperparameters are valid")
    }
}

impl Adam {
    /// Adam with learning rate `lr` and the other defaults.
    pub fn new(lr: f64) -> Result<Adam, GdError> {
        AdamConfig { lr, ..AdamConfig::default() }.build()
    }
    /// The hyperparameters.
    pub fn config(&self) -> &AdamConfig {
        &self.cfg
    }
    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.t
    }

    fn check(&mut self, lr_name: &'static str, params: &[f64], grad: &[f64]) -> Result<usize, GdError> {
        begin_step(lr_name, self.cfg.lr, &mut self.dim, params, grad)
    }

    /// The Adam update proper, after `check`.
    fn apply(&mut self, n: usize, params: &mut [f64], grad: &[f64]) {
        let AdamConfig { lr, beta1: b1, beta2: b2, eps, amsgrad } = self.cfg;
        lazy(&mut self.m, n, 0.0);
        lazy(&mut self.v, n, 0.0);
        if amsgrad {
            lazy(&mut self.vmax, n, 0.0);
        }
        self.t += 1;
        let t = self.t as f64;
        let bc1 = 1.0 - b1.powf(t);
        // torch divides √v by √(1 − β₂ᵗ); multiplying by the inverse saves a
        // division per coordinate (the step is sqrt- and division-bound).
        let inv_bc2_sqrt = 1.0 / (1.0 - b2.powf(t)).sqrt();
        let step_size = lr / bc1;
        if amsgrad {
            for i in 0..n {
                let g = grad[i];
                let m = b1 * self.m[i] + (1.0 - b1) * g;
                let v = b2 * self.v[i] + (1.0 - b2) * g * g;
                let vm = self.vmax[i].max(v);
                self.m[i] = m;
                self.v[i] = v;
                self.vmax[i] = vm;
                params[i] -= step_size * m / (vm.sqrt() * inv_bc2_sqrt + eps);
            }
        } else {
            for (((p, &g), m), v) in params.iter_mut().zip(grad).zip(self.m.iter_mut()).zip(self.v.iter_mut()) {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *p -= step_size * *m / (v.sqrt() * inv_bc2_sqrt + eps);
            }
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        let n = self.check("Adam.lr", params, grad)?;
        self.apply(n, params, grad);
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
        self.v.clear();
        self.vmax.clear();
        self.dim = None;
        self.t = 0;
    }
}

/// Hyperparameters of [`AdamW`]. Defaults (torch.optim.AdamW): `lr = 1e-3`,
/// `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`, `weight_decay = 1e-2`,
/// `amsgrad = false`.
///
/// Update: `p ← p · (1 − lr · weight_decay)`, then the [`Adam`] update.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AdamWConfig {
    /// Learning rate, `>= 0`. Default `1e-3`.
    pub lr: f64,
    /// β₁ in `[0, 1)`. Default `0.9`.
    pub beta1: f64,
    /// β₂ in `[0, 1)`. Default `0.999`.
    pub beta2: f64,
    /// `> 0`. Default `1e-8`.
    pub eps: f64,
    /// Decoupled weight decay, `>= 0`. Default `1e-2`.
    pub weight_decay: f64,
    /// AMSGrad. Default `false`.
    pub amsgrad: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 1e-2, amsgrad: false }
    }
}

impl AdamWConfig {
    /// Validate and build the optimizer.
    pub fn build(self) -> Result<AdamW, GdError> {
        check::non_negative("AdamW.weight_decay", self.weight_decay)?;
        let adam = AdamConfig {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            amsgrad: self.amsgrad,
        };
        check::non_negative("AdamW.lr", adam.lr)?;
        check::unit_open("AdamW.beta1", adam.beta1)?;
        check::unit_open("AdamW.beta2", adam.beta2)?;
        check::positive("AdamW.eps", adam.eps)?;
        Ok(AdamW { adam: adam.build()?, weight_decay: self.weight_decay })
    }
}

/// Adam with decoupled weight decay (Loshchilov & Hutter). See [`AdamWConfig`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdamW {
    adam: Adam,
    weight_decay: f64,
}

impl Default for AdamW {
    fn default() -> Self {
        AdamWConfig::default().build().expect("default AdamW hyperparameters are valid")
    }
}

impl AdamW {
    /// AdamW with learning rate `lr` and the other defaults.
    pub fn new(lr: f64) -> Result<AdamW, GdError> {
        AdamWConfig { lr, ..AdamWConfig::default() }.build()
    }
    /// The decoupled weight decay.
    pub fn weight_decay(&self) -> f64 {
        self.weight_decay
    }
}

impl Optimizer for AdamW {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        let n = self.adam.check("AdamW.lr", params, grad)?;
        let decay = 1.0 - self.adam.cfg.lr * self.weight_decay;
        if decay != 1.0 {
            for p in params.iter_mut() {
                *p *= decay;
            }
        }
        self.adam.apply(n, params, grad);
        Ok(())
    }
    fn lr(&self) -> f64 {
        self.adam.lr()
    }
    fn set_lr(&mut self, lr: f64) {
        self.adam.set_lr(lr);
    }
    fn reset(&mut self) {
        self.adam.reset();
    }
}
