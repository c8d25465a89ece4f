//! One active value passed for two parameters of a `#[differentiable]`
//! callee: `h(x, x)`, `dot(xs, xs)`, `h(t, t)` for a local `t`. The callee's
//! gradient for both parameters flows into the same adjoint. At 1c48327 the
//! caller did not compile: "error[E0499]: cannot borrow value as mutable
//! more than once at a time" (the two adjoint slots borrowed one variable);
//! it works at c3fd016.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn h(a: f64, b: f64) -> f64 {
    a * b.sin() + (a - 2.0 * b).tanh()
}
fn h_d<D: Dn>(a: D, b: D) -> D {
    a * b.sin() + (a - b * 2.0).tanh()
}

#[differentiable]
fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v.iter()).map(|(a, b)| a * b).sum::<f64>()
}
fn dot_d<D: Dn>(u: &[D], v: &[D]) -> D {
    u.iter().zip(v.iter()).map(|(a, b)| *a * *b).sum::<D>()
}

#[differentiable]
fn aliased(x: f64, xs: &[f64]) -> f64 {
    let t = x * 0.5 + xs[0];
    h(x, x) + h(t, t) * dot(xs, xs) + dot(xs, xs).sqrt()
}
fn aliased_d<D: Dn>(x: D, xs: &[D]) -> D {
    let t = x * 0.5 + xs[0];
    h_d(x, x) + h_d(t, t) * dot_d(xs, xs) + dot_d(xs, xs).sqrt()
}
fn case_aliased() -> Case {
    Case::new("aliased", |v| aliased(v[0], &v[1..]), |v| aliased_d(v[0], &v[1..]), rand_points(250, 4, 4, -1.5, 1.5))
}

#[test]
fn oracles_agree() {
    case_aliased().check_oracles();
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn same_value_for_two_parameters_ad() {
        case_aliased().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, gs)): (f64, (f64, Vec<f64>)) = aliased::value_and_grad(v[0], &v[1..]);
                (val, [vec![gx], gs].concat())
            },
            grad: &|v| {
                let (gx, gs) = aliased::grad(v[0], &v[1..]);
                [vec![gx], gs].concat()
            },
            jvp: &|v, t| aliased::jvp(v[0], &v[1..], t[0], &t[1..]),
            grad_into: &|v, g| {
                let (gx, gs) = g.split_at_mut(1);
                aliased::value_and_grad_into(v[0], &v[1..], &mut gx[0], gs)
            },
        });
    }
}
