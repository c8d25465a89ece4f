//! L-BFGS: convergence, counts, stopping rules, memory behaviour, bad input.

use gd_runtime::linesearch::Backtracking;
use gd_runtime::quasi_newton::{Lbfgs, SolverStop, StopCriteria};
use gd_runtime::{DivergenceCause, GdError};

/// Extended Rosenbrock (MGH #21), hand-written gradient.
fn ext_rosen(x: &[f64], g: &mut [f64]) -> f64 {
    let mut f = 0.0;
    for i in (0..x.len()).step_by(2) {
        let t1 = 10.0 * (x[i + 1] - x[i] * x[i]);
        let t2 = 1.0 - x[i];
        f += t1 * t1 + t2 * t2;
        g[i] = -40.0 * x[i] * t1 - 2.0 * t2;
        g[i + 1] = 20.0 * t1;
    }
    f
}

fn rosen_start(n: usize) -> Vec<f64> {
    (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect()
}

#[test]
fn ext_rosenbrock_counts() {
    for n in [2usize, 100, 1000, 10000] {
        let mut calls = 0;
        let mut f = |x: &[f64], g: &mut [f64]| {
            calls += 1;
            ext_rosen(x, g)
        };
        let stop = StopCriteria::new().with_ftol(0.0).unwrap();
        let r = Lbfgs::new().with_stop(stop).minimize(&mut f, &rosen_start(n)).unwrap();
        eprintln!("n={n}: {:?} it={} ev={} f={:e} g={:e}", r.stop, r.iterations, r.evaluations, r.value, r.grad_inf_norm);
        assert_eq!(r.evaluations, calls, "the report counts every call");
        assert_eq!(r.stop, SolverStop::GradientTolerance);
        assert!(r.grad_inf_norm <= 1e-5);
        assert!(r.x.iter().all(|&v| (v - 1.0).abs() < 1e-4), "x* = (1, …, 1)");
    }
}

#[test]
fn default_stopping_is_no_worse_than_scipy_counts() {
    // scipy L-BFGS-B reference counts (iterations / evaluations) measured on
    // extended Rosenbrock: n = 2: 36 / 44, n = 100: 36 / 48, n = 1000: 35 / 44.
    for (n, scipy_evals) in [(2usize, 44usize), (100, 48), (1000, 44)] {
        let r = Lbfgs::new().minimize(&mut ext_rosen, &rosen_start(n)).unwrap();
        assert!(r.converged(), "n={n}: {:?}", r.stop);
        assert!(r.evaluations <= scipy_evals, "n={n}: {} > {scipy_evals}", r.evaluations);
        assert!(r.value < 1e-8, "n={n}: f = {}", r.value);
    }
}

#[test]
fn quadratic_reaches_the_solution_of_the_linear_system() {
    // f = ½ xᵀA x − bᵀx with A = tridiag(−1, 4, −1) + diag(i/10), n = 50;
    // x* = A⁻¹ b by nalgebra's LU.
    let n = 50;
    let a = nalgebra::DMatrix::from_fn(n, n, |i, j| {
        if i == j {
            4.0 + i as f64 / 10.0
        } else if i.abs_diff(j) == 1 {
            -1.0
        } else {
            0.0
        }
    });
    let b = nalgebra::DVector::from_fn(n, |i, _| ((i * 7) % 5) as f64 - 2.0);
    let xstar = a.clone().lu().solve(&b).unwrap();
    let mut f = |x: &[f64], g: &mut [f64]| {
        let xv = nalgebra::DVector::from_column_slice(x);
        let ax = &a * &xv;
        g.copy_from_slice((&ax - &b).as_slice());
        0.5 * xv.dot(&ax) - b.dot(&xv)
    };
    let stop = StopCriteria::new().with_gtol(1e-7).unwrap().with_ftol(0.0).unwrap();
    let r = Lbfgs::new().with_stop(stop).minimize(&mut f, &vec![0.0; n]).unwrap();
    assert_eq!(r.stop, SolverStop::GradientTolerance);
    let err = r.x.iter().zip(xstar.iter()).map(|(p, q)| (p - q).abs()).fold(0.0, f64::max);
    // |x − x*| ≤ ‖A⁻¹‖‖g‖ ≤ ‖g‖₂ / λmin(A), λmin ≥ 2.
    assert!(err < 1e-7 * (n as f64).sqrt() / 2.0, "max |x − x*| = {err}");
    assert!(r.iterations < n, "L-BFGS on a well-conditioned quadratic: {} iterations", r.iterations);
}

#[test]
fn small_memory_and_backtracking_still_converge() {
    let stop = StopCriteria::new().with_ftol(0.0).unwrap();
    for m in [1usize, 3, 30] {
        let r = Lbfgs::new().with_memory(m).unwrap().with_stop(stop).minimize(&mut ext_rosen, &rosen_start(10)).unwrap();
        assert_eq!(r.stop, SolverStop::GradientTolerance, "m={m}");
    }
    let r = Lbfgs::new().with_stop(stop).with_line_search(Backtracking::new()).minimize(&mut ext_rosen, &rosen_start(10)).unwrap();
    assert_eq!(r.stop, SolverStop::GradientTolerance);
    assert!(r.x.iter().all(|&v| (v - 1.0).abs() < 1e-4));
}

#[test]
fn iteration_and_evaluation_limits() {
    let stop = StopCriteria::new().with_max_iterations(5).unwrap();
    let r = Lbfgs::new().with_stop(stop).minimize(&mut ext_rosen, &rosen_start(2)).unwrap();
    assert_eq!((r.stop, r.iterations), (SolverStop::MaxIterations, 5));
    let stop = StopCriteria::new().with_max_evaluations(10).unwrap();
    let mut calls = 0;
    let mut f = |x: &[f64], g: &mut [f64]| {
        calls += 1;
        ext_rosen(x, g)
    };
    let r = Lbfgs::new().with_stop(stop).minimize(&mut f, &rosen_start(2)).unwrap();
    assert_eq!(r.stop, SolverStop::MaxEvaluations);
    assert!(r.evaluations >= 10 && r.evaluations <= 10 + 20, "{}", r.evaluations);
    assert_eq!(calls, r.evaluations);
}

#[test]
fn gradient_tolerance_at_the_start_takes_no_step() {
    let r = Lbfgs::new().minimize(&mut ext_rosen, &[1.0, 1.0]).unwrap();
    assert_eq!((r.stop, r.iterations, r.evaluations), (SolverStop::GradientTolerance, 0, 1));
    // Relative rule: ‖g‖∞ = 4.4 at (−1.2, 1)·1e3?  Use a scaled quadratic:
    // f = 1e-3 Σ x², g = 2e-3 x; at x = (1000, 0) ‖g‖∞ = 2 > gtol but
    // ≤ 0.01·‖x‖∞ = 10.
    let mut q = |x: &[f64], g: &mut [f64]| {
        g[0] = 2e-3 * x[0];
        g[1] = 2e-3 * x[1];
        1e-3 * (x[0] * x[0] + x[1] * x[1])
    };
    let stop = StopCriteria::new().with_gtol_rel(0.01).unwrap();
    let r = Lbfgs::new().with_stop(stop).minimize(&mut q, &[1000.0, 0.0]).unwrap();
    assert_eq!((r.stop, r.iterations), (SolverStop::GradientTolerance, 0));
}

#[test]
fn nan_regions_are_stepped_around() {
    // Rosenbrock, but NaN wherever |x_i| > 1.6: the first steps from
    // (−1.2, 1) overshoot into it; the run must still converge.
    let mut nans = 0;
    let mut f = |x: &[f64], g: &mut [f64]| {
        if x.iter().any(|v| v.abs() > 1.6) {
            nans += 1;
            g.iter_mut().for_each(|v| *v = f64::NAN);
            return f64::NAN;
        }
        ext_rosen(x, g)
    };
    let stop = StopCriteria::new().with_ftol(0.0).unwrap();
    let r = Lbfgs::new().with_stop(stop).minimize(&mut f, &[-1.2, 1.0]).unwrap();
    assert_eq!(r.stop, SolverStop::GradientTolerance);
    assert!(r.value.is_finite() && r.value < 1e-9);
    assert!(nans > 0, "the test must actually hit the NaN region");
}

#[test]
fn non_finite_start_is_an_error() {
    let mut f = |_: &[f64], g: &mut [f64]| {
        g[0] = 0.0;
        f64::NAN
    };
    assert!(matches!(
        Lbfgs::new().minimize(&mut f, &[0.0]),
        Err(GdError::NonFiniteStart { cause: DivergenceCause::NonFiniteLoss(v) }) if v.is_nan()
    ));
    let mut f = |_: &[f64], g: &mut [f64]| {
        g[0] = 1.0;
        g[1] = f64::INFINITY;
        0.0
    };
    assert_eq!(
        Lbfgs::new().minimize(&mut f, &[0.0, 0.0]).unwrap_err(),
        GdError::NonFiniteStart { cause: DivergenceCause::NonFiniteGradient { index: 1, value: f64::INFINITY } }
    );
}

#[test]
fn dimension_errors() {
    struct Sized3;
    impl gd_runtime::Objective for Sized3 {
        fn dim(&self) -> Option<usize> {
            Some(3)
        }
        fn value_and_grad(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
            g.copy_from_slice(x);
            0.5 * x.iter().map(|v| v * v).sum::<f64>()
        }
    }
    assert!(matches!(Lbfgs::new().minimize(&mut Sized3, &[1.0, 2.0]), Err(GdError::DimensionMismatch { expected: 3, got: 2, .. })));
    assert!(matches!(Lbfgs::new().minimize(&mut Sized3, &[]), Err(GdError::DimensionMismatch { .. })));
    assert!(Lbfgs::new().minimize(&mut Sized3, &[1.0, 2.0, 3.0]).unwrap().converged());
    assert!(Lbfgs::new().with_memory(0).is_err());
    assert!(StopCriteria::new().with_gtol(-1.0).is_err());
    assert!(StopCriteria::new().with_ftol(f64::NAN).is_err());
    assert!(StopCriteria::new().with_max_iterations(0).is_err());
}

#[test]
fn a_wrong_gradient_stops_with_line_search_failed() {
    // The gradient has the wrong sign: every "descent" direction goes uphill,
    // no step gives sufficient decrease. The run stops at x0, bounded.
    let mut calls = 0;
    let mut f = |x: &[f64], g: &mut [f64]| {
        calls += 1;
        g[0] = -2.0 * x[0];
        x[0] * x[0]
    };
    let r = Lbfgs::new().minimize(&mut f, &[1.0]).unwrap();
    assert!(matches!(r.stop, SolverStop::LineSearchFailed(_)), "{:?}", r.stop);
    assert_eq!((r.x[0], r.value, r.iterations), (1.0, 1.0, 0));
    assert!(!r.converged());
    assert!(calls <= 1 + 20 && calls == r.evaluations);
}

// --- f32 objectives ---

fn rosen32(x: &[f32], g: &mut [f32]) -> f32 {
    let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
    g[0] = -2.0 * a - 400.0 * x[0] * b;
    g[1] = 200.0 * b;
    a * a + 100.0 * b * b
}

#[test]
fn f32_objective_reaches_the_minimiser_and_reports_its_f32_point() {
    let stop = StopCriteria::new().with_ftol(1e-7).unwrap().with_gtol(1e-3).unwrap();
    let r = Lbfgs::new().with_stop(stop).minimize_f32(rosen32, &[-1.2, 1.0]).unwrap();
    assert!((r.x[0] - 1.0).abs() < 1e-3 && (r.x[1] - 1.0).abs() < 2e-3, "{r:?}");
    // x is an f32 point and value is the f32 objective there.
    let x32: Vec<f32> = r.x.iter().map(|&v| v as f32).collect();
    assert!(r.x.iter().zip(&x32).all(|(&a, &b)| a == b as f64));
    assert_eq!(r.value, rosen32(&x32, &mut [0.0; 2]) as f64);
    // Bounded: the minimiser on x₀ ≤ 0.5 is (0.5, 0.25), as in f64.
    let inf = f64::INFINITY;
    let r = Lbfgs::new().with_stop(stop).with_bounds(&[-inf, -inf], &[0.5, inf]).unwrap().minimize_f32(rosen32, &[-1.2, 1.0]).unwrap();
    assert_eq!(r.x[0], 0.5);
    assert!((r.x[1] - 0.25).abs() < 1e-3, "{r:?}");
}
