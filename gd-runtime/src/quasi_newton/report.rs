//! What a second-order solver (L-BFGS, Newton, Newton–CG) returns, and the
//! stopping rules they share.

use crate::error::{check, DivergenceCause, GdError};
use crate::linesearch::LineSearchFailure;

/// Why a solver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SolverStop {
    /// `‖g‖∞ ≤ gtol` (or `≤ gtol_rel · max(1, ‖x‖∞)` when that is set); with
    /// bounds, on the projected gradient `‖P(x − g) − x‖∞` (scipy's `pgtol`).
    GradientTolerance,
    /// Relative decrease of f below `ftol`:
    /// `(f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol` (scipy's `factr·ε`).
    FunctionTolerance,
    /// `max_iterations` iterations done.
    MaxIterations,
    /// `max_evaluations` value-and-gradient evaluations reached.
    MaxEvaluations,
    /// The line search found no acceptable step, also after a restart from
    /// the steepest-descent direction. `x` is the last accepted iterate
    /// (usually this is the limit of floating-point precision near a
    /// minimiser; check `grad_inf_norm`).
    LineSearchFailed(LineSearchFailure),
}

/// Outcome of a solver run.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverReport {
    /// The final iterate.
    pub x: Vec<f64>,
    /// `f(x)`.
    pub value: f64,
    /// `‖∇f(x)‖∞`; with bounds ([`crate::quasi_newton::Lbfgs::with_bounds`]),
    /// the projected gradient's `‖P(x − ∇f(x)) − x‖∞`.
    pub grad_inf_norm: f64,
    /// Why it stopped.
    pub stop: SolverStop,
    /// Iterations (accepted steps).
    pub iterations: usize,
    /// Value-and-gradient evaluations, including the one at the start.
    pub evaluations: usize,
    /// Hessian evaluations (Newton) or Hessian–vector products (Newton–CG);
    /// 0 for L-BFGS.
    pub hessian_evaluations: usize,
}

impl SolverReport {
    /// True when a tolerance was met ([`SolverStop::GradientTolerance`] or
    /// [`SolverStop::FunctionTolerance`]).
    pub fn converged(&self) -> bool {
        matches!(self.stop, SolverStop::GradientTolerance | SolverStop::FunctionTolerance)
    }
}

/// Stopping rules shared by the solvers. Defaults follow scipy's L-BFGS-B:
/// `gtol = 1e-5` (on `‖g‖∞`, scipy's `pgtol`), `gtol_rel = 0` (off),
/// `ftol = 2.220446049250313e-9` (scipy's `factr = 1e7` times ε),
/// `max_iterations = 15000`, `max_evaluations = 15000`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StopCriteria {
    pub(crate) gtol: f64,
    pub(crate) gtol_rel: f64,
    pub(crate) ftol: f64,
    pub(crate) max_iterations: usize,
    pub(crate) max_evaluations: usize,
}

impl Default for StopCriteria {
    fn default() -> Self {
        StopCriteria {
            gtol: 1e-5,
            gtol_rel: 0.0,
            ftol: 1e7 * f64::EPSILON,
            max_iterations: 15000,
            max_evaluations: 15000,
        }
    }
}

impl StopCriteria {
    /// Defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }
    /// Absolute gradient tolerance on `‖g‖∞` (≥ 0).
    pub fn with_gtol(mut self, gtol: f64) -> Result<Self, GdError> {
        self.gtol = check::non_negative("gtol", gtol)?;
        Ok(self)
    }
    /// Relative gradient tolerance: also stop when
    /// `‖g‖∞ ≤ gtol_rel · max(1, ‖x‖∞)` (≥ 0; 0 turns it off).
    pub fn with_gtol_rel(mut self, gtol_rel: f64) -> Result<Self, GdError> {
        self.gtol_rel = check::non_negative("gtol_rel", gtol_rel)?;
        Ok(self)
    }
    /// Relative function-decrease tolerance (≥ 0; 0 turns it off).
    pub fn with_ftol(mut self, ftol: f64) -> Result<Self, GdError> {
        self.ftol = check::non_negative("ftol", ftol)?;
        Ok(self)
    }
    /// Maximum iterations (≥ 1).
    pub fn with_max_iterations(mut self, n: usize) -> Result<Self, GdError> {
        self.max_iterations = check::at_least_one("max_iterations", n)?;
        Ok(self)
    }
    /// Maximum value-and-gradient evaluations (≥ 1). Checked before each
    /// iteration: the last line search may use its own budget beyond it.
    pub fn with_max_evaluations(mut self, n: usize) -> Result<Self, GdError> {
        self.max_evaluations = check::at_least_one("max_evaluations", n)?;
        Ok(self)
    }

    /// Gradient test at `x` with gradient infinity norm `ginf`.
    pub(crate) fn gradient_met(&self, x: &[f64], ginf: f64) -> bool {
        if ginf <= self.gtol {
            return true;
        }
        self.gtol_rel > 0.0 && ginf <= self.gtol_rel * inf_norm(x).max(1.0)
    }

    /// Relative decrease test between successive values.
    pub(crate) fn decrease_met(&self, f_old: f64, f_new: f64) -> bool {
        (f_old - f_new) <= self.ftol * f_old.abs().max(f_new.abs()).max(1.0)
    }
}

/// `‖v‖∞`.
pub(crate) fn inf_norm(v: &[f64]) -> f64 {
    v.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// Error unless `f` and `g` are finite (used at the starting point).
pub(crate) fn check_start(f: f64, g: &[f64]) -> Result<(), GdError> {
    if !f.is_finite() {
        return Err(GdError::NonFiniteStart { cause: DivergenceCause::NonFiniteLoss(f) });
    }
    if let Some((index, &value)) = g.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(GdError::NonFiniteStart { cause: DivergenceCause::NonFiniteGradient { index, value } });
    }
    Ok(())
}
