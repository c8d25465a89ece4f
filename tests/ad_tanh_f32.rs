//! Generated f32 code evaluates `tanh` with the crate's kernel
//! (`gd::__private::math::tanh_f32`, correctly rounded; tests/tanh_f32.rs),
//! not glibc's `tanhf`, in every mode: value and gradient (reverse, `1 − y²`
//! from the kernel's `y`), `jvp`, `hvp` and `hessian` (the dual and lanes
//! copies), a matrix's `map(|v| v.tanh())`, and a function generic over its
//! float type; f64 keeps `f64::tanh`. Oracle: the kernel's values and the
//! hand derivatives `1 − y²` and `−2y(1 − y²)`, at inputs where glibc's
//! `tanhf` is not correctly rounded, so that a copy still calling `tanhf`
//! differs in the last bit.

use gd::__private::math::tanh_f32;
use gd::nalgebra::DMatrix;
use gd::{differentiable, Float};

#[differentiable]
fn tanh_sum(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i].tanh();
    }
    s
}

/// `tanh` of a product, so that the Hessian has off-diagonal terms.
#[differentiable]
fn tanh_prod(x: f32, y: f32) -> f32 {
    (x * y).tanh()
}

#[differentiable]
fn map_sum(w: &DMatrix<f32>) -> f32 {
    w.map(|v| v.tanh()).sum()
}

#[differentiable]
fn generic_sum<F: Float>(x: &[F]) -> F {
    let mut s = F::ZERO;
    for i in 0..x.len() {
        s += x[i].tanh();
    }
    s
}

/// Inputs in (−3, 3) where glibc's `tanhf` differs from the kernel (is
/// not correctly rounded): 64 of them, both signs.
fn inputs() -> Vec<f32> {
    let v: Vec<f32> = (0..200_000).map(|k| -3.0 + 6.0 * (k as f32 + 0.5) / 200_000.0).filter(|x| x.tanh() != tanh_f32(*x)).take(64).collect();
    assert_eq!(v.len(), 64, "glibc's tanhf is correctly rounded here: the test needs inputs where it is not");
    v
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn value_and_gradient_use_the_kernel() {
    let x = inputs();
    let y: Vec<f32> = x.iter().map(|v| tanh_f32(*v)).collect();
    let value = y.iter().fold(0.0f32, |s, v| s + v);
    let grad: Vec<f32> = y.iter().map(|y| 1.0 - y * y).collect();
    let (v, g) = tanh_sum::value_and_grad(&x);
    assert_eq!(v.to_bits(), value.to_bits(), "value");
    assert_eq!(bits(&g), bits(&grad), "gradient 1 - y^2");
    let mut gs = vec![0.0; x.len()];
    assert_eq!(tanh_sum::value_and_grad_set(&x, &mut gs).to_bits(), value.to_bits());
    assert_eq!(bits(&gs), bits(&grad));
    // Forward mode along e_k: the tangent is that element's derivative.
    for k in [0, 17, 63] {
        let mut e = vec![0.0; x.len()];
        e[k] = 1.0;
        let (jv, jd) = tanh_sum::jvp(&x, &e);
        assert_eq!((jv.to_bits(), jd.to_bits()), (value.to_bits(), grad[k].to_bits()), "jvp e_{k}");
    }
}

#[test]
fn second_order_modes_use_the_kernel() {
    let x = inputs();
    let (v, g) = tanh_sum::value_and_grad(&x);
    // The Hessian (lanes copy: value and gradient from its real parts) and
    // hvp (dual copy) agree with the first-order modes and with the hand
    // second derivative −2y(1 − y²), the Hessian diagonal.
    let (hv, hg, h) = tanh_sum::hessian(&x);
    assert_eq!(hv.to_bits(), v.to_bits(), "hessian's value");
    assert_eq!(bits(&hg), bits(&g), "hessian's gradient");
    for (k, xk) in x.iter().enumerate() {
        let y = tanh_f32(*xk) as f64;
        let want = -2.0 * y * (1.0 - y * y);
        assert!((h[(k, k)] as f64 - want).abs() <= 1e-6 * (1.0 + want.abs()), "H[{k},{k}] = {} vs {want}", h[(k, k)]);
        let mut e = vec![0.0; x.len()];
        e[k] = 1.0;
        let hvp = tanh_sum::hvp(&x, &e);
        assert_eq!(hvp[k].to_bits(), h[(k, k)].to_bits(), "hvp e_{k} vs the hessian's column");
    }
    // Off the diagonal: (x y).tanh() at products where tanhf is not
    // correctly rounded.
    for p in x.iter().take(8) {
        let (a, b) = (*p * 2.0, 0.5f32);
        let y = tanh_f32(a * b);
        let (v, g) = tanh_prod::value_and_grad(a, b);
        assert_eq!(v.to_bits(), y.to_bits());
        let d = 1.0 - y * y;
        assert_eq!((g.0.to_bits(), g.1.to_bits()), ((d * b).to_bits(), (d * a).to_bits()));
        let (hv, hg, _) = tanh_prod::hessian(a, b);
        assert_eq!((hv.to_bits(), hg.0.to_bits(), hg.1.to_bits()), (y.to_bits(), g.0.to_bits(), g.1.to_bits()), "hessian's value and gradient at {a}, {b}");
    }
}

#[test]
fn matrix_map_uses_the_kernel() {
    let x = inputs();
    let w = DMatrix::from_column_slice(8, 8, &x);
    let (v, g) = map_sum::value_and_grad(&w);
    let y = w.map(tanh_f32);
    assert_eq!(v.to_bits(), y.sum().to_bits(), "value");
    assert_eq!(bits(g.as_slice()), bits(y.map(|y| 1.0 - y * y).as_slice()), "gradient");
}

#[test]
fn generic_float_f32_uses_the_kernel_f64_keeps_std() {
    let x = inputs();
    let (v, g) = generic_sum::value_and_grad(&x);
    assert_eq!(v.to_bits(), x.iter().fold(0.0f32, |s, v| s + tanh_f32(*v)).to_bits());
    assert_eq!(bits(&g), bits(&x.iter().map(|v| 1.0 - tanh_f32(*v) * tanh_f32(*v)).collect::<Vec<_>>()));
    let x64: Vec<f64> = x.iter().map(|v| *v as f64 * 1.1).collect();
    let (v, g) = generic_sum::value_and_grad(&x64);
    assert_eq!(v.to_bits(), x64.iter().fold(0.0f64, |s, v| s + v.tanh()).to_bits(), "f64: std's tanh");
    let g64: Vec<u64> = x64.iter().map(|v| (1.0 - v.tanh() * v.tanh()).to_bits()).collect();
    assert_eq!(g.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), g64);
}
