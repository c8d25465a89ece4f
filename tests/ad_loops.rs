//! Loops: `for` over `a..b`, `a..=b`, `(a..b).rev()`, `(a..b).step_by(k)`,
//! `xs.iter()`, `&x in xs`, `.enumerate()`, `.zip(..)`; `while` (also with
//! a data-dependent trip count), `loop` with `break`, `continue`, nested
//! loops, loops that overwrite values (`z = z*z + c`, Newton and fixed-point
//! iterations), branches inside loops, `xs[i]` and `xs.len()`.
//! Realistic functions: extended Rosenbrock, Horner, Newton sqrt (fixed and
//! tolerance-driven), a fixed-point iteration with `loop`/`break`.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- extended Rosenbrock over a slice ---

#[differentiable]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}
fn rosenbrock_d<D: Dn>(x: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = -x[i] + 1.0;
        s += a * a * 100.0 + b * b;
    }
    s
}
fn rosenbrock_grad_by_hand(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut g = vec![0.0; n];
    for i in 0..n - 1 {
        let a = x[i + 1] - x[i] * x[i];
        g[i] += -400.0 * a * x[i] - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * a;
    }
    g
}
fn case_rosenbrock() -> Case {
    let mut pts = rand_points(20, 3, 10, -1.5, 1.5);
    pts.push(vec![-1.2, 1.0]);
    pts.push(vec![1.0, 1.0, 1.0]);
    pts.push(rand_points(21, 1, 37, -2.0, 2.0).remove(0));
    Case::new("rosenbrock", |v| rosenbrock(v), |v| rosenbrock_d(v), pts)
}

// --- polynomial by Horner, reverse range over a local bound; coefficients and x active
// (the form `(0..coef.len()).rev()` is in ad_range_len.rs) ---

#[differentiable]
fn horner(coef: &[f64], x: f64) -> f64 {
    let n = coef.len();
    let mut acc = 0.0;
    for i in (0..n).rev() {
        acc = acc * x + coef[i];
    }
    acc
}
fn horner_d<D: Dn>(coef: &[D], x: D) -> D {
    let mut acc = c::<D>(0.0);
    for i in (0..coef.len()).rev() {
        acc = acc * x + coef[i];
    }
    acc
}
fn case_horner() -> Case {
    // flat vector: 6 coefficients then x
    Case::new("horner", |v| horner(&v[..6], v[6]), |v| horner_d(&v[..6], v[6]), rand_points(22, 5, 7, -1.3, 1.3))
}

// --- Newton iterations for sqrt, fixed trip count: derivative of the fixed point ---

#[differentiable]
fn newton_sqrt(a: f64) -> f64 {
    let mut y = if a > 1.0 { a } else { 1.0 };
    for _ in 0..40 {
        y = 0.5 * (y + a / y);
    }
    y
}
fn newton_sqrt_d<D: Dn>(a: D) -> D {
    let mut y = if a > 1.0 { a } else { c(1.0) };
    for _ in 0..40 {
        y = (y + a / y) * 0.5;
    }
    y
}
fn case_newton_sqrt() -> Case {
    let pts = vec![vec![0.04], vec![0.5], vec![2.0], vec![10.0], vec![123.0]];
    Case::new("newton_sqrt", |v| newton_sqrt(v[0]), |v| newton_sqrt_d(v[0]), pts)
}

// --- Newton for sqrt with a tolerance: while loop, data-dependent trip count ---

#[differentiable]
fn newton_sqrt_while(a: f64) -> f64 {
    let mut y = a;
    let mut it = 0;
    while (y * y - a).abs() > 1e-13 * a && it < 100 {
        y = 0.5 * (y + a / y);
        it += 1;
    }
    y
}
fn newton_sqrt_while_d<D: Dn>(a: D) -> D {
    let mut y = a;
    let mut it = 0;
    while dabs(y * y - a) > a.re() * 1e-13 && it < 100 {
        y = (y + a / y) * 0.5;
        it += 1;
    }
    y
}
fn case_newton_sqrt_while() -> Case {
    let pts = vec![vec![0.3], vec![2.0], vec![7.5], vec![400.0]];
    Case::new("newton_sqrt_while", |v| newton_sqrt_while(v[0]), |v| newton_sqrt_while_d(v[0]), pts)
}

// --- fixed point x = 0.5 cos(x) + a by `loop` / `break` (no bisection) ---

#[differentiable]
fn fixed_point(a: f64) -> f64 {
    let mut x = a;
    let mut n = 0;
    loop {
        let nx = 0.5 * x.cos() + a;
        n += 1;
        if (nx - x).abs() < 1e-14 || n >= 200 {
            x = nx;
            break;
        }
        x = nx;
    }
    x
}
fn fixed_point_d<D: Dn>(a: D) -> D {
    let mut x = a;
    let mut n = 0;
    loop {
        let nx = x.cos() * 0.5 + a;
        n += 1;
        if dabs(nx - x) < 1e-14 || n >= 200 {
            x = nx;
            break;
        }
        x = nx;
    }
    x
}
fn case_fixed_point() -> Case {
    let pts = vec![vec![-1.0], vec![0.2], vec![1.3], vec![3.0]];
    Case::new("fixed_point", |v| fixed_point(v[0]), |v| fixed_point_d(v[0]), pts)
}

// --- while with a data-dependent trip count that overwrites an active value ---

#[differentiable]
fn while_shrink(x: f64, y: f64) -> f64 {
    let mut s = x * x + y;
    let mut k = 0.0;
    while s > 1.0 {
        s = s * 0.5 + 0.1 * (s * y).sin();
        k += 1.0;
    }
    s * (k + 1.0) + x
}
fn while_shrink_d<D: Dn>(x: D, y: D) -> D {
    let mut s = x * x + y;
    let mut k = 0.0;
    while s > 1.0 {
        s = s * 0.5 + (s * y).sin() * 0.1;
        k += 1.0;
    }
    s * (k + 1.0) + x
}
fn case_while_shrink() -> Case {
    let pts = vec![vec![3.0, 0.5], vec![0.5, 0.2], vec![5.0, -1.0], vec![10.0, 2.0], vec![1.2, 0.3]];
    Case::new("while_shrink", |v| while_shrink(v[0], v[1]), |v| while_shrink_d(v[0], v[1]), pts)
}

// --- z = z*z + c repeated (complex, in two reals): loops that overwrite ---

#[differentiable]
fn mandel(cr: f64, ci: f64) -> f64 {
    let mut zr = 0.0;
    let mut zi = 0.0;
    for _ in 0..10 {
        let t = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = t;
    }
    zr * zr + zi * zi
}
fn mandel_d<D: Dn>(cr: D, ci: D) -> D {
    let mut zr = c::<D>(0.0);
    let mut zi = c::<D>(0.0);
    for _ in 0..10 {
        let t = zr * zr - zi * zi + cr;
        zi = zr * zi * 2.0 + ci;
        zr = t;
    }
    zr * zr + zi * zi
}
fn case_mandel() -> Case {
    Case::new("mandel", |v| mandel(v[0], v[1]), |v| mandel_d(v[0], v[1]), rand_points(23, 5, 2, -0.4, 0.3))
}

// --- x = x*x + c with the overwritten value itself (one variable) ---

#[differentiable]
fn square_iter(x0: f64, c: f64) -> f64 {
    let mut x = x0;
    for _ in 0..6 {
        x = x * x + c;
    }
    x
}
fn square_iter_d<D: Dn>(x0: D, c: D) -> D {
    let mut x = x0;
    for _ in 0..6 {
        x = x * x + c;
    }
    x
}
fn case_square_iter() -> Case {
    Case::new("square_iter", |v| square_iter(v[0], v[1]), |v| square_iter_d(v[0], v[1]), rand_points(24, 5, 2, -0.6, 0.6))
}

// --- piecewise function with if / else if inside a loop, branch on an accumulated value ---

#[differentiable]
fn piecewise_loop(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        let x = xs[i];
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
fn piecewise_loop_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..xs.len() {
        let x = xs[i];
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
fn case_piecewise_loop() -> Case {
    let pts = vec![
        vec![0.5, -2.0, 1.7, 0.2, -0.9, 3.1, -1.4, 0.6],
        vec![2.6, 2.5, -3.0, 0.1, 0.95, -0.35],
        vec![-0.2, 0.3, -0.4, 0.45],
    ];
    Case::new("piecewise_loop", |v| piecewise_loop(v), |v| piecewise_loop_d(v), pts)
}

// --- nested loops, continue ---

#[differentiable]
fn pair_energy(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut e = 0.0;
    for i in 0..n {
        for j in (i + 1)..n {
            if j == i + 2 {
                continue;
            }
            let d = xs[i] - xs[j];
            e += 1.0 / (d * d + 0.1);
        }
        e += 0.01 * xs[i] * xs[i];
    }
    e
}
fn pair_energy_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut e = c::<D>(0.0);
    for i in 0..n {
        for j in (i + 1)..n {
            if j == i + 2 {
                continue;
            }
            let d = xs[i] - xs[j];
            e += (d * d + 0.1).recip();
        }
        e += xs[i] * xs[i] * 0.01;
    }
    e
}
fn case_pair_energy() -> Case {
    Case::new("pair_energy", |v| pair_energy(v), |v| pair_energy_d(v), rand_points(25, 4, 7, -2.0, 2.0))
}

// --- range forms: a..=b, (a..b).rev(), (a..b).step_by(k) ---

#[differentiable]
fn ranges(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut s = 0.0;
    for i in 0..=2 {
        s += xs[i] * (i as f64 + 1.0);
    }
    let mut t = 1.0;
    for i in (1..n).rev() {
        t = t * 0.5 + xs[i] * xs[i - 1];
    }
    let mut u = 0.0;
    for i in (0..n).step_by(3) {
        u += xs[i].sin();
    }
    for k in 1..=n {
        u += xs[n - k] / k as f64;
    }
    s * t + u
}
fn ranges_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut s = c::<D>(0.0);
    for i in 0..=2 {
        s += xs[i] * (i as f64 + 1.0);
    }
    let mut t = c::<D>(1.0);
    for i in (1..n).rev() {
        t = t * 0.5 + xs[i] * xs[i - 1];
    }
    let mut u = c::<D>(0.0);
    for i in (0..n).step_by(3) {
        u += xs[i].sin();
    }
    for k in 1..=n {
        u += xs[n - k] / (k as f64);
    }
    s * t + u
}
fn case_ranges() -> Case {
    Case::new("ranges", |v| ranges(v), |v| ranges_d(v), rand_points(26, 4, 8, -1.5, 1.5))
}

// --- iterator loops: xs.iter(), &x in xs, enumerate, zip ---

#[differentiable]
fn iter_loops(xs: &[f64], ys: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs.iter() {
        s += x.sin();
    }
    for &x in xs {
        s += x * x * 0.5;
    }
    for (i, x) in xs.iter().enumerate() {
        s += (i as f64 + 1.0) * x * s.cos();
    }
    for (x, y) in xs.iter().zip(ys.iter()) {
        s += x * y;
    }
    for (&x, &y) in xs.iter().zip(ys) {
        s += (x - y).powi(2);
    }
    s
}
fn iter_loops_d<D: Dn>(xs: &[D], ys: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for x in xs.iter() {
        s += x.sin();
    }
    for &x in xs {
        s += x * x * 0.5;
    }
    for (i, x) in xs.iter().enumerate() {
        s += *x * (i as f64 + 1.0) * s.cos();
    }
    for (x, y) in xs.iter().zip(ys.iter()) {
        s += *x * *y;
    }
    for (&x, &y) in xs.iter().zip(ys) {
        s += (x - y).powi(2);
    }
    s
}
fn case_iter_loops() -> Case {
    Case::new("iter_loops", |v| iter_loops(&v[..4], &v[4..]), |v| iter_loops_d(&v[..4], &v[4..]), rand_points(27, 4, 8, -1.0, 1.0))
}

// --- continue and break on active conditions, while over indices ---

#[differentiable]
fn continue_break(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        if xs[i] < 0.0 {
            continue;
        }
        if s > 3.0 {
            break;
        }
        s += xs[i] * xs[i];
    }
    let mut i = 0;
    let mut t = 0.0;
    while i < xs.len() {
        t = t * 0.9 + xs[i];
        i += 1;
    }
    s + t
}
fn continue_break_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..xs.len() {
        if xs[i] < 0.0 {
            continue;
        }
        if s > 3.0 {
            break;
        }
        s += xs[i] * xs[i];
    }
    let mut i = 0;
    let mut t = c::<D>(0.0);
    while i < xs.len() {
        t = t * 0.9 + xs[i];
        i += 1;
    }
    s + t
}
fn case_continue_break() -> Case {
    let pts = vec![vec![1.0, -0.5, 1.2, 0.8, -2.0, 1.5, 0.9, 0.4], vec![0.3, 0.2, -0.1, 0.25], vec![2.1, -1.0, 0.3, 1.1, 0.7]];
    Case::new("continue_break", |v| continue_break(v), |v| continue_break_d(v), pts)
}

// --- xs.len() in arithmetic: mean and variance ---

#[differentiable]
fn variance(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mut mean = 0.0;
    for i in 0..xs.len() {
        mean += xs[i];
    }
    mean /= n;
    let mut v = 0.0;
    for &x in xs {
        let d = x - mean;
        v += d * d;
    }
    v / (n - 1.0)
}
fn variance_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len() as f64;
    let mut mean = c::<D>(0.0);
    for i in 0..xs.len() {
        mean += xs[i];
    }
    mean /= n;
    let mut v = c::<D>(0.0);
    for &x in xs {
        let d = x - mean;
        v += d * d;
    }
    v / (n - 1.0)
}
fn case_variance() -> Case {
    Case::new("variance", |v| variance(v), |v| variance_d(v), rand_points(28, 3, 9, -3.0, 3.0))
}

#[test]
fn oracles_agree() {
    for case in [
        case_rosenbrock(),
        case_horner(),
        case_newton_sqrt(),
        case_newton_sqrt_while(),
        case_fixed_point(),
        case_while_shrink(),
        case_mandel(),
        case_square_iter(),
        case_piecewise_loop(),
        case_pair_energy(),
        case_ranges(),
        case_iter_loops(),
        case_continue_break(),
        case_variance(),
    ] {
        case.check_oracles();
    }
}

/// Hand-derived oracles where they are short: Rosenbrock's gradient,
/// d sqrt(a)/da, and the implicit derivative of the fixed point
/// x = 0.5 cos x + a: dx/da = 1 / (1 + 0.5 sin x).
#[test]
fn oracles_agree_with_hand_derivatives() {
    for x in &case_rosenbrock().points {
        let (_, dg) = dual_grad(&|v| rosenbrock_d(v), x);
        assert_close("rosenbrock: num-dual vs hand gradient", &dg, &rosenbrock_grad_by_hand(x), 1e-12, 0.0);
    }
    for a in [0.04, 0.5, 2.0, 10.0, 123.0] {
        let (_, dg) = dual_grad(&|v| newton_sqrt_d(v[0]), &[a]);
        assert_close1("newton_sqrt: num-dual vs 1/(2 sqrt a)", dg[0], 0.5 / a.sqrt(), 1e-10);
    }
    for a in [-1.0, 0.2, 1.3, 3.0] {
        let x = fixed_point(a);
        let (_, dg) = dual_grad(&|v| fixed_point_d(v[0]), &[a]);
        assert_close1("fixed_point: num-dual vs implicit derivative", dg[0], 1.0 / (1.0 + 0.5 * x.sin()), 1e-10);
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn rosenbrock_ad() {
        case_rosenbrock().check_api(api_slice!(rosenbrock));
        for x in &case_rosenbrock().points {
            assert_close("rosenbrock: macro grad vs hand gradient", &rosenbrock::grad(x), &rosenbrock_grad_by_hand(x), 1e-12, 0.0);
        }
    }

    #[test]
    fn horner_ad() {
        case_horner().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gc, gx)): (f64, (Vec<f64>, f64)) = horner::value_and_grad(&v[..6], v[6]);
                (val, [gc, vec![gx]].concat())
            },
            grad: &|v| {
                let (gc, gx): (Vec<f64>, f64) = horner::grad(&v[..6], v[6]);
                [gc, vec![gx]].concat()
            },
            jvp: &|v, t| horner::jvp(&v[..6], v[6], &t[..6], t[6]),
            grad_into: &|v, g| {
                let (gc, gx) = g.split_at_mut(6);
                horner::value_and_grad_into(&v[..6], v[6], gc, &mut gx[0])
            },
        });
    }

    #[test]
    fn newton_sqrt_ad() {
        case_newton_sqrt().check_api(api_scalars!(newton_sqrt; 1));
        for a in [0.04, 0.5, 2.0, 10.0, 123.0] {
            assert_close1("newton_sqrt: macro grad vs 1/(2 sqrt a)", newton_sqrt::grad(a), 0.5 / a.sqrt(), 1e-10);
        }
    }

    #[test]
    fn newton_sqrt_while_ad() {
        case_newton_sqrt_while().check_api(api_scalars!(newton_sqrt_while; 1));
        for a in [0.3, 2.0, 7.5, 400.0] {
            assert_close1("newton_sqrt_while: macro grad vs 1/(2 sqrt a)", newton_sqrt_while::grad(a), 0.5 / a.sqrt(), 1e-8);
        }
    }

    #[test]
    fn fixed_point_loop_break_ad() {
        case_fixed_point().check_api(api_scalars!(fixed_point; 1));
        for a in [-1.0, 0.2, 1.3, 3.0] {
            let x = fixed_point(a);
            assert_close1("fixed_point: macro grad vs implicit derivative", fixed_point::grad(a), 1.0 / (1.0 + 0.5 * x.sin()), 1e-10);
        }
    }

    #[test]
    fn while_shrink_ad() {
        case_while_shrink().check_api(api_scalars!(while_shrink; 2));
    }

    #[test]
    fn mandel_ad() {
        case_mandel().check_api(api_scalars!(mandel; 2));
    }

    #[test]
    fn square_iter_ad() {
        case_square_iter().check_api(api_scalars!(square_iter; 2));
    }

    #[test]
    fn piecewise_loop_ad() {
        case_piecewise_loop().check_api(api_slice!(piecewise_loop));
    }

    #[test]
    fn pair_energy_ad() {
        case_pair_energy().check_api(api_slice!(pair_energy));
    }

    #[test]
    fn ranges_ad() {
        case_ranges().check_api(api_slice!(ranges));
    }

    #[test]
    fn iter_loops_ad() {
        case_iter_loops().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, gy)): (f64, (Vec<f64>, Vec<f64>)) = iter_loops::value_and_grad(&v[..4], &v[4..]);
                (val, [gx, gy].concat())
            },
            grad: &|v| {
                let (gx, gy): (Vec<f64>, Vec<f64>) = iter_loops::grad(&v[..4], &v[4..]);
                [gx, gy].concat()
            },
            jvp: &|v, t| iter_loops::jvp(&v[..4], &v[4..], &t[..4], &t[4..]),
            grad_into: &|v, g| {
                let (gx, gy) = g.split_at_mut(4);
                iter_loops::value_and_grad_into(&v[..4], &v[4..], gx, gy)
            },
        });
    }

    #[test]
    fn continue_break_ad() {
        case_continue_break().check_api(api_slice!(continue_break));
    }

    #[test]
    fn variance_ad() {
        case_variance().check_api(api_slice!(variance));
    }
}
