//! The optimizer part of a model description, and the scalars of one step.
//!
//! The hyperparameters are gd-runtime's own config structs, validated by
//! their `build()`, so a description means the same on the CPU, on the GPU
//! and in `gd::runtime::optim`. Each step is one fused update per parameter
//! vector: [`OptimSpec::update`] turns the step count into the few scalars
//! the update needs (bias corrections, the first-step flag, …), computed in
//! f64 on the host exactly as gd-runtime computes them; the element loop is
//! [`crate::cpu::optim::apply`] on the CPU and the kernels in
//! [`crate::kernels::optim`] on the GPU.

use gd_runtime::optim::{AdamConfig, AdamWConfig, LionConfig, RmsPropConfig, SgdConfig};

use crate::error::CudaError;

/// Which update rule, with gd-runtime's hyperparameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptimSpec {
    /// SGD, heavy-ball or Nesterov momentum (torch.optim.SGD).
    Sgd(SgdConfig),
    /// RMSprop, plain or centered, with optional momentum.
    RmsProp(RmsPropConfig),
    /// Adam (AMSGrad is not implemented here: `amsgrad = true` is rejected).
    Adam(AdamConfig),
    /// AdamW (decoupled weight decay).
    AdamW(AdamWConfig),
    /// Lion.
    Lion(LionConfig),
}

/// The scalars of one fused update (f64; the GPU kernels get them as f32).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Update {
    /// `p -= lr g` (`mu == 0`), else momentum buffer `b` (state 0).
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum.
        mu: f64,
        /// Dampening.
        dampening: f64,
        /// Nesterov.
        nesterov: bool,
        /// First step: `b = g`.
        first: bool,
    },
    /// State 0 = square average, 1 = grad average (centered), 2 = momentum.
    RmsProp {
        /// Learning rate.
        lr: f64,
        /// Smoothing α.
        alpha: f64,
        /// ε.
        eps: f64,
        /// Momentum.
        mu: f64,
        /// Centered.
        centered: bool,
    },
    /// State 0 = m, 1 = v. `p ← p·decay − step_size·m / (√v·inv_bc2_sqrt + eps)`.
    Adam {
        /// `lr / (1 − β₁ᵗ)`.
        step_size: f64,
        /// `1 / √(1 − β₂ᵗ)`.
        inv_bc2_sqrt: f64,
        /// β₁.
        beta1: f64,
        /// β₂.
        beta2: f64,
        /// ε.
        eps: f64,
        /// `1 − lr·weight_decay` (AdamW), 1 for Adam.
        decay: f64,
    },
    /// State 0 = m.
    Lion {
        /// Learning rate.
        lr: f64,
        /// β₁.
        beta1: f64,
        /// β₂.
        beta2: f64,
    },
}

impl OptimSpec {
    /// Check the hyperparameters with gd-runtime's rules.
    pub fn validate(&self) -> Result<(), CudaError> {
        match *self {
            OptimSpec::Sgd(c) => drop(c.build()?),
            OptimSpec::RmsProp(c) => drop(c.build()?),
            OptimSpec::Adam(c) => {
                if c.amsgrad {
                    return Err(CudaError::Invalid("AMSGrad is not implemented in gd-cuda".into()));
                }
                drop(c.build()?)
            }
            OptimSpec::AdamW(c) => {
                if c.amsgrad {
                    return Err(CudaError::Invalid("AMSGrad is not implemented in gd-cuda".into()));
                }
                drop(c.build()?)
            }
            OptimSpec::Lion(c) => drop(c.build()?),
        }
        Ok(())
    }

    /// Which of the three state vectors the rule uses.
    pub fn state_used(&self) -> [bool; 3] {
        match *self {
            OptimSpec::Sgd(c) => [c.momentum != 0.0, false, false],
            OptimSpec::RmsProp(c) => [true, c.centered, c.momentum > 0.0],
            OptimSpec::Adam(_) | OptimSpec::AdamW(_) => [true, true, false],
            OptimSpec::Lion(_) => [true, false, false],
        }
    }

    /// The scalars of the step after `t` steps taken (t = 0 first).
    pub fn update(&self, t: u64) -> Update {
        match *self {
            OptimSpec::Sgd(c) => Update::Sgd {
                lr: c.lr,
                mu: c.momentum,
                dampening: c.dampening,
                nesterov: c.nesterov,
                first: t == 0,
            },
            OptimSpec::RmsProp(c) => Update::RmsProp {
                lr: c.lr,
                alpha: c.alpha,
                eps: c.eps,
                mu: c.momentum,
                centered: c.centered,
            },
            OptimSpec::Adam(c) => adam(c.lr, c.beta1, c.beta2, c.eps, 1.0, t),
            OptimSpec::AdamW(c) => adam(c.lr, c.beta1, c.beta2, c.eps, 1.0 - c.lr * c.weight_decay, t),
            OptimSpec::Lion(c) => Update::Lion { lr: c.lr, beta1: c.beta1, beta2: c.beta2 },
        }
    }
}

/// gd-runtime's Adam scalars at step `t + 1`.
fn adam(lr: f64, b1: f64, b2: f64, eps: f64, decay: f64, t: u64) -> Update {
    let t = (t + 1) as f64;
    let bc1 = 1.0 - b1.powf(t);
    Update::Adam {
        step_size: lr / bc1,
        inv_bc2_sqrt: 1.0 / (1.0 - b2.powf(t)).sqrt(),
        beta1: b1,
        beta2: b2,
        eps,
        decay,
    }
}
