//! Optimizers: small state machines with `step`, separate from the loop that
//! drives them.
//!
//! | optimizer | defaults (torch.optim / optax) |
//! |---|---|
//! | [`Sgd`] (plain, heavy ball, Nesterov) | lr 1e-3, momentum 0, dampening 0 |
//! | [`Adagrad`] | lr 1e-2, lr_decay 0, initial accumulator 0, eps 1e-10 |
//! | [`RmsProp`] (plain, centered, momentum) | lr 1e-2, alpha 0.99, eps 1e-8, momentum 0 |
//! | [`Adam`] (optional AMSGrad) | lr 1e-3, betas (0.9, 0.999), eps 1e-8 |
//! | [`AdamW`] | as Adam, weight_decay 1e-2 (decoupled) |
//! | [`Lion`] | lr 1e-4, betas (0.9, 0.99) |
//!
//! ```
//! use gd_runtime::optim::{Adam, Optimizer, OptimizerExt};
//! use gd_runtime::schedule::{CosineAnnealing, Warmup};
//! // Adam with global-norm clipping and a warmed-up cosine schedule.
//! let mut opt = Adam::default()
//!     .clip_by_global_norm(1.0)?
//!     .with_schedule(Warmup::new(10, 0.0, CosineAnnealing::new(1e-3, 90, 0.0)?)?);
//! let mut x = [1.0, -2.0];
//! for _ in 0..100 {
//!     let g = [2.0 * x[0], 2.0 * x[1]];
//!     opt.step(&mut x, &g)?;
//! }
//! # Ok::<(), gd_runtime::GdError>(())
//! ```
//!
//! Every optimizer allocates its state lazily at the first [`Optimizer::step`]
//! and checks on later steps that the parameter vector has the same length
//! (a [`GdError::DimensionMismatch`] otherwise). Hyperparameters are checked
//! when a config is built ([`GdError::BadHyperparameter`]), and the learning
//! rate again at each step (it can be changed with [`Optimizer::set_lr`]).
//!
//! Gradient clipping, weight decay and learning-rate schedules compose with
//! any optimizer through the wrappers in [`compose`] (see [`OptimizerExt`]).
//! All optimizers and wrappers implement serde's `Serialize`/`Deserialize`:
//! the saved value holds hyperparameters and state, so training resumes
//! exactly where it stopped. (Bit-exact resume needs a format that
//! round-trips `f64` exactly: with serde_json enable its `float_roundtrip`
//! feature; without it the last digit of a moment can change.)

pub mod adagrad;
pub mod adam;
pub mod compose;
pub mod lion;
pub mod rmsprop;
pub mod sgd;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamW, AdamWConfig};
pub use compose::{
    ClipByGlobalNorm, ClipByValue, DecoupledWeightDecay, L2WeightDecay, OptimizerExt, Scheduled,
};
pub use lion::{Lion, LionConfig};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use sgd::{Sgd, SgdConfig};

use crate::error::{check, GdError};

/// A first-order update rule: `params ← update(params, grad, state)`.
pub trait Optimizer {
    /// Apply one update in place. `grad` must have the length of `params`;
    /// on the first call the optimizer's state is allocated for that length,
    /// later calls with another length return [`GdError::DimensionMismatch`].
    /// On error, `params` and the state are left unchanged.
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError>;

    /// The learning rate the next step will use.
    fn lr(&self) -> f64;

    /// Set the learning rate for the next steps (checked at the next step:
    /// a negative or non-finite value makes `step` return
    /// [`GdError::BadHyperparameter`]).
    fn set_lr(&mut self, lr: f64);

    /// Forget the state (moments, step count); hyperparameters are kept.
    fn reset(&mut self);
}

impl<O: Optimizer + ?Sized> Optimizer for &mut O {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        (**self).step(params, grad)
    }
    fn lr(&self) -> f64 {
        (**self).lr()
    }
    fn set_lr(&mut self, lr: f64) {
        (**self).set_lr(lr)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

impl<O: Optimizer + ?Sized> Optimizer for Box<O> {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        (**self).step(params, grad)
    }
    fn lr(&self) -> f64 {
        (**self).lr()
    }
    fn set_lr(&mut self, lr: f64) {
        (**self).set_lr(lr)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

/// Checks shared by every `step`: valid learning rate, `grad` as long as
/// `params`, and `params` as long as the state (recorded at the first step).
pub(crate) fn begin_step(
    lr_name: &'static str,
    lr: f64,
    dim: &mut Option<usize>,
    params: &[f64],
    grad: &[f64],
) -> Result<usize, GdError> {
    check::non_negative(lr_name, lr)?;
    check::same_len("gradient (expected the length of the parameters)", params.len(), grad.len())?;
    match *dim {
        None => {
            *dim = Some(params.len());
        }
        Some(d) => check::same_len("parameters (expected the length of the optimizer state)", d, params.len())?,
    }
    Ok(params.len())
}

/// Allocate a state buffer at the first step.
pub(crate) fn lazy(buf: &mut Vec<f64>, n: usize, init: f64) {
    if buf.len() != n {
        *buf = vec![init; n];
    }
}
