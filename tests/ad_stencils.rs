//! Stencils and windows: a seeded loop's reads at indices affine in the trip
//! write their gradient through registers carried from trip to trip
//! (gd-macros/src/plan/window.rs), and a loop's sum reaches the result
//! through a linear tail (`s / n`, `0.5 * s`, `a + b`) with its adjoint known
//! up front (gd-macros/src/plan/fused.rs). Each function is checked, at
//! lengths that give 0, 1, 2 and many trips, against:
//! - central differences of the primal,
//! - forward mode (`jvp`, which the plan does not touch): `grad · v`,
//! - `hvp` (the dual copy of the sweep, which carries windows too) against
//!   differences of the gradient along `v`,
//! - `value_and_grad_set` into a buffer of NaN and 1e300 against
//!   `value_and_grad_into` into zeros, and `_into` adding onto ones.
//!
//! The functions whose `_set` must assign name `__gd_vjp_set_*`, which the
//! macro writes only where the plan proves it: if it stops doing so, this
//! file does not compile.

use gd::differentiable;

mod common;
use common::fd_grad as fd;

type Set = fn(&[f64], &mut [f64]) -> f64;
type Jvp = fn(&[f64], &[f64]) -> (f64, f64);
type Hvp = fn(&[f64], &[f64]) -> Vec<f64>;

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.4 + 0.6 * (i as f64 * 1.7).sin()).collect()
}

fn dir(n: usize) -> Vec<f64> {
    (0..n).map(|i| 1.0 - 0.3 * (i as f64 * 0.9).cos()).collect()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn check(name: &str, f: &dyn Fn(&[f64]) -> f64, set: Set, into: Set, jvp: Jvp, hvp: Hvp, lens: &[usize]) {
    for &n in lens {
        let x = point(n);
        let mut gs: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { f64::NAN } else { 1e300 }).collect();
        let vs = set(&x, &mut gs);
        let mut gi = vec![0.0; n];
        let vi = into(&x, &mut gi);
        assert_eq!(vs, vi, "{name} (n = {n}): value");
        assert!(close(vs, f(&x), 1e-14), "{name} (n = {n}): value {vs} against the primal {}", f(&x));
        assert_eq!(gs, gi, "{name} (n = {n}): set against into");
        let mut ones = vec![1.0; n];
        into(&x, &mut ones);
        for k in 0..n {
            assert!(close(ones[k], 1.0 + gi[k], 1e-14), "{name} (n = {n}) entry {k}: into adds");
        }
        for (k, (a, b)) in gs.iter().zip(fd(f, &x)).enumerate() {
            assert!(close(*a, b, 1e-6), "{name} (n = {n}) entry {k}: {a} against differences {b}");
        }
        let v = dir(n);
        let (_, dv) = jvp(&x, &v);
        let gv: f64 = gs.iter().zip(&v).map(|(a, b)| a * b).sum();
        assert!(close(dv, gv, 1e-12), "{name} (n = {n}): jvp {dv} against grad · v {gv}");
        let hv = hvp(&x, &v);
        let h = 1e-5;
        let shifted = |s: f64| -> Vec<f64> {
            let xs: Vec<f64> = x.iter().zip(&v).map(|(a, b)| a + s * b).collect();
            let mut g = vec![0.0; n];
            into(&xs, &mut g);
            g
        };
        let (gp, gm) = (shifted(h), shifted(-h));
        for k in 0..n {
            let want = (gp[k] - gm[k]) / (2.0 * h);
            assert!(close(hv[k], want, 1e-5), "{name} (n = {n}) entry {k}: hvp {} against differences {want}", hv[k]);
        }
    }
}

macro_rules! check {
    ($f:ident, $lens:expr) => {
        check(stringify!($f), &$f, $f::value_and_grad_set, $f::value_and_grad_into, $f::jvp, $f::hvp, $lens)
    };
}

// The README's Quick Start: a two-point chained stencil (each element read
// on two trips: one register carried).
#[differentiable]
fn chained(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]).powi(2);
    }
    s
}

#[test]
fn two_point_stencil() {
    let _proof = __gd_vjp_set_chained;
    check!(chained, &[1, 2, 3, 4, 9]);
}

// Three points, from a negative offset; the ends of the gradient get fewer
// contributions than the middle.
#[differentiable]
fn laplace(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 1..x.len() - 1 {
        let l = x[i - 1] - 2.0 * x[i] + x[i + 1];
        s += l * l + 0.1 * x[i].sin();
    }
    s
}

#[test]
fn three_point_stencil() {
    let _proof = __gd_vjp_set_laplace;
    check!(laplace, &[2, 3, 4, 5, 11]);
}

// Offsets 0 and 2: position 1 is never read in the same trip, only carried.
#[differentiable]
fn gapped(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 2 {
        s += (x[i] * x[i + 2]).cos();
    }
    s
}

#[test]
fn stencil_with_a_gap() {
    let _proof = __gd_vjp_set_gapped;
    check!(gapped, &[2, 3, 4, 8]);
}

// Pairs by `step_by(2)`: the window moves two per trip, nothing carried; an
// odd length leaves the last element to the zeroing.
#[differentiable]
fn stepped(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..x.len() - 1).step_by(2) {
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]).powi(2);
    }
    s
}

#[test]
fn pairs_by_step_by() {
    let _proof = __gd_vjp_set_stepped;
    check!(stepped, &[1, 2, 3, 6, 7]);
}

// Three reads, two apart: each odd-free boundary element is shared by two
// trips (one carried register, a stride of 2).
#[differentiable]
fn overlapping(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..(x.len() - 1) / 2 {
        let i = 2 * k;
        s += x[i] * x[i + 1] + (x[i + 2] - x[i]).powi(2);
    }
    s
}

#[test]
fn overlapping_pairs() {
    let _proof = __gd_vjp_set_overlapping;
    check!(overlapping, &[1, 3, 4, 5, 9]);
}

// A stride of 3 over two reads: gaps between the trips' windows, so `_set`
// zeroes and adds; `_into` still writes each element once.
#[differentiable]
fn sparse(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in (0..x.len() - 1).step_by(3) {
        s += x[i].exp() * x[i + 1];
    }
    s
}

#[test]
fn stride_wider_than_the_window() {
    check!(sparse, &[1, 2, 4, 7, 8]);
}

#[differentiable]
fn chunked(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for c in x.chunks_exact(2) {
        let a = c[1] - c[0] * c[0];
        s += 100.0 * a * a + (1.0 - c[0]).powi(2);
    }
    s
}

#[test]
fn pairs_by_chunks_exact() {
    let _proof = __gd_vjp_set_chunked;
    check!(chunked, &[0, 1, 2, 5, 8]);
}

#[differentiable]
fn windowed(x: &[f64]) -> f64 {
    x.windows(3).map(|w| (w[0] - 2.0 * w[1] + w[2]).powi(2) + w[1].tanh()).sum::<f64>()
}

#[test]
fn windows_of_three() {
    let _proof = __gd_vjp_set_windowed;
    check!(windowed, &[2, 3, 4, 10]);
}

#[differentiable]
fn zipped(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for (a, b) in x[1..].iter().zip(&x[..n - 1]) {
        s += (a - b) * (a - b) * 0.5;
    }
    s
}

#[test]
fn zip_of_shifted_slices() {
    let _proof = __gd_vjp_set_zipped;
    check!(zipped, &[1, 2, 3, 9]);
}

// Linear tails: a mean over a length computed before the loop, a scaled and
// negated sum, and two sums added (two seeded loops read `x`: `_set`
// zeroes and adds, each loop's windows add).
#[differentiable]
fn mean_sq_diff(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += (x[i + 1] - x[i]).powi(2);
    }
    s / n
}

#[differentiable]
fn scaled(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 1..x.len() {
        s += x[i - 1] * x[i].cos();
    }
    3.0 - 0.5 * s
}

#[differentiable]
fn smooth_plus_ridge(x: &[f64]) -> f64 {
    x.windows(2).map(|w| (w[1] - w[0]) * (w[1] - w[0])).sum::<f64>() + 0.1 * x.iter().map(|v| v * v).sum::<f64>()
}

#[test]
fn linear_tails() {
    let _proof = (__gd_vjp_set_mean_sq_diff, __gd_vjp_set_scaled);
    check!(mean_sq_diff, &[1, 2, 3, 8]);
    check!(scaled, &[1, 2, 3, 8]);
    check!(smooth_plus_ridge, &[1, 2, 3, 8]);
}

// A data-dependent break ends the trips early: the carried registers are
// written from the last trip that ran, and `_set` zeroes the rest.
#[differentiable]
fn until_large(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        if x[i] > 0.95 {
            break;
        }
        s += x[i] * x[i + 1];
    }
    s
}

#[test]
fn break_ends_the_window_early() {
    // point(n)[2] = 0.4 + 0.6 sin(3.4) < 0.95, point(n)[1] = 0.99 > 0.95.
    assert!(point(4)[1] > 0.95);
    check!(until_large, &[1, 2, 3, 6]);
}

// Two differentiated arrays, each with its own window; data read beside them.
#[differentiable(wrt(a, b))]
fn coupled(a: &[f64], b: &[f64], d: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() - 1 {
        s += d[i] * a[i] * b[i + 1] - a[i + 1] * b[i];
    }
    s
}

#[test]
fn two_arrays_two_windows() {
    let (a, b) = (point(7), dir(7));
    let d: Vec<f64> = (0..7).map(|i| i as f64 - 2.0).collect();
    let (v, (ga, gb)) = coupled::value_and_grad(&a, &b, &d);
    let mut sa = vec![f64::NAN; 7];
    let mut sb = vec![f64::NAN; 7];
    assert_eq!(coupled::value_and_grad_set(&a, &b, &d, &mut sa, &mut sb), v);
    assert_eq!((&sa, &sb), (&ga, &gb));
    for i in 0..7 {
        let hand_a = if i < 6 { d[i] * b[i + 1] } else { 0.0 } - if i > 0 { b[i - 1] } else { 0.0 };
        let hand_b = if i > 0 { d[i - 1] * a[i - 1] } else { 0.0 } - if i < 6 { a[i + 1] } else { 0.0 };
        assert!(close(ga[i], hand_a, 1e-15) && close(gb[i], hand_b, 1e-15), "entry {i}");
    }
}

#[differentiable]
fn chained32(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]).powi(2);
    }
    s
}

#[test]
fn f32_stencil_against_f64() {
    let x = point(9);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let mut g32 = vec![f32::NAN; 9];
    chained32::value_and_grad_set(&x32, &mut g32);
    let g = chained::grad(&x);
    for k in 0..9 {
        assert!((g32[k] as f64 - g[k]).abs() < 1e-4 * (1.0 + g[k].abs()), "entry {k}: {} against {}", g32[k], g[k]);
    }
}

// The divisor is rebound between the loop and its use: the conversion of
// `n` in the tail reads the new binding, so it must not be evaluated before
// the loop (the loop is not seeded; the gradient stays right).
#[differentiable]
fn rebound_divisor(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += (x[i + 1] - x[i]).powi(2);
    }
    let n = n * n + 1.0;
    s / n
}

#[test]
fn tail_rebinding_is_seen() {
    check!(rebound_divisor, &[1, 2, 5]);
}

// Accumulators updated in branches, or twice per trip, are still `h + terms`
// on every path (plan/fused.rs `fusable`): reversed in the trip, seeded.
#[differentiable]
fn huber(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = x[i] - 0.5;
        if r.abs() < 0.3 {
            s += 0.5 * r * r;
        } else {
            s += 0.3 * (r.abs() - 0.15);
        }
    }
    s
}

#[differentiable]
fn one_sided(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s -= x[i] * 0.25;
        if x[i + 1] > x[i] {
            s += (x[i + 1] - x[i]).powi(3);
        }
    }
    s
}

// Not an accumulator on every path: a reset, and a sum that changes sign.
#[differentiable]
fn resets(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if x[i] > 0.9 {
            s = 0.0;
        } else {
            s += x[i].sin();
        }
    }
    s
}

#[differentiable]
fn alternating(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s = x[i] * x[i] - s;
    }
    s
}

#[test]
fn accumulators_in_branches() {
    let _proof = __gd_vjp_set_huber;
    // Both branches of huber and of resets are taken at these points.
    assert!(point(9).iter().any(|v| (v - 0.5).abs() < 0.3) && point(9).iter().any(|v| (v - 0.5).abs() >= 0.3));
    assert!(point(9).iter().any(|v| *v > 0.9));
    check!(huber, &[0, 1, 2, 9]);
    check!(one_sided, &[1, 2, 3, 9]);
    check!(resets, &[0, 1, 2, 9]);
    check!(alternating, &[0, 1, 2, 9]);
}

// A call to a scalar differentiable function inside the loop: its reverse
// runs in the trip, so the loop still fuses, is seeded and windowed.
#[differentiable]
fn bond(a: f64, b: f64) -> f64 {
    let d = b - a * a;
    100.0 * d * d + (1.0 - a).powi(2)
}

#[differentiable]
fn chained_call(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += bond(x[i], x[i + 1]);
    }
    s
}

#[test]
fn calls_inside_a_seeded_loop() {
    let _proof = __gd_vjp_set_chained_call;
    check!(chained_call, &[1, 2, 3, 9]);
    let x = point(9);
    assert_eq!(chained_call::grad(&x), chained::grad(&x));
}
