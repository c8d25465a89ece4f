//! The iteration shared by [`super::Newton`] and [`super::NewtonCg`]: a
//! direction from curvature, a line search trying the full step first, a
//! steepest-descent retry when that fails, and the common stopping rules.

use crate::error::GdError;
use crate::linesearch::{dot, LineSearch};
use crate::objective::Objective;
use crate::quasi_newton::{check_dim, check_start, inf_norm, SolverReport, SolverStop, StopCriteria};

/// Run the method. `direction(x, g, d, exact)` writes a search direction
/// into `d` and returns how many Hessian (or Hessian–vector) evaluations it
/// used; a direction that is not a descent direction is replaced by `−g`.
/// When the line search fails along the direction and `refinable` is set,
/// the direction is computed again with `exact = true` (an inexact method
/// solves its Newton system to full accuracy) before falling back to `−g`.
pub(crate) fn run<L, O, D>(
    ls: &L,
    crit: &StopCriteria,
    obj: &mut O,
    x0: &[f64],
    refinable: bool,
    mut direction: D,
) -> Result<SolverReport, GdError>
where
    L: LineSearch,
    O: Objective + ?Sized,
    D: FnMut(&[f64], &[f64], &mut [f64], bool) -> usize,
{
    let n = x0.len();
    check_dim(obj.dim(), n)?;
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut f = obj.value_and_grad(&x, &mut g);
    let mut evaluations = 1;
    let mut hessian_evaluations = 0;
    check_start(f, &g)?;
    let (mut x_new, mut g_new, mut d) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    let mut iterations = 0;
    let done = |x: Vec<f64>, f: f64, g: &[f64], stop, it, ev, he| SolverReport {
        grad_inf_norm: inf_norm(g),
        x,
        value: f,
        stop,
        iterations: it,
        evaluations: ev,
        hessian_evaluations: he,
    };
    if crit.gradient_met(&x, inf_norm(&g)) {
        return Ok(done(x, f, &g, SolverStop::GradientTolerance, 0, evaluations, 0));
    }
    loop {
        if iterations >= crit.max_iterations {
            return Ok(done(x, f, &g, SolverStop::MaxIterations, iterations, evaluations, hessian_evaluations));
        }
        if evaluations >= crit.max_evaluations {
            return Ok(done(x, f, &g, SolverStop::MaxEvaluations, iterations, evaluations, hessian_evaluations));
        }
        hessian_evaluations += direction(&x, &g, &mut d, false);
        let descent = |g: &[f64], d: &[f64]| dot(g, d) < 0.0 && d.iter().all(|v| v.is_finite());
        let mut steepest = !descent(&g, &d);
        if steepest {
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
        }
        let mut refined = !refinable;
        let value = loop {
            // Full (Newton) step first; steepest descent starts at 1/‖g‖.
            let step0 = if steepest { 1.0 / crate::norm2(&d) } else { 1.0 };
            let step0 = if step0.is_finite() && step0 > 0.0 { step0 } else { 1.0 };
            match ls.search(obj, &x, f, &g, &d, step0, &mut x_new, &mut g_new) {
                Ok(out) => {
                    evaluations += out.evaluations;
                    break out.value;
                }
                Err(GdError::LineSearch { cause, evaluations: e, .. }) => {
                    evaluations += e;
                    if !steepest && !refined && evaluations < crit.max_evaluations {
                        refined = true;
                        hessian_evaluations += direction(&x, &g, &mut d, true);
                        if descent(&g, &d) {
                            continue;
                        }
                    }
                    if !steepest && evaluations < crit.max_evaluations {
                        steepest = true;
                        d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
                        continue;
                    }
                    let stop = SolverStop::LineSearchFailed(cause);
                    return Ok(done(x, f, &g, stop, iterations, evaluations, hessian_evaluations));
                }
                Err(e) => return Err(e),
            }
        };
        iterations += 1;
        let f_old = f;
        f = value;
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        if crit.gradient_met(&x, inf_norm(&g)) {
            return Ok(done(x, f, &g, SolverStop::GradientTolerance, iterations, evaluations, hessian_evaluations));
        }
        if crit.decrease_met(f_old, f) {
            return Ok(done(x, f, &g, SolverStop::FunctionTolerance, iterations, evaluations, hessian_evaluations));
        }
    }
}
