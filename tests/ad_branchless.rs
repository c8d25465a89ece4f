//! Branch-free `if`s in loops (`plan::branchless`): both arms run and a
//! bit-exact select picks the result and the adjoints. The gradient must be
//! the one of the arm Rust's `if` takes, at points in every arm, at the
//! boundaries (the comparison decides) and with NaN (a NaN comparison is
//! false: the else arm), and a NaN or infinity computed by the arm not
//! taken (`sqrt` of a negative, `ln` of a negative, `0.5 / sqrt(0)`) must
//! not leak into the value or the gradient.

mod common;

use gd::differentiable;

// --- Huber, written four ways, and a fifth without an `if` ---

#[differentiable(wrt(x))]
fn huber(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = x[i] - y[i];
        s += if r.abs() <= 1.0 { 0.5 * r * r } else { r.abs() - 0.5 };
    }
    s
}

#[differentiable(wrt(x))]
fn huber_gt(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = x[i] - y[i];
        s += if r.abs() > 1.0 { r.abs() - 0.5 } else { 0.5 * r * r };
    }
    s
}

#[differentiable(wrt(x))]
fn huber_let(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = x[i] - y[i];
        let t = if r.abs() <= 1.0 {
            let h = 0.5 * r;
            h * r
        } else {
            r.abs() - 0.5
        };
        s += t;
    }
    s
}

/// An `if` without `else` that reassigns a value.
#[differentiable(wrt(x))]
fn huber_assign(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = x[i] - y[i];
        let mut t = 0.5 * r * r;
        if r.abs() > 1.0 {
            t = r.abs() - 0.5;
        }
        s += t;
    }
    s
}

/// No `if`: `q = min(|r|, 1)`, `q (|r| − q/2)`.
#[differentiable(wrt(x))]
fn huber_min(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = x[i] - y[i];
        let q = r.abs().min(1.0);
        s += q * (r.abs() - 0.5 * q);
    }
    s
}

#[differentiable(wrt(x))]
fn huber_f32(x: &[f32], y: &[f32]) -> f32 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = x[i] - y[i];
        s += if r.abs() <= 1.0 { 0.5 * r * r } else { r.abs() - 0.5 };
    }
    s
}

/// The gradient of the branch Rust's `if` takes (abs'(0) = 0, abs'(NaN) = 0
/// as the rule table says). `r.abs() <= 1.0` is false for NaN (the linear
/// piece), `r.abs() > 1.0` too (the quadratic piece): `nan_quadratic`.
fn huber_hand(x: &[f64], y: &[f64]) -> (f64, Vec<f64>) {
    huber_hand_nan(x, y, false)
}

fn huber_hand_nan(x: &[f64], y: &[f64], nan_quadratic: bool) -> (f64, Vec<f64>) {
    let mut s = 0.0;
    let mut g = vec![0.0; x.len()];
    for i in 0..x.len() {
        let r = x[i] - y[i];
        if r.abs() <= 1.0 || (nan_quadratic && r.is_nan()) {
            s += 0.5 * r * r;
            g[i] = r;
        } else {
            s += r.abs() - 0.5;
            g[i] = if r > 0.0 { 1.0 } else if r < 0.0 { -1.0 } else { 0.0 };
        }
    }
    (s, g)
}

// --- three pieces, one of them `ln`, and an `else if` chain ---

#[differentiable]
fn piecewise(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in x {
        s += if v < -1.0 {
            -2.0 * v - 1.0
        } else if v < 1.0 {
            v * v
        } else {
            2.0 * v.ln() + 1.0
        };
    }
    s
}

fn piecewise_hand(x: &[f64]) -> (f64, Vec<f64>) {
    let mut s = 0.0;
    let g = x
        .iter()
        .map(|&v| {
            let (f, d) = if v < -1.0 {
                (-2.0 * v - 1.0, -2.0)
            } else if v < 1.0 {
                (v * v, 2.0 * v)
            } else {
                (2.0 * v.ln() + 1.0, 2.0 / v)
            };
            s += f;
            d
        })
        .collect();
    (s, g)
}

/// The same chain with `sqrt` for `ln`: cheap enough to compute in every
/// trip (`piecewise`, with `ln`, keeps its branches), and NaN (v < 0) or
/// an infinite partial (v = 0) in the third piece when it is not taken.
#[differentiable]
fn piecewise_sqrt(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in x {
        s += if v < -1.0 {
            -2.0 * v - 1.0
        } else if v < 1.0 {
            v * v
        } else {
            4.0 * v.sqrt() - 3.0
        };
    }
    s
}


/// The arm not taken divides by zero or takes the square root of a
/// negative: its partials are NaN or infinite, times a zero adjoint NaN.
#[differentiable]
fn sqrt_or_neg(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in x {
        s += if v > 0.0 { v.sqrt() } else { -v };
    }
    s
}

fn sqrt_or_neg_hand(x: &[f64]) -> (f64, Vec<f64>) {
    let mut s = 0.0;
    let g = x
        .iter()
        .map(|&v| {
            if v > 0.0 {
                s += v.sqrt();
                0.5 / v.sqrt()
            } else {
                s += -v;
                -1.0
            }
        })
        .collect();
    (s, g)
}

// --- the checks ---

/// Equal, both NaN, or within `tol` relative to the larger magnitude.
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= tol * a.abs().max(b.abs())
}

fn assert_close(what: &str, got: (f64, &[f64]), want: (f64, &[f64]), tol: f64) {
    assert!(close(got.0, want.0, tol), "{what}: value {} against {}", got.0, want.0);
    for (i, (a, b)) in got.1.iter().zip(want.1).enumerate() {
        assert!(close(*a, *b, tol), "{what}: gradient [{i}] {a} against {b} (x: got {:?}, want {:?})", got.1, want.1);
    }
}

/// Central differences at `x` (points away from the boundaries).
fn central(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let h = 1e-6 * x[i].abs().max(1.0);
            let (mut a, mut b) = (x.to_vec(), x.to_vec());
            a[i] += h;
            b[i] -= h;
            (f(&a) - f(&b)) / (2.0 * h)
        })
        .collect()
}

/// Residuals in every arm, at the boundaries ±1 and 0, and NaN and ±∞.
const RESIDUALS: &[f64] = &[-3.5, -1.2, -1.0, -0.7, -0.0, 0.0, 0.3, 0.999, 1.0, 1.0000001, 2.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];

type Huber = (&'static str, bool, fn(&[f64], &[f64]) -> (f64, Vec<f64>), fn(&[f64], &[f64], &mut [f64]) -> f64, fn(&[f64], &[f64]) -> f64);

fn hubers() -> Vec<Huber> {
    vec![
        ("huber", false, huber::value_and_grad, huber::value_and_grad_set, huber),
        ("huber_gt", true, huber_gt::value_and_grad, huber_gt::value_and_grad_set, huber_gt),
        ("huber_let", false, huber_let::value_and_grad, huber_let::value_and_grad_set, huber_let),
        ("huber_assign", true, huber_assign::value_and_grad, huber_assign::value_and_grad_set, huber_assign),
    ]
}

#[test]
fn huber_forms_follow_the_branch_taken() {
    let y: Vec<f64> = (0..RESIDUALS.len()).map(|i| 0.25 * i as f64 - 1.0).collect();
    let x: Vec<f64> = RESIDUALS.iter().zip(&y).map(|(r, b)| r + b).collect();
    // The residual as the function computes it: `x − y` (rounded).
    for (name, nan_quadratic, vag, set, _) in hubers() {
        let (vh, mut gh) = huber_hand_nan(&x, &y, nan_quadratic);
        if name == "huber_assign" {
            // `0.5 * r * r` runs whatever the branch; where it is overwritten
            // its adjoint is 0, and 0 × ∞ is NaN (as with a branch).
            for (d, r) in gh.iter_mut().zip(RESIDUALS) {
                if r.is_infinite() {
                    *d = f64::NAN;
                }
            }
        }
        let (v, g) = vag(&x, &y);
        assert_close(name, (v, &g), (vh, &gh), 1e-15);
        let mut gs = vec![f64::NAN; x.len()];
        let vs = set(&x, &y, &mut gs);
        assert_close(name, (vs, &gs), (vh, &gh), 1e-15);
    }
    // The finite elements alone: the value is finite, and every element's
    // gradient the branch's.
    let keep: Vec<usize> = (0..x.len()).filter(|&i| RESIDUALS[i].is_finite()).collect();
    let (xf, yf): (Vec<f64>, Vec<f64>) = keep.iter().map(|&i| (x[i], y[i])).unzip();
    let (vh, gh) = huber_hand(&xf, &yf);
    assert!(vh.is_finite());
    for (name, _, vag, ..) in hubers() {
        let (v, g) = vag(&xf, &yf);
        assert_close(name, (v, &g), (vh, &gh), 1e-15);
    }
}

#[test]
fn huber_forms_against_central_differences() {
    let x = [-3.0, -1.4, -0.6, 0.2, 0.8, 1.3, 4.0, -0.05];
    let y = [0.1, 0.2, -0.3, 0.0, 0.5, -0.2, 0.3, 0.9];
    for (name, _, vag, _, f) in hubers() {
        let (_, g) = vag(&x, &y);
        let fd = central(|x| f(x, &y), &x);
        for (i, (a, b)) in g.iter().zip(&fd).enumerate() {
            assert!((a - b).abs() <= 1e-6, "{name}: [{i}] {a} against central difference {b}");
        }
    }
    let (_, g) = huber_min::value_and_grad(&x, &y);
    let (_, gh) = huber_hand(&x, &y);
    assert_close("huber_min", (0.0, &g), (0.0, &gh), 1e-15);
}

#[test]
fn huber_f32_follows_the_branch_taken() {
    let y: Vec<f64> = (0..RESIDUALS.len()).map(|i| 0.25 * i as f64 - 1.0).collect();
    let x: Vec<f64> = RESIDUALS.iter().zip(&y).map(|(r, b)| r + b).collect();
    let (x32, y32): (Vec<f32>, Vec<f32>) = x.iter().zip(&y).map(|(&a, &b)| (a as f32, b as f32)).unzip();
    let (v, g) = huber_f32::value_and_grad(&x32, &y32);
    let mut gs = vec![f32::NAN; x.len()];
    let vs = huber_f32::value_and_grad_set(&x32, &y32, &mut gs);
    // The hand gradient in f32.
    let (mut vh, mut gh) = (0.0f32, vec![0.0f32; x.len()]);
    for i in 0..x.len() {
        let r = x32[i] - y32[i];
        if r.abs() <= 1.0 {
            vh += 0.5 * r * r;
            gh[i] = r;
        } else {
            vh += r.abs() - 0.5;
            gh[i] = if r > 0.0 { 1.0 } else if r < 0.0 { -1.0 } else { 0.0 };
        }
    }
    let f = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<_>>();
    assert_close("huber_f32", (v as f64, &f(&g)), (vh as f64, &f(&gh)), 1e-7);
    assert_close("huber_f32 set", (vs as f64, &f(&gs)), (vh as f64, &f(&gh)), 1e-7);
}

#[test]
fn piecewise_follows_the_branch_taken() {
    // Every piece, both boundaries (v = −1 takes the middle piece, v = 1
    // the last), NaN (the last piece: 2/NaN), ±∞, and points where the
    // pieces not taken compute `ln` of a negative or of zero.
    let x = [-5.0, -1.0000001, -1.0, -0.3, -0.0, 0.0, 0.7, 1.0, 1.5, 8.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    let (v, g) = piecewise::value_and_grad(&x);
    let (vh, gh) = piecewise_hand(&x);
    assert_close("piecewise", (v, &g), (vh, &gh), 1e-15);
    let mut gs = vec![f64::NAN; x.len()];
    let vs = piecewise::value_and_grad_set(&x, &mut gs);
    assert_close("piecewise set", (vs, &gs), (vh, &gh), 1e-15);
    // Without the non-finite points the value is finite.
    let xf = &x[..10];
    let (v, g) = piecewise::value_and_grad(xf);
    let (vh, gh) = piecewise_hand(xf);
    assert!(v.is_finite());
    assert_close("piecewise finite", (v, &g), (vh, &gh), 1e-15);
    let xi = [-4.0, -1.3, -0.5, 0.4, 0.95, 1.2, 3.0];
    let (_, g) = piecewise::value_and_grad(&xi);
    let fd = central(piecewise, &xi);
    for (i, (a, b)) in g.iter().zip(&fd).enumerate() {
        assert!((a - b).abs() <= 1e-6, "piecewise: [{i}] {a} against central difference {b}");
    }
}

#[test]
fn piecewise_sqrt_follows_the_branch_taken() {
    let x = [-5.0, -1.0000001, -1.0, -0.3, -0.0, 0.0, 0.7, 1.0, 1.5, 8.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    let (vh, gh) = common::piecewise_sqrt_hand(&x);
    let (v, g) = piecewise_sqrt::value_and_grad(&x);
    assert_close("piecewise_sqrt", (v, &g), (vh, &gh), 1e-15);
    let mut gs = vec![f64::NAN; x.len()];
    let vs = piecewise_sqrt::value_and_grad_set(&x, &mut gs);
    assert_close("piecewise_sqrt set", (vs, &gs), (vh, &gh), 1e-15);
    // The finite points: every derivative finite, though the third piece
    // is NaN or infinite where it is not taken.
    let (v, g) = piecewise_sqrt::value_and_grad(&x[..10]);
    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()), "{v} {g:?}");
    let xi = [-4.0, -1.3, -0.5, 0.4, 0.95, 1.2, 3.0];
    let (_, g) = piecewise_sqrt::value_and_grad(&xi);
    let fd = central(piecewise_sqrt, &xi);
    for (i, (a, b)) in g.iter().zip(&fd).enumerate() {
        assert!((a - b).abs() <= 1e-6, "piecewise_sqrt: [{i}] {a} against central difference {b}");
    }
}

#[test]
fn nan_of_the_arm_not_taken_does_not_leak() {
    // v ≤ 0: the then arm's sqrt is NaN (v < 0) or its partial 0.5/0 = ∞
    // (v = 0); times the zero adjoint of the arm not taken, NaN.
    let x = [-2.0, -0.0, 0.0, 0.25, 4.0, -1e-300];
    let (v, g) = sqrt_or_neg::value_and_grad(&x);
    let (vh, gh) = sqrt_or_neg_hand(&x);
    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()), "{v} {g:?}");
    assert_close("sqrt_or_neg", (v, &g), (vh, &gh), 1e-15);
    let mut gs = vec![f64::NAN; x.len()];
    let vs = sqrt_or_neg::value_and_grad_set(&x, &mut gs);
    assert_close("sqrt_or_neg set", (vs, &gs), (vh, &gh), 1e-15);
    // NaN input: `v > 0.0` is false, the else arm: −1.
    let (v, g) = sqrt_or_neg::value_and_grad(&[f64::NAN, 1.0]);
    assert!(v.is_nan());
    assert_eq!(g, vec![-1.0, 0.5]);
}

// --- arms that must not run when not taken keep their branch ---

/// The then arm indexes out of bounds when not taken.
#[differentiable(wrt(x))]
fn gather_guarded(x: &[f64], k: &[usize]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let (j, v) = (k[i], x[i]);
        s += if j < x.len() { x[j] * v } else { v };
    }
    s
}

/// The then arm's `clamp` panics on crossed bounds (v < −1) when not taken.
#[differentiable]
fn clamp_guarded(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in x {
        let (lo, hi) = (v - 1.0, 2.0 * v);
        s += if lo <= hi { (0.5 * v).clamp(lo, hi) } else { v };
    }
    s
}

#[test]
fn arms_that_may_panic_keep_their_branch() {
    let x = [0.5, 2.0, -1.0];
    let (v, g) = gather_guarded::value_and_grad(&x, &[2, 7, 0]);
    assert_eq!(v, 0.5 * -1.0 + 2.0 + -1.0 * 0.5);
    assert_eq!(g, vec![-1.0 + -1.0, 1.0, 0.5 + 0.5]);
    // 0.5 v inside the bounds, the lower one, the upper one, crossed.
    let (v, g) = clamp_guarded::value_and_grad(&[1.0, 3.0, -0.5, -2.0]);
    assert_eq!(v, 0.5 + 2.0 + -1.0 + -2.0);
    assert_eq!(g, vec![0.5, 1.0, 2.0, 1.0]);
}
