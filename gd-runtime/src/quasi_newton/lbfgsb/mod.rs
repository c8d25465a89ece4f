//! L-BFGS-B (R. H. Byrd, P. Lu, J. Nocedal, C. Zhu, "A limited memory
//! algorithm for bound constrained optimization", SIAM J. Sci. Comput. 16(5),
//! 1995; with the subspace correction of J. L. Morales and J. Nocedal,
//! "Remark on Algorithm 778", ACM TOMS 38(1), 2011), written from the papers.
//!
//! Each iteration: the generalized Cauchy point along the projected
//! steepest-descent path ([`cauchy`]), a quasi-Newton step over the
//! variables free there ([`subspace`]), then a Moré–Thuente line search from
//! the iterate towards that point, capped at the edge of the box. Choices
//! that decide iteration and evaluation counts follow scipy's L-BFGS-B: the
//! line search's constants (`c1 = 1e-3`, `c2 = 0.9`, `xtol = 0.1`, 20
//! evaluations), the first trial step, the curvature test for storing a pair,
//! and the memory reset after a failed search or a singular system.

mod bounds;
mod cauchy;
mod compact;
mod subspace;

pub(crate) use bounds::Bounds;

use super::report::{check_start, SolverReport, SolverStop, StopCriteria};
use crate::error::GdError;
use crate::linesearch::{dot, LineSearch, LineSearchFailure, MoreThuente};
use crate::objective::Objective;
use cauchy::{cauchy_point, Status};
use compact::Compact;
use subspace::subspace_step;

/// Largest step tried along a direction that no bound limits (as L-BFGS-B).
const STEP_CAP: f64 = 1e10;

/// Minimise `obj` from `x0` (projected into the box) within `bounds`;
/// `bounds.len() == x0.len()` is checked by the caller. `memory`: the number
/// of pairs m; `curvature_eps`: a pair is stored only when `sᵀy > ε (−gᵀs)`.
pub(crate) fn minimize<O: Objective + ?Sized>(
    obj: &mut O,
    x0: &[f64],
    bounds: &Bounds,
    memory: usize,
    curvature_eps: f64,
    crit: &StopCriteria,
) -> Result<SolverReport, GdError> {
    let n = x0.len();
    let mut x = x0.to_vec();
    bounds.project(&mut x);
    let mut g = vec![0.0; n];
    let mut f = obj.value_and_grad(&x, &mut g);
    let mut evaluations = 1;
    check_start(f, &g)?;
    let search = MoreThuente::new().with_wolfe(1e-3, 0.9)?.with_xtol(0.1)?;
    let boxed = bounds.boxed();
    let mut mem = Compact::new(memory);
    let mut status = vec![Status::Free; n];
    let mut c = Vec::new();
    let (mut z, mut d) = (vec![0.0; n], vec![0.0; n]);
    let (mut x_new, mut g_new, mut x_eval) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut iterations = 0;
    let report = |x: Vec<f64>, f: f64, pg: f64, stop, iterations, evaluations| SolverReport {
        x,
        value: f,
        grad_inf_norm: pg,
        stop,
        iterations,
        evaluations,
        hessian_evaluations: 0,
    };
    let mut pg = bounds.projected_grad_norm(&x, &g);
    if crit.gradient_met(&x, pg) {
        return Ok(report(x, f, pg, SolverStop::GradientTolerance, 0, evaluations));
    }
    loop {
        if iterations >= crit.max_iterations {
            return Ok(report(x, f, pg, SolverStop::MaxIterations, iterations, evaluations));
        }
        if evaluations >= crit.max_evaluations {
            return Ok(report(x, f, pg, SolverStop::MaxEvaluations, iterations, evaluations));
        }
        c.resize(2 * mem.len(), 0.0);
        cauchy_point(&x, &g, bounds, &mem, &mut status, &mut z, &mut c);
        if subspace_step(&x, &g, bounds, &status, &mem, &c, &mut z).is_err() {
            mem.clear();
            continue;
        }
        for i in 0..n {
            d[i] = z[i] - x[i];
        }
        // The first step goes at most to the Cauchy point; later ones as far
        // as the box allows (z itself is inside, so the cap is ≥ 1 but for
        // rounding).
        let cap = if iterations == 0 { 1.0 } else { bounds.max_step(&x, &d, STEP_CAP) };
        let step0 = if iterations == 0 && !boxed { (1.0 / crate::norm2(&d)).min(cap) } else { 1.0 };
        let outcome = if dot(&g, &d) < 0.0 && cap > 0.0 && step0 > 0.0 && step0.is_finite() {
            // Evaluate at the projection of each trial: x + αd may leave
            // the box by a rounding error at α = cap.
            let mut eval = |xt: &[f64], gt: &mut [f64]| {
                x_eval.copy_from_slice(xt);
                bounds.project(&mut x_eval);
                obj.value_and_grad(&x_eval, gt)
            };
            search.capped(cap).search(&mut eval, &x, f, &g, &d, step0, &mut x_new, &mut g_new)
        } else {
            Err(GdError::LineSearch { cause: LineSearchFailure::NotDescent, evaluations: 0, step: 0.0 })
        };
        let out = match outcome {
            Ok(out) => out,
            Err(GdError::LineSearch { cause, evaluations: e, .. }) => {
                evaluations += e;
                // As L-BFGS-B: forget the memory and retry from the same point
                // along the projected steepest descent; fail only without one.
                if mem.len() > 0 && evaluations < crit.max_evaluations {
                    mem.clear();
                    continue;
                }
                return Ok(report(x, f, pg, SolverStop::LineSearchFailed(cause), iterations, evaluations));
            }
            Err(e) => return Err(e),
        };
        evaluations += out.evaluations;
        iterations += 1;
        bounds.project(&mut x_new);
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        // L-BFGS-B's test: skip the pair unless sᵀy > ε · (−gᵀs), so that
        // B stays positive definite (−gᵀs > 0 after a descent step; sᵀy > 0
        // is required as well in case a projection made it otherwise).
        let sy = dot(&s, &y);
        if sy > 0.0 && sy > curvature_eps * -dot(&g, &s) && !mem.push(s, y) {
            mem.clear();
        }
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        let f_old = std::mem::replace(&mut f, out.value);
        pg = bounds.projected_grad_norm(&x, &g);
        if crit.gradient_met(&x, pg) {
            return Ok(report(x, f, pg, SolverStop::GradientTolerance, iterations, evaluations));
        }
        if crit.decrease_met(f_old, f) {
            return Ok(report(x, f, pg, SolverStop::FunctionTolerance, iterations, evaluations));
        }
    }
}
