//! `f32` functions: the same constructs as the f64 files (straight-line
//! math and `f32::name(..)` forms, loops with branches, reverse ranges,
//! iterator folds, calls, arrays, `wrt(..)` with f32 data). The oracles run
//! in f64: num-dual through a generic copy evaluated at the f32 point, finite
//! differences of that copy in f64, and (loosely) finite differences of the
//! f32 function itself.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

fn narrow(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&a| a as f32).collect()
}
fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&a| a as f64).collect()
}

// --- straight-line f32 math ---

#[differentiable]
fn scalar32(x: f32, y: f32) -> f32 {
    let n = 3;
    let mut s = x.sin() * (y * 0.5).exp() + (x * x + 1.0).sqrt();
    s += x.powi(3) * 0.1 - f32::ln(y + 2.0);
    s *= 1.0 + (x * y).tanh() * 0.5;
    let (a, b) = (x.max(y), f32::atan2(y, x));
    s + a * b + n as f32 * x.cbrt() + f32::powf(y + 2.0, x * 0.5)
}
fn scalar32_d<D: Dn>(x: D, y: D) -> D {
    let n = 3;
    let mut s = x.sin() * (y * 0.5).exp() + (x * x + 1.0).sqrt();
    s += x.powi(3) * 0.1 - (y + 2.0).ln();
    s *= (x * y).tanh() * 0.5 + 1.0;
    let (a, b) = (dmax(x, y), y.atan2(x));
    s + a * b + x.cbrt() * (n as f64) + dpowf(y + 2.0, x * 0.5)
}
fn case_scalar32() -> Case32 {
    let pts = vec![vec![0.7, -0.4], vec![1.3, 1.9], vec![-1.1, 0.5], vec![2.2, -1.2], vec![0.4, 1.1]];
    Case32::new("scalar32", |v| scalar32(v[0], v[1]), |v| scalar32_d(v[0], v[1]), pts)
}

// --- Rosenbrock f32 ---

#[differentiable]
fn rosenbrock32(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}
fn rosenbrock32_d<D: Dn>(x: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = -x[i] + 1.0;
        s += a * a * 100.0 + b * b;
    }
    s
}
fn case_rosenbrock32() -> Case32 {
    let mut pts = rand_points(70, 3, 6, -1.5, 1.5);
    pts.push(vec![-1.2, 1.0]);
    Case32::new("rosenbrock32", |v| rosenbrock32(v), |v| rosenbrock32_d(v), pts)
}

// --- Horner with (a..b).rev() over a local bound; gradient (Vec<f32>, f32)
// (the form `(0..coef.len()).rev()` is in ad_range_len.rs) ---

#[differentiable]
fn horner32(coef: &[f32], x: f32) -> f32 {
    let n = coef.len();
    let mut acc = 0.0;
    for i in (0..n).rev() {
        acc = acc * x + coef[i];
    }
    acc
}
fn horner32_d<D: Dn>(coef: &[D], x: D) -> D {
    let mut acc = c::<D>(0.0);
    for i in (0..coef.len()).rev() {
        acc = acc * x + coef[i];
    }
    acc
}
fn case_horner32() -> Case32 {
    Case32::new("horner32", |v| horner32(&v[..5], v[5]), |v| horner32_d(&v[..5], v[5]), rand_points(71, 4, 6, -1.2, 1.2))
}

// --- iterator folds in f32 ---

#[differentiable]
fn iter32(xs: &[f32], ys: &[f32]) -> f32 {
    let a = xs.iter().map(|x| x * x).sum::<f32>();
    let b = xs.iter().zip(ys.iter()).map(|(x, y)| x * y).sum::<f32>();
    let c = ys.iter().fold(0.0, |acc, y| acc * 0.5 + y.sin());
    let p = xs.iter().map(|&x| 1.0 + 0.1 * x).product::<f32>();
    let e: f32 = (0..ys.len()).map(|i| ys[i] * i as f32).sum();
    a + b * c + p + e
}
fn iter32_d<D: Dn>(xs: &[D], ys: &[D]) -> D {
    let a = xs.iter().map(|x| *x * *x).sum::<D>();
    let b = xs.iter().zip(ys.iter()).map(|(x, y)| *x * *y).sum::<D>();
    let cc = ys.iter().fold(c::<D>(0.0), |acc, y| acc * 0.5 + y.sin());
    let p = xs.iter().map(|&x| x * 0.1 + 1.0).product::<D>();
    let e: D = (0..ys.len()).map(|i| ys[i] * (i as f64)).sum();
    a + b * cc + p + e
}
fn case_iter32() -> Case32 {
    Case32::new("iter32", |v| iter32(&v[..4], &v[4..]), |v| iter32_d(&v[..4], &v[4..]), rand_points(72, 4, 8, -1.5, 1.5))
}

// --- if / else if inside a loop ---

#[differentiable]
fn piecewise_loop32(xs: &[f32]) -> f32 {
    let mut s = 0.0;
    for &x in xs {
        if x < -1.0 {
            s += -2.0 * x - 1.0;
        } else if x < 1.0 {
            s += x * x;
        } else {
            s += 2.0 * x - 1.0;
        }
        if s > 4.0 {
            s = s.sqrt() + 2.0;
        }
    }
    s
}
fn piecewise_loop32_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for &x in xs {
        if x < -1.0 {
            s += x * -2.0 - 1.0;
        } else if x < 1.0 {
            s += x * x;
        } else {
            s += x * 2.0 - 1.0;
        }
        if s > 4.0 {
            s = s.sqrt() + 2.0;
        }
    }
    s
}
fn case_piecewise_loop32() -> Case32 {
    let pts = vec![vec![0.5, -2.0, 1.7, 0.2, -0.9, 3.1, -1.4, 0.6], vec![2.6, 2.5, -3.0, 0.1, 0.95, -0.35]];
    Case32::new("piecewise_loop32", |v| piecewise_loop32(v), |v| piecewise_loop32_d(v), pts)
}

// --- calls between f32 functions ---

#[differentiable]
fn sq32(x: f32) -> f32 {
    x * x
}

#[differentiable]
fn calls32(x: f32, y: f32) -> f32 {
    sq32(x - y) + sq32(x) * y.cos()
}
fn calls32_d<D: Dn>(x: D, y: D) -> D {
    (x - y) * (x - y) + x * x * y.cos()
}
fn case_calls32() -> Case32 {
    Case32::new("calls32", |v| calls32(v[0], v[1]), |v| calls32_d(v[0], v[1]), rand_points(73, 4, 2, -2.0, 2.0))
}

// --- [f32; 3] by value: gradient [f32; 3] ---

#[differentiable]
fn array32(a: [f32; 3]) -> f32 {
    a[0] * a[1] + (a[2] * 0.5).exp() - a[1].abs().sqrt()
}
fn array32_d<D: Dn>(a: [D; 3]) -> D {
    a[0] * a[1] + (a[2] * 0.5).exp() - dabs(a[1]).sqrt()
}
fn case_array32() -> Case32 {
    Case32::new("array32", |v| array32([v[0], v[1], v[2]]), |v| array32_d([v[0], v[1], v[2]]), rand_points(74, 4, 3, 0.2, 2.0))
}

// --- wrt(w) with f32 data and an f32 constant ---

#[differentiable(wrt(w))]
fn ridge32(w: &[f32], x: &[f32], y: &[f32], lambda: f32) -> f32 {
    let d = w.len();
    let mut loss = 0.0;
    for i in 0..y.len() {
        let r = (0..d).map(|j| w[j] * x[i * d + j]).sum::<f32>() - y[i];
        loss += r * r;
    }
    loss / y.len() as f32 + lambda * w.iter().map(|v| v * v).sum::<f32>()
}
fn ridge32_d<D: Dn>(w: &[D], x: &[f64], y: &[f64], lambda: f64) -> D {
    let d = w.len();
    let mut loss = c::<D>(0.0);
    for i in 0..y.len() {
        let r = (0..d).map(|j| w[j] * x[i * d + j]).sum::<D>() - y[i];
        loss += r * r;
    }
    loss / y.len() as f64 + w.iter().map(|v| *v * *v).sum::<D>() * lambda
}
fn ridge32_data() -> (Vec<f32>, Vec<f32>) {
    (narrow(&rand_points(75, 1, 30, -1.0, 1.0)[0]), narrow(&rand_points(76, 1, 10, -1.0, 1.0)[0]))
}
fn case_ridge32() -> Case32 {
    let (x, y) = ridge32_data();
    let (x64, y64) = (widen(&x), widen(&y));
    Case32::new(
        "ridge32",
        move |w| ridge32(w, &x, &y, 0.25),
        move |w| ridge32_d(w, &x64, &y64, 0.25),
        rand_points(77, 4, 3, -1.0, 1.0),
    )
}

// --- f32 control flow: match, early return, while with an active condition ---

#[differentiable]
fn control32(x: f32, y: f32, k: usize) -> f32 {
    if x < -2.0 {
        return x * y;
    }
    let a = match k {
        0 => x * y,
        1 | 2 => (x - y).exp(),
        3..=5 => x.sin() + y,
        _ => -x,
    };
    let mut s = a * a + 1.0;
    while s > 0.5 {
        s = s * 0.6 + 0.01 * y;
    }
    let sig = if x >= 0.0 { 1.0 / (1.0 + (-x).exp()) } else { x.exp() / (1.0 + x.exp()) };
    s + sig * a
}
fn control32_d<D: Dn>(x: D, y: D, k: usize) -> D {
    if x < -2.0 {
        return x * y;
    }
    let a = match k {
        0 => x * y,
        1 | 2 => (x - y).exp(),
        3..=5 => x.sin() + y,
        _ => -x,
    };
    let mut s = a * a + 1.0;
    while s > 0.5 {
        s = s * 0.6 + y * 0.01;
    }
    let sig = if x >= 0.0 { ((-x).exp() + 1.0).recip() } else { x.exp() / (x.exp() + 1.0) };
    s + sig * a
}
fn case_control32(k: usize) -> Case32 {
    let pts = vec![vec![-2.5, 0.7], vec![0.4, 0.9], vec![-0.8, -0.3], vec![1.3, 0.2]];
    Case32::new("control32", move |v| control32(v[0], v[1], k), move |v| control32_d(v[0], v[1], k), pts)
}

// --- f32::name(..) path forms ---

#[differentiable]
fn path32(x: f32, y: f32) -> f32 {
    let a = f32::sin(x) + f32::cos(y) + f32::tan(x * 0.5) + f32::asin(y * 0.3) + f32::acos(x * 0.2) + f32::atan(x * y);
    let b = f32::sinh(x * 0.5) + f32::cosh(y * 0.5) + f32::tanh(x - y) + f32::asinh(x) + f32::acosh(x + 1.5) + f32::atanh(y * 0.4);
    let c = f32::exp(x * 0.3) + f32::exp2(y) + f32::exp_m1(x - y) + f32::ln(x) + f32::ln_1p(y) + f32::log(x, 3.0) + f32::log10(x) + f32::log2(x);
    let d = f32::sqrt(x) + f32::cbrt(y) + f32::powi(x, 3) + f32::powf(x, y) + f32::hypot(x, y) + f32::recip(x) + f32::mul_add(x, y, 1.0);
    let e = f32::abs(x - 2.0 * y) + f32::max(x, y) + f32::min(x * 0.5, y) + f32::clamp(x * y, 0.5, 3.0) + f32::floor(x) * f32::signum(y);
    a + b * 0.5 + c * 0.25 + d * 0.1 + e
}
fn path32_d<D: Dn>(x: D, y: D) -> D {
    let a = x.sin() + y.cos() + (x * 0.5).tan() + (y * 0.3).asin() + (x * 0.2).acos() + (x * y).atan();
    let b = (x * 0.5).sinh() + (y * 0.5).cosh() + (x - y).tanh() + x.asinh() + (x + 1.5).acosh() + (y * 0.4).atanh();
    let cc = (x * 0.3).exp() + y.exp2() + (x - y).exp_m1() + x.ln() + y.ln_1p() + x.log(3.0) + x.log10() + x.log2();
    let d = x.sqrt() + y.cbrt() + x.powi(3) + dpowf(x, y) + dhypot(x, y) + x.recip() + dmul_add(x, y, c(1.0));
    let e = dabs(x - y * 2.0) + dmax(x, y) + dmin(x * 0.5, y) + dclamp(x * y, c(0.5), c(3.0)) + dfloor(x) * dsignum(y);
    a + b * 0.5 + cc * 0.25 + d * 0.1 + e
}
fn case_path32() -> Case32 {
    let pts = vec![vec![1.3, 0.45], vec![2.7, 1.15], vec![0.8, 1.7], vec![1.9, 2.3]];
    Case32::new("path32", |v| path32(v[0], v[1]), |v| path32_d(v[0], v[1]), pts)
}

// Identities to the same type in an f32 function: `.into()`, `f32::from`,
// `core::hint::black_box`.
#[differentiable]
fn identities32(x: f32, y: f32) -> f32 {
    let b: f32 = x.into();
    f32::from(b) * core::hint::black_box(y) + y
}
fn identities32_d<D: Dn>(x: D, y: D) -> D {
    x * y + y
}
fn case_identities32() -> Case32 {
    Case32::new("identities32", |v| identities32(v[0], v[1]), |v| identities32_d(v[0], v[1]), rand_points(161, 4, 2, -2.0, 2.0))
}

#[test]
fn oracles_agree() {
    for case in [
        case_identities32(),
        case_scalar32(),
        case_rosenbrock32(),
        case_horner32(),
        case_iter32(),
        case_piecewise_loop32(),
        case_calls32(),
        case_array32(),
        case_ridge32(),
        case_path32(),
    ] {
        case.check_oracles();
    }
    for k in 0..7 {
        case_control32(k).check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn identities32_ad() {
        case_identities32().check_api(api32_scalars!(identities32; 2));
    }

    #[test]
    fn scalar32_ad() {
        case_scalar32().check_api(api32_scalars!(scalar32; 2));
    }

    #[test]
    fn rosenbrock32_ad() {
        case_rosenbrock32().check_api(api32_slice!(rosenbrock32));
    }

    #[test]
    fn horner32_ad() {
        case_horner32().check_api(Api32 {
            value_and_grad: &|v| {
                let (val, (gc, gx)): (f32, (Vec<f32>, f32)) = horner32::value_and_grad(&v[..5], v[5]);
                (val, [gc, vec![gx]].concat())
            },
            grad: &|v| {
                let (gc, gx): (Vec<f32>, f32) = horner32::grad(&v[..5], v[5]);
                [gc, vec![gx]].concat()
            },
            jvp: &|v, t| horner32::jvp(&v[..5], v[5], &t[..5], t[5]),
            grad_into: &|v, g| {
                let (gc, gx) = g.split_at_mut(5);
                horner32::value_and_grad_into(&v[..5], v[5], gc, &mut gx[0])
            },
        });
    }

    #[test]
    fn iter32_ad() {
        case_iter32().check_api(Api32 {
            value_and_grad: &|v| {
                let (val, (gx, gy)): (f32, (Vec<f32>, Vec<f32>)) = iter32::value_and_grad(&v[..4], &v[4..]);
                (val, [gx, gy].concat())
            },
            grad: &|v| {
                let (gx, gy): (Vec<f32>, Vec<f32>) = iter32::grad(&v[..4], &v[4..]);
                [gx, gy].concat()
            },
            jvp: &|v, t| iter32::jvp(&v[..4], &v[4..], &t[..4], &t[4..]),
            grad_into: &|v, g| {
                let (gx, gy) = g.split_at_mut(4);
                iter32::value_and_grad_into(&v[..4], &v[4..], gx, gy)
            },
        });
    }

    #[test]
    fn piecewise_loop32_ad() {
        case_piecewise_loop32().check_api(api32_slice!(piecewise_loop32));
    }

    #[test]
    fn calls32_ad() {
        case_calls32().check_api(api32_scalars!(calls32; 2));
    }

    #[test]
    fn array32_ad() {
        case_array32().check_api(Api32 {
            value_and_grad: &|v| {
                let (val, g): (f32, [f32; 3]) = array32::value_and_grad([v[0], v[1], v[2]]);
                (val, g.to_vec())
            },
            grad: &|v| {
                let g: [f32; 3] = array32::grad([v[0], v[1], v[2]]);
                g.to_vec()
            },
            jvp: &|v, t| array32::jvp([v[0], v[1], v[2]], t),
            grad_into: &|v, g| array32::value_and_grad_into([v[0], v[1], v[2]], g),
        });
    }

    #[test]
    fn control32_ad() {
        for k in 0..7 {
            case_control32(k).check_api(Api32 {
                value_and_grad: &|v| {
                    let (val, (gx, gy)): (f32, (f32, f32)) = control32::value_and_grad(v[0], v[1], k);
                    (val, vec![gx, gy])
                },
                grad: &|v| {
                    let (gx, gy) = control32::grad(v[0], v[1], k);
                    vec![gx, gy]
                },
                jvp: &|v, t| control32::jvp(v[0], v[1], k, t[0], t[1]),
                grad_into: &|v, g| {
                    let (gx, gy) = g.split_at_mut(1);
                    control32::value_and_grad_into(v[0], v[1], k, &mut gx[0], &mut gy[0])
                },
            });
        }
    }

    #[test]
    fn path32_ad() {
        case_path32().check_api(api32_scalars!(path32; 2));
    }

    #[test]
    fn ridge32_wrt_ad() {
        let (x, y) = ridge32_data();
        case_ridge32().check_api(Api32 {
            value_and_grad: &|w| {
                let (val, g): (f32, Vec<f32>) = ridge32::value_and_grad(w, &x, &y, 0.25);
                (val, g)
            },
            grad: &|w| ridge32::grad(w, &x, &y, 0.25),
            jvp: &|w, t| ridge32::jvp(w, &x, &y, 0.25, t),
            grad_into: &|w, g| ridge32::value_and_grad_into(w, &x, &y, 0.25, g),
        });
    }
}

// --- f32 fields of a parameter struct with accumulators started from
// unsuffixed constants: the constant must take the function's f32 type
// (it defaulted to f64 inside the matrix-rule path, a rustc type error) ---

#[derive(gd::Params, Clone, Debug, PartialEq)]
pub struct Line32 {
    w: f32,
    b: f32,
}

#[differentiable(wrt(p))]
fn line_sse32(p: &Line32, xs: &[f32], ys: &[f32]) -> f32 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let r = p.w * xs[i] + p.b - ys[i];
        s += r * r;
    }
    s / xs.len() as f32
}

/// A recurrence from a constant expression, the struct by value.
#[differentiable(wrt(p))]
fn line_decay32(p: Line32, x: f32) -> f32 {
    let mut s = -2.0 * 0.25;
    for _ in 0..4 {
        s = s * 0.5 + p.w * x + p.b * p.b;
    }
    s
}

#[cfg(not(gd_oracles_only))]
#[test]
fn f32_struct_fields_with_constant_accumulators() {
    let (xs, ys) = ([0.5f32, -1.0, 2.0, 3.5], [1.0f32, 0.25, -2.0, 4.0]);
    let p = Line32 { w: 0.75, b: -0.5 };
    let n = xs.len() as f64;
    // By hand, in f64: mean of squared residuals.
    let r: Vec<f64> = (0..4).map(|i| p.w as f64 * xs[i] as f64 + p.b as f64 - ys[i] as f64).collect();
    let want = r.iter().map(|r| r * r).sum::<f64>() / n;
    let gw = 2.0 / n * (0..4).map(|i| r[i] * xs[i] as f64).sum::<f64>();
    let gb = 2.0 / n * r.iter().sum::<f64>();
    let (v, g) = line_sse32::value_and_grad(&p, &xs, &ys);
    assert_close1("sse value", v as f64, want, 1e-6);
    assert_close("sse grad", &[g.w as f64, g.b as f64], &[gw, gb], 1e-5, 0.0);
    let mut gs = Line32 { w: f32::NAN, b: f32::NAN };
    assert_eq!(line_sse32::value_and_grad_set(&p, &xs, &ys, &mut gs), v);
    assert_eq!(gs, g);
    // Hessian 2/n [[Σx², Σx], [Σx, n]], column by column through hvp.
    let (sx, sxx) = (xs.iter().map(|&x| x as f64).sum::<f64>(), xs.iter().map(|&x| (x * x) as f64).sum::<f64>());
    let hw = line_sse32::hvp(&p, &xs, &ys, &Line32 { w: 1.0, b: 0.0 });
    assert_close("sse hvp w", &[hw.w as f64, hw.b as f64], &[2.0 / n * sxx, 2.0 / n * sx], 1e-5, 0.0);

    // s₄ = s₀/16 + 1.875 (w x + b²), s₀ = −0.5.
    let x = 1.5f32;
    let want = -0.5 / 16.0 + 1.875 * (p.w as f64 * x as f64 + (p.b as f64).powi(2));
    let (v, g) = line_decay32::value_and_grad(p.clone(), x);
    assert_close1("decay value", v as f64, want, 1e-6);
    assert_close("decay grad", &[g.w as f64, g.b as f64], &[1.875 * x as f64, 3.75 * p.b as f64], 1e-6, 0.0);
    let (_, d) = line_decay32::jvp(p.clone(), x, &Line32 { w: 1.0, b: 2.0 });
    assert_close1("decay jvp", d as f64, 1.875 * x as f64 + 2.0 * 3.75 * p.b as f64, 1e-6);
    let hb = line_decay32::hvp(p.clone(), x, &Line32 { w: 0.0, b: 1.0 });
    assert_close("decay hvp b", &[hb.w as f64, hb.b as f64], &[0.0, 3.75], 1e-6, 0.0);
}
