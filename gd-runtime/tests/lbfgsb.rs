//! L-BFGS-B (`Lbfgs::with_bounds`): bad bounds, projection of the start,
//! fixed variables, the projected-gradient stop, optimality on convex
//! quadratics, and the unconstrained path when every bound is infinite.
//! The comparison with scipy is tests/lbfgsb_scipy.rs in the workspace root.

use gd_runtime::linesearch::Backtracking;
use gd_runtime::quasi_newton::{Lbfgs, SolverStop, StopCriteria};
use gd_runtime::{DivergenceCause, GdError};

const INF: f64 = f64::INFINITY;

fn rosen(x: &[f64], g: &mut [f64]) -> f64 {
    let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
    g[0] = -2.0 * a - 400.0 * x[0] * b;
    g[1] = 200.0 * b;
    a * a + 100.0 * b * b
}

#[test]
fn bad_bounds_are_typed_errors_naming_the_variable() {
    let bad = |l: &[f64], u: &[f64]| Lbfgs::new().with_bounds(l, u).unwrap_err();
    let e = bad(&[0.0, 2.0], &[1.0, 1.0]);
    assert_eq!(e, GdError::BadBounds { index: 1, lower: 2.0, upper: 1.0, why: "lower > upper" });
    assert_eq!(e.to_string(), "bad bounds for variable 1: lower 2, upper 1 (lower > upper)");
    assert!(matches!(bad(&[f64::NAN, 0.0], &[1.0, 1.0]), GdError::BadBounds { index: 0, why: "a bound is NaN", .. }));
    assert!(matches!(bad(&[0.0, 0.0], &[1.0, f64::NAN]), GdError::BadBounds { index: 1, why: "a bound is NaN", .. }));
    assert!(matches!(bad(&[0.0, INF], &[1.0, INF]), GdError::BadBounds { index: 1, why: "the lower bound is +inf", .. }));
    assert!(matches!(bad(&[-INF], &[-INF]), GdError::BadBounds { index: 0, why: "the upper bound is -inf", .. }));
    assert!(matches!(bad(&[0.0, 0.0], &[1.0; 3]), GdError::DimensionMismatch { expected: 2, got: 3, .. }));
    // Lengths agree with each other but not with x0: at minimize.
    let solver = Lbfgs::new().with_bounds(&[0.0; 3], &[1.0; 3]).unwrap();
    let e = solver.minimize(&mut rosen, &[0.5, 0.5]).unwrap_err();
    assert_eq!(e, GdError::DimensionMismatch { what: "bounds vs starting point", expected: 3, got: 2 });
    // All-infinite bounds of the wrong length are still an error.
    let solver = Lbfgs::new().with_bounds(&[-INF; 3], &[INF; 3]).unwrap();
    assert!(matches!(solver.minimize(&mut rosen, &[0.5, 0.5]), Err(GdError::DimensionMismatch { .. })));
}

#[test]
fn a_start_outside_the_box_is_projected_and_no_point_leaves_it() {
    let (lower, upper) = ([1.5, -1.0], [3.0, 1.0]);
    let mut seen: Vec<Vec<f64>> = Vec::new();
    let mut f = |x: &[f64], g: &mut [f64]| {
        seen.push(x.to_vec());
        rosen(x, g)
    };
    let r = Lbfgs::new().with_bounds(&lower, &upper).unwrap().minimize(&mut f, &[-1.2, 5.0]).unwrap();
    assert_eq!(seen[0], vec![1.5, 1.0], "the first evaluation is at the projection of x0");
    for x in &seen {
        assert!((0..2).all(|i| lower[i] <= x[i] && x[i] <= upper[i]), "{x:?} outside the box");
    }
    // Minimiser: x0 = 1.5 (bound), x1 = 1 (bound: x0² = 2.25 is out of reach).
    assert_eq!(r.x, vec![1.5, 1.0]);
    assert_eq!(r.stop, SolverStop::GradientTolerance);
}

#[test]
fn the_gradient_test_is_on_the_projected_gradient() {
    let mut f = rosen;
    let r = Lbfgs::new().with_bounds(&[-INF, -INF], &[0.5, INF]).unwrap().minimize(&mut f, &[-1.2, 1.0]).unwrap();
    let mut g = [0.0; 2];
    rosen(&r.x, &mut g);
    assert_eq!(r.stop, SolverStop::GradientTolerance);
    assert!(r.grad_inf_norm <= 1e-5, "{}", r.grad_inf_norm);
    assert!(g[0] < -0.9, "the bound holds against a gradient of {}", g[0]);
    assert_eq!(r.x[0], 0.5);
}

/// f = ½ xᵀAx − bᵀx with A = I + a tridiagonal coupling (SPD), n = 12.
fn quadratic(x: &[f64], g: &mut [f64]) -> f64 {
    let n = x.len();
    let mut f = 0.0;
    for i in 0..n {
        let left = if i > 0 { x[i - 1] } else { 0.0 };
        let right = if i + 1 < n { x[i + 1] } else { 0.0 };
        let ax = 2.5 * x[i] - 0.9 * (left + right);
        let b = (i as f64 * 1.3).sin() * 3.0;
        g[i] = ax - b;
        f += 0.5 * x[i] * ax - b * x[i];
    }
    f
}

#[test]
fn convex_quadratic_meets_the_optimality_conditions_of_the_box() {
    let n = 12;
    // Free, one-sided, two-sided and fixed variables.
    let lower: Vec<f64> = (0..n).map(|i| [-INF, -0.5, 0.2, -1.0, 0.3][i % 5]).collect();
    let upper: Vec<f64> = (0..n).map(|i| [INF, INF, 0.6, 0.4, 0.3][i % 5]).collect();
    let stop = StopCriteria::new().with_gtol(1e-9).unwrap().with_ftol(0.0).unwrap();
    let solver = Lbfgs::new().with_bounds(&lower, &upper).unwrap().with_stop(stop);
    let r = solver.minimize(&mut quadratic, &vec![0.0; n]).unwrap();
    assert_eq!(r.stop, SolverStop::GradientTolerance);
    let mut g = vec![0.0; n];
    quadratic(&r.x, &mut g);
    let mut at_bounds = 0;
    for i in 0..n {
        // KKT: zero gradient inside, pointing out of the box at an active bound.
        if r.x[i] == lower[i] && r.x[i] == upper[i] {
            at_bounds += 1;
        } else if r.x[i] == lower[i] {
            assert!(g[i] >= -1e-9, "x[{i}] at its lower bound with g = {}", g[i]);
            at_bounds += 1;
        } else if r.x[i] == upper[i] {
            assert!(g[i] <= 1e-9, "x[{i}] at its upper bound with g = {}", g[i]);
            at_bounds += 1;
        } else {
            assert!(lower[i] < r.x[i] && r.x[i] < upper[i] && g[i].abs() <= 1e-9, "x[{i}] = {}, g = {}", r.x[i], g[i]);
        }
    }
    assert!(at_bounds >= 4 && at_bounds < n, "{at_bounds} active: the test should have both kinds");
    assert_eq!(r.x[4], 0.3, "fixed");
}

/// The same report with and without all-infinite bounds, also with another
/// line search (the bounds survive `with_line_search`).
fn same_as_unconstrained(mut f: fn(&[f64], &mut [f64]) -> f64, x0: &[f64]) {
    let (lower, upper) = (vec![-INF; x0.len()], vec![INF; x0.len()]);
    let plain = Lbfgs::new().minimize(&mut f, x0).unwrap();
    let bounded = Lbfgs::new().with_bounds(&lower, &upper).unwrap().minimize(&mut f, x0).unwrap();
    assert_eq!(plain, bounded);
    let backtracking = Lbfgs::new().with_line_search(Backtracking::default());
    let plain = backtracking.minimize(&mut f, x0).unwrap();
    let bounded = Lbfgs::new()
        .with_bounds(&lower, &upper)
        .unwrap()
        .with_line_search(Backtracking::default())
        .minimize(&mut f, x0)
        .unwrap();
    assert_eq!(plain, bounded);
}

#[test]
fn infinite_bounds_give_the_unconstrained_iterates() {
    same_as_unconstrained(rosen, &[-1.2, 1.0]);
    same_as_unconstrained(quadratic, &[0.0; 12]);
    // A finite bound, however far, switches to the bounded method, whose
    // first step differs (the Cauchy point of a box, not a unit step).
    let plain = Lbfgs::new().minimize(&mut rosen, &[-1.2, 1.0]).unwrap();
    let bounded = Lbfgs::new().with_bounds(&[-1e3; 2], &[1e3; 2]).unwrap().minimize(&mut rosen, &[-1.2, 1.0]).unwrap();
    assert_ne!(plain.evaluations, bounded.evaluations);
    assert!(bounded.converged() && (bounded.x[0] - 1.0).abs() < 1e-3);
}

#[test]
fn a_non_finite_objective_at_the_projected_start_is_an_error() {
    let mut f = |x: &[f64], g: &mut [f64]| {
        g[0] = 1.0;
        if x[0] > 1.0 { f64::NAN } else { x[0] }
    };
    let solver = Lbfgs::new().with_bounds(&[2.0], &[3.0]).unwrap();
    let e = solver.minimize(&mut f, &[0.0]).unwrap_err();
    assert!(matches!(e, GdError::NonFiniteStart { cause: DivergenceCause::NonFiniteLoss(v) } if v.is_nan()), "{e:?}");
}

#[test]
fn extended_rosenbrock_with_half_the_variables_bounded_at_n_2000() {
    // Pairs (a, b) with a ≤ 0.5: each pair's minimiser is (0.5, 0.25), f = 0.25.
    let n = 2000;
    let mut f = |x: &[f64], g: &mut [f64]| {
        let mut f = 0.0;
        for i in (0..n).step_by(2) {
            let mut gi = [0.0; 2];
            f += rosen(&x[i..i + 2], &mut gi);
            g[i..i + 2].copy_from_slice(&gi);
        }
        f
    };
    let lower = vec![-INF; n];
    let upper: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { 0.5 } else { INF }).collect();
    let x0: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
    let r = Lbfgs::new().with_bounds(&lower, &upper).unwrap().minimize(&mut f, &x0).unwrap();
    assert!(r.converged(), "{:?}", r.stop);
    assert!((r.value - 0.25 * (n / 2) as f64).abs() < 1e-6, "{}", r.value);
    assert!((0..n).step_by(2).all(|i| r.x[i] == 0.5 && (r.x[i + 1] - 0.25).abs() < 1e-4));
    // scipy 1.17.1's L-BFGS-B, same start, bounds and defaults (m = 10):
    // 22 iterations, 33 evaluations (ext_rosen_fg of benches/scipy_lbfgs.py).
    assert!(r.evaluations <= 33, "{} iterations, {} evaluations", r.iterations, r.evaluations);
}

#[test]
fn iteration_and_evaluation_limits_and_a_wrong_gradient_end_in_reports() {
    let bounded = || Lbfgs::new().with_bounds(&[-INF, -INF], &[0.5, INF]).unwrap();
    let stop = StopCriteria::new().with_max_iterations(3).unwrap();
    let r = bounded().with_stop(stop).minimize(&mut rosen, &[-1.2, 1.0]).unwrap();
    assert_eq!((r.stop, r.iterations), (SolverStop::MaxIterations, 3));
    let stop = StopCriteria::new().with_max_evaluations(5).unwrap();
    let r = bounded().with_stop(stop).minimize(&mut rosen, &[-1.2, 1.0]).unwrap();
    assert_eq!(r.stop, SolverStop::MaxEvaluations);
    assert!(r.evaluations >= 5 && r.evaluations < 5 + 20, "{}", r.evaluations);
    // The gradient's sign flipped: the first search finds no decrease and,
    // with no memory to reset yet, the solver stops where it started.
    let mut wrong = |x: &[f64], g: &mut [f64]| {
        let f = rosen(x, g);
        g.iter_mut().for_each(|v| *v = -*v);
        f
    };
    let r = bounded().minimize(&mut wrong, &[-1.2, 1.0]).unwrap();
    assert!(matches!(r.stop, SolverStop::LineSearchFailed(_)), "{:?}", r.stop);
    assert_eq!((r.iterations, r.x), (0, vec![-1.2, 1.0]));
}

#[test]
fn a_failed_search_with_memory_clears_it_and_retries_along_steepest_descent() {
    // L-BFGS-B's recovery: when the line search along the quasi-Newton
    // direction fails, the memory is dropped and the same iterate is tried
    // again towards the Cauchy point of the memoryless model, a point of
    // the projected steepest-descent path P(x − t g), t > 0 (here it bends
    // at the box's corner).
    let (lower, upper) = ([-2.0, -2.0], [2.0, 2.0]);
    let solver = || Lbfgs::new().with_bounds(&lower, &upper).unwrap();
    // The unpoisoned run after two iterations: its evaluations are the
    // poisoned run's first ones (the solver is deterministic), and its
    // iterate x2 starts the third search with two pairs in memory.
    let two = StopCriteria::new().with_max_iterations(2).unwrap();
    let r2 = solver().with_stop(two).minimize(&mut rosen, &[-1.2, 1.0]).unwrap();
    let (x2, mut g2) = (r2.x.clone(), [0.0; 2]);
    rosen(&x2, &mut g2);
    let path = |t: f64| [0, 1].map(|i| (x2[i] - t * g2[i]).clamp(lower[i], upper[i]));
    let on_path = |x: &[f64]| {
        // t from a coordinate off the box's faces, or past every breakpoint.
        let inside = (0..2).find(|&i| lower[i] < x[i] && x[i] < upper[i]);
        let t = inside.map_or(1e9, |i| (x2[i] - x[i]) / g2[i]);
        // Off the path by a fixed angle, however short the step: compare
        // the miss with the step's length.
        let step = (0..2).map(|i| (x[i] - x2[i]).abs()).fold(0.0, f64::max);
        t > 0.0 && step > 0.0 && (0..2).all(|i| (path(t)[i] - x[i]).abs() <= 1e-9 * step)
    };
    let (mut seen, mut poisoned, mut retried) = (0, 0, false);
    let mut f = |x: &[f64], g: &mut [f64]| {
        seen += 1;
        let v = rosen(x, g);
        if seen > r2.evaluations && !retried {
            if on_path(x) {
                retried = true;
            } else {
                // The quasi-Newton direction's trials: no usable value.
                poisoned += 1;
                return f64::INFINITY;
            }
        }
        v
    };
    let r = solver().minimize(&mut f, &[-1.2, 1.0]).unwrap();
    assert!(r2.iterations == 2 && poisoned > 0, "the third search began off the steepest-descent path ({poisoned} trials)");
    assert!(retried, "no trial on the projected steepest-descent path from the failed search's start");
    // And the run goes on from there to the minimum.
    assert!(r.converged(), "{:?}", r.stop);
    assert!((r.x[0] - 1.0).abs() < 1e-4 && (r.x[1] - 1.0).abs() < 1e-4, "{:?}", r.x);
}
