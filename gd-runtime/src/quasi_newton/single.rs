//! L-BFGS on an `f32` objective ([`Lbfgs::minimize_f32`]).
//!
//! The solver's own arithmetic (the two-loop recursion, the line search's
//! interpolation, the curvature pairs) stays in `f64`, as scipy's L-BFGS-B
//! runs in `f64` whatever the caller's precision: its pairs `s`, `y` are
//! differences of nearby iterates and gradients, which `f32` would round
//! away first. The objective itself runs in `f32`, at the iterate rounded to
//! `f32`; the report's `x` is that `f32` iterate.

use super::{Lbfgs, SolverReport};
use crate::error::GdError;
use crate::linesearch::LineSearch;
use crate::objective::Objective;

/// An `f32` value-and-gradient function seen as an `f64` objective.
struct Narrowed<F> {
    f: F,
    x: Vec<f32>,
    g: Vec<f32>,
}

impl<F: FnMut(&[f32], &mut [f32]) -> f32> Objective for Narrowed<F> {
    fn dim(&self) -> Option<usize> {
        Some(self.x.len())
    }
    fn value_and_grad(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        for (d, &s) in self.x.iter_mut().zip(x) {
            *d = s as f32;
        }
        let v = (self.f)(&self.x, &mut self.g);
        for (d, &s) in g.iter_mut().zip(&self.g) {
            *d = s as f64;
        }
        v as f64
    }
}

impl<L: LineSearch> Lbfgs<L> {
    /// Minimise an `f32` function `f(x, grad) -> value` (overwriting
    /// `grad`) from `x0`: see the module above for what runs in which
    /// precision. The default stopping rules are scipy's, set for `f64`: an
    /// `f32` objective usually stops with
    /// [`super::SolverStop::LineSearchFailed`] at the limit of its
    /// precision unless `gtol`/`ftol` are loosened (e.g. `ftol` 1e-6).
    /// Errors as [`Lbfgs::minimize`].
    ///
    /// ```
    /// use gd_runtime::quasi_newton::{Lbfgs, StopCriteria};
    /// let rosen = |x: &[f32], g: &mut [f32]| {
    ///     let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
    ///     g[0] = -2.0 * a - 400.0 * x[0] * b;
    ///     g[1] = 200.0 * b;
    ///     a * a + 100.0 * b * b
    /// };
    /// let stop = StopCriteria::new().with_ftol(1e-7)?.with_gtol(1e-3)?;
    /// let r = Lbfgs::new().with_stop(stop).minimize_f32(rosen, &[-1.2, 1.0])?;
    /// assert!((r.x[0] - 1.0).abs() < 1e-3 && (r.x[1] - 1.0).abs() < 2e-3, "{r:?}");
    /// # Ok::<(), gd_runtime::GdError>(())
    /// ```
    pub fn minimize_f32<F>(&self, f: F, x0: &[f32]) -> Result<SolverReport, GdError>
    where
        F: FnMut(&[f32], &mut [f32]) -> f32,
    {
        let n = x0.len();
        let mut obj = Narrowed { f, x: vec![0.0; n], g: vec![0.0; n] };
        let x0: Vec<f64> = x0.iter().map(|&v| v as f64).collect();
        let mut r = self.minimize(&mut obj, &x0)?;
        // Report the point the value was computed at.
        r.x.iter_mut().for_each(|v| *v = *v as f32 as f64);
        Ok(r)
    }
}
