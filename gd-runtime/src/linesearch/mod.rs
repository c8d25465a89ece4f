//! Line searches: given a point `x`, its value `f0` and gradient `g0`, and a
//! descent direction `d`, find a step `α > 0` such that `x + α d` is an
//! acceptable next iterate.
//!
//! - [`MoreThuente`]: the Moré–Thuente search (ACM TOMS 20, 1994) for the
//!   strong Wolfe conditions
//!   `f(x + αd) ≤ f0 + c1 α g0ᵀd` and `|∇f(x + αd)ᵀd| ≤ c2 |g0ᵀd|`;
//!   defaults `c1 = 1e-4`, `c2 = 0.9` (quasi-Newton), at most 20 evaluations.
//! - [`Backtracking`]: Armijo backtracking (sufficient decrease only) with
//!   safeguarded quadratic interpolation; defaults `c1 = 1e-4`, at most 40
//!   evaluations.
//!
//! Both are bounded in objective evaluations. A NaN or ±Inf value or
//! gradient at a trial step is not an error: the step is shrunk and the
//! search goes on. When no acceptable step is found within the budget, or the
//! direction is not a descent direction, the search returns
//! [`GdError::LineSearch`] with a [`LineSearchFailure`] that says why.
//!
//! ```
//! use gd_runtime::linesearch::{LineSearch, MoreThuente};
//! // f(x) = (x − 3)², from x = 0 along d = +1: the exact minimiser is α = 3.
//! let mut f = |x: &[f64], g: &mut [f64]| { g[0] = 2.0 * (x[0] - 3.0); (x[0] - 3.0).powi(2) };
//! let (mut xn, mut gn) = ([0.0], [0.0]);
//! let out = MoreThuente::default()
//!     .search(&mut f, &[0.0], 9.0, &[-6.0], &[1.0], 1.0, &mut xn, &mut gn)?;
//! assert!(out.value < 9.0 && out.dg.abs() <= 0.9 * 6.0);
//! assert_eq!(xn[0], out.step);
//! # Ok::<(), gd_runtime::GdError>(())
//! ```

mod backtracking;
mod more_thuente;

pub use backtracking::Backtracking;
pub use more_thuente::MoreThuente;

use crate::error::{check, GdError};
use crate::objective::Objective;

/// What a successful line search found. The caller's `x_new` and `g_new`
/// buffers hold the accepted point and its gradient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineSearchOutcome {
    /// The accepted step `α`.
    pub step: f64,
    /// `f(x + α d)`.
    pub value: f64,
    /// Directional derivative `∇f(x + α d)ᵀ d` at the accepted step.
    pub dg: f64,
    /// Objective (value-and-gradient) evaluations this search made.
    pub evaluations: usize,
}

/// Why a line search found no acceptable step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineSearchFailure {
    /// `g0ᵀd ≥ 0` (or not finite): `d` is not a descent direction.
    NotDescent,
    /// The evaluation budget ran out before the conditions held.
    MaxEvaluations,
    /// The interval of uncertainty shrank below the relative tolerance, or
    /// rounding errors prevent progress, and no trial decreased `f`.
    NoProgress,
    /// The step reached its lower bound without sufficient decrease.
    StepTooSmall,
    /// The step reached its upper bound and `f` was still decreasing
    /// (the objective may be unbounded below along `d`).
    StepTooLarge,
}

impl std::fmt::Display for LineSearchFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LineSearchFailure::NotDescent => "the direction is not a descent direction",
            LineSearchFailure::MaxEvaluations => "no acceptable step within the evaluation budget",
            LineSearchFailure::NoProgress => {
                "the interval of uncertainty is too small (rounding errors) and no step decreased f"
            }
            LineSearchFailure::StepTooSmall => "the step reached its lower bound",
            LineSearchFailure::StepTooLarge => {
                "the step reached its upper bound (objective unbounded below along d?)"
            }
        })
    }
}

/// A line search. Implemented by [`MoreThuente`] and [`Backtracking`].
pub trait LineSearch {
    /// Search along `d` from `x` (value `f0`, gradient `g0`), starting with the
    /// trial step `step` (> 0).
    ///
    /// On success `x_new = x + α d` and `g_new = ∇f(x_new)`, and the outcome
    /// says `α`, `f(x_new)`, `g_newᵀd` and the number of evaluations. On
    /// failure the buffers hold the last trial and the error is
    /// [`GdError::LineSearch`] (or [`GdError::DimensionMismatch`] /
    /// [`GdError::BadHyperparameter`] for bad arguments).
    #[allow(clippy::too_many_arguments)]
    fn search<O: Objective + ?Sized>(
        &self,
        obj: &mut O,
        x: &[f64],
        f0: f64,
        g0: &[f64],
        d: &[f64],
        step: f64,
        x_new: &mut [f64],
        g_new: &mut [f64],
    ) -> Result<LineSearchOutcome, GdError>;
}

/// Common argument checks; returns `g0ᵀd`.
pub(crate) fn check_args(
    x: &[f64],
    f0: f64,
    g0: &[f64],
    d: &[f64],
    step: f64,
    x_new: &[f64],
    g_new: &[f64],
) -> Result<f64, GdError> {
    let n = x.len();
    check::same_len("line search: gradient vs x", n, g0.len())?;
    check::same_len("line search: direction vs x", n, d.len())?;
    check::same_len("line search: x_new vs x", n, x_new.len())?;
    check::same_len("line search: g_new vs x", n, g_new.len())?;
    check::positive("line search: initial step", step)?;
    if !f0.is_finite() {
        return Err(GdError::BadHyperparameter {
            name: "line search: f0",
            value: f0,
            allowed: "finite",
        });
    }
    let dg0 = dot(g0, d);
    // NaN counts as "not descent".
    if dg0.is_nan() || dg0 >= 0.0 {
        return Err(GdError::LineSearch {
            cause: LineSearchFailure::NotDescent,
            evaluations: 0,
            step: 0.0,
        });
    }
    Ok(dg0)
}

/// Evaluate at `x + α d`: writes `x_new`, `g_new`; returns `(f, ∇fᵀd)`,
/// either of which may be non-finite.
pub(crate) fn eval_at<O: Objective + ?Sized>(
    obj: &mut O,
    x: &[f64],
    d: &[f64],
    alpha: f64,
    x_new: &mut [f64],
    g_new: &mut [f64],
) -> (f64, f64) {
    for ((xn, &xi), &di) in x_new.iter_mut().zip(x).zip(d) {
        *xn = xi + alpha * di;
    }
    let f = obj.value_and_grad(x_new, g_new);
    let dg = dot(g_new, d);
    (f, dg)
}

/// `aᵀb`.
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
