//! Selection folds (gd-macros/src/plan/select.rs): loops whose running
//! `max`/`min` saves and reverses only the trips where it does not win
//! strictly. Spelled several ways: log-sum-exp with the max taken in a
//! `for` loop, a `min` fold of computed values over a closure, the carried
//! value as the second operand over a reversed range, an outer value read
//! in the body, the operand through a call, a running max per row inside an outer loop, and a `min`
//! then `max` in sequence. Each against num-dual, central differences,
//! forward mode and `value_and_grad_set`, some second order against
//! hyper-dual numbers; then ties and NaN, where the trips the fold leaves
//! out would matter if they were wrong: the gradient equals forward mode's
//! (which runs every trip through the rule) bit for bit, and the values the
//! documented conventions give by hand.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn lse_loop(x: &[f64]) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for i in 0..x.len() {
        m = m.max(x[i]);
    }
    let mut s = 0.0;
    for i in 0..x.len() {
        s += (x[i] - m).exp();
    }
    m + s.ln()
}
fn lse_loop_d<D: Dn>(x: &[D]) -> D {
    let mut m = c::<D>(f64::NEG_INFINITY);
    for i in 0..x.len() {
        m = dmax(m, x[i]);
    }
    let mut s = c::<D>(0.0);
    for i in 0..x.len() {
        s += (x[i] - m).exp();
    }
    m + s.ln()
}

#[differentiable]
fn min_sq_fold(x: &[f64]) -> f64 {
    let lo = x.iter().fold(f64::INFINITY, |a, &v| a.min(v * v + 0.5 * v));
    let s = x.iter().map(|v| v * v).sum::<f64>();
    lo * s
}
fn min_sq_fold_d<D: Dn>(x: &[D]) -> D {
    let lo = x.iter().fold(c::<D>(f64::INFINITY), |a, &v| dmin(a, v * v + v * 0.5));
    let s = x.iter().fold(c::<D>(0.0), |a, &v| a + v * v);
    lo * s
}

// The carried value second, the range reversed, a passive index in the operand.
#[differentiable]
fn max_second_rev(x: &[f64]) -> f64 {
    let n = x.len();
    let mut m = -1e300;
    for i in (0..n).rev() {
        m = (x[i] - 0.1 * i as f64).max(m);
    }
    m * m + x[0]
}
fn max_second_rev_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut m = c::<D>(-1e300);
    for i in (0..n).rev() {
        m = dmax(x[i] - 0.1 * i as f64, m);
    }
    m * m + x[0]
}

// An active value from before the loop in the other operand: its adjoint
// comes from the trips kept.
#[differentiable]
fn scaled_max(x: &[f64]) -> f64 {
    let a = x[0].sin();
    let mut m = f64::NEG_INFINITY;
    for i in 1..x.len() {
        m = m.max(a * x[i]);
    }
    m.exp() + a
}
fn scaled_max_d<D: Dn>(x: &[D]) -> D {
    let a = x[0].sin();
    let mut m = c::<D>(f64::NEG_INFINITY);
    for i in 1..x.len() {
        m = dmax(m, a * x[i]);
    }
    m.exp() + a
}

// The other operand through a call to a differentiable function.
#[differentiable]
fn bump(a: f64, b: f64) -> f64 {
    (a * b).sin() + a * a
}
fn bump_d<D: Dn>(a: D, b: D) -> D {
    (a * b).sin() + a * a
}
#[differentiable]
fn called_max(x: &[f64]) -> f64 {
    let w = x[0];
    let mut m = f64::NEG_INFINITY;
    for i in 1..x.len() {
        m = m.max(bump(x[i], w));
    }
    m * w
}
fn called_max_d<D: Dn>(x: &[D]) -> D {
    let w = x[0];
    let mut m = c::<D>(f64::NEG_INFINITY);
    for i in 1..x.len() {
        m = dmax(m, bump_d(x[i], w));
    }
    m * w
}

// A running max per row, inside an outer loop that saves or replays its trips.
#[differentiable]
fn row_max(x: &[f64]) -> f64 {
    let d = 3;
    let mut s = 0.0;
    for r in 0..x.len() / d {
        let mut m = f64::NEG_INFINITY;
        for j in 0..d {
            m = m.max(x[r * d + j]);
        }
        s += m * m * (r + 1) as f64;
    }
    s
}
fn row_max_d<D: Dn>(x: &[D]) -> D {
    let d = 3;
    let mut s = c::<D>(0.0);
    for r in 0..x.len() / d {
        let mut m = c::<D>(f64::NEG_INFINITY);
        for j in 0..d {
            m = dmax(m, x[r * d + j]);
        }
        s += m * m * (r + 1) as f64;
    }
    s
}

// Two folds in sequence: the range of the data.
#[differentiable]
fn spread(x: &[f64]) -> f64 {
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (hi - lo).powi(2) + lo * hi
}
fn spread_d<D: Dn>(x: &[D]) -> D {
    let lo = x.iter().fold(c::<D>(f64::INFINITY), |a, &v| dmin(a, v));
    let hi = x.iter().fold(c::<D>(f64::NEG_INFINITY), |a, &v| dmax(a, v));
    (hi - lo).powi(2) + lo * hi
}

slice_cases!(-1.2, 1.2;
    lse_loop, lse_loop_d, 401, 7;
    min_sq_fold, min_sq_fold_d, 402, 6;
    max_second_rev, max_second_rev_d, 403, 6;
    scaled_max, scaled_max_d, 404, 6;
    row_max, row_max_d, 405, 9;
    spread, spread_d, 406, 7;
    called_max, called_max_d, 407, 6;
);
#[cfg(not(gd_oracles_only))]
#[test]
fn selection_folds_ad() {
    check_all_api();
}

/// The plain running maximum and minimum, for the ties.
#[differentiable]
fn run_max(x: &[f64]) -> f64 {
    x.iter().copied().fold(f64::NEG_INFINITY, f64::max)
}
#[differentiable]
fn run_min_loop(x: &[f64]) -> f64 {
    let mut m = f64::INFINITY;
    for i in 0..x.len() {
        m = x[i].min(m);
    }
    m
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    fn hess_flat(h: &gd::nalgebra::DMatrix<f64>) -> Vec<f64> {
        h.iter().copied().collect()
    }

    macro_rules! second {
        ($f:ident, $f_d:ident, $seed:expr, $dim:expr) => {
            check_second(
                stringify!($f),
                &rand_points($seed, 3, $dim, -1.2, 1.2),
                &|v| $f_d(v),
                &|x| $f::value_and_grad(x),
                &|x, v| $f::hvp(x, v),
                &|x| {
                    let (v, g, h) = $f::hessian(x);
                    (v, g, hess_flat(&h))
                },
            )
        };
    }

    #[test]
    fn selection_folds_second_order() {
        second!(lse_loop, lse_loop_d, 411, 6);
        second!(scaled_max, scaled_max_d, 412, 5);
        second!(row_max, row_max_d, 413, 6);
        second!(spread, spread_d, 414, 5);
        second!(called_max, called_max_d, 415, 5);
    }

    /// Forward mode along each axis: every trip through the rule.
    fn by_jvp(jvp: &dyn Fn(&[f64], &[f64]) -> (f64, f64), x: &[f64]) -> Vec<f64> {
        (0..x.len())
            .map(|i| {
                let e: Vec<f64> = (0..x.len()).map(|j| if i == j { 1.0 } else { 0.0 }).collect();
                jvp(x, &e).1
            })
            .collect()
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|g| g.to_bits()).collect()
    }

    #[test]
    fn ties_and_nan() {
        let nan = f64::NAN;
        // A tie gives each side half (the later trip's half first), a NaN
        // operand gives all to the other: by hand from those conventions.
        // The first two after these take the forward sweep's fast path (one
        // trip equals the result and beats the start strictly), the last
        // four do not (the start is the result: a tie with it; a NaN result;
        // no trip), nor the ties below.
        let max_cases: [(&[f64], &[f64]); 12] = [
            (&[0.5, -2.0, 0.7, 0.1, -3.0], &[0.0, 0.0, 1.0, 0.0, 0.0]),
            (&[nan, 0.5, 0.7, nan], &[0.0, 0.0, 1.0, 0.0]),
            (&[f64::NEG_INFINITY], &[0.5]),
            (&[f64::NEG_INFINITY, nan], &[0.5, 0.0]),
            (&[nan], &[0.0]),
            (&[], &[]),
            (&[1.0, 3.0, 3.0, 2.0], &[0.0, 0.5, 0.5, 0.0]),
            (&[2.0, 2.0, 2.0], &[0.25, 0.25, 0.5]),
            (&[1.0, nan, 3.0, 2.0], &[0.0, 0.0, 1.0, 0.0]),
            (&[nan, 1.0], &[0.0, 1.0]),
            (&[4.0, 1.0, 4.0, 0.0, 4.0], &[0.25, 0.0, 0.25, 0.0, 0.5]),
            (&[-1.0, -2.0, -3.0], &[1.0, 0.0, 0.0]),
        ];
        for (x, want) in max_cases {
            let (v, g) = run_max::value_and_grad(x);
            assert_eq!(v, run_max(x));
            assert_eq!(g, want, "run_max at {x:?}");
            assert_eq!(bits(&g), bits(&by_jvp(&|x, t| run_max::jvp(x, t), x)), "run_max at {x:?}: reverse vs forward");
            let mut gs = vec![nan; x.len()];
            run_max::value_and_grad_set(x, &mut gs);
            assert_eq!(bits(&gs), bits(&g), "run_max at {x:?}: set vs value_and_grad");
        }
        // `x[i].min(m)`: the carried value second; the later trip's half first.
        let min_cases: [(&[f64], &[f64]); 4] = [
            (&[3.0, 1.0, 1.0, 2.0], &[0.0, 0.5, 0.5, 0.0]),
            (&[5.0, 5.0], &[0.5, 0.5]),
            (&[2.0, nan, 1.0], &[0.0, 0.0, 1.0]),
            (&[0.0, -0.0, 1.0], &[0.5, 0.5, 0.0]),
        ];
        for (x, want) in min_cases {
            let (v, g) = run_min_loop::value_and_grad(x);
            assert_eq!(v.to_bits(), run_min_loop(x).to_bits());
            assert_eq!(g, want, "run_min_loop at {x:?}");
            assert_eq!(bits(&g), bits(&by_jvp(&|x, t| run_min_loop::jvp(x, t), x)), "run_min_loop at {x:?}: reverse vs forward");
        }
        // Ties inside the other spellings: reverse against forward.
        for x in [vec![0.5, 0.9, -0.2, 0.9, 0.9, 0.1], vec![0.3, 0.3, 0.3, 0.3, 0.3, 0.3]] {
            for (name, grad, jvp) in [
                ("lse_loop", &lse_loop::grad as &dyn Fn(&[f64]) -> Vec<f64>, &lse_loop::jvp as &dyn Fn(&[f64], &[f64]) -> (f64, f64)),
                ("spread", &spread::grad, &spread::jvp),
                ("row_max", &row_max::grad, &row_max::jvp),
            ] {
                assert_close(&format!("{name} at {x:?}: reverse vs forward"), &grad(&x), &by_jvp(jvp, &x), 1e-14, 0.0);
            }
        }
    }
}
