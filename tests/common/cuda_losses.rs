//! The two per-sample losses of the device examples
//! (gd-examples/examples/cuda_logistic.rs, cuda_oscillator.rs), shared by
//! the host tests of the printed C (`#[path]`-included).
#![allow(dead_code)]

use gd::differentiable;

/// The logistic loss of one sample, `params = [bias, w..]`, `y ∈ {0, 1}`.
#[differentiable(cuda, wrt(params))]
pub fn logistic(params: &[f32], x: &[f32], y: f32) -> f32 {
    let mut z = params[0];
    for j in 0..x.len() {
        z += params[j + 1] * x[j];
    }
    // log(1 + e^z) − y·z, without overflow for large |z|.
    let softplus = if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() };
    softplus - y * z
}

/// Half the squared error of a damped oscillator `a e^{-γt} cos(ωt + φ)`
/// against a curve sampled at `t₀ + k·0.05`; `params = [a, γ, ω, φ]`.
#[differentiable(cuda, wrt(params))]
pub fn curve_loss(params: &[f32], curve: &[f32], t0: f32) -> f32 {
    let a = params[0];
    let gamma = params[1];
    let omega = params[2];
    let phi = params[3];
    let mut sum = 0.0;
    for k in 0..curve.len() {
        let t = t0 + k as f32 * 0.05;
        let r = a * (-gamma * t).exp() * (omega * t + phi).cos() - curve[k];
        sum += r * r;
    }
    0.5 * sum
}
