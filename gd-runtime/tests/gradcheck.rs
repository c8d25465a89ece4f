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

// --- f32 ---

/// Rosenbrock in either precision, value and gradient.
fn rosen32(x: &[f32], g: &mut [f32]) -> f32 {
    let (a, b) = (1.0 - x[0], x[1] - x[0] * x[0]);
    g[0] = -2.0 * a - 400.0 * x[0] * b;
    g[1] = 200.0 * b;
    a * a + 100.0 * b * b
}

#[test]
fn f32_gradient_passes_and_agrees_with_f64_differences() {
    let x = [-1.2f32, 1.0];
    let r = gd_runtime::check_gradient(rosen32, &x, gd_runtime::GradCheckOptions::for_f32()).unwrap();
    let x64 = [-1.2f32 as f64, 1.0];
    let n64 = gd_runtime::gradcheck_fn(|x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2), &x64);
    for i in 0..2 {
        assert!((r.numeric[i] - n64[i]).abs() <= 1e-3 * (1.0 + n64[i].abs()), "{:?} vs {n64:?}", r.numeric);
    }
    // The macro picks the f32 tolerances by itself.
    gd_runtime::assert_gradient!(rosen32, x);
}

#[test]
fn f32_wrong_gradient_fails() {
    let wrong = |x: &[f32], g: &mut [f32]| {
        let v = rosen32(x, g);
        g[1] *= 1.05;
        v
    };
    let err = gd_runtime::check_gradient(wrong, &[-1.2f32, 1.0], gd_runtime::GradCheckOptions::for_f32()).unwrap_err();
    match err {
        gd_runtime::GdError::GradientCheck { n_failed: 1, dim: 2, ref worst, .. } => assert_eq!(worst[0].index, 1),
        e => panic!("{e}"),
    }
}
