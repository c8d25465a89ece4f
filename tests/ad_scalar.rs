//! Straight-line code: `let` forms, compound assignment, literals, casts,
//! unary minus, blocks, every float method and its `f64::name(..)` form,
//! `%`, and the parameter kinds (f64, [f64; N], &[f64; N], Vec<f64>,
//! &Vec<f64>, &[f64], integer data).
//!
//! Each function has a generic copy `<name>_d` over num-dual's scalar trait
//! (the oracle) and a `Case`; `oracles_agree` checks the oracles alone, the
//! tests in `mod api` check the macro's generated code against them.
// `--cfg gd_oracles_only` (e.g. `cargo rustc --profile test --test ad_scalar
// -- --cfg gd_oracles_only`) builds only the oracle self-checks, without the
// generated API.
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- let, shadowing, tuple patterns, let mut, compound ops, casts, blocks ---

#[differentiable]
fn lets(x: f64, y: f64) -> f64 {
    let a = x * y + 1.0;
    let a = a * a - x;
    let (p, q) = (x * 2.0, y + 1.0);
    let mut s = p * q;
    s = s + a;
    s += x;
    s -= 0.5 * y;
    s *= 1.5;
    s /= 2.0 + y * y;
    let n = 3;
    let k = n as f64;
    let t = -(s - k * x) + (-y);
    let b = {
        let u = t * 0.25;
        u * u + x
    };
    b + 2.5e-1 * t
}
fn lets_d<D: Dn>(x: D, y: D) -> D {
    let a = x * y + 1.0;
    let a = a * a - x;
    let (p, q) = (x * 2.0, y + 1.0);
    let mut s = p * q;
    s = s + a;
    s += x;
    s -= y * 0.5;
    s *= 1.5;
    s /= y * y + 2.0;
    let n = 3;
    let k = n as f64;
    let t = -(s - x * k) + (-y);
    let b = {
        let u = t * 0.25;
        u * u + x
    };
    b + t * 2.5e-1
}
fn case_lets() -> Case {
    Case::new("lets", |v| lets(v[0], v[1]), |v| lets_d(v[0], v[1]), rand_points(1, 6, 2, -2.0, 2.0))
}

// --- trigonometric ---

#[differentiable]
fn trig(x: f64, y: f64) -> f64 {
    let a = x.sin() * y.cos() + (x * 0.5).tan();
    let b = (y * 0.3).asin() + (x * 0.2).acos() - (x * y).atan();
    let c = y.atan2(x) + x.atan2(y + 2.0);
    a * b + c
}
fn trig_d<D: Dn>(x: D, y: D) -> D {
    let a = x.sin() * y.cos() + (x * 0.5).tan();
    let b = (y * 0.3).asin() + (x * 0.2).acos() - (x * y).atan();
    let c = y.atan2(x) + x.atan2(y + 2.0);
    a * b + c
}
fn case_trig() -> Case {
    Case::new("trig", |v| trig(v[0], v[1]), |v| trig_d(v[0], v[1]), rand_points_in(2, 6, &[(0.5, 2.0), (-1.5, 1.5)]))
}

// --- hyperbolic ---

#[differentiable]
fn hyper(x: f64, y: f64) -> f64 {
    x.sinh() * 0.5 + y.cosh() - (x * y).tanh() + (x - y).asinh() + (x * x + 1.5).acosh() * (y * 0.4).atanh()
}
fn hyper_d<D: Dn>(x: D, y: D) -> D {
    x.sinh() * 0.5 + y.cosh() - (x * y).tanh() + (x - y).asinh() + (x * x + 1.5).acosh() * (y * 0.4).atanh()
}
fn case_hyper() -> Case {
    Case::new("hyper", |v| hyper(v[0], v[1]), |v| hyper_d(v[0], v[1]), rand_points(3, 6, 2, -1.5, 1.5))
}

// --- exponentials and logarithms ---

#[differentiable]
fn exps_logs(x: f64, y: f64) -> f64 {
    let a = x.exp() - (y * 0.5).exp2() + (x - y).exp_m1();
    let b = x.ln() + y.ln_1p() + (x + y).log(3.0) + (x * y).log10() - y.log2();
    let c = x.log(y + 2.0);
    a * 0.1 + b + c
}
fn exps_logs_d<D: Dn>(x: D, y: D) -> D {
    let a = x.exp() - (y * 0.5).exp2() + (x - y).exp_m1();
    let b = x.ln() + y.ln_1p() + (x + y).log(3.0) + (x * y).log10() - y.log2();
    let c = dlog(x, y + 2.0);
    a * 0.1 + b + c
}
fn case_exps_logs() -> Case {
    Case::new("exps_logs", |v| exps_logs(v[0], v[1]), |v| exps_logs_d(v[0], v[1]), rand_points(4, 6, 2, 0.2, 3.0))
}

// --- roots and powers, recip, hypot, mul_add (method form, constant receiver) ---

#[differentiable]
fn powers(x: f64, y: f64) -> f64 {
    let a = x.sqrt() + (y - 3.0).cbrt() + x.powi(3) - y.powi(-2);
    let b = x.powf(y * 0.5) + x.powf(2.5) + x.recip() + x.hypot(y);
    let c = x.mul_add(y, x * y) + 2.0f64.mul_add(x, y) + y.mul_add(3.0, 1.0);
    a + b * 0.5 + c
}
fn powers_d<D: Dn>(x: D, y: D) -> D {
    let a = x.sqrt() + (y - 3.0).cbrt() + x.powi(3) - y.powi(-2);
    let b = dpowf(x, y * 0.5) + x.powf(2.5) + x.recip() + dhypot(x, y);
    let c = dmul_add(x, y, x * y) + (x * 2.0 + y) + (y * 3.0 + 1.0);
    a + b * 0.5 + c
}
fn case_powers() -> Case {
    Case::new("powers", |v| powers(v[0], v[1]), |v| powers_d(v[0], v[1]), rand_points(5, 6, 2, 0.3, 2.5))
}

// --- abs, max, min, clamp away from their kinks ---

#[differentiable]
fn nonsmooth(x: f64, y: f64) -> f64 {
    (x - y).abs() + x.max(y * 2.0) * x.min(1.0) + (x * y).clamp(-1.0, 1.0) + y.clamp(x - 3.0, x + 3.0)
}
fn nonsmooth_d<D: Dn>(x: D, y: D) -> D {
    dabs(x - y) + dmax(x, y * 2.0) * dmin(x, c(1.0)) + dclamp(x * y, c(-1.0), c(1.0)) + dclamp(y, x - 3.0, x + 3.0)
}
fn case_nonsmooth() -> Case {
    // chosen away from every kink: x = y, x = 2y, x = 1, xy = +-1, y = x +- 3
    let pts = vec![vec![1.3, 0.4], vec![-0.7, 0.9], vec![2.5, -1.1], vec![0.3, 2.2], vec![-2.0, -0.6], vec![0.5, 4.1]];
    Case::new("nonsmooth", |v| nonsmooth(v[0], v[1]), |v| nonsmooth_d(v[0], v[1]), pts)
}

// --- signum, floor, ceil, round, trunc: derivative zero, around smooth parts ---

#[differentiable]
fn zero_deriv(x: f64, y: f64) -> f64 {
    let s = x.signum() * y;
    let k = (x * 3.0).floor() + y.ceil() - (x + y).round() + (y * 2.5).trunc();
    s + k * x + x.sin()
}
fn zero_deriv_d<D: Dn>(x: D, y: D) -> D {
    let s = dsignum(x) * y;
    let k = dfloor(x * 3.0) + dceil(y) - dround(x + y) + dtrunc(y * 2.5);
    s + k * x + x.sin()
}
fn case_zero_deriv() -> Case {
    // away from the jumps of each piecewise-constant term
    let pts = vec![vec![0.7, 0.3], vec![-1.37, 2.21], vec![2.13, -0.62], vec![-0.41, -1.13]];
    Case::new("zero_deriv", |v| zero_deriv(v[0], v[1]), |v| zero_deriv_d(v[0], v[1]), pts)
}

// --- % with both operands active ---

#[differentiable]
fn remainder(x: f64, y: f64) -> f64 {
    x % y + (x * 2.0) % 1.5 + y * (x % 0.7)
}
fn remainder_d<D: Dn>(x: D, y: D) -> D {
    drem(x, y) + drem(x * 2.0, c(1.5)) + y * drem(x, c(0.7))
}
fn case_remainder() -> Case {
    let pts = vec![vec![4.3, 1.7], vec![2.2, 0.9], vec![-3.1, 1.3], vec![0.55, 2.0]];
    Case::new("remainder", |v| remainder(v[0], v[1]), |v| remainder_d(v[0], v[1]), pts)
}

// --- every function in its f64::name(..) path form ---

#[differentiable]
fn path_forms_a(x: f64, y: f64) -> f64 {
    let a = f64::sin(x) * f64::cos(y) + f64::tan(x * 0.5) + f64::asin(y * 0.3) + f64::acos(x * 0.2) + f64::atan(x * y);
    let b = f64::atan2(y, x) + f64::sinh(x * 0.5) + f64::cosh(y * 0.5) + f64::tanh(x - y);
    let c = f64::asinh(x * y) + f64::acosh(x + 1.5) + f64::atanh(y * 0.4);
    a + b * c
}
fn path_forms_a_d<D: Dn>(x: D, y: D) -> D {
    let a = x.sin() * y.cos() + (x * 0.5).tan() + (y * 0.3).asin() + (x * 0.2).acos() + (x * y).atan();
    let b = y.atan2(x) + (x * 0.5).sinh() + (y * 0.5).cosh() + (x - y).tanh();
    let c = (x * y).asinh() + (x + 1.5).acosh() + (y * 0.4).atanh();
    a + b * c
}
fn case_path_forms_a() -> Case {
    Case::new(
        "path_forms_a",
        |v| path_forms_a(v[0], v[1]),
        |v| path_forms_a_d(v[0], v[1]),
        rand_points_in(6, 6, &[(0.5, 2.0), (-1.5, 1.5)]),
    )
}

#[differentiable]
fn path_forms_b(x: f64, y: f64) -> f64 {
    let a = f64::exp(x * 0.5) + f64::exp2(y) - f64::exp_m1(x - y) + f64::ln(x) + f64::ln_1p(y) + f64::log(x, 2.0) * f64::log10(y);
    let b = f64::log2(x + y) + f64::sqrt(x) * f64::cbrt(y) + f64::powi(x, 3) + f64::powf(x, y) + f64::hypot(x, y);
    let c = f64::recip(y) + f64::mul_add(x, y, 2.0) + f64::abs(x - 2.0 * y) + f64::max(x, y) - f64::min(x * 0.5, y);
    let d = f64::clamp(x * y, 0.5, 3.0) + f64::signum(x - y) + f64::floor(x) + f64::ceil(y) + f64::round(x) + f64::trunc(y);
    a + b - c * 0.5 + d
}
fn path_forms_b_d<D: Dn>(x: D, y: D) -> D {
    let a = (x * 0.5).exp() + y.exp2() - (x - y).exp_m1() + x.ln() + y.ln_1p() + x.log(2.0) * y.log10();
    let b = (x + y).log2() + x.sqrt() * y.cbrt() + x.powi(3) + dpowf(x, y) + dhypot(x, y);
    let cc = y.recip() + dmul_add(x, y, c(2.0)) + dabs(x - y * 2.0) + dmax(x, y) - dmin(x * 0.5, y);
    let d = dclamp(x * y, c(0.5), c(3.0)) + dsignum(x - y) + dfloor(x) + dceil(y) + dround(x) + dtrunc(y);
    a + b - cc * 0.5 + d
}
fn case_path_forms_b() -> Case {
    // away from kinks: x = 2y, x = y, x/2 = y, xy in {0.5, 3}, integer/half-integer jumps
    let pts = vec![vec![1.3, 0.45], vec![2.7, 1.15], vec![0.8, 1.7], vec![1.9, 2.3]];
    Case::new("path_forms_b", |v| path_forms_b(v[0], v[1]), |v| path_forms_b_d(v[0], v[1]), pts)
}

// --- array parameters: [f64; N] by value and &[f64; N]; gradients are arrays ---

#[differentiable]
fn arrays(a: [f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[1] - a[2] * b[0] + a[1].sin() * b[2] + a.len() as f64 * b[0] * b[0]
}
fn arrays_d<D: Dn>(a: [D; 3], b: &[D; 3]) -> D {
    a[0] * b[1] - a[2] * b[0] + a[1].sin() * b[2] + b[0] * b[0] * (a.len() as f64)
}
fn case_arrays() -> Case {
    Case::new(
        "arrays",
        |v| arrays([v[0], v[1], v[2]], &[v[3], v[4], v[5]]),
        |v| arrays_d([v[0], v[1], v[2]], &[v[3], v[4], v[5]]),
        rand_points(7, 5, 6, -2.0, 2.0),
    )
}

// --- Vec<f64> by value and &Vec<f64> ---

#[differentiable]
fn vecs(v: Vec<f64>, w: &Vec<f64>) -> f64 {
    v[0] * w[1] + v[1] * w[0] * w[2] + (v[2] - w[0]).exp() + v.len() as f64 * w[2]
}
fn vecs_d<D: Dn>(v: Vec<D>, w: &Vec<D>) -> D {
    v[0] * w[1] + v[1] * w[0] * w[2] + (v[2] - w[0]).exp() + w[2] * (v.len() as f64)
}
fn case_vecs() -> Case {
    Case::new(
        "vecs",
        |x| vecs(x[..3].to_vec(), &x[3..].to_vec()),
        |x| vecs_d(x[..3].to_vec(), &x[3..].to_vec()),
        rand_points(8, 5, 6, -1.5, 1.5),
    )
}

// --- a scalar and a slice: gradient is a tuple (f64, Vec<f64>) ---

#[differentiable]
fn scalar_and_slice(a: f64, xs: &[f64]) -> f64 {
    a * xs[0] + (a * xs[1]).cos() + xs[2] * xs[2] / a + xs.len() as f64
}
fn scalar_and_slice_d<D: Dn>(a: D, xs: &[D]) -> D {
    a * xs[0] + (a * xs[1]).cos() + xs[2] * xs[2] / a + c::<D>(xs.len() as f64)
}
fn case_scalar_and_slice() -> Case {
    Case::new(
        "scalar_and_slice",
        |v| scalar_and_slice(v[0], &v[1..]),
        |v| scalar_and_slice_d(v[0], &v[1..]),
        rand_points(9, 5, 4, 0.5, 2.5),
    )
}

// --- integer data parameters and casts: only x is active ---

#[differentiable]
fn casts(x: f64, n: usize, k: i32) -> f64 {
    let m = n as f64;
    let j = k as f64;
    x.powi(k) * m + j * x + (n * 2) as f64 / x + (n as i32 - k) as f64 * x * x
}
fn casts_d<D: Dn>(x: D, n: usize, k: i32) -> D {
    let m = n as f64;
    let j = k as f64;
    x.powi(k) * m + x * j + x.recip() * ((n * 2) as f64) + x * x * ((n as i32 - k) as f64)
}
fn case_casts() -> Case {
    Case::new("casts", |v| casts(v[0], 3, 2), |v| casts_d(v[0], 3, 2), rand_points(10, 5, 1, 0.5, 3.0))
}

#[test]
fn oracles_agree() {
    for case in [
        case_lets(),
        case_trig(),
        case_hyper(),
        case_exps_logs(),
        case_powers(),
        case_nonsmooth(),
        case_zero_deriv(),
        case_remainder(),
        case_path_forms_a(),
        case_path_forms_b(),
        case_arrays(),
        case_vecs(),
        case_scalar_and_slice(),
        case_casts(),
    ] {
        case.check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn lets_ad() {
        case_lets().check_api(api_scalars!(lets; 2));
    }

    #[test]
    fn trig_ad() {
        case_trig().check_api(api_scalars!(trig; 2));
    }

    #[test]
    fn hyper_ad() {
        case_hyper().check_api(api_scalars!(hyper; 2));
    }

    #[test]
    fn exps_logs_ad() {
        case_exps_logs().check_api(api_scalars!(exps_logs; 2));
    }

    #[test]
    fn powers_ad() {
        case_powers().check_api(api_scalars!(powers; 2));
    }

    #[test]
    fn nonsmooth_ad() {
        case_nonsmooth().check_api(api_scalars!(nonsmooth; 2));
    }

    #[test]
    fn zero_deriv_ad() {
        case_zero_deriv().check_api(api_scalars!(zero_deriv; 2));
    }

    #[test]
    fn remainder_ad() {
        case_remainder().check_api(api_scalars!(remainder; 2));
    }

    #[test]
    fn path_forms_a_ad() {
        case_path_forms_a().check_api(api_scalars!(path_forms_a; 2));
    }

    #[test]
    fn path_forms_b_ad() {
        case_path_forms_b().check_api(api_scalars!(path_forms_b; 2));
    }

    #[test]
    fn arrays_ad() {
        case_arrays().check_api(Api {
            value_and_grad: &|x| {
                let (v, (ga, gb)): (f64, ([f64; 3], [f64; 3])) = arrays::value_and_grad([x[0], x[1], x[2]], &[x[3], x[4], x[5]]);
                (v, [ga, gb].concat())
            },
            grad: &|x| {
                let (ga, gb): ([f64; 3], [f64; 3]) = arrays::grad([x[0], x[1], x[2]], &[x[3], x[4], x[5]]);
                [ga, gb].concat()
            },
            jvp: &|x, t| arrays::jvp([x[0], x[1], x[2]], &[x[3], x[4], x[5]], &t[..3], &t[3..]),
            grad_into: &|x, g| {
                let (ga, gb) = g.split_at_mut(3);
                arrays::value_and_grad_into([x[0], x[1], x[2]], &[x[3], x[4], x[5]], ga, gb)
            },
        });
    }

    #[test]
    fn vecs_ad() {
        case_vecs().check_api(Api {
            value_and_grad: &|x| {
                let (v, (gv, gw)): (f64, (Vec<f64>, Vec<f64>)) = vecs::value_and_grad(x[..3].to_vec(), &x[3..].to_vec());
                assert_eq!((gv.len(), gw.len()), (3, 3));
                (v, [gv, gw].concat())
            },
            grad: &|x| {
                let (gv, gw): (Vec<f64>, Vec<f64>) = vecs::grad(x[..3].to_vec(), &x[3..].to_vec());
                [gv, gw].concat()
            },
            jvp: &|x, t| vecs::jvp(x[..3].to_vec(), &x[3..].to_vec(), &t[..3], &t[3..]),
            grad_into: &|x, g| {
                let (gv, gw) = g.split_at_mut(3);
                vecs::value_and_grad_into(x[..3].to_vec(), &x[3..].to_vec(), gv, gw)
            },
        });
    }

    #[test]
    fn scalar_and_slice_ad() {
        case_scalar_and_slice().check_api(Api {
            value_and_grad: &|x| {
                let (v, (ga, gx)): (f64, (f64, Vec<f64>)) = scalar_and_slice::value_and_grad(x[0], &x[1..]);
                (v, [vec![ga], gx].concat())
            },
            grad: &|x| {
                let (ga, gx): (f64, Vec<f64>) = scalar_and_slice::grad(x[0], &x[1..]);
                [vec![ga], gx].concat()
            },
            jvp: &|x, t| scalar_and_slice::jvp(x[0], &x[1..], t[0], &t[1..]),
            grad_into: &|x, g| {
                let (ga, gx) = g.split_at_mut(1);
                scalar_and_slice::value_and_grad_into(x[0], &x[1..], &mut ga[0], gx)
            },
        });
    }

    #[test]
    fn casts_ad() {
        case_casts().check_api(Api {
            value_and_grad: &|x| {
                let (v, g): (f64, f64) = casts::value_and_grad(x[0], 3, 2);
                (v, vec![g])
            },
            grad: &|x| {
                let g: f64 = casts::grad(x[0], 3, 2);
                vec![g]
            },
            jvp: &|x, t| casts::jvp(x[0], 3, 2, t[0]),
            grad_into: &|x, g| casts::value_and_grad_into(x[0], 3, 2, &mut g[0]),
        });
    }
}
