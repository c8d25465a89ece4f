//! `#[differentiable(check(..))]` emits a test per function; these run as
//! `f::gradient_check` in this test binary.
use gd::differentiable;

#[differentiable(check(x = 0.7, y = -1.3), check(x = 2.0, y = 0.5))]
fn scalar(x: f64, y: f64) -> f64 {
    (x * y).sin() + x.exp() / (1.0 + y * y)
}

#[differentiable(wrt(w), check(w = [0.1, -0.2, 0.3], xs = &[1.0, 2.0, 3.0, -1.0, 0.5, 2.0], y = 1.0))]
fn dot_loss(w: &[f64], xs: &[f64], y: f64) -> f64 {
    let mut s = 0.0;
    for row in 0..2 {
        let mut z = 0.0;
        for j in 0..w.len() {
            z += w[j] * xs[row * w.len() + j];
        }
        s += (z - y).powi(2);
    }
    s
}

#[differentiable(check(a = [1.0, 2.0], v = vec![0.5, -0.5, 2.0]))]
fn mixed(a: [f64; 2], v: &Vec<f64>) -> f64 {
    a[0] * a[1] + v.iter().map(|x| x * x * a[0]).sum::<f64>()
}

/// The emitted check is a real test: it fails on a wrong gradient. A custom
/// objective with a deliberately wrong derivative goes through the same
/// checker the emitted test calls.
#[test]
fn the_checker_rejects_a_wrong_gradient() {
    let r = gd::runtime::check_gradient(
        |p: &[f64], g: &mut [f64]| {
            g[0] = 3.0 * p[0]; // wrong: d/dx x³ = 3x²
            p[0] * p[0] * p[0]
        },
        &[1.7],
        gd::runtime::GradCheckOptions::default(),
    );
    assert!(r.is_err());
}
