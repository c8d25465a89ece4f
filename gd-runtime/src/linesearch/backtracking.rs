//! Armijo backtracking with safeguarded quadratic interpolation.

use super::{check_args, eval_at, LineSearch, LineSearchFailure, LineSearchOutcome};
use crate::error::{check, GdError};
use crate::objective::Objective;

/// Backtracking line search for the Armijo (sufficient decrease) condition
/// `f(x + αd) ≤ f0 + c1 α g0ᵀd`.
///
/// Starts at the given step; while the condition fails, the next step is the
/// minimiser of the quadratic through `f0`, `g0ᵀd` and `f(α)`, kept inside
/// `[lo·α, hi·α]` (a NaN/Inf trial takes `lo·α`).
///
/// Defaults: `c1 = 1e-4`, `lo = 0.1`, `hi = 0.5`, `min_step = 1e-20`,
/// `max_evaluations = 40`. With `lo = hi = ρ` it is plain `α ← ρα`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtracking {
    c1: f64,
    lo: f64,
    hi: f64,
    min_step: f64,
    max_evaluations: usize,
}

impl Default for Backtracking {
    fn default() -> Self {
        Backtracking { c1: 1e-4, lo: 0.1, hi: 0.5, min_step: 1e-20, max_evaluations: 40 }
    }
}

impl Backtracking {
    /// Defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sufficient-decrease constant, `0 < c1 < 1`.
    pub fn with_c1(mut self, c1: f64) -> Result<Self, GdError> {
        if !(c1 > 0.0 && c1 < 1.0) {
            return Err(GdError::BadHyperparameter { name: "Backtracking.c1", value: c1, allowed: "in (0, 1)" });
        }
        self.c1 = c1;
        Ok(self)
    }

    /// Shrink factors: each new step lies in `[lo·α, hi·α]`, `0 < lo ≤ hi < 1`.
    pub fn with_shrink(mut self, lo: f64, hi: f64) -> Result<Self, GdError> {
        (self.lo, self.hi) = check::ordered_unit_pair("Backtracking.lo/hi", lo, hi, "0 < lo <= hi < 1")?;
        Ok(self)
    }

    /// Maximum number of objective evaluations per search (≥ 1).
    pub fn with_max_evaluations(mut self, n: usize) -> Result<Self, GdError> {
        self.max_evaluations = check::at_least_one("Backtracking.max_evaluations", n)?;
        Ok(self)
    }

    /// Smallest step tried before giving up (> 0).
    pub fn with_min_step(mut self, min_step: f64) -> Result<Self, GdError> {
        self.min_step = check::positive("Backtracking.min_step", min_step)?;
        Ok(self)
    }
}

impl LineSearch for Backtracking {
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
    ) -> Result<LineSearchOutcome, GdError> {
        let dg0 = check_args(x, f0, g0, d, step, x_new, g_new)?;
        let mut alpha = step;
        for evals in 1..=self.max_evaluations {
            let (f, dg) = eval_at(obj, x, d, alpha, x_new, g_new);
            let finite = f.is_finite() && dg.is_finite();
            if finite && f <= f0 + self.c1 * alpha * dg0 {
                return Ok(LineSearchOutcome { step: alpha, value: f, dg, evaluations: evals });
            }
            let next = if finite {
                // Minimiser of q(t) = f0 + dg0 t + c t², c = (f − f0 − dg0 α)/α² > 0.
                let curv = (f - f0 - dg0 * alpha) / (alpha * alpha);
                let t = -dg0 / (2.0 * curv);
                if t.is_finite() { t } else { self.hi * alpha }
            } else {
                self.lo * alpha
            };
            alpha = next.clamp(self.lo * alpha, self.hi * alpha);
            if alpha < self.min_step {
                return Err(GdError::LineSearch {
                    cause: LineSearchFailure::StepTooSmall,
                    evaluations: evals,
                    step: alpha,
                });
            }
        }
        Err(GdError::LineSearch {
            cause: LineSearchFailure::MaxEvaluations,
            evaluations: self.max_evaluations,
            step: alpha,
        })
    }
}
