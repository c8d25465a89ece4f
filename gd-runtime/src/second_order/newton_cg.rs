//! Hessian-free Newton: truncated conjugate gradients on Hessian–vector
//! products (Nocedal & Wright, Algorithm 7.1).

use super::driver;
use crate::error::{check, GdError};
use crate::linesearch::{dot, LineSearch, MoreThuente};
use crate::objective::Objective;
use crate::quasi_newton::{SolverReport, StopCriteria};

/// Newton–CG (line-search truncated Newton): the direction solves
/// `H d = −g` approximately by conjugate gradients, using only products
/// `H v` from a closure `FnMut(x, v, out)` (writes `∇²f(x) v` into `out`).
///
/// - Forcing term (Eisenstat–Walker style): CG stops when
///   `‖r‖ ≤ η ‖g‖`, `η = min(0.5, √‖g‖)`, so steps become exact Newton steps
///   (superlinear convergence) as `g → 0`.
/// - Negative or zero curvature `pᵀHp ≤ 0`: CG stops; the direction is the
///   current CG iterate, or `−g` if that happens at the first CG step.
/// - At most `max_cg_iterations` products per outer iteration (default
///   `2n`).
/// - When the line search fails along the truncated direction (badly scaled
///   problems, e.g. MGH's Meyer), CG is run again to `‖r‖ ≤ 1e-10 ‖g‖` and
///   the search retried; then steepest descent; then the run stops.
/// - Line search: default [`MoreThuente`], full step `α = 1` first.
/// - `SolverReport::hessian_evaluations` counts Hessian–vector products.
#[derive(Debug, Clone, PartialEq)]
pub struct NewtonCg<L: LineSearch = MoreThuente> {
    stop: StopCriteria,
    line_search: L,
    max_cg_iterations: Option<usize>,
}

impl Default for NewtonCg<MoreThuente> {
    fn default() -> Self {
        NewtonCg { stop: StopCriteria::default(), line_search: MoreThuente::default(), max_cg_iterations: None }
    }
}

impl NewtonCg<MoreThuente> {
    /// Defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }
}

impl<L: LineSearch> NewtonCg<L> {
    /// Stopping rules.
    pub fn with_stop(mut self, stop: StopCriteria) -> Self {
        self.stop = stop;
        self
    }

    /// Replace the line search.
    pub fn with_line_search<M: LineSearch>(self, line_search: M) -> NewtonCg<M> {
        NewtonCg { stop: self.stop, line_search, max_cg_iterations: self.max_cg_iterations }
    }

    /// Cap on CG iterations (Hessian–vector products) per outer iteration (≥ 1).
    pub fn with_max_cg_iterations(mut self, n: usize) -> Result<Self, GdError> {
        self.max_cg_iterations = Some(check::at_least_one("NewtonCg.max_cg_iterations", n)?);
        Ok(self)
    }

    /// Minimise `obj` from `x0`, with `hvp(x, v, out)` writing `∇²f(x) v`.
    ///
    /// Errors as [`crate::quasi_newton::Lbfgs::minimize`].
    pub fn minimize<O, V>(&self, obj: &mut O, mut hvp: V, x0: &[f64]) -> Result<SolverReport, GdError>
    where
        O: Objective + ?Sized,
        V: FnMut(&[f64], &[f64], &mut [f64]),
    {
        let n = x0.len();
        let max_cg = self.max_cg_iterations.unwrap_or(2 * n);
        let (mut r, mut p, mut hp) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        driver::run(&self.line_search, &self.stop, obj, x0, true, |x, g, z, exact| {
            let eta = if exact { EXACT_ETA } else { forcing(g) };
            truncated_cg(&mut hvp, x, g, z, &mut r, &mut p, &mut hp, max_cg, eta)
        })
    }
}

/// Relative CG residual of a retry after a failed line search.
const EXACT_ETA: f64 = 1e-10;

/// Eisenstat–Walker-style forcing term `η = min(0.5, √‖g‖)`.
fn forcing(g: &[f64]) -> f64 {
    dot(g, g).sqrt().sqrt().min(0.5)
}

/// Approximately solve `H z = −g` to `‖r‖ ≤ η ‖g‖`; returns the number of
/// products used.
#[allow(clippy::too_many_arguments)]
fn truncated_cg<V: FnMut(&[f64], &[f64], &mut [f64])>(
    hvp: &mut V,
    x: &[f64],
    g: &[f64],
    z: &mut [f64],
    r: &mut [f64],
    p: &mut [f64],
    hp: &mut [f64],
    max_cg: usize,
    eta: f64,
) -> usize {
    let tol = eta * dot(g, g).sqrt();
    z.iter_mut().for_each(|v| *v = 0.0);
    r.copy_from_slice(g);
    p.iter_mut().zip(g).for_each(|(pi, gi)| *pi = -gi);
    let mut rr = dot(r, r);
    for j in 0..max_cg {
        hvp(x, p, hp);
        let curv = dot(p, hp);
        if !curv.is_finite() || curv <= 0.0 {
            if j == 0 {
                z.iter_mut().zip(g).for_each(|(zi, gi)| *zi = -gi);
            }
            return j + 1;
        }
        let alpha = rr / curv;
        for i in 0..z.len() {
            z[i] += alpha * p[i];
            r[i] += alpha * hp[i];
        }
        let rr_new = dot(r, r);
        if rr_new.sqrt() <= tol {
            return j + 1;
        }
        let beta = rr_new / rr;
        rr = rr_new;
        p.iter_mut().zip(r.iter()).for_each(|(pi, ri)| *pi = -ri + beta * *pi);
    }
    max_cg
}
