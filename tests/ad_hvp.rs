//! Second order, `f::hvp` and `f::hessian` (forward over reverse), on the
//! constructs of the first-order files: loops that overwrite, a `while` with
//! a tolerance, branches in loops, folds, calls with `wrt`, tuple lets,
//! early return and `match`, mixed scalar / slice / array parameters (the
//! flat order of the Hessian), `wrt(w)` with data, f32. Oracle: hyper-dual
//! numbers (num-dual) through generic copies; hand-derived Hessians where
//! short; the Hessian's symmetry and its agreement with `hvp` and `grad`.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn rosen(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}
fn rosen_d<D: Dn>(x: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = -x[i] + 1.0;
        s += a * a * 100.0 + b * b;
    }
    s
}
fn rosen_hessian_by_hand(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut h = vec![0.0; n * n];
    for i in 0..n - 1 {
        h[i * n + i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        h[(i + 1) * n + i + 1] += 200.0;
        h[i * n + i + 1] += -400.0 * x[i];
        h[(i + 1) * n + i] += -400.0 * x[i];
    }
    h
}

#[differentiable]
fn newton_while(a: f64) -> f64 {
    let mut y = a;
    let mut it = 0;
    while (y * y - a).abs() > 1e-14 * a && it < 100 {
        y = 0.5 * (y + a / y);
        it += 1;
    }
    y
}
fn newton_while_d<D: Dn>(a: D) -> D {
    let mut y = a;
    let mut it = 0;
    while dabs(y * y - a) > a.re() * 1e-14 && it < 100 {
        y = (y + a / y) * 0.5;
        it += 1;
    }
    y
}

#[differentiable]
fn piecewise_loop(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let x = xs[i];
        if x < -1.0 {
            s += x * x * x;
        } else if x < 1.0 {
            s += x.sin() * s + x * x;
        } else {
            s += (2.0 * x).ln() * s;
        }
        if s > 4.0 {
            s = s.sqrt() + 2.0;
        }
    }
    s
}
fn piecewise_loop_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..xs.len() {
        let x = xs[i];
        if x < -1.0 {
            s += x * x * x;
        } else if x < 1.0 {
            s += x.sin() * s + x * x;
        } else {
            s += (x * 2.0).ln() * s;
        }
        if s > 4.0 {
            s = s.sqrt() + 2.0;
        }
    }
    s
}

#[differentiable]
fn logsumexp(xs: &[f64]) -> f64 {
    let m = xs.iter().fold(xs[0], |m, &x| m.max(x));
    m + xs.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}
fn logsumexp_d<D: Dn>(xs: &[D]) -> D {
    let m = xs.iter().fold(xs[0], |m, &x| dmax(m, x));
    m + xs.iter().map(|x| (*x - m).exp()).sum::<D>().ln()
}

#[differentiable(wrt(a))]
fn scaled(a: f64, s: f64) -> f64 {
    (a * s).sin() / s + a * a * a
}
fn scaled_d<D: Dn>(a: D, s: f64) -> D {
    (a * s).sin() / s + a * a * a
}
#[differentiable]
fn calls(x: f64, y: f64) -> f64 {
    let (p, q) = (scaled(x * y, 2.0), scaled(y, 0.5));
    let mut a = p;
    let mut b = q;
    for _ in 0..4 {
        let (na, nb) = (b, a * 0.5 + b * x.cos());
        a = na;
        b = nb;
    }
    a * b
}
fn calls_d<D: Dn>(x: D, y: D) -> D {
    let (p, q) = (scaled_d(x * y, 2.0), scaled_d(y, 0.5));
    let mut a = p;
    let mut b = q;
    for _ in 0..4 {
        let (na, nb) = (b, a * 0.5 + b * x.cos());
        a = na;
        b = nb;
    }
    a * b
}

#[differentiable]
fn early(x: f64, y: f64, k: usize) -> f64 {
    if x < 0.0 {
        return x * y * y;
    }
    let z = match k {
        0 => x.exp() * y,
        1 | 2 => (x * y).tanh(),
        _ => x.powi(3) - y.powf(2.5),
    };
    z * x + y.cbrt()
}
fn early_d<D: Dn>(x: D, y: D, k: usize) -> D {
    if x < 0.0 {
        return x * y * y;
    }
    let z = match k {
        0 => x.exp() * y,
        1 | 2 => (x * y).tanh(),
        _ => x.powi(3) - y.powf(2.5),
    };
    z * x + y.cbrt()
}

/// Flat order: a, xs[0..3], arr[0..2].
#[differentiable]
fn mixed(a: f64, xs: &[f64], arr: [f64; 2]) -> f64 {
    let mut s = a * arr[0];
    for &x in xs {
        s = s * x + (x * arr[1]).sin();
    }
    s * a + arr[1].exp() * xs.iter().map(|x| x * x).sum::<f64>()
}
fn mixed_d<D: Dn>(a: D, xs: &[D], arr: [D; 2]) -> D {
    let mut s = a * arr[0];
    for &x in xs {
        s = s * x + (x * arr[1]).sin();
    }
    s * a + arr[1].exp() * xs.iter().map(|x| *x * *x).sum::<D>()
}

#[differentiable(wrt(w))]
fn logreg(w: &[f64], x: &[f64], y: &[f64], lambda: f64) -> f64 {
    let d = w.len();
    let n = y.len();
    let mut loss = 0.0;
    for i in 0..n {
        let z = (0..d).map(|j| w[j] * x[i * d + j]).sum::<f64>();
        let m = -y[i] * z;
        loss += if m > 0.0 { m + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
    }
    loss / n as f64 + 0.5 * lambda * w.iter().map(|v| v * v).sum::<f64>()
}
fn logreg_hessian_by_hand(w: &[f64], x: &[f64], y: &[f64], lambda: f64) -> Vec<f64> {
    let d = w.len();
    let n = y.len();
    let mut h = vec![0.0; d * d];
    for i in 0..n {
        let z: f64 = (0..d).map(|j| w[j] * x[i * d + j]).sum();
        let s = 1.0 / (1.0 + (-z).exp());
        for j in 0..d {
            for k in 0..d {
                h[j * d + k] += s * (1.0 - s) * x[i * d + j] * x[i * d + k] / n as f64;
            }
        }
    }
    for j in 0..d {
        h[j * d + j] += lambda;
    }
    h
}
fn logreg_data() -> (Vec<f64>, Vec<f64>) {
    let x = rand_points(200, 1, 30 * 3, -2.0, 2.0).remove(0);
    let y = rand_points(201, 1, 30, -1.0, 1.0).remove(0).iter().map(|&v| if v > 0.0 { 1.0 } else { -1.0 }).collect();
    (x, y)
}

#[differentiable]
fn scalar32(x: f32, y: f32) -> f32 {
    let mut s = x * y;
    for _ in 0..3 {
        s = s.sin() * x + y * y;
    }
    s + (x - y).exp()
}
fn scalar32_d<D: Dn>(x: D, y: D) -> D {
    let mut s = x * y;
    for _ in 0..3 {
        s = s.sin() * x + y * y;
    }
    s + (x - y).exp()
}

#[test]
fn oracles_agree() {
    // the hyper-dual Hessian against hand-derived ones
    for x in rand_points(202, 3, 5, -1.5, 1.5) {
        let n = x.len();
        let cols: Vec<f64> = (0..n)
            .flat_map(|j| {
                let e: Vec<f64> = (0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
                hyperdual_hvp(&|v| rosen_d(v), &x, &e)
            })
            .collect();
        assert_close("rosen: hyper-dual vs hand Hessian", &cols, &rosen_hessian_by_hand(&x), 1e-12, 0.0);
    }
    for a in [0.3, 2.0, 50.0] {
        let h = hyperdual_hvp(&|v| newton_while_d(v[0]), &[a], &[1.0]);
        assert_close1("newton_while: hyper-dual vs -1/(4 a^1.5)", h[0], -0.25 / a.powf(1.5), 1e-9);
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    fn hess_flat<F: Copy + Into<f64>>(h: &gd::nalgebra::DMatrix<F>) -> Vec<f64> {
        h.iter().map(|&a| a.into()).collect() // nalgebra stores column-major
    }

    #[test]
    fn rosen_hvp() {
        let pts = rand_points(210, 3, 6, -1.5, 1.5);
        check_second(
            "rosen",
            &pts,
            &|v| rosen_d(v),
            &|x| rosen::value_and_grad(x),
            &|x, v| rosen::hvp(x, v),
            &|x| {
                let (v, g, h) = rosen::hessian(x);
                (v, g, hess_flat(&h))
            },
        );
        for x in &pts {
            assert_close("rosen: macro Hessian vs hand", &hess_flat(&rosen::hessian(x).2), &rosen_hessian_by_hand(x), 1e-12, 0.0);
        }
    }

    #[test]
    fn newton_while_hvp() {
        check_second(
            "newton_while",
            &[vec![0.3], vec![2.0], vec![50.0]],
            &|v| newton_while_d(v[0]),
            &|x| {
                let (v, g) = newton_while::value_and_grad(x[0]);
                (v, vec![g])
            },
            &|x, v| vec![newton_while::hvp(x[0], v[0])],
            &|x| {
                let (v, g, h) = newton_while::hessian(x[0]);
                (v, vec![g], hess_flat(&h))
            },
        );
        for a in [0.3, 2.0, 50.0] {
            assert_close1("newton_while: macro second derivative vs -1/(4 a^1.5)", newton_while::hvp(a, 1.0), -0.25 / a.powf(1.5), 1e-9);
        }
    }

    #[test]
    fn piecewise_loop_hvp() {
        let pts = vec![vec![0.5, -2.0, 1.7, 0.2, -0.9, 3.1, -1.4, 0.6], vec![2.6, 2.5, -3.0, 0.1, 0.95, -0.35]];
        check_second(
            "piecewise_loop",
            &pts,
            &|v| piecewise_loop_d(v),
            &|x| piecewise_loop::value_and_grad(x),
            &|x, v| piecewise_loop::hvp(x, v),
            &|x| {
                let (v, g, h) = piecewise_loop::hessian(x);
                (v, g, hess_flat(&h))
            },
        );
    }

    #[test]
    fn logsumexp_hvp() {
        check_second(
            "logsumexp",
            &rand_points(211, 3, 5, -3.0, 3.0),
            &|v| logsumexp_d(v),
            &|x| logsumexp::value_and_grad(x),
            &|x, v| logsumexp::hvp(x, v),
            &|x| {
                let (v, g, h) = logsumexp::hessian(x);
                (v, g, hess_flat(&h))
            },
        );
    }

    #[test]
    fn calls_and_tuple_overwrite_hvp() {
        check_second(
            "calls",
            &rand_points(212, 4, 2, -1.5, 1.5),
            &|v| calls_d(v[0], v[1]),
            &|x| {
                let (v, (a, b)) = calls::value_and_grad(x[0], x[1]);
                (v, vec![a, b])
            },
            &|x, v| {
                let (a, b) = calls::hvp(x[0], x[1], v[0], v[1]);
                vec![a, b]
            },
            &|x| {
                let (v, (a, b), h) = calls::hessian(x[0], x[1]);
                (v, vec![a, b], hess_flat(&h))
            },
        );
        // the callee alone, wrt(a) with a constant s
        check_second(
            "scaled",
            &rand_points(213, 3, 1, -1.5, 1.5),
            &|v| scaled_d(v[0], 2.0),
            &|x| {
                let (v, g) = scaled::value_and_grad(x[0], 2.0);
                (v, vec![g])
            },
            &|x, v| vec![scaled::hvp(x[0], 2.0, v[0])],
            &|x| {
                let (v, g, h) = scaled::hessian(x[0], 2.0);
                (v, vec![g], hess_flat(&h))
            },
        );
    }

    #[test]
    fn early_return_and_match_hvp() {
        for k in 0..4 {
            check_second(
                "early",
                &[vec![-0.7, 1.3], vec![0.6, 0.8], vec![1.4, 2.2]],
                &|v| early_d(v[0], v[1], k),
                &|x| {
                    let (v, (a, b)) = early::value_and_grad(x[0], x[1], k);
                    (v, vec![a, b])
                },
                &|x, v| {
                    let (a, b) = early::hvp(x[0], x[1], k, v[0], v[1]);
                    vec![a, b]
                },
                &|x| {
                    let (v, (a, b), h) = early::hessian(x[0], x[1], k);
                    (v, vec![a, b], hess_flat(&h))
                },
            );
        }
    }

    #[test]
    fn mixed_parameter_kinds_flat_order_hvp() {
        let split = |x: &[f64]| (x[0], x[1..4].to_vec(), [x[4], x[5]]);
        check_second(
            "mixed",
            &rand_points(214, 3, 6, -1.2, 1.2),
            &|v| mixed_d(v[0], &v[1..4], [v[4], v[5]]),
            &|x| {
                let (a, xs, arr) = split(x);
                let (v, (ga, gx, garr)): (f64, (f64, Vec<f64>, [f64; 2])) = mixed::value_and_grad(a, &xs, arr);
                (v, [vec![ga], gx, garr.to_vec()].concat())
            },
            &|x, v| {
                let (a, xs, arr) = split(x);
                let (ha, hx, harr): (f64, Vec<f64>, [f64; 2]) = mixed::hvp(a, &xs, arr, v[0], &v[1..4], &v[4..]);
                [vec![ha], hx, harr.to_vec()].concat()
            },
            &|x| {
                let (a, xs, arr) = split(x);
                let (v, (ga, gx, garr), h) = mixed::hessian(a, &xs, arr);
                assert_eq!(h.shape(), (6, 6));
                (v, [vec![ga], gx, garr.to_vec()].concat(), hess_flat(&h))
            },
        );
    }

    #[test]
    fn logreg_wrt_w_hvp() {
        let (x, y) = logreg_data();
        let (x2, y2) = (x.clone(), y.clone());
        let dual2 = move |w: &[HyperDual64]| {
            let d = w.len();
            let n = y2.len();
            let mut loss = c::<HyperDual64>(0.0);
            for i in 0..n {
                let z = (0..d).map(|j| w[j] * x2[i * d + j]).sum::<HyperDual64>();
                let m = z * -y2[i];
                loss += if m > 0.0 { m + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
            }
            loss / n as f64 + w.iter().map(|v| *v * *v).sum::<HyperDual64>() * 0.05
        };
        let pts = rand_points(215, 3, 3, -1.5, 1.5);
        check_second(
            "logreg",
            &pts,
            &dual2,
            &|w| logreg::value_and_grad(w, &x, &y, 0.1),
            &|w, v| logreg::hvp(w, &x, &y, 0.1, v),
            &|w| {
                let (v, g, h) = logreg::hessian(w, &x, &y, 0.1);
                assert_eq!(h.shape(), (3, 3), "the Hessian is over w only");
                (v, g, hess_flat(&h))
            },
        );
        for w in &pts {
            assert_close("logreg: macro Hessian vs hand", &hess_flat(&logreg::hessian(w, &x, &y, 0.1).2), &logreg_hessian_by_hand(w, &x, &y, 0.1), 1e-12, 0.0);
        }
    }

    #[test]
    fn f32_hvp() {
        for (x, y) in [(0.7f32, -0.4f32), (1.3, 0.9), (-0.5, 1.1)] {
            let (hx, hy) = scalar32::hvp(x, y, 0.6, -0.8);
            let want = hyperdual_hvp(&|v| scalar32_d(v[0], v[1]), &[x as f64, y as f64], &[0.6f32 as f64, -0.8f32 as f64]);
            assert_close("scalar32: f32 hvp vs f64 hyper-dual", &[hx as f64, hy as f64], &want, 1e-4, 0.0);
            let (_, _, h) = scalar32::hessian(x, y);
            assert_close1("scalar32: f32 Hessian symmetric", h[(0, 1)] as f64, h[(1, 0)] as f64, 1e-5);
        }
    }
}
