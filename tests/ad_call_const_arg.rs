//! A call to another `#[differentiable]` function whose float parameters are
//! all active (default activity), given a constant for one of them: a
//! literal, a local bound to a literal, an integer cast, the result of a
//! plain function. From 2106992 (hvp/hessian) until 1c48327 the caller did
//! not compile: the dual copy of the sweep passed an `f64` where the
//! callee's dual copy takes `Dual<f64>` ("expected `Dual<f64>`, found
//! `f64`"). In its own file so that such an error does not hide the other
//! call tests.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn h(a: f64, b: f64) -> f64 {
    a * b.sin() + (a - b).tanh()
}
fn h_d<D: Dn>(a: D, b: D) -> D {
    a * b.sin() + (a - b).tanh()
}

mod helpers {
    use gd::differentiable;
    #[differentiable]
    pub fn g(a: f64, b: f64) -> f64 {
        (a * b).atan()
    }
}
fn g_d<D: Dn>(a: D, b: D) -> D {
    (a * b).atan()
}

fn plain(k: usize) -> f64 {
    0.25 * k as f64
}

#[differentiable]
fn const_args(x: f64, n: usize) -> f64 {
    let k = 1.5;
    h(x, 1.5) + h(0.5, x) + h(x, k) + h(x, n as f64) + helpers::g(x, 2.0) + h(x, plain(n))
}
fn const_args_d<D: Dn>(x: D, n: usize) -> D {
    let k = c::<D>(1.5);
    h_d(x, c(1.5)) + h_d(c(0.5), x) + h_d(x, k) + h_d(x, c(n as f64)) + g_d(x, c(2.0)) + h_d(x, c(0.25 * n as f64))
}
fn case_const_args() -> Case {
    Case::new("const_args", |v| const_args(v[0], 3), |v| const_args_d(v[0], 3), rand_points(240, 4, 1, -2.0, 2.0))
}

#[test]
fn oracles_agree() {
    case_const_args().check_oracles();
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn constant_arguments_to_a_differentiable_callee_ad() {
        case_const_args().check_api(Api {
            value_and_grad: &|v| {
                let (val, g) = const_args::value_and_grad(v[0], 3);
                (val, vec![g])
            },
            grad: &|v| vec![const_args::grad(v[0], 3)],
            jvp: &|v, t| const_args::jvp(v[0], 3, t[0]),
            grad_into: &|v, g| const_args::value_and_grad_into(v[0], 3, &mut g[0]),
        });
    }

    #[test]
    fn constant_arguments_hvp() {
        check_second(
            "const_args",
            &case_const_args().points,
            &|v| const_args_d(v[0], 3),
            &|v| {
                let (val, g) = const_args::value_and_grad(v[0], 3);
                (val, vec![g])
            },
            &|v, t| vec![const_args::hvp(v[0], 3, t[0])],
            &|v| {
                let (val, g, h) = const_args::hessian(v[0], 3);
                (val, vec![g], h.iter().copied().collect())
            },
        );
    }
}

// ---- data arrays passed to a slice parameter the callee does not
// differentiate: `&Vec<f64>` and `&[f64; N]` coerce to `&[f64]` in the
// plain call; the dual and lanes copies (hvp, hessian) convert them the
// same way (before, they did not compile: "the trait bound `&[f64]:
// From<&Vec<{float}>>` is not satisfied", pointing at the attribute). ----

#[differentiable(wrt(x))]
fn weighted_sq(x: &[f64], w: &[f64]) -> f64 {
    x.iter().zip(w).map(|(a, b)| a * a * b).sum::<f64>()
}
fn weighted_sq_d<D: Dn>(x: &[D], w: &[f64]) -> D {
    x.iter().zip(w).fold(c::<D>(0.0), |s, (a, b)| s + *a * *a * *b)
}

const WS: [f64; 2] = [1.5, -0.5];

#[differentiable]
fn data_arrays(x: &[f64]) -> f64 {
    let w = vec![1.0, 2.0];
    weighted_sq(x, &w).sin() + weighted_sq(x, &WS) * x[0]
}
fn data_arrays_d<D: Dn>(x: &[D]) -> D {
    weighted_sq_d(x, &[1.0, 2.0]).sin() + weighted_sq_d(x, &WS) * x[0]
}
fn case_data_arrays() -> Case {
    Case::new("data_arrays", |v| data_arrays(v), |v| data_arrays_d(v), rand_points(241, 4, 2, -1.5, 1.5))
}

#[test]
fn data_arrays_oracles_agree() {
    case_data_arrays().check_oracles();
}

#[cfg(not(gd_oracles_only))]
mod data_arrays_api {
    use super::*;

    #[test]
    fn data_arrays_to_a_differentiable_callee_hvp() {
        check_second(
            "data_arrays",
            &case_data_arrays().points,
            &|v| data_arrays_d(v),
            &|v| data_arrays::value_and_grad(v),
            &|v, t| data_arrays::hvp(v, t),
            &|v| {
                let (val, g, h) = data_arrays::hessian(v);
                (val, g, h.iter().copied().collect())
            },
        );
    }
}
