//! Adam (optionally AMSGrad) and AdamW (torch.optim.Adam / AdamW semantics).

use serde::{Deserialize, Serialize};

use super::state::{Kernel, State};
use super::{GradMap, GradOp, Optimizer};
use crate::leaves::LeafPairs;
use crate::params::ParamScalar;
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
        Ok(Adam { cfg: self, state: State::new(3), t: 0 })
    }
}

/// Adam. See [`AdamConfig`]. L2 weight decay (torch's `weight_decay`) is
/// composed with [`super::OptimizerExt::l2_weight_decay`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    cfg: AdamConfig,
    /// First moment, second moment, running maximum of the second (AMSGrad).
    state: State,
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

    /// The Adam update, after the wrappers' `map`; `lr_name` names the
    /// learning rate in errors (Adam's or AdamW's).
    fn run(&mut self, lr_name: &'static str, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        check::non_negative(lr_name, self.cfg.lr)?;
        self.state.prepare(leaves, &[Some(0.0), Some(0.0), self.cfg.amsgrad.then_some(0.0)])?;
        self.t += 1;
        let AdamConfig { lr, beta1, beta2, eps, amsgrad } = self.cfg;
        let t = self.t as f64;
        let kernel = AdamKernel {
            beta1,
            beta2,
            eps,
            amsgrad,
            step_size: lr / (1.0 - beta1.powf(t)),
            // torch divides √v by √(1 − β₂ᵗ); multiplying by the inverse saves a
            // division per coordinate (the step is sqrt- and division-bound).
            inv_bc2_sqrt: 1.0 / (1.0 - beta2.powf(t)).sqrt(),
        };
        self.state.apply(leaves, map, &kernel)
    }
}

/// One Adam step on a leaf; the bias corrections of step t folded into
/// `step_size` and `inv_bc2_sqrt` (computed in `f64`).
struct AdamKernel {
    beta1: f64,
    beta2: f64,
    eps: f64,
    amsgrad: bool,
    step_size: f64,
    inv_bc2_sqrt: f64,
}

impl Kernel<3> for AdamKernel {
    #[inline(always)]
    fn update<T: ParamScalar>(&self, p: &mut [T], g: &[T], [m, v, vmax]: [&mut [T]; 3]) {
        let (b1, c1) = (T::from_f64(self.beta1), T::from_f64(1.0 - self.beta1));
        let (b2, c2) = (T::from_f64(self.beta2), T::from_f64(1.0 - self.beta2));
        let (eps, step_size, inv_bc2_sqrt) =
            (T::from_f64(self.eps), T::from_f64(self.step_size), T::from_f64(self.inv_bc2_sqrt));
        if self.amsgrad {
            for ((((p, &g), m), v), vmax) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()).zip(vmax.iter_mut()) {
                *m = b1 * *m + c1 * g;
                *v = b2 * *v + c2 * g * g;
                *vmax = vmax.max(*v);
                *p -= step_size * *m / (vmax.sqrt() * inv_bc2_sqrt + eps);
            }
        } else {
            for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
                *m = b1 * *m + c1 * g;
                *v = b2 * *v + c2 * g * g;
                *p -= step_size * *m / (v.sqrt() * inv_bc2_sqrt + eps);
            }
        }
    }
}

impl Optimizer for Adam {
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        self.run("Adam.lr", leaves, map)
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
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        // torch: p ← p · (1 − lr · wd), then the Adam update.
        let c = self.adam.cfg.lr * self.weight_decay;
        if c == 0.0 {
            return self.adam.run("AdamW.lr", leaves, map);
        }
        self.adam.run("AdamW.lr", leaves, &map.then(GradOp::Decay(c)))
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
