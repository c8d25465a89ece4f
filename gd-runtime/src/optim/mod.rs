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
//! Every optimizer allocates its state lazily at the first step and checks on
//! later steps that the parameters have the same leaves (a
//! [`GdError::DimensionMismatch`] otherwise). The state is kept in the
//! parameters' precision (`f32` moments for `f32` parameters, as torch);
//! hyperparameters are `f64`, rounded to the parameters' precision at each
//! step, so one optimizer value is configured the same way for both. Hyperparameters are checked
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
pub mod grad_map;
pub mod lion;
pub mod rmsprop;
pub mod sgd;
mod state;

pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamW, AdamWConfig};
pub use compose::{
    ClipByGlobalNorm, ClipByValue, DecoupledWeightDecay, L2WeightDecay, OptimizerExt, Scheduled,
};
pub use grad_map::{GradMap, GradOp};
pub use lion::{Lion, LionConfig};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use sgd::{Sgd, SgdConfig};

use crate::error::GdError;
use crate::leaves::{LeafPairs, Leaves, WithGrad};

/// A first-order update rule: `params ← update(params, grad, state)`.
///
/// Parameters are a flat `&mut [f64]` ([`Optimizer::step`]) or, through
/// [`Optimizer::step_params`], a flat `&mut [f32]` or any [`crate::Params`]
/// value (a `#[derive(gd::Params)]` struct, an nalgebra matrix, a `Vec`),
/// updated leaf by leaf in place with the state kept in the parameters'
/// precision (see [`crate::leaves`]).
pub trait Optimizer {
    /// Apply one update to the parameters `leaves` pairs with their
    /// gradient, after transforming the gradient by `map` (the wrappers of
    /// [`compose`]; [`GradMap::IDENTITY`] otherwise). What
    /// [`step`](Optimizer::step) and [`step_params`](Optimizer::step_params)
    /// call, and the method to implement for a new optimizer.
    ///
    /// On the first call the state is allocated for the leaves' lengths and
    /// precisions; later calls with other leaves return
    /// [`GdError::DimensionMismatch`] (or [`GdError::PrecisionMismatch`]).
    /// On error, the parameters and the state are left unchanged.
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError>;

    /// Apply one update in place. `grad` must have the length of `params`;
    /// on the first call the optimizer's state is allocated for that length,
    /// later calls with another length return [`GdError::DimensionMismatch`].
    /// On error, `params` and the state are left unchanged.
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        self.update(&mut WithGrad { params, grad }, &GradMap::IDENTITY)
    }

    /// [`step`](Optimizer::step) for any parameter type: a flat `[f32]` or
    /// `[f64]` slice, or a [`crate::Params`] value with its gradient of the
    /// same shape (a `#[derive(gd::Params)]` struct, a matrix, a `Vec`).
    /// The update runs on each leaf in place, in its precision; the state
    /// has the leaves' shape. (On a `dyn Optimizer`, call
    /// [`update`](Optimizer::update) with [`WithGrad`].)
    ///
    /// ```
    /// use gd_runtime::optim::{Adam, Optimizer};
    /// use nalgebra::DMatrix;
    /// // Two f32 weight matrices (a `#[derive(gd::Params)]` struct works the same).
    /// let mut w = vec![DMatrix::<f32>::from_element(2, 3, 0.5), DMatrix::zeros(1, 2)];
    /// let grad = vec![DMatrix::from_element(2, 3, 1.0), DMatrix::from_element(1, 2, -1.0)];
    /// let mut opt = Adam::new(0.1)?;
    /// opt.step_params(&mut w, &grad)?; // f32 all the way, no flat copy
    /// assert!((w[0][(1, 2)] - 0.4).abs() < 1e-6 && (w[1][0] - 0.1).abs() < 1e-6);
    ///
    /// // A flat f32 slice.
    /// let (mut x, g) = (vec![1.0f32, 2.0], vec![0.5f32, 0.5]);
    /// Adam::new(0.1)?.step_params(&mut x[..], &g[..])?;
    /// # Ok::<(), gd_runtime::GdError>(())
    /// ```
    fn step_params<L: Leaves + ?Sized>(&mut self, params: &mut L, grad: &L) -> Result<(), GdError>
    where
        Self: Sized,
    {
        self.update(&mut WithGrad { params, grad }, &GradMap::IDENTITY)
    }

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
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        (**self).update(leaves, map)
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
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        (**self).update(leaves, map)
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
