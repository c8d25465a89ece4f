//! Newton's method with a damped Cholesky solve and a line search.

use nalgebra::DMatrix;

use super::damped_cholesky::{self, Solved};
use super::driver;
use crate::error::GdError;
use crate::linesearch::{LineSearch, MoreThuente};
use crate::objective::Objective;
use crate::quasi_newton::{SolverReport, StopCriteria};

/// Newton's method: `d = −(H + τI)⁻¹ g` with the Hessian `H` from a closure
/// `FnMut(&[f64], &mut DMatrix<f64>)` (it writes into an `n × n` matrix that is
/// zeroed before each call; only the lower triangle is read), then a line search that tries the full step
/// `α = 1` first (default [`MoreThuente`], `c1 = 1e-4`, `c2 = 0.9`).
///
/// - `τ = 0` when `H` is positive definite (Cholesky succeeds); otherwise
///   `τ` grows (`β, 10β, …`, `β = 1e-3·max(1, max|Hᵢᵢ|)`, or from
///   `−min Hᵢᵢ + β`) until it does (Levenberg-style damping).
/// - A Hessian with NaN/Inf entries, or no usable shift, gives the
///   steepest-descent direction for that iteration; so does a failed line
///   search along the Newton direction (a second failure stops the run with
///   `SolverStop::LineSearchFailed`).
/// - On a strictly convex quadratic it takes exactly one step.
/// - Stopping: [`StopCriteria`] (default `‖g‖∞ ≤ 1e-5`, relative decrease
///   ≤ 2.2e-9, 15000 iterations / evaluations).
///
/// ```
/// use gd_runtime::second_order::Newton;
/// // f = (x − 1)² + 10 (y + 2)²: one Newton step from anywhere.
/// let mut f = |x: &[f64], g: &mut [f64]| {
///     g[0] = 2.0 * (x[0] - 1.0);
///     g[1] = 20.0 * (x[1] + 2.0);
///     (x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2)
/// };
/// let hess = |_: &[f64], h: &mut nalgebra::DMatrix<f64>| {
///     h.fill(0.0);
///     h[(0, 0)] = 2.0;
///     h[(1, 1)] = 20.0;
/// };
/// let r = Newton::new().minimize(&mut f, hess, &[5.0, 5.0])?;
/// assert_eq!(r.iterations, 1);
/// assert!((r.x[0] - 1.0).abs() < 1e-12 && (r.x[1] + 2.0).abs() < 1e-12);
/// # Ok::<(), gd_runtime::GdError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Newton<L: LineSearch = MoreThuente> {
    stop: StopCriteria,
    line_search: L,
}

impl Default for Newton<MoreThuente> {
    fn default() -> Self {
        Newton { stop: StopCriteria::default(), line_search: MoreThuente::default() }
    }
}

impl Newton<MoreThuente> {
    /// Defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }
}

impl<L: LineSearch> Newton<L> {
    /// Stopping rules.
    pub fn with_stop(mut self, stop: StopCriteria) -> Self {
        self.stop = stop;
        self
    }

    /// Replace the line search (e.g. [`crate::linesearch::Backtracking`]).
    pub fn with_line_search<M: LineSearch>(self, line_search: M) -> Newton<M> {
        Newton { stop: self.stop, line_search }
    }

    /// Minimise `obj` from `x0`, with `hessian(x, h)` writing `∇²f(x)` into
    /// the `n × n` matrix `h`.
    ///
    /// Errors: [`GdError::NonFiniteStart`] when f or ∇f is NaN/Inf at `x0`;
    /// [`GdError::DimensionMismatch`] when `x0` is empty or disagrees with
    /// `obj.dim()`.
    pub fn minimize<O, H>(&self, obj: &mut O, mut hessian: H, x0: &[f64]) -> Result<SolverReport, GdError>
    where
        O: Objective + ?Sized,
        H: FnMut(&[f64], &mut DMatrix<f64>),
    {
        let n = x0.len();
        let mut h = DMatrix::zeros(n, n);
        driver::run(&self.line_search, &self.stop, obj, x0, false, |x, g, d, _| {
            h.fill(0.0);
            hessian(x, &mut h);
            match damped_cholesky::solve(h.clone(), g, d) {
                Solved::Exact | Solved::Shifted(_) => {}
                Solved::Failed => d.iter_mut().zip(g).for_each(|(di, gi)| *di = -gi),
            }
            1
        })
    }
}
