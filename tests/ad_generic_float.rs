//! Functions generic over their float type, `fn f<F: gd::Float>(..)`,
//! written once and differentiated at `f32` and `f64`: the API is generic
//! (`f::grad(&x32)` and `f::grad(&x64)`), second order too, and other
//! differentiable functions of either precision call them. Checked against
//! num-dual copies, central differences, forward mode, the buffer API, and
//! the f32 results against the f64 ones.
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::{differentiable, Float};

/// A smoothed norm with a weight and a constant, in either precision.
#[differentiable]
pub fn soft_norm<F: Float>(xs: &[F], w: F) -> F {
    let eps = F::from_f64(1e-3);
    let mut s = F::ZERO;
    for &x in xs {
        s += (x * x + eps).sqrt() * w;
    }
    s + w.powi(2) * F::from_f64(0.5)
}
fn soft_norm_d<D: Dn>(xs: &[D], w: D) -> D {
    let mut s = c::<D>(0.0);
    for &x in xs {
        s += (x * x + 1e-3).sqrt() * w;
    }
    s + w.powi(2) * 0.5
}

/// Iterator chains, a branch and a `where` clause.
#[differentiable(wrt(x))]
fn chained<F>(x: &[F], data: &[F]) -> F
where
    F: Float,
{
    let m = x.iter().copied().fold(F::NEG_INFINITY, F::max);
    let z: F = x.iter().zip(data).map(|(&a, &d)| (a - m).exp() * d).sum();
    if z > F::ONE { z.ln() + m } else { z - F::ONE + m }
}
fn chained_d<D: Dn>(x: &[D], data: &[f64]) -> D {
    let m = x.iter().copied().fold(c::<D>(f64::NEG_INFINITY), dmax);
    let z: D = x.iter().zip(data).map(|(&a, &d)| (a - m).exp() * d).sum();
    if re(z) > 1.0 { z.ln() + m } else { z - 1.0 + m }
}

/// Concrete callers of each precision call the generic function.
#[differentiable]
fn caller64(xs: &[f64]) -> f64 {
    soft_norm(xs, 1.5) * xs[0]
}
#[differentiable]
fn caller32(xs: &[f32]) -> f32 {
    soft_norm(xs, 1.5) * xs[0]
}

const DATA: [f64; 4] = [0.5, 1.5, -0.25, 2.0];

#[cfg(not(gd_oracles_only))]
#[test]
fn f64_copy_against_the_oracles() {
    Case::new("soft_norm", |v| soft_norm(&v[..4], v[4]), |v| soft_norm_d(&v[..4], v[4]), rand_points(600, 4, 5, -1.5, 1.5)).check_api(Api {
        value_and_grad: &|v| {
            let (val, (g, gw)) = soft_norm::value_and_grad(&v[..4], v[4]);
            (val, [g, vec![gw]].concat())
        },
        grad: &|v| {
            let (g, gw) = soft_norm::grad(&v[..4], v[4]);
            [g, vec![gw]].concat()
        },
        jvp: &|v, t| soft_norm::jvp(&v[..4], v[4], &t[..4], t[4]),
        grad_into: &|v, g| {
            let (gx, gw) = g.split_at_mut(4);
            soft_norm::value_and_grad_into(&v[..4], v[4], gx, &mut gw[0])
        },
    });
    Case::new("chained", |v| chained(v, &DATA), |v| chained_d(v, &DATA), rand_points(601, 4, 4, -1.0, 1.0)).check_api(Api {
        value_and_grad: &|v| chained::value_and_grad(v, &DATA),
        grad: &|v| chained::grad(v, &DATA),
        jvp: &|v, t| chained::jvp(v, &DATA, t),
        grad_into: &|v, g| chained::value_and_grad_into(v, &DATA, g),
    });
}

#[cfg(not(gd_oracles_only))]
#[test]
fn f32_copy_matches_f64() {
    let x64 = [0.3, -1.2, 0.8, 0.05];
    let x32 = x64.map(|v| v as f32);
    let (v64, (g64, w64)) = soft_norm::value_and_grad(&x64, 0.7);
    let (v32, (g32, w32)) = soft_norm::value_and_grad(&x32, 0.7f32);
    assert_eq!(v32, soft_norm(&x32, 0.7f32), "the f32 value is the f32 primal's");
    assert_close1("soft_norm f32 value vs f64", v32 as f64, v64, 1e-6);
    let g32: Vec<f64> = g32.iter().chain([&w32]).map(|&v| v as f64).collect();
    assert_close("soft_norm f32 gradient vs f64", &g32, &[g64, vec![w64]].concat(), 1e-5, 0.0);
    let d32 = DATA.map(|v| v as f32);
    let (c64, c32) = (chained::grad(&x64, &DATA), chained::grad(&x32, &d32));
    let c32: Vec<f64> = c32.iter().map(|&v| v as f64).collect();
    assert_close("chained f32 gradient vs f64", &c32, &c64, 1e-5, 0.0);
    let h64 = soft_norm::hvp(&x64, 0.7, &[1.0, 0.0, -1.0, 0.5], 0.25);
    let h32 = soft_norm::hvp(&x32, 0.7f32, &[1.0, 0.0, -1.0, 0.5], 0.25);
    let h32: Vec<f64> = h32.0.iter().chain([&h32.1]).map(|&v| v as f64).collect();
    assert_close("soft_norm f32 hvp vs f64", &h32, &[h64.0, vec![h64.1]].concat(), 1e-4, 0.0);
}

#[cfg(not(gd_oracles_only))]
#[test]
fn second_order_of_the_f64_copy() {
    check_second(
        "soft_norm",
        &rand_points(602, 2, 5, -1.0, 1.0),
        &|v| soft_norm_d(&v[..4], v[4]),
        &|v| {
            let (val, (g, gw)) = soft_norm::value_and_grad(&v[..4], v[4]);
            (val, [g, vec![gw]].concat())
        },
        &|v, t| {
            let (h, hw) = soft_norm::hvp(&v[..4], v[4], &t[..4], t[4]);
            [h, vec![hw]].concat()
        },
        &|v| {
            let (val, (g, gw), h) = soft_norm::hessian(&v[..4], v[4]);
            (val, [g, vec![gw]].concat(), h.iter().copied().collect())
        },
    );
}

#[cfg(not(gd_oracles_only))]
#[test]
fn callers_of_each_precision() {
    let x = [0.4, -0.9, 1.1];
    let fd = fd_grad(&|v| caller64(v), &x);
    assert_close("caller64 vs differences", &caller64::grad(&x), &fd, 1e-7, 0.0);
    let x32 = x.map(|v| v as f32);
    let g32: Vec<f64> = caller32::grad(&x32).iter().map(|&v| v as f64).collect();
    assert_close("caller32 vs caller64", &g32, &caller64::grad(&x), 1e-5, 0.0);
    let hv = caller64::hvp(&x, &[1.0, 0.5, -0.5]);
    let fd_hv = fd_hvp(&|v| caller64::grad(v), &x, &[1.0, 0.5, -0.5]);
    assert_close("caller64 hvp vs differences of the gradient", &hv, &fd_hv, 1e-6, 0.0);
}

/// Inside a block, as in a `#[test]` function.
#[cfg(not(gd_oracles_only))]
#[test]
fn generic_function_in_a_block() {
    #[differentiable]
    fn cubic<F: Float>(x: F) -> F {
        x * x * x - F::from_f64(2.0) * x
    }
    assert_eq!(cubic::grad(2.0f64), 10.0);
    assert_eq!(cubic::grad(2.0f32), 10.0f32);
    assert_eq!(cubic::hvp(2.0f32, 1.0), 12.0f32);
}
