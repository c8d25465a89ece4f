//! Newton and Newton–CG: one step on quadratics, damping on indefinite
//! Hessians, negative curvature, Hessians from num-dual, bad input.

use gd_runtime::quasi_newton::{SolverStop, StopCriteria};
use gd_runtime::second_order::{Newton, NewtonCg};
use gd_runtime::{DivergenceCause, GdError};
use nalgebra::{DMatrix, DVector};
use nalgebra::SVector;
use num_dual::{hessian, Dual2SVec64, DualNum};

/// A fixed SPD matrix A = BᵀB + I (n = 6) and vector b.
fn spd(n: usize) -> (DMatrix<f64>, DVector<f64>) {
    let b = DMatrix::from_fn(n, n, |i, j| ((i * 3 + j * 5) % 7) as f64 - 3.0);
    let a = b.transpose() * &b + DMatrix::identity(n, n);
    let rhs = DVector::from_fn(n, |i, _| i as f64 - 2.5);
    (a, rhs)
}

#[test]
fn newton_takes_exactly_one_step_on_a_quadratic() {
    // f = ½ xᵀAx − bᵀx; the Newton step from anywhere is x* = A⁻¹b, α = 1 is
    // accepted at once (g = 0 there), so: 1 iteration, 2 evaluations, 1 Hessian.
    let (a, b) = spd(6);
    let xstar = a.clone().lu().solve(&b).unwrap();
    let mut calls = 0;
    let mut f = |x: &[f64], g: &mut [f64]| {
        calls += 1;
        let xv = DVector::from_column_slice(x);
        let ax = &a * &xv;
        g.copy_from_slice((&ax - &b).as_slice());
        0.5 * xv.dot(&ax) - b.dot(&xv)
    };
    let hess = |_: &[f64], h: &mut DMatrix<f64>| h.copy_from(&a);
    let x0 = [3.0, -1.0, 4.0, 1.0, -5.0, 9.0];
    let r = Newton::new().minimize(&mut f, hess, &x0).unwrap();
    assert_eq!((r.iterations, r.evaluations, r.hessian_evaluations), (1, 2, 1));
    assert_eq!(calls, 2);
    assert_eq!(r.stop, SolverStop::GradientTolerance);
    for (p, q) in r.x.iter().zip(xstar.iter()) {
        assert!((p - q).abs() < 1e-10 * q.abs().max(1.0), "{p} vs {q}");
    }
}

/// Rosenbrock, hand-derived value, gradient and Hessian.
fn rosen(x: &[f64], g: &mut [f64]) -> f64 {
    let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
    g[0] = -2.0 * a - 400.0 * x[0] * b;
    g[1] = 200.0 * b;
    a * a + 100.0 * b * b
}
fn rosen_hess(x: &[f64], h: &mut DMatrix<f64>) {
    h[(0, 0)] = 2.0 - 400.0 * (x[1] - x[0] * x[0]) + 800.0 * x[0] * x[0];
    h[(1, 0)] = -400.0 * x[0];
    h[(0, 1)] = -400.0 * x[0];
    h[(1, 1)] = 200.0;
}

#[test]
fn newton_on_rosenbrock_with_a_hand_written_hessian() {
    // From (−1.2, 1) (Hessian positive definite) and from (0, 1), where
    // H₀₀ = −398: the damped solve must still give descent.
    for x0 in [[-1.2, 1.0], [0.0, 1.0], [2.0, -2.0]] {
        let stop = StopCriteria::new().with_gtol(1e-9).unwrap().with_ftol(0.0).unwrap();
        let r = Newton::new().with_stop(stop).minimize(&mut rosen, rosen_hess, &x0).unwrap();
        assert_eq!(r.stop, SolverStop::GradientTolerance, "from {x0:?}");
        assert!((r.x[0] - 1.0).abs() < 1e-8 && (r.x[1] - 1.0).abs() < 1e-8, "from {x0:?}: {:?}", r.x);
        assert!(r.iterations < 40, "from {x0:?}: {} iterations", r.iterations);
    }
}

/// f = x⁴/4 − x²/2 + y²: a local maximum in x at 0, minima at x = ±1, f* = −¼.
fn double_well(x: &[f64], g: &mut [f64]) -> f64 {
    g[0] = x[0].powi(3) - x[0];
    g[1] = 2.0 * x[1];
    x[0].powi(4) / 4.0 - x[0] * x[0] / 2.0 + x[1] * x[1]
}

#[test]
fn indefinite_hessian_is_damped_not_followed_uphill() {
    // At x = 0.1 the pure Newton step heads for the maximum at x = 0; the
    // damped step (H + τI positive definite) is a descent direction.
    let hess = |x: &[f64], h: &mut DMatrix<f64>| {
        h[(0, 0)] = 3.0 * x[0] * x[0] - 1.0;
        h[(1, 1)] = 2.0;
    };
    let r = Newton::new().minimize(&mut double_well, hess, &[0.1, 1.0]).unwrap();
    assert!(r.converged());
    assert!((r.x[0].abs() - 1.0).abs() < 1e-5 && r.x[1].abs() < 1e-5, "{:?}", r.x);
    assert!((r.value + 0.25).abs() < 1e-9);
    // Newton–CG: negative curvature at the first CG step → steepest descent.
    let hvp = |x: &[f64], v: &[f64], out: &mut [f64]| {
        out[0] = (3.0 * x[0] * x[0] - 1.0) * v[0];
        out[1] = 2.0 * v[1];
    };
    let r = NewtonCg::new().minimize(&mut double_well, hvp, &[0.1, 1.0]).unwrap();
    assert!(r.converged());
    assert!((r.x[0].abs() - 1.0).abs() < 1e-5, "{:?}", r.x);
}

#[test]
fn a_non_finite_hessian_falls_back_to_steepest_descent() {
    let hess = |_: &[f64], h: &mut DMatrix<f64>| h.fill(f64::NAN);
    let mut q = |x: &[f64], g: &mut [f64]| {
        g[0] = 2.0 * x[0];
        g[1] = 4.0 * x[1];
        x[0] * x[0] + 2.0 * x[1] * x[1]
    };
    let r = Newton::new().minimize(&mut q, hess, &[1.0, 1.0]).unwrap();
    assert!(r.converged(), "{:?}", r.stop);
    assert!(r.value < 1e-9);
}

/// Generic Wood function (MGH #14), for num-dual's Hessian.
fn wood<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> D {
    let (a, b, c, d) = (x[0], x[1], x[2], x[3]);
    let t1 = b - a * a;
    let t2 = d - c * c;
    let one = D::one();
    t1 * t1 * 100.0
        + (one - a).powi(2)
        + t2 * t2 * 90.0
        + (one - c).powi(2)
        + ((b - one).powi(2) + (d - one).powi(2)) * 10.1
        + (b - one) * (d - one) * 19.8
}

#[test]
fn newton_with_num_dual_hessians_on_wood() {
    let mut f = |x: &[f64], g: &mut [f64]| {
        let xs = SVector::<f64, 4>::from_column_slice(x);
        let (v, grad, _) = hessian(|x: SVector<Dual2SVec64<4>, 4>| wood(x.as_slice()), &xs);
        g.copy_from_slice(grad.as_slice());
        v
    };
    let hess = |x: &[f64], h: &mut DMatrix<f64>| {
        let xs = SVector::<f64, 4>::from_column_slice(x);
        let (_, _, hh) = hessian(|x: SVector<Dual2SVec64<4>, 4>| wood(x.as_slice()), &xs);
        h.copy_from(&hh);
    };
    let stop = StopCriteria::new().with_gtol(1e-8).unwrap().with_ftol(0.0).unwrap();
    let r = Newton::new().with_stop(stop).minimize(&mut f, hess, &[-3.0, -1.0, -3.0, -1.0]).unwrap();
    assert_eq!(r.stop, SolverStop::GradientTolerance);
    assert!(r.value < 1e-16, "f* = 0 at (1, 1, 1, 1): {}", r.value);
    assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-7), "{:?}", r.x);
}

/// Extended Rosenbrock value/gradient and Hessian–vector product by hand.
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
fn ext_rosen_hvp(x: &[f64], v: &[f64], out: &mut [f64]) {
    for i in (0..x.len()).step_by(2) {
        let h00 = 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        let h01 = -400.0 * x[i];
        out[i] = h00 * v[i] + h01 * v[i + 1];
        out[i + 1] = h01 * v[i] + 200.0 * v[i + 1];
    }
}

#[test]
fn newton_cg_on_extended_rosenbrock() {
    let x0: Vec<f64> = (0..1000).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
    let stop = StopCriteria::new().with_gtol(1e-8).unwrap().with_ftol(0.0).unwrap();
    let mut calls = 0;
    let mut products = 0;
    let mut f = |x: &[f64], g: &mut [f64]| {
        calls += 1;
        ext_rosen(x, g)
    };
    let hvp = |x: &[f64], v: &[f64], out: &mut [f64]| {
        products += 1;
        ext_rosen_hvp(x, v, out)
    };
    let r = NewtonCg::new().with_stop(stop).minimize(&mut f, hvp, &x0).unwrap();
    assert_eq!(r.stop, SolverStop::GradientTolerance);
    assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-7));
    assert_eq!((r.evaluations, r.hessian_evaluations), (calls, products));
    // The problem is a sum of independent 2-D blocks: CG needs ≤ 2 products
    // per distinct eigenvalue pair; it must not run to the 2n cap.
    assert!(r.hessian_evaluations < 20 * r.iterations.max(1), "{} products", r.hessian_evaluations);
}

#[test]
fn newton_cg_solves_a_quadratic_to_tolerance() {
    let (a, b) = spd(6);
    let xstar = a.clone().lu().solve(&b).unwrap();
    let mut f = |x: &[f64], g: &mut [f64]| {
        let xv = DVector::from_column_slice(x);
        let ax = &a * &xv;
        g.copy_from_slice((&ax - &b).as_slice());
        0.5 * xv.dot(&ax) - b.dot(&xv)
    };
    let hvp = |_: &[f64], v: &[f64], out: &mut [f64]| {
        out.copy_from_slice((&a * DVector::from_column_slice(v)).as_slice());
    };
    let stop = StopCriteria::new().with_gtol(1e-9).unwrap().with_ftol(0.0).unwrap();
    let r = NewtonCg::new().with_stop(stop).minimize(&mut f, hvp, &[0.0; 6]).unwrap();
    assert_eq!(r.stop, SolverStop::GradientTolerance);
    for (p, q) in r.x.iter().zip(xstar.iter()) {
        assert!((p - q).abs() < 1e-8, "{p} vs {q}");
    }
}

#[test]
fn bad_input_is_typed() {
    let hess = |_: &[f64], h: &mut DMatrix<f64>| h.fill_with_identity();
    let mut nan = |_: &[f64], g: &mut [f64]| {
        g.fill(0.0);
        f64::NAN
    };
    assert!(matches!(
        Newton::new().minimize(&mut nan, hess, &[1.0]),
        Err(GdError::NonFiniteStart { cause: DivergenceCause::NonFiniteLoss(_) })
    ));
    let hvp = |_: &[f64], v: &[f64], o: &mut [f64]| o.copy_from_slice(v);
    assert!(matches!(NewtonCg::new().minimize(&mut nan, hvp, &[1.0]), Err(GdError::NonFiniteStart { .. })));
    assert!(matches!(Newton::new().minimize(&mut rosen, rosen_hess, &[]), Err(GdError::DimensionMismatch { .. })));
    assert!(NewtonCg::new().with_max_cg_iterations(0).is_err());
}

#[test]
fn newton_cg_negative_curvature_after_the_first_cg_step() {
    // f = 50x² − y²/2 + y⁴/4 from (0.001, 0.05): H = diag(100, 3y² − 1) is
    // indefinite. The first CG direction −g has positive curvature, the
    // second negative (checked below): CG must stop there and use its
    // iterate, and the run must end at a minimum (0, ±1), f* = −¼, not at
    // the saddle y = 0.
    let mut f = |x: &[f64], g: &mut [f64]| {
        g[0] = 100.0 * x[0];
        g[1] = -x[1] + x[1].powi(3);
        50.0 * x[0] * x[0] - x[1] * x[1] / 2.0 + x[1].powi(4) / 4.0
    };
    let mut curvatures = Vec::new();
    let hvp = |x: &[f64], v: &[f64], out: &mut [f64]| {
        out[0] = 100.0 * v[0];
        out[1] = (3.0 * x[1] * x[1] - 1.0) * v[1];
        curvatures.push(v[0] * out[0] + v[1] * out[1]);
    };
    let r = NewtonCg::new().minimize(&mut f, hvp, &[0.001, 0.05]).unwrap();
    assert!(curvatures[0] > 0.0 && curvatures[1] < 0.0, "{:?}", &curvatures[..2]);
    assert!(r.converged());
    assert!(r.x[0].abs() < 1e-5 && (r.x[1].abs() - 1.0).abs() < 1e-5, "{:?}", r.x);
    assert!((r.value + 0.25).abs() < 1e-9);
}
