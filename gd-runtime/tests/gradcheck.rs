//! The gradient checker: passes on right gradients, fails (typed error with
//! the worst coordinates) on wrong ones.

use gd_runtime::gradcheck::{default_step, GradCheckOptions};
use gd_runtime::{assert_gradient, check_gradient, check_objective, gradcheck_fn, GdError, Objective};

fn f(x: &[f64]) -> f64 {
    x[0].sin() * x[1] + (x[2] * x[0]).exp() + x[1] * x[1] * x[2]
}

fn right(x: &[f64], g: &mut [f64]) -> f64 {
    let e = (x[2] * x[0]).exp();
    g[0] = x[0].cos() * x[1] + x[2] * e;
    g[1] = x[0].sin() + 2.0 * x[1] * x[2];
    g[2] = x[0] * e + x[1] * x[1];
    f(x)
}

/// Coordinate 2 misses the x₁² term: a typical hand-derivation slip.
fn wrong(x: &[f64], g: &mut [f64]) -> f64 {
    let v = right(x, g);
    g[2] -= x[1] * x[1];
    v
}

#[test]
fn right_gradient_passes() {
    let x = [0.3, -1.2, 0.7];
    let r = check_gradient(right, &x, GradCheckOptions::default()).unwrap();
    assert_eq!(r.value, f(&x));
    assert!(r.max_abs_err < 1e-8, "{}", r.max_abs_err);
    assert_eq!(r.worst.len(), 3);
    for i in 0..3 {
        assert!((r.analytic[i] - r.numeric[i]).abs() < 1e-8);
    }
}

#[test]
fn wrong_gradient_fails_and_names_the_coordinate() {
    let x = [0.3, -1.2, 0.7];
    let err = check_gradient(wrong, &x, GradCheckOptions::default()).unwrap_err();
    match &err {
        GdError::GradientCheck { n_failed, dim, worst, atol, rtol } => {
            assert_eq!((*n_failed, *dim), (1, 3));
            assert_eq!((*atol, *rtol), (1e-5, 1e-3));
            assert_eq!(worst[0].index, 2);
            assert!((worst[0].abs_err - 1.44).abs() < 1e-6);
            assert!((worst[0].numeric - worst[0].analytic - 1.44).abs() < 1e-6);
        }
        e => panic!("expected GradientCheck, got {e}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("1 of 3 coordinates") && msg.contains("index"), "{msg}");
    // A small relative slip (0.5 %) is caught too; 1e-5 relative is not.
    let slip = |s: f64| {
        move |x: &[f64], g: &mut [f64]| {
            let v = right(x, g);
            g[0] *= 1.0 + s;
            v
        }
    };
    assert!(check_gradient(slip(5e-3), &x, GradCheckOptions::default()).is_err());
    assert!(check_gradient(slip(1e-5), &x, GradCheckOptions::default()).is_ok());
}

#[test]
fn nan_gradient_fails() {
    let g_nan = |x: &[f64], g: &mut [f64]| {
        g[0] = f64::NAN;
        x[0]
    };
    let err = check_gradient(g_nan, &[1.0], GradCheckOptions::default()).unwrap_err();
    assert!(matches!(err, GdError::GradientCheck { n_failed: 1, .. }));
}

#[test]
fn assert_gradient_macro_passes() {
    let report = assert_gradient!(right, [0.1, 0.2, 0.3]);
    assert!(report.max_abs_err < 1e-8);
    let v = vec![1.0, 2.0, -0.5];
    assert_gradient!(right, v);
    assert_gradient!(right, &v, GradCheckOptions { atol: 1e-7, rtol: 1e-6, ..Default::default() });
}

#[test]
#[should_panic(expected = "gradient check failed: 1 of 3")]
fn assert_gradient_macro_panics_on_wrong_gradient() {
    assert_gradient!(wrong, [0.3, -1.2, 0.7]);
}

#[test]
fn closures_need_no_annotations() {
    // check_gradient and minimize take FnMut bounds, so plain closures infer.
    check_gradient(|x, g| { g[0] = 2.0 * x[0]; x[0] * x[0] }, &[2.0], GradCheckOptions::default()).unwrap();
    let mut q = Quad;
    check_gradient(q.as_fn(), &[1.0, 2.0, 3.0], GradCheckOptions::default()).unwrap();
    let mut x = [1.0, 1.0, 1.0];
    gd_runtime::minimize(&mut gd_runtime::optim::Sgd::new(0.25).unwrap(), &mut x, Quad.as_fn(), 1).unwrap();
    assert_eq!(x, [0.5; 3]);
}

#[test]
fn numeric_gradient_of_value_function() {
    let x = [0.3, -1.2, 0.7];
    let num = gradcheck_fn(f, &x);
    let mut g = [0.0; 3];
    right(&x, &mut g);
    for i in 0..3 {
        assert!((num[i] - g[i]).abs() < 1e-9, "{i}: {} vs {}", num[i], g[i]);
    }
}

#[test]
fn step_scales_with_x() {
    assert_eq!(default_step(0.5), f64::EPSILON.cbrt());
    assert_eq!(default_step(-1e4), f64::EPSILON.cbrt() * 1e4);
    // x³ at x = 1e4: a fixed step below the spacing of floats near 1e4
    // (1.8e-12) cannot move x at all; the scaled step works.
    let cube = |x: &[f64], g: &mut [f64]| {
        g[0] = 3.0 * x[0] * x[0];
        x[0].powi(3)
    };
    check_gradient(cube, &[1e4], GradCheckOptions::default()).unwrap();
    assert!(check_gradient(cube, &[1e4], GradCheckOptions { step: Some(1e-13), ..Default::default() }).is_err());
}

struct Quad;
impl Objective for Quad {
    fn dim(&self) -> Option<usize> {
        Some(3)
    }
    fn value_and_grad(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        g.iter_mut().zip(x).for_each(|(g, x)| *g = 2.0 * x);
        x.iter().map(|v| v * v).sum()
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    check_objective(&mut Quad, &[1.0, 2.0, 3.0], GradCheckOptions::default()).unwrap();
    let err = check_objective(&mut Quad, &[1.0, 2.0], GradCheckOptions::default()).unwrap_err();
    assert!(matches!(err, GdError::DimensionMismatch { expected: 3, got: 2, .. }), "{err}");
    let err = check_objective(&mut Quad, &[1.0; 3], GradCheckOptions { atol: -1.0, ..Default::default() }).unwrap_err();
    assert!(matches!(err, GdError::BadHyperparameter { name: "GradCheckOptions.atol", .. }));
    let err = check_objective(&mut Quad, &[1.0; 3], GradCheckOptions { step: Some(0.0), ..Default::default() }).unwrap_err();
    assert!(matches!(err, GdError::BadHyperparameter { name: "GradCheckOptions.step", .. }));
}
