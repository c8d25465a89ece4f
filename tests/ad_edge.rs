//! Edge cases of activity and aliasing: compound assignment of a variable
//! with itself (`s *= s`, `s += s`), tuple lets that swap and read the old
//! values, `x / x` and `x - x`, unused active parameters, constant and
//! identity functions, active variables overwritten by constants (in a
//! branch, in a loop), blocks ending in `if`, closures with block bodies and
//! patterns, a float parameter left out of `wrt` used as an exponent, an
//! empty range fold, and the same slice passed for two active parameters.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn self_ops(x: f64, y: f64) -> f64 {
    let mut s = x;
    s *= s;
    s += s;
    s -= s * 0.25;
    s /= s + y;
    let mut q = y;
    q = q * q + q;
    s + q + x / x + (x - x) + x.atan2(x)
}
fn self_ops_d<D: Dn>(x: D, y: D) -> D {
    let mut s = x;
    s = s * s;
    s = s + s;
    s = s - s * 0.25;
    s = s / (s + y);
    let mut q = y;
    q = q * q + q;
    s + q + x / x + (x - x) + x.atan2(x)
}
fn case_self_ops() -> Case {
    Case::new("self_ops", |v| self_ops(v[0], v[1]), |v| self_ops_d(v[0], v[1]), rand_points(150, 5, 2, 0.2, 2.0))
}

#[differentiable]
fn swap(x: f64, y: f64) -> f64 {
    let (a, b) = (x, y);
    let (a, b) = (b, a * b);
    let (a, b) = (b + a, a);
    let mut p = a;
    let mut q = b;
    for _ in 0..3 {
        let (np, nq) = (q, p - q * 0.5);
        p = np;
        q = nq;
    }
    a * 3.0 + b + p * q
}
fn swap_d<D: Dn>(x: D, y: D) -> D {
    let (a, b) = (x, y);
    let (a, b) = (b, a * b);
    let (a, b) = (b + a, a);
    let mut p = a;
    let mut q = b;
    for _ in 0..3 {
        let (np, nq) = (q, p - q * 0.5);
        p = np;
        q = nq;
    }
    a * 3.0 + b + p * q
}
fn case_swap() -> Case {
    Case::new("swap", |v| swap(v[0], v[1]), |v| swap_d(v[0], v[1]), rand_points(151, 5, 2, -2.0, 2.0))
}

#[differentiable]
fn kill(x: f64, xs: &[f64]) -> f64 {
    let mut y = x * x;
    if x > 1.0 {
        y = 2.0;
    }
    let mut s = 0.0;
    for i in 0..xs.len() {
        if i == 2 {
            s = xs[i];
        } else {
            s = s * 2.0 + 1.0;
        }
    }
    y + s
}
fn kill_d<D: Dn>(x: D, xs: &[D]) -> D {
    let mut y = x * x;
    if x > 1.0 {
        y = c(2.0);
    }
    let mut s = c::<D>(0.0);
    for i in 0..xs.len() {
        if i == 2 {
            s = xs[i];
        } else {
            s = s * 2.0 + 1.0;
        }
    }
    y + s
}
fn case_kill() -> Case {
    let mut pts = rand_points(152, 4, 6, -2.0, 2.0);
    pts[0][0] = 0.5;
    pts[1][0] = 1.5;
    Case::new("kill", |v| kill(v[0], &v[1..]), |v| kill_d(v[0], &v[1..]), pts)
}

#[differentiable]
fn closures(xs: &[f64], a: f64) -> f64 {
    let v = {
        let t = a * 2.0;
        if t > 0.0 {
            t
        } else {
            -t
        }
    };
    let s = xs.iter().map(|x| {
        let t = x * a;
        t.sin()
    }).sum::<f64>();
    let e = xs.iter().enumerate().map(|(i, &x)| x * i as f64).sum::<f64>();
    let z = (0..0).map(|i| xs[i]).sum::<f64>();
    v * s + e + z
}
fn closures_d<D: Dn>(xs: &[D], a: D) -> D {
    let v = {
        let t = a * 2.0;
        if t > 0.0 {
            t
        } else {
            -t
        }
    };
    let s = xs.iter().map(|x| {
        let t = *x * a;
        t.sin()
    }).sum::<D>();
    let e = xs.iter().enumerate().map(|(i, &x)| x * i as f64).sum::<D>();
    v * s + e
}
fn case_closures() -> Case {
    Case::new("closures", |v| closures(&v[..4], v[4]), |v| closures_d(&v[..4], v[4]), rand_points(153, 5, 5, -2.0, 2.0))
}

#[differentiable(wrt(x))]
fn powf_data(x: f64, p: f64) -> f64 {
    x.powf(p) + p.powf(x)
}
fn powf_data_d<D: Dn>(x: D, p: f64) -> D {
    x.powf(p) + (x * p.ln()).exp()
}
fn case_powf_data(p: f64) -> Case {
    Case::new("powf_data", move |v| powf_data(v[0], p), move |v| powf_data_d(v[0], p), rand_points(154, 4, 1, 0.2, 3.0))
}

#[differentiable]
fn unused(x: f64, _y: f64) -> f64 {
    x * 2.0
}

#[differentiable]
fn constant(_x: f64) -> f64 {
    3.0
}

#[differentiable]
fn identity(x: f64) -> f64 {
    x
}

#[differentiable]
fn data_only(_x: f64, n: usize) -> f64 {
    n as f64
}

#[differentiable]
fn two_slices(x: &[f64], y: &[f64]) -> f64 {
    x[0] * y[0] + x[1] * y[1] * y[1]
}

// Identities the derivative passes through: `black_box` (path and import),
// `convert::identity`, `f64::from` and `.into()` to the same type; an
// assertion may still capture differentiated values in its message.
#[differentiable]
fn identities(x: f64, y: f64) -> f64 {
    use std::hint::black_box;
    assert!(x.is_finite(), "x = {x:.3}, y = {y:?}");
    let a = std::hint::black_box(x) * core::convert::identity(y);
    let b: f64 = a.into();
    let c = f64::from(b) + black_box(x * x);
    c * y
}
fn identities_d<D: Dn>(x: D, y: D) -> D {
    let a = x * y;
    let c = a + x * x;
    c * y
}
fn case_identities() -> Case {
    Case::new("identities", |v| identities(v[0], v[1]), |v| identities_d(v[0], v[1]), rand_points(160, 5, 2, -2.0, 2.0))
}

#[test]
fn oracles_agree() {
    for case in [case_self_ops(), case_swap(), case_kill(), case_closures(), case_powf_data(0.5), case_powf_data(2.5), case_identities()] {
        case.check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn identities_pass_the_derivative_ad() {
        case_identities().check_api(api_scalars!(identities; 2));
        let (x, v) = ([1.5, 2.0], [1.0, -0.5]);
        let h = identities::hvp(x[0], x[1], v[0], v[1]);
        assert_close("identities: hvp vs hyper-dual", &[h.0, h.1], &hyperdual_hvp(&|d| identities_d(d[0], d[1]), &x, &v), 1e-12, 0.0);
    }

    #[test]
    fn self_compound_ops_ad() {
        case_self_ops().check_api(api_scalars!(self_ops; 2));
    }

    #[test]
    fn tuple_swaps_ad() {
        case_swap().check_api(api_scalars!(swap; 2));
    }

    #[test]
    fn killed_by_constants_ad() {
        case_kill().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, gs)): (f64, (f64, Vec<f64>)) = kill::value_and_grad(v[0], &v[1..]);
                (val, [vec![gx], gs].concat())
            },
            grad: &|v| {
                let (gx, gs) = kill::grad(v[0], &v[1..]);
                [vec![gx], gs].concat()
            },
            jvp: &|v, t| kill::jvp(v[0], &v[1..], t[0], &t[1..]),
            grad_into: &|v, g| {
                let (gx, gs) = g.split_at_mut(1);
                kill::value_and_grad_into(v[0], &v[1..], &mut gx[0], gs)
            },
        });
        let (gx, gs) = kill::grad(1.5, &[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!((gx, gs), (0.0, vec![0.0, 0.0, 4.0, 0.0, 0.0]));
    }

    #[test]
    fn closures_blocks_empty_range_ad() {
        case_closures().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, ga)): (f64, (Vec<f64>, f64)) = closures::value_and_grad(&v[..4], v[4]);
                (val, [gx, vec![ga]].concat())
            },
            grad: &|v| {
                let (gx, ga) = closures::grad(&v[..4], v[4]);
                [gx, vec![ga]].concat()
            },
            jvp: &|v, t| closures::jvp(&v[..4], v[4], &t[..4], t[4]),
            grad_into: &|v, g| {
                let (gx, ga) = g.split_at_mut(4);
                closures::value_and_grad_into(&v[..4], v[4], gx, &mut ga[0])
            },
        });
    }

    #[test]
    fn powf_with_data_exponent_and_base_ad() {
        for p in [0.5, 2.5] {
            case_powf_data(p).check_api(Api {
                value_and_grad: &|v| {
                    let (val, g): (f64, f64) = powf_data::value_and_grad(v[0], p);
                    (val, vec![g])
                },
                grad: &|v| vec![powf_data::grad(v[0], p)],
                jvp: &|v, t| powf_data::jvp(v[0], p, t[0]),
                grad_into: &|v, g| powf_data::value_and_grad_into(v[0], p, &mut g[0]),
            });
        }
    }

    #[test]
    fn trivial_activity() {
        assert_eq!(unused::value_and_grad(0.7, 1.3), (1.4, (2.0, 0.0)));
        assert_eq!(unused::jvp(0.7, 1.3, 1.0, 1.0), (1.4, 2.0));
        assert_eq!(constant::value_and_grad(0.7), (3.0, 0.0));
        assert_eq!(constant::jvp(0.7, 1.0), (3.0, 0.0));
        assert_eq!(identity::value_and_grad(0.7), (0.7, 1.0));
        assert_eq!(identity::jvp(0.7, 2.0), (0.7, 2.0));
        assert_eq!(data_only::value_and_grad(0.7, 4), (4.0, 0.0));
        let mut g = 0.25;
        assert_eq!(identity::value_and_grad_into(0.7, &mut g), 0.7);
        assert_eq!(g, 1.25);
    }

    #[test]
    fn same_slice_for_two_parameters() {
        let x = [1.5, 2.0];
        let (gx, gy) = two_slices::grad(&x, &x);
        assert_eq!(gx, vec![1.5, 4.0]);
        assert_eq!(gy, vec![1.5, 8.0]);
        assert_eq!(two_slices::jvp(&x, &x, &[1.0, 0.0], &[1.0, 0.0]).1, 3.0);
    }
}
