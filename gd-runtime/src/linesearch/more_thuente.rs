//! The Moré–Thuente line search (J. J. Moré and D. J. Thuente, "Line search
//! algorithms with guaranteed sufficient decrease", ACM TOMS 20(3), 1994),
//! written from the paper: safeguarded cubic/quadratic interpolation on an
//! interval of uncertainty that brackets a strong Wolfe step.

use super::{check_args, eval_at, LineSearch, LineSearchFailure, LineSearchOutcome};
use crate::error::{check, GdError};
use crate::objective::Objective;

/// Moré–Thuente strong Wolfe line search.
///
/// Defaults: `c1 = 1e-4` (sufficient decrease), `c2 = 0.9` (curvature; 0.9
/// suits quasi-Newton and Newton directions, use 0.1 for nonlinear CG),
/// `xtol = 1e-10` (relative width of the interval of uncertainty),
/// `min_step = 1e-20`, `max_step = 1e20`, `max_evaluations = 20`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoreThuente {
    c1: f64,
    c2: f64,
    xtol: f64,
    min_step: f64,
    max_step: f64,
    max_evaluations: usize,
    /// Accept a step at `max_step` with sufficient decrease even though f
    /// still decreases there (reference dcsrch's "STP = STPMAX" warning,
    /// which L-BFGS-B takes as a step: the cap is the edge of the box).
    accept_at_max_step: bool,
}

impl Default for MoreThuente {
    fn default() -> Self {
        MoreThuente {
            c1: 1e-4,
            c2: 0.9,
            xtol: 1e-10,
            min_step: 1e-20,
            max_step: 1e20,
            max_evaluations: 20,
            accept_at_max_step: false,
        }
    }
}

impl MoreThuente {
    /// Defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sufficient-decrease and curvature constants, `0 < c1 ≤ c2 < 1`
    /// (the paper's tests use `c1 = c2` too).
    pub fn with_wolfe(mut self, c1: f64, c2: f64) -> Result<Self, GdError> {
        (self.c1, self.c2) = check::ordered_unit_pair("MoreThuente.c1/c2", c1, c2, "0 < c1 <= c2 < 1")?;
        Ok(self)
    }

    /// Maximum number of objective evaluations per search (≥ 1).
    pub fn with_max_evaluations(mut self, n: usize) -> Result<Self, GdError> {
        self.max_evaluations = check::at_least_one("MoreThuente.max_evaluations", n)?;
        Ok(self)
    }

    /// Bounds on the step, `0 < min_step < max_step`.
    pub fn with_step_bounds(mut self, min_step: f64, max_step: f64) -> Result<Self, GdError> {
        check::positive("MoreThuente.min_step", min_step)?;
        check::positive("MoreThuente.max_step", max_step)?;
        if min_step >= max_step {
            return Err(GdError::BadHyperparameter {
                name: "MoreThuente.max_step",
                value: max_step,
                allowed: "> min_step",
            });
        }
        self.min_step = min_step;
        self.max_step = max_step;
        Ok(self)
    }

    /// Relative tolerance on the width of the interval of uncertainty (> 0).
    pub fn with_xtol(mut self, xtol: f64) -> Result<Self, GdError> {
        self.xtol = check::positive("MoreThuente.xtol", xtol)?;
        Ok(self)
    }

    /// `(c1, c2)`.
    pub fn wolfe(&self) -> (f64, f64) {
        (self.c1, self.c2)
    }

    /// Maximum evaluations per search.
    pub fn max_evaluations(&self) -> usize {
        self.max_evaluations
    }

    /// The same search with the step capped at `max_step` (> 0, finite), and a
    /// step at the cap accepted when it decreases f sufficiently: the
    /// bounded L-BFGS caps the step at the edge of the box, where a still
    /// decreasing f is no failure.
    pub(crate) fn capped(mut self, max_step: f64) -> Self {
        self.max_step = max_step;
        self.min_step = self.min_step.min(0.5 * max_step);
        self.accept_at_max_step = true;
        self
    }
}

/// One end of the interval of uncertainty: step, value, derivative.
#[derive(Debug, Clone, Copy)]
struct End {
    t: f64,
    f: f64,
    g: f64,
}

impl LineSearch for MoreThuente {
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
        let gtest = self.c1 * dg0;
        let mut stp = step.clamp(self.min_step, self.max_step);
        // Best end (stx) and other end (sty) of the interval of uncertainty.
        let mut bx = End { t: 0.0, f: f0, g: dg0 };
        let mut by = End { t: 0.0, f: f0, g: dg0 };
        let mut brackt = false;
        let mut stage1 = true;
        let mut width = self.max_step - self.min_step;
        let mut width1 = 2.0 * width;
        let mut stmin = 0.0;
        let mut stmax = stp + 4.0 * stp;
        // Smallest step at which the objective gave NaN/Inf: never go there again.
        let mut nonfinite_at = f64::INFINITY;
        let fail = |cause, evaluations, step| Err(GdError::LineSearch { cause, evaluations, step });

        for evals in 1..=self.max_evaluations {
            let (f, dg) = eval_at(obj, x, d, stp, x_new, g_new);
            if !(f.is_finite() && dg.is_finite()) {
                // Shrink towards the best point. The bracket (if any) is
                // dropped: its far end lies beyond a point we cannot use.
                nonfinite_at = nonfinite_at.min(stp);
                stp = bx.t + 0.5 * (stp - bx.t);
                brackt = false;
                if stp <= self.min_step || (stp - bx.t).abs() <= self.xtol * stp {
                    return fail(LineSearchFailure::StepTooSmall, evals, stp);
                }
                continue;
            }
            let ftest = f0 + stp * gtest;
            if f <= ftest && dg.abs() <= -self.c2 * dg0 {
                return Ok(LineSearchOutcome { step: stp, value: f, dg, evaluations: evals });
            }
            if stage1 && f <= ftest && dg >= self.c1.min(self.c2) * dg0 {
                stage1 = false;
            }
            // Warnings of the reference algorithm: accept the best point with
            // sufficient decrease if there is one, else fail.
            let stuck =
                brackt && (stp <= stmin || stp >= stmax || stmax - stmin <= self.xtol * stmax);
            if stuck {
                let last = LineSearchOutcome { step: stp, value: f, dg, evaluations: evals };
                return self.fallback(obj, x, f0, dg0, d, bx, last, x_new, g_new);
            }
            if stp >= self.max_step && f <= ftest && dg <= gtest {
                if self.accept_at_max_step {
                    return Ok(LineSearchOutcome { step: stp, value: f, dg, evaluations: evals });
                }
                return fail(LineSearchFailure::StepTooLarge, evals, stp);
            }
            if stp <= self.min_step && (f > ftest || dg >= gtest) {
                return fail(LineSearchFailure::StepTooSmall, evals, stp);
            }

            let trial = End { t: stp, f, g: dg };
            if stage1 && f <= bx.f && f > ftest {
                // Modified function ψ(α) = f(α) − f0 − c1 α g0ᵀd.
                let m = |e: End| End { t: e.t, f: e.f - e.t * gtest, g: e.g - gtest };
                let (mut mx, mut my) = (m(bx), m(by));
                stp = cstep(&mut mx, &mut my, m(trial), &mut brackt, stmin, stmax);
                bx = End { t: mx.t, f: mx.f + mx.t * gtest, g: mx.g + gtest };
                by = End { t: my.t, f: my.f + my.t * gtest, g: my.g + gtest };
            } else {
                stp = cstep(&mut bx, &mut by, trial, &mut brackt, stmin, stmax);
            }

            if brackt {
                if (by.t - bx.t).abs() >= 0.66 * width1 {
                    stp = bx.t + 0.5 * (by.t - bx.t);
                }
                width1 = width;
                width = (by.t - bx.t).abs();
                stmin = bx.t.min(by.t);
                stmax = bx.t.max(by.t);
            } else {
                stmin = stp + 1.1 * (stp - bx.t);
                stmax = stp + 4.0 * (stp - bx.t);
            }
            stp = stp.clamp(self.min_step, self.max_step);
            if stp >= nonfinite_at {
                stp = bx.t + 0.5 * (nonfinite_at - bx.t);
            }
            if brackt && (stp <= stmin || stp >= stmax || stmax - stmin <= self.xtol * stmax) {
                stp = bx.t;
            }
            if !(stp > 0.0 && stp.is_finite()) {
                // Only reachable through rounding (the start chosen again).
                let last = LineSearchOutcome { step: trial.t, value: f, dg, evaluations: evals };
                return self.fallback(obj, x, f0, dg0, d, bx, last, x_new, g_new);
            }
        }
        fail(LineSearchFailure::MaxEvaluations, self.max_evaluations, stp)
    }
}

impl MoreThuente {
    /// The search cannot make progress (interval below `xtol` or rounding
    /// errors). Accept the last trial if it gives sufficient decrease, else
    /// the best point found so far if it does (re-evaluated, since the
    /// buffers hold the last trial), else fail with
    /// [`LineSearchFailure::NoProgress`].
    #[allow(clippy::too_many_arguments)]
    fn fallback<O: Objective + ?Sized>(
        &self,
        obj: &mut O,
        x: &[f64],
        f0: f64,
        dg0: f64,
        d: &[f64],
        best: End,
        last: LineSearchOutcome,
        x_new: &mut [f64],
        g_new: &mut [f64],
    ) -> Result<LineSearchOutcome, GdError> {
        let armijo = |t: f64, f: f64| f < f0 && f <= f0 + self.c1 * t * dg0;
        if armijo(last.step, last.value) {
            return Ok(last);
        }
        let mut evaluations = last.evaluations;
        if best.t > 0.0 && armijo(best.t, best.f) && evaluations < self.max_evaluations {
            let (f, dg) = eval_at(obj, x, d, best.t, x_new, g_new);
            evaluations += 1;
            if f.is_finite() && dg.is_finite() && armijo(best.t, f) {
                return Ok(LineSearchOutcome { step: best.t, value: f, dg, evaluations });
            }
        }
        Err(GdError::LineSearch { cause: LineSearchFailure::NoProgress, evaluations, step: last.step })
    }
}

/// One step of the safeguarded interval update (the paper's Section 4):
/// given the interval ends `x` (best) and `y`, and the trial `t`, update the
/// ends and return the next trial step. `brackt` becomes true once a
/// minimiser is bracketed. `lo`/`hi` bound the new step when not bracketed.
fn cstep(x: &mut End, y: &mut End, t: End, brackt: &mut bool, lo: f64, hi: f64) -> f64 {
    let sgnd = t.g * x.g.signum();
    let next;
    if t.f > x.f {
        // Case 1: higher value. The minimiser is bracketed; take the cubic
        // step if it is closer to x than the quadratic one, else their mean.
        let c = cubic_min(x, &t);
        let q = x.t + ((x.g / ((x.f - t.f) / (t.t - x.t) + x.g)) / 2.0) * (t.t - x.t);
        next = if (c - x.t).abs() < (q - x.t).abs() { c } else { c + (q - c) / 2.0 };
        *brackt = true;
    } else if sgnd < 0.0 {
        // Case 2: lower value, derivatives of opposite sign: bracketed.
        let c = cubic_min(&t, x);
        let s = t.t + (t.g / (t.g - x.g)) * (x.t - t.t);
        next = if (c - t.t).abs() > (s - t.t).abs() { c } else { s };
        *brackt = true;
    } else if t.g.abs() < x.g.abs() {
        // Case 3: lower value, same sign, derivative decreasing in size.
        let theta = 3.0 * (x.f - t.f) / (t.t - x.t) + x.g + t.g;
        let s = theta.abs().max(x.g.abs()).max(t.g.abs());
        let mut gamma = s * ((theta / s).powi(2) - (x.g / s) * (t.g / s)).max(0.0).sqrt();
        if t.t > x.t {
            gamma = -gamma;
        }
        let p = (gamma - t.g) + theta;
        let q = (gamma + (x.g - t.g)) + gamma;
        let r = p / q;
        let c = if r < 0.0 && gamma != 0.0 {
            t.t + r * (x.t - t.t)
        } else if t.t > x.t {
            hi
        } else {
            lo
        };
        let sec = t.t + (t.g / (t.g - x.g)) * (x.t - t.t);
        if *brackt {
            let f = if (c - t.t).abs() < (sec - t.t).abs() { c } else { sec };
            let lim = t.t + 0.66 * (y.t - t.t);
            next = if t.t > x.t { f.min(lim) } else { f.max(lim) };
        } else {
            let f = if (c - t.t).abs() > (sec - t.t).abs() { c } else { sec };
            next = f.clamp(lo.min(hi), hi.max(lo));
        }
    } else {
        // Case 4: lower value, same sign, derivative not decreasing.
        next = if *brackt {
            cubic_min(&t, y)
        } else if t.t > x.t {
            hi
        } else {
            lo
        };
    }
    // Update the interval.
    if t.f > x.f {
        *y = t;
    } else {
        if sgnd < 0.0 {
            *y = *x;
        }
        *x = t;
    }
    next
}

/// Minimiser of the cubic interpolating values and derivatives at `a` and
/// `b`, computed from `b`'s side (the form of the paper, which avoids
/// cancellation).
fn cubic_min(a: &End, b: &End) -> f64 {
    let theta = 3.0 * (a.f - b.f) / (b.t - a.t) + a.g + b.g;
    let s = theta.abs().max(a.g.abs()).max(b.g.abs());
    let mut gamma = s * ((theta / s).powi(2) - (a.g / s) * (b.g / s)).max(0.0).sqrt();
    if b.t < a.t {
        gamma = -gamma;
    }
    let p = (gamma - a.g) + theta;
    let q = ((gamma - a.g) + gamma) + b.g;
    let r = p / q;
    a.t + r * (b.t - a.t)
}
