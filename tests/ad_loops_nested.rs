//! Reverse-mode stress: what the reverse sweep must save and replay.
//! Tuple `let`s that overwrite two carried values at once, a `while` with an
//! active- and data-dependent trip count nested in a `for`, shadowing inside
//! loop bodies, values read before they are overwritten, `match` and
//! `else if` chains inside loops (decisions replayed backwards), `break` out
//! of an inner loop only, `continue` in a `while`, an early `return` after a
//! loop, Newton per element (loop in loop), long loops (n = 2000), and empty
//! or one-element loops.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- two carried values overwritten together through a tuple let ---

#[differentiable]
fn fib_like(x: f64, y: f64) -> f64 {
    let mut a = x;
    let mut b = y;
    for _ in 0..12 {
        let (na, nb) = (b, a * 0.5 + b * x.sin());
        a = na;
        b = nb;
    }
    a + b * 0.1
}
fn fib_like_d<D: Dn>(x: D, y: D) -> D {
    let mut a = x;
    let mut b = y;
    for _ in 0..12 {
        let (na, nb) = (b, a * 0.5 + b * x.sin());
        a = na;
        b = nb;
    }
    a + b * 0.1
}
fn case_fib_like() -> Case {
    Case::new("fib_like", |v| fib_like(v[0], v[1]), |v| fib_like_d(v[0], v[1]), rand_points(90, 5, 2, -1.0, 1.0))
}

// --- a while nested in a for: trip count depends on i and on active s ---

#[differentiable]
fn inner_while(xs: &[f64]) -> f64 {
    let mut s = 0.5;
    for i in 0..xs.len() {
        let mut k = 0;
        while k < i && s < 6.0 {
            s = s * 1.1 + xs[k] * xs[i];
            k += 1;
        }
        s = s * 0.7;
    }
    s
}
fn inner_while_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.5);
    for i in 0..xs.len() {
        let mut k = 0;
        while k < i && s < 6.0 {
            s = s * 1.1 + xs[k] * xs[i];
            k += 1;
        }
        s = s * 0.7;
    }
    s
}
fn case_inner_while() -> Case {
    Case::new("inner_while", |v| inner_while(v), |v| inner_while_d(v), rand_points(91, 5, 7, 0.1, 1.5))
}

// --- shadowing inside the body; the old value read before it is overwritten ---

#[differentiable]
fn shadow_in_loop(xs: &[f64]) -> f64 {
    let mut s = 1.0;
    for i in 0..xs.len() {
        let x = xs[i];
        let x = x * x + 1.0;
        let x = x.ln();
        let prev = s;
        s = s * x + prev.sin();
        s = s / (1.0 + s * s).sqrt();
    }
    s
}
fn shadow_in_loop_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(1.0);
    for i in 0..xs.len() {
        let x = xs[i];
        let x = x * x + 1.0;
        let x = x.ln();
        let prev = s;
        s = s * x + prev.sin();
        s = s / (s * s + 1.0).sqrt();
    }
    s
}
fn case_shadow_in_loop() -> Case {
    Case::new("shadow_in_loop", |v| shadow_in_loop(v), |v| shadow_in_loop_d(v), rand_points(92, 5, 6, -2.0, 2.0))
}

// --- match and else-if chains inside a loop, on the index and on active values ---

#[differentiable]
fn match_in_loop(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        match i % 3 {
            0 => s += xs[i],
            1 => s *= 1.0 + xs[i] * 0.1,
            _ => {
                s = s.sin() + xs[i];
            }
        }
        if s > 2.0 {
            s -= 1.0;
        } else if s < -2.0 {
            s = s * 0.5;
        } else {
            s = s * 1.5 + 0.1;
        }
    }
    s
}
fn match_in_loop_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..xs.len() {
        match i % 3 {
            0 => s += xs[i],
            1 => s *= xs[i] * 0.1 + 1.0,
            _ => {
                s = s.sin() + xs[i];
            }
        }
        if s > 2.0 {
            s -= 1.0;
        } else if s < -2.0 {
            s = s * 0.5;
        } else {
            s = s * 1.5 + 0.1;
        }
    }
    s
}
fn case_match_in_loop() -> Case {
    Case::new("match_in_loop", |v| match_in_loop(v), |v| match_in_loop_d(v), rand_points(93, 6, 9, -2.0, 2.0))
}

// --- break out of the inner loop only ---

#[differentiable]
fn break_inner(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut total = 0.0;
    for i in 0..n {
        let mut acc = 0.0;
        for j in 0..n {
            acc += xs[j] * xs[(i + j) % n];
            if acc > 1.5 {
                break;
            }
        }
        total += acc.tanh();
    }
    total
}
fn break_inner_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut total = c::<D>(0.0);
    for i in 0..n {
        let mut acc = c::<D>(0.0);
        for j in 0..n {
            acc += xs[j] * xs[(i + j) % n];
            if acc > 1.5 {
                break;
            }
        }
        total += acc.tanh();
    }
    total
}
fn case_break_inner() -> Case {
    Case::new("break_inner", |v| break_inner(v), |v| break_inner_d(v), rand_points(94, 5, 5, -1.0, 1.0))
}

// --- continue inside a while ---

#[differentiable]
fn while_continue(xs: &[f64]) -> f64 {
    let mut i = 0;
    let mut s = 1.0;
    while i < xs.len() {
        i += 1;
        if xs[i - 1] < 0.0 {
            continue;
        }
        s = s * xs[i - 1] + 1.0;
    }
    s
}
fn while_continue_d<D: Dn>(xs: &[D]) -> D {
    let mut i = 0;
    let mut s = c::<D>(1.0);
    while i < xs.len() {
        i += 1;
        if xs[i - 1] < 0.0 {
            continue;
        }
        s = s * xs[i - 1] + 1.0;
    }
    s
}
fn case_while_continue() -> Case {
    let pts = vec![vec![0.5, -1.0, 2.0, 0.3, -0.2, 1.1], vec![1.5, 0.7, 0.9], vec![-0.5, -0.6, 0.8, -0.1]];
    Case::new("while_continue", |v| while_continue(v), |v| while_continue_d(v), pts)
}

// --- early return after a loop, then a second loop ---

#[differentiable]
fn return_after_loop(xs: &[f64], t: f64) -> f64 {
    let mut s = 0.0;
    for &x in xs {
        s += x * t;
    }
    if s > 1.0 {
        return s.ln() * t;
    }
    let mut p = 1.0;
    for &x in xs {
        p *= 1.0 + x * x;
    }
    p + s
}
fn return_after_loop_d<D: Dn>(xs: &[D], t: D) -> D {
    let mut s = c::<D>(0.0);
    for &x in xs {
        s += x * t;
    }
    if s > 1.0 {
        return s.ln() * t;
    }
    let mut p = c::<D>(1.0);
    for &x in xs {
        p *= x * x + 1.0;
    }
    p + s
}
fn case_return_after_loop() -> Case {
    let pts = vec![vec![0.5, 0.7, 0.4, 2.0], vec![0.1, -0.3, 0.2, 0.5], vec![-1.0, 0.4, 0.2, -0.7], vec![1.0, 1.0, 1.0, 0.9]];
    Case::new("return_after_loop", |v| return_after_loop(&v[..3], v[3]), |v| return_after_loop_d(&v[..3], v[3]), pts)
}

// --- Newton for sqrt of each element: a tolerance-driven loop inside a for ---

#[differentiable]
fn sum_sqrt_newton(xs: &[f64]) -> f64 {
    let mut total = 0.0;
    for &a in xs {
        let mut y = if a > 1.0 { a } else { 1.0 };
        let mut it = 0;
        loop {
            let ny = 0.5 * (y + a / y);
            it += 1;
            if (ny - y).abs() <= 1e-15 * ny || it == 60 {
                y = ny;
                break;
            }
            y = ny;
        }
        total += y;
    }
    total
}
fn sum_sqrt_newton_d<D: Dn>(xs: &[D]) -> D {
    let mut total = c::<D>(0.0);
    for &a in xs {
        let mut y = if a > 1.0 { a } else { c(1.0) };
        let mut it = 0;
        loop {
            let ny = (y + a / y) * 0.5;
            it += 1;
            if dabs(ny - y) <= ny.re() * 1e-15 || it == 60 {
                y = ny;
                break;
            }
            y = ny;
        }
        total += y;
    }
    total
}
fn case_sum_sqrt_newton() -> Case {
    Case::new("sum_sqrt_newton", |v| sum_sqrt_newton(v), |v| sum_sqrt_newton_d(v), rand_points(95, 4, 5, 0.05, 50.0))
}

// --- long loop: Rosenbrock over 2000 coordinates ---

#[differentiable]
fn rosen_long(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}
fn rosen_grad_by_hand(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut g = vec![0.0; n];
    for i in 0..n - 1 {
        let a = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * a * x[i] - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * a;
    }
    g
}

// --- empty and one-element inputs ---

#[differentiable]
fn sum_sq(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for &x in xs {
        s += x * x;
    }
    s + xs.iter().map(|x| x.sin()).sum::<f64>()
}

#[test]
fn oracles_agree() {
    for case in [
        case_fib_like(),
        case_inner_while(),
        case_shadow_in_loop(),
        case_match_in_loop(),
        case_break_inner(),
        case_while_continue(),
        case_return_after_loop(),
        case_sum_sqrt_newton(),
    ] {
        case.check_oracles();
    }
    for x in rand_points(96, 3, 5, 0.05, 50.0) {
        let (_, g) = dual_grad(&|v| sum_sqrt_newton_d(v), &x);
        let want: Vec<f64> = x.iter().map(|a| 0.5 / a.sqrt()).collect();
        assert_close("sum_sqrt_newton: num-dual vs 1/(2 sqrt a)", &g, &want, 1e-12, 0.0);
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn fib_like_tuple_overwrite_ad() {
        case_fib_like().check_api(api_scalars!(fib_like; 2));
    }

    #[test]
    fn inner_while_ad() {
        case_inner_while().check_api(api_slice!(inner_while));
    }

    #[test]
    fn shadow_in_loop_ad() {
        case_shadow_in_loop().check_api(api_slice!(shadow_in_loop));
    }

    #[test]
    fn match_in_loop_ad() {
        case_match_in_loop().check_api(api_slice!(match_in_loop));
    }

    #[test]
    fn break_inner_ad() {
        case_break_inner().check_api(api_slice!(break_inner));
    }

    #[test]
    fn while_continue_ad() {
        case_while_continue().check_api(api_slice!(while_continue));
    }

    #[test]
    fn return_after_loop_ad() {
        case_return_after_loop().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, gt)): (f64, (Vec<f64>, f64)) = return_after_loop::value_and_grad(&v[..3], v[3]);
                (val, [gx, vec![gt]].concat())
            },
            grad: &|v| {
                let (gx, gt): (Vec<f64>, f64) = return_after_loop::grad(&v[..3], v[3]);
                [gx, vec![gt]].concat()
            },
            jvp: &|v, t| return_after_loop::jvp(&v[..3], v[3], &t[..3], t[3]),
            grad_into: &|v, g| {
                let (gx, gt) = g.split_at_mut(3);
                return_after_loop::value_and_grad_into(&v[..3], v[3], gx, &mut gt[0])
            },
        });
    }

    #[test]
    fn sum_sqrt_newton_ad() {
        case_sum_sqrt_newton().check_api(api_slice!(sum_sqrt_newton));
        for x in rand_points(96, 3, 5, 0.05, 50.0) {
            let want: Vec<f64> = x.iter().map(|a| 0.5 / a.sqrt()).collect();
            assert_close("sum_sqrt_newton: macro grad vs 1/(2 sqrt a)", &sum_sqrt_newton::grad(&x), &want, 1e-12, 0.0);
        }
    }

    #[test]
    fn long_loop_ad() {
        let x = rand_points(97, 1, 2000, -1.5, 1.5).remove(0);
        let (v, g) = rosen_long::value_and_grad(&x);
        assert_same("rosen_long value", v, rosen_long(&x));
        assert_close("rosen_long (n = 2000): macro grad vs hand gradient", &g, &rosen_grad_by_hand(&x), 1e-12, 0.0);
        let t = rand_points(98, 1, 2000, -1.0, 1.0).remove(0);
        let (_, jd) = rosen_long::jvp(&x, &t);
        let dot: f64 = g.iter().zip(&t).map(|(a, b)| a * b).sum();
        let mag: f64 = g.iter().zip(&t).map(|(a, b)| (a * b).abs()).sum();
        assert!((jd - dot).abs() <= 1e-10 * mag, "rosen_long: jvp {jd} vs grad.v {dot}");
        // the same buffer reused across calls keeps adding
        let mut buf = vec![0.0; 2000];
        for _ in 0..3 {
            rosen_long::value_and_grad_into(&x, &mut buf);
        }
        let g3: Vec<f64> = g.iter().map(|a| 3.0 * a).collect();
        assert_close("rosen_long: three value_and_grad_into calls", &buf, &g3, 1e-13, 0.0);
    }

    #[test]
    fn empty_and_single_element_ad() {
        let (v, g) = sum_sq::value_and_grad(&[]);
        assert_eq!((v, g.len()), (0.0, 0));
        assert_eq!(sum_sq::jvp(&[], &[]), (0.0, 0.0));
        let g1 = sum_sq::grad(&[0.7]);
        assert_close("sum_sq one element", &g1, &[1.4 + 0.7f64.cos()], 1e-15, 0.0);
        // Rosenbrock of one coordinate: the loop runs zero times
        let (v, g) = rosen_long::value_and_grad(&[0.3]);
        assert_eq!((v, g), (0.0, vec![0.0]));
    }
}
