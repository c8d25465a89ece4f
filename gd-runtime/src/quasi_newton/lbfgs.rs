//! Limited-memory BFGS.

use super::lbfgsb::{self, Bounds};
use super::memory::Memory;
use super::report::{check_start, inf_norm, SolverReport, SolverStop, StopCriteria};
use crate::error::{check, GdError};
use crate::linesearch::{dot, LineSearch, MoreThuente};
use crate::objective::Objective;

/// L-BFGS (Nocedal 1980; Liu & Nocedal 1989) with a line search (default
/// [`MoreThuente`], strong Wolfe, `c1 = 1e-4`, `c2 = 0.9`).
///
/// - Direction by the two-loop recursion over the last `m` pairs
///   `s = x_{k+1} − x_k`, `y = g_{k+1} − g_k` (default `m = 10`, as scipy),
///   with initial matrix `γ I`, `γ = sᵀy / yᵀy` of the newest pair.
/// - A pair is stored only when `sᵀy > ε ‖y‖²` (default `ε = f64::EPSILON`),
///   so the implicit matrix stays positive definite.
/// - First step, and after a reset: steepest descent with trial step
///   `1/‖g‖₂` (as L-BFGS-B); afterwards the trial step is 1.
/// - Memory reset: if the direction is not a descent direction, or the line
///   search fails, the memory is cleared and the iteration retried along
///   `−g`; a second failure stops with [`SolverStop::LineSearchFailed`].
/// - Stopping: [`StopCriteria`] (defaults as scipy: `‖g‖∞ ≤ 1e-5`, relative
///   decrease of f ≤ 2.2e-9, 15000 iterations, 15000 evaluations).
/// - Box constraints: [`Lbfgs::with_bounds`] makes it L-BFGS-B.
///
/// ```
/// use gd_runtime::quasi_newton::{Lbfgs, SolverStop};
/// // Rosenbrock from (−1.2, 1).
/// let mut f = |x: &[f64], g: &mut [f64]| {
///     let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
///     g[0] = -2.0 * a - 400.0 * x[0] * b;
///     g[1] = 200.0 * b;
///     a * a + 100.0 * b * b
/// };
/// let r = Lbfgs::new().minimize(&mut f, &[-1.2, 1.0])?;
/// // As scipy: 36 iterations, 44 evaluations, stopped by the relative decrease of f.
/// assert_eq!(r.stop, SolverStop::FunctionTolerance);
/// assert!((r.x[0] - 1.0).abs() < 1e-4 && r.value < 1e-9);
/// # Ok::<(), gd_runtime::GdError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Lbfgs<L: LineSearch = MoreThuente> {
    memory: usize,
    curvature_eps: f64,
    stop: StopCriteria,
    line_search: L,
    bounds: Option<Bounds>,
}

impl Default for Lbfgs<MoreThuente> {
    fn default() -> Self {
        Lbfgs {
            memory: 10,
            curvature_eps: f64::EPSILON,
            stop: StopCriteria::default(),
            line_search: MoreThuente::default(),
            bounds: None,
        }
    }
}

impl Lbfgs<MoreThuente> {
    /// Defaults (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }
}

impl<L: LineSearch> Lbfgs<L> {
    /// Number of stored pairs `m` (≥ 1).
    pub fn with_memory(mut self, m: usize) -> Result<Self, GdError> {
        self.memory = check::at_least_one("Lbfgs.memory", m)?;
        Ok(self)
    }

    /// Curvature threshold `ε`: a pair is stored only if `sᵀy > ε ‖y‖²` (≥ 0).
    pub fn with_curvature_eps(mut self, eps: f64) -> Result<Self, GdError> {
        self.curvature_eps = check::non_negative("Lbfgs.curvature_eps", eps)?;
        Ok(self)
    }

    /// Stopping rules.
    pub fn with_stop(mut self, stop: StopCriteria) -> Self {
        self.stop = stop;
        self
    }

    /// Replace the line search (e.g. [`crate::linesearch::Backtracking`]).
    pub fn with_line_search<M: LineSearch>(self, line_search: M) -> Lbfgs<M> {
        Lbfgs { memory: self.memory, curvature_eps: self.curvature_eps, stop: self.stop, line_search, bounds: self.bounds }
    }

    /// Box constraints `lower ≤ x ≤ upper` (±∞ for a free side): the solver
    /// becomes L-BFGS-B (Byrd, Lu, Nocedal & Zhu 1995, with Morales &
    /// Nocedal's 2011 correction), see below. With every bound infinite
    /// nothing changes: the iterates are those of the unconstrained method.
    ///
    /// - A starting point outside the box is projected into it (as scipy).
    /// - Each iteration: the generalized Cauchy point on the projected
    ///   steepest-descent path, a quasi-Newton step over the variables free
    ///   there (compact representation, `m` pairs), and a Moré–Thuente search
    ///   that stays in the box. That search is the bounded method's own, with
    ///   scipy's L-BFGS-B constants (`c1 = 1e-3`, `c2 = 0.9`, `xtol = 0.1`):
    ///   [`Lbfgs::with_line_search`] applies to the unconstrained method only.
    /// - A pair is stored when `sᵀy > ε (−gᵀs)` (ε from
    ///   [`Lbfgs::with_curvature_eps`]), L-BFGS-B's test.
    /// - The gradient test of [`StopCriteria`] is applied to the projected
    ///   gradient `‖P(x − g) − x‖∞` (scipy's `pgtol`), which is also the
    ///   report's `grad_inf_norm`; the other rules are unchanged.
    ///
    /// Errors ([`GdError::BadBounds`] naming the variable): a NaN bound,
    /// `lower > upper`, a lower bound of +∞ or an upper bound of −∞;
    /// [`GdError::DimensionMismatch`] when the two lengths differ here, or
    /// differ from `x0`'s in [`Lbfgs::minimize`].
    ///
    /// ```
    /// use gd_runtime::quasi_newton::{Lbfgs, SolverStop};
    /// // Rosenbrock from (−1.2, 1) with x₀ ≤ 0.5: the minimiser is on that bound.
    /// let mut f = |x: &[f64], g: &mut [f64]| {
    ///     let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
    ///     g[0] = -2.0 * a - 400.0 * x[0] * b;
    ///     g[1] = 200.0 * b;
    ///     a * a + 100.0 * b * b
    /// };
    /// let inf = f64::INFINITY;
    /// let r = Lbfgs::new().with_bounds(&[-inf, -inf], &[0.5, inf])?.minimize(&mut f, &[-1.2, 1.0])?;
    /// assert!(r.converged());
    /// assert_eq!(r.x[0], 0.5);
    /// assert!((r.x[1] - 0.25).abs() < 1e-4 && (r.value - 0.25).abs() < 1e-8);
    /// # Ok::<(), gd_runtime::GdError>(())
    /// ```
    pub fn with_bounds(mut self, lower: &[f64], upper: &[f64]) -> Result<Self, GdError> {
        self.bounds = Some(Bounds::new(lower, upper)?);
        Ok(self)
    }

    /// The stopping rules in use.
    pub fn stop_criteria(&self) -> &StopCriteria {
        &self.stop
    }

    /// Minimise `obj` from `x0`.
    ///
    /// Errors: [`GdError::NonFiniteStart`] when f or ∇f is NaN/Inf at `x0`
    /// (projected into the box, if bounds are set);
    /// [`GdError::DimensionMismatch`] when `x0` is empty, or `obj.dim()` or
    /// the bounds say another length. A line search that cannot find a step is not an error
    /// but a [`SolverStop::LineSearchFailed`] report at the last good point.
    pub fn minimize<O: Objective + ?Sized>(&self, obj: &mut O, x0: &[f64]) -> Result<SolverReport, GdError> {
        let n = x0.len();
        check_dim(obj.dim(), n)?;
        let crit = &self.stop;
        if let Some(bounds) = &self.bounds {
            check::same_len("bounds vs starting point", bounds.len(), n)?;
            if !bounds.all_infinite() {
                return lbfgsb::minimize(obj, x0, bounds, self.memory, self.curvature_eps, crit);
            }
        }
        let mut x = x0.to_vec();
        let mut g = vec![0.0; n];
        let mut f = obj.value_and_grad(&x, &mut g);
        let mut evaluations = 1;
        check_start(f, &g)?;
        let mut x_new = vec![0.0; n];
        let mut g_new = vec![0.0; n];
        let mut d = vec![0.0; n];
        let mut mem = Memory::new(n, self.memory);
        let mut iterations = 0;
        let report = |x: Vec<f64>, f: f64, g: &[f64], stop, iterations, evaluations| SolverReport {
            grad_inf_norm: inf_norm(g),
            x,
            value: f,
            stop,
            iterations,
            evaluations,
            hessian_evaluations: 0,
        };
        if crit.gradient_met(&x, inf_norm(&g)) {
            return Ok(report(x, f, &g, SolverStop::GradientTolerance, 0, evaluations));
        }
        loop {
            if iterations >= crit.max_iterations {
                return Ok(report(x, f, &g, SolverStop::MaxIterations, iterations, evaluations));
            }
            if evaluations >= crit.max_evaluations {
                return Ok(report(x, f, &g, SolverStop::MaxEvaluations, iterations, evaluations));
            }
            mem.direction(&g, &mut d);
            let dg = dot(&g, &d);
            if (dg.is_nan() || dg >= 0.0) && mem.len() > 0 {
                mem.clear();
                mem.direction(&g, &mut d);
            }
            // Two tries at most: the quasi-Newton direction, then −g.
            let outcome = loop {
                let step0 = if mem.len() == 0 { 1.0 / crate::norm2(&d) } else { 1.0 };
                let step0 = if step0.is_finite() && step0 > 0.0 { step0 } else { 1.0 };
                match self.line_search.search(obj, &x, f, &g, &d, step0, &mut x_new, &mut g_new) {
                    Ok(out) => {
                        evaluations += out.evaluations;
                        break out;
                    }
                    Err(GdError::LineSearch { cause, evaluations: e, .. }) => {
                        evaluations += e;
                        if mem.len() > 0 && evaluations < crit.max_evaluations {
                            mem.clear();
                            mem.direction(&g, &mut d);
                            continue;
                        }
                        let stop = SolverStop::LineSearchFailed(cause);
                        return Ok(report(x, f, &g, stop, iterations, evaluations));
                    }
                    Err(e) => return Err(e),
                }
            };
            iterations += 1;
            let f_old = f;
            f = outcome.value;
            mem.push(&x, &x_new, &g, &g_new, self.curvature_eps);
            std::mem::swap(&mut x, &mut x_new);
            std::mem::swap(&mut g, &mut g_new);
            if crit.gradient_met(&x, inf_norm(&g)) {
                return Ok(report(x, f, &g, SolverStop::GradientTolerance, iterations, evaluations));
            }
            if crit.decrease_met(f_old, f) {
                return Ok(report(x, f, &g, SolverStop::FunctionTolerance, iterations, evaluations));
            }
        }
    }
}

/// `x0` must be non-empty and agree with the objective's own dimension.
pub(crate) fn check_dim(dim: Option<usize>, n: usize) -> Result<(), GdError> {
    if n == 0 {
        return Err(GdError::DimensionMismatch { what: "starting point (empty)", expected: 1, got: 0 });
    }
    if let Some(m) = dim {
        check::same_len("starting point vs objective dimension", m, n)?;
    }
    Ok(())
}
