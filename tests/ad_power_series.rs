//! A power series `sum c_i x^i` written with `x.powi(i as i32)`, evaluated at
//! and around x = 0, and `x.powi(0)`, `x.powf(0.0)` at 0. x^0 is the constant
//! 1 (Rust: 0^0 = 1), so its derivative is 0 everywhere, also at 0, and the
//! series' derivative at 0 is c_1. A rule `n x^(n-1)` evaluated as written
//! gives 0 * 0^(-1) = 0 * inf = NaN there (the macro did before 2106992).
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn series(c: &[f64], x: f64) -> f64 {
    (0..c.len()).map(|i| c[i] * x.powi(i as i32)).sum::<f64>()
}
fn series_d<D: Dn>(c: &[D], x: D) -> D {
    (0..c.len()).map(|i| c[i] * x.powi(i as i32)).sum::<D>()
}
fn case_series() -> Case {
    let mut pts = rand_points(160, 3, 5, -1.0, 1.0);
    for p in pts.iter_mut().take(2) {
        p[4] = 0.0; // x = 0
    }
    Case::new("series", |v| series(&v[..4], v[4]), |v| series_d(&v[..4], v[4]), pts)
}

#[differentiable]
fn zero_powers(x: f64) -> f64 {
    x.powi(0) + x.powf(0.0) + x.powf(1.0) + x.powi(1) + x.powi(2)
}
fn zero_powers_d<D: Dn>(x: D) -> D {
    x.powi(0) + x.powf(0.0) + x.powf(1.0) + x.powi(1) + x.powi(2)
}
fn case_zero_powers() -> Case {
    Case::new("zero_powers", |v| zero_powers(v[0]), |v| zero_powers_d(v[0]), vec![vec![0.0], vec![0.5], vec![-1.5]])
}

#[test]
fn oracles_agree() {
    case_series().check_oracles();
    case_zero_powers().check_oracles();
    let (_, g) = dual_grad(&|v| series_d(&v[..4], v[4]), &[1.0, 2.0, 3.0, 4.0, 0.0]);
    assert_eq!(g, vec![1.0, 0.0, 0.0, 0.0, 2.0]);
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn power_series_at_zero_ad() {
        let (gc, gx) = series::grad(&[1.0, 2.0, 3.0, 4.0], 0.0);
        assert_eq!((gc, gx), (vec![1.0, 0.0, 0.0, 0.0], 2.0), "d/dx sum c_i x^i at 0 is c_1");
        assert_eq!(series::jvp(&[1.0, 2.0, 3.0, 4.0], 0.0, &[0.0; 4], 1.0).1, 2.0);
        case_series().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gc, gx)): (f64, (Vec<f64>, f64)) = series::value_and_grad(&v[..4], v[4]);
                (val, [gc, vec![gx]].concat())
            },
            grad: &|v| {
                let (gc, gx) = series::grad(&v[..4], v[4]);
                [gc, vec![gx]].concat()
            },
            jvp: &|v, t| series::jvp(&v[..4], v[4], &t[..4], t[4]),
            grad_into: &|v, g| {
                let (gc, gx) = g.split_at_mut(4);
                series::value_and_grad_into(&v[..4], v[4], gc, &mut gx[0])
            },
        });
    }

    #[test]
    fn zeroth_powers_at_zero_ad() {
        assert_eq!(zero_powers::value_and_grad(0.0), (2.0, 2.0));
        assert_eq!(zero_powers::jvp(0.0, 1.0), (2.0, 2.0));
        case_zero_powers().check_api(api_scalars!(zero_powers; 1));
    }
}
