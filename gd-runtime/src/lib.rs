//! # gd-runtime
//!
//! What gradients are for: first-order optimizers, learning-rate schedules,
//! a training loop, an LR range test, gradient checking, initialisers and
//! loss-curve plots. Re-exported by the `gd` facade as `gd::runtime`.
//!
//! Parameters are a flat `&mut [f64]`, or, through
//! [`Optimizer::step_params`] and [`Trainer::fit_params`], an `f32` slice or
//! any [`Params`] value (a `#[derive(gd::Params)]` struct, a matrix, a
//! `Vec`) stepped in place leaf by leaf ([`leaves`]) in its own precision;
//! an objective gives value and gradient in one call ([`Objective`]). Every loop is bounded, and divergence (NaN,
//! Inf, blow-up) is reported as [`GdError::Divergence`], never returned as a
//! result.
//!
//! ```
//! use gd_runtime::optim::{Optimizer, Sgd};
//! // One step of gradient descent on L(w) = (10 − 2w)² from w = 1, lr = 0.1.
//! let mut w = [1.0];
//! let grad = [-2.0 * 2.0 * (10.0 - 2.0 * w[0])]; // dL/dw = −32
//! Sgd::new(0.1)?.step(&mut w, &grad)?;
//! assert!((w[0] - 4.2).abs() < 1e-12);
//! # Ok::<(), gd_runtime::GdError>(())
//! ```

// The thread budget that gd's matrix products read; not an API of its own.
#[doc(hidden)]
pub mod budget;
pub mod dist;
pub mod error;
pub mod float;
pub mod gradcheck;
pub mod heap;
pub mod init;
pub mod leaves;
pub mod linesearch;
pub mod objective;
pub mod optim;
pub mod params;
pub mod plot;
pub mod quasi_newton;
pub mod schedule;
pub mod second_order;
pub mod shard;
pub mod train;

pub use float::Float;
pub use error::{CoordError, DivergenceCause, GdError, RankFailure};
pub use gradcheck::{check_gradient, check_objective, gradcheck_fn, GradCheckOptions, GradCheckReport};
pub use objective::{from_adding, Objective};
pub use optim::{Optimizer, OptimizerExt};
pub use params::{ParamScalar, Params};
pub use quasi_newton::{Lbfgs, SolverReport, SolverStop, StopCriteria};
pub use schedule::Schedule;
pub use second_order::{Newton, NewtonCg};
pub use train::{lr_find, lr_find_params, lr_find_params_sharded, lr_find_sharded, minimize, BatchMode, History, LrFindConfig, LrFindReport, StopReason, TrainReport, Trainer};

/// Euclidean norm of a slice.
pub fn norm2(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}
