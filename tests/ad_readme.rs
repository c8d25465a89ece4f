//! What the README promises beyond the list: `let` with type
//! annotations, `%=`, float-to-integer `as` casts (derivative zero), `fract`,
//! `round_ties_even`, `gd::stop_gradient`,
//! `.copied()` over active arrays, other iterators of data (over `&[usize]`),
//! `hypot` at (0, 0), the quick-start example itself and the L-BFGS-B one.
//! Early `return` from inside loops is in ad_return_in_loop.rs.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- typed lets, %=, float -> int casts, fract, round_ties_even ---

#[differentiable]
fn typed(x: f64, y: f64) -> f64 {
    let a: f64 = x * y + 0.3;
    let mut b: f64 = a * 2.0;
    b %= y;
    let k = (x * 3.0) as i32;
    let m = k as f64 * x + (y * 2.0) as usize as f64;
    let f = (x * 2.5).fract() + (y * 1.5).round_ties_even() * x;
    a + b + m + f
}
fn typed_d<D: Dn>(x: D, y: D) -> D {
    let a: D = x * y + 0.3;
    let mut b: D = a * 2.0;
    b = drem(b, y);
    let k = (x.re() * 3.0) as i32;
    let m = x * (k as f64) + ((y.re() * 2.0) as usize as f64);
    let f = (x * 2.5 - (x.re() * 2.5).trunc()) + x * (y.re() * 1.5).round_ties_even();
    a + b + m + f
}
fn case_typed() -> Case {
    // away from the jumps of %, the casts, fract and round_ties_even
    let pts = vec![vec![0.55, 1.3], vec![1.9, 0.7], vec![2.45, 1.15], vec![1.23, 2.1]];
    Case::new("typed", |v| typed(v[0], v[1]), |v| typed_d(v[0], v[1]), pts)
}

// --- gd::stop_gradient ---

#[differentiable]
fn stopped(x: f64, y: f64) -> f64 {
    gd::stop_gradient(x * y) * x + y + gd::stop_gradient(y.sin())
}
fn stopped_d<D: Dn>(x: D, y: D) -> D {
    x * (x.re() * y.re()) + y + y.re().sin()
}
fn case_stopped() -> Case {
    Case::new("stopped", |v| stopped(v[0], v[1]), |v| stopped_d(v[0], v[1]), rand_points(100, 4, 2, -2.0, 2.0))
        .without_fd("stop_gradient is the identity in the plain function")
}

// A plain fn (not #[differentiable]) and a library fn given differentiated
// values under `stop_gradient`: constants, called as written (the error for
// a plain fn tells the user to write exactly this).
fn square_plain(v: f64) -> f64 {
    v * v
}

#[differentiable]
fn stopped_calls(x: f64, y: f64) -> f64 {
    square_plain(gd::stop_gradient(y)) * x * x + f64::max(gd::stop_gradient(x), 0.5) * y
}
fn stopped_calls_d<D: Dn>(x: D, y: D) -> D {
    x * x * square_plain(y.re()) + y * f64::max(x.re(), 0.5)
}
fn case_stopped_calls() -> Case {
    Case::new("stopped_calls", |v| stopped_calls(v[0], v[1]), |v| stopped_calls_d(v[0], v[1]), rand_points(101, 4, 2, -2.0, 2.0))
        .without_fd("stop_gradient is the identity in the plain function")
}

// --- .copied() over an active slice ---

#[differentiable]
fn copied(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for x in xs.iter().copied() {
        s += x.exp() * 0.1;
    }
    s + xs.iter().copied().map(|x| x * x).sum::<f64>()
}
fn copied_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for x in xs.iter().copied() {
        s += x.exp() * 0.1;
    }
    s + xs.iter().copied().map(|x| x * x).sum::<D>()
}
fn case_copied() -> Case {
    Case::new("copied", |v| copied(v), |v| copied_d(v), rand_points(101, 4, 5, -2.0, 2.0))
}

// --- other iterators of data: over &[usize], rev, skip ---

#[differentiable]
fn data_iters(w: &[f64], idx: &[usize]) -> f64 {
    let mut s = 0.0;
    for &k in idx.iter() {
        s += w[k] * w[k];
    }
    for &k in idx.iter().rev().skip(1) {
        s = s * 0.5 + w[k];
    }
    s
}
fn data_iters_d<D: Dn>(w: &[D], idx: &[usize]) -> D {
    let mut s = c::<D>(0.0);
    for &k in idx.iter() {
        s += w[k] * w[k];
    }
    for &k in idx.iter().rev().skip(1) {
        s = s * 0.5 + w[k];
    }
    s
}
const IDX: [usize; 6] = [3, 0, 3, 1, 4, 0];
fn case_data_iters() -> Case {
    Case::new("data_iters", |w| data_iters(w, &IDX), |w| data_iters_d(w, &IDX), rand_points(102, 4, 5, -2.0, 2.0))
}

// --- hypot at (0, 0) ---

#[differentiable]
fn hyp(x: f64, y: f64) -> f64 {
    x.hypot(y)
}

// --- the README's quick start ---

#[differentiable]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]).powi(2);
    }
    s
}

#[test]
fn oracles_agree() {
    for case in [case_typed(), case_stopped(), case_copied(), case_data_iters()] {
        case.check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn typed_let_rem_assign_casts_fract_ad() {
        case_typed().check_api(api_scalars!(typed; 2));
    }

    #[test]
    fn stop_gradient_ad() {
        case_stopped().check_api(api_scalars!(stopped; 2));
    }

    #[test]
    fn stop_gradient_into_plain_calls_ad() {
        case_stopped_calls().check_api(api_scalars!(stopped_calls; 2));
        // Second order: the dual copy calls the plain fn on the primal too.
        // d2/dx2 = 2 y^2, d2/dxdy = d/dy of the stopped terms' factors = 0.
        let (x, y) = (0.7, -1.3);
        let (hx, hy) = stopped_calls::hvp(x, y, 1.0, 0.0);
        assert!((hx - 2.0 * y * y).abs() < 1e-12 && hy.abs() < 1e-12, "hvp {hx} {hy}");
    }

    #[test]
    fn copied_ad() {
        case_copied().check_api(api_slice!(copied));
    }

    #[test]
    fn data_iters_ad() {
        case_data_iters().check_api(Api {
            value_and_grad: &|w| data_iters::value_and_grad(w, &IDX),
            grad: &|w| data_iters::grad(w, &IDX),
            jvp: &|w, t| data_iters::jvp(w, &IDX, t),
            grad_into: &|w, g| data_iters::value_and_grad_into(w, &IDX, g),
        });
    }

    #[test]
    fn hypot_at_origin_is_zero() {
        assert_eq!(hyp::grad(0.0, 0.0), (0.0, 0.0));
        assert_eq!(hyp::jvp(0.0, 0.0, 1.0, 1.0), (0.0, 0.0));
        assert_eq!(hyp::grad(3.0, 4.0), (0.6, 0.8));
    }

    #[test]
    fn quick_start() {
        let (value, grad) = rosenbrock::value_and_grad(&[-1.2, 1.0]);
        assert_close1("quick start value", value, 24.2, 1e-15);
        assert_close("quick start gradient", &grad, &[-215.6, -88.0], 1e-13, 0.0);
        let (_, slope) = rosenbrock::jvp(&[-1.2, 1.0], &[1.0, 0.0]);
        assert_close1("quick start slope", slope, -215.6, 1e-13);
    }

    /// The L-BFGS-B example (Runtime, "Box constraints").
    #[test]
    fn bounded_lbfgs_example() -> Result<(), gd::runtime::GdError> {
        use gd::runtime::quasi_newton::Lbfgs;
        let inf = f64::INFINITY;
        let mut f = |x: &[f64], g: &mut [f64]| rosenbrock::value_and_grad_set(x, g);
        let r = Lbfgs::new().with_bounds(&[-inf, -inf], &[0.5, inf])?.minimize(&mut f, &[-1.2, 1.0])?;
        assert_eq!(r.x[0], 0.5);
        assert!((r.x[1] - 0.25).abs() < 1e-5);
        Ok(())
    }
}
