//! `value_and_grad_set` overwrites the gradient buffers. Where each element
//! of an array's gradient is provably written once (gd-macros/src/plan/window.rs)
//! it assigns and zeroes only what no trip wrote; elsewhere it zeroes, then
//! adds. Every case starts from a buffer full of NaN and 1e300 and must give
//! exactly what `value_and_grad_into` adds into zeros (the two sweeps differ
//! only in `=` against `+=`), and the gradient of central differences.
//!
//! The cases that take the assigning path call `__gd_vjp_set_*`, which the
//! macro writes only for them: if the analysis stops proving one, this file
//! does not compile.

use gd::differentiable;
use nalgebra::DVector;

mod common;
use common::fd_grad as fd;

fn garbage(n: usize) -> Vec<f64> {
    (0..n).map(|i| if i % 2 == 0 { f64::NAN } else { 1e300 }).collect()
}

fn start(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.3 + 0.7 * (i as f64 * 1.3).sin()).collect()
}

/// `set` into garbage == `into` into zeros, bit for bit up to the sign of
/// zero; both against central differences.
fn check(name: &str, f: &dyn Fn(&[f64]) -> f64, set: &dyn Fn(&[f64], &mut [f64]) -> f64, into: &dyn Fn(&[f64], &mut [f64]) -> f64, x: &[f64]) {
    let n = x.len();
    let mut gs = garbage(n);
    let vs = set(x, &mut gs);
    let mut gi = vec![0.0; n];
    let vi = into(x, &mut gi);
    assert_eq!(vs, vi, "{name} (n = {n}): value");
    assert_eq!(vs, f(x), "{name} (n = {n}): value against the primal");
    assert_eq!(gs, gi, "{name} (n = {n}): set against into");
    for (k, (a, b)) in gs.iter().zip(fd(f, x)).enumerate() {
        assert!((a - b).abs() < 1e-6 * (1.0 + b.abs()), "{name} (n = {n}) entry {k}: {a} vs differences {b}");
    }
    // A second call into the same buffer overwrites it (no accumulation).
    assert_eq!(set(x, &mut gs), vs);
    assert_eq!(gs, gi, "{name} (n = {n}): second call");
}

// Extended Rosenbrock: trip k writes g[2k], g[2k + 1]; an odd length leaves
// the last element to the zeroing.
#[differentiable]
fn pairs(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..x.len() / 2 {
        let i = 2 * k;
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    s
}

#[test]
fn pairs_assign_and_zero_the_odd_tail() {
    let _proof = __gd_vjp_set_pairs;
    for n in [0, 1, 2, 3, 7, 10] {
        check("pairs", &pairs, &pairs::value_and_grad_set, &pairs::value_and_grad_into, &start(n));
    }
    let x = start(9);
    assert_eq!(pairs::value_and_grad(&x).1, pairs::grad(&x));
}

// A separable sum read through an offset: trips 1..n write g[0..n-1], the
// last element is zeroed.
#[differentiable]
fn shifted(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 1..x.len() {
        s += (x[i - 1] - 0.5).powi(2) * (i as f64) + x[i - 1].sin();
    }
    s
}

// Trips from 2: the head is zeroed; an inclusive range; a typed `let`.
#[differentiable]
fn from_two_inclusive(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 2..=x.len() / 2 {
        let j: usize = i + 0;
        s += x[j].exp() * 0.25;
    }
    s
}

#[test]
fn offsets_and_inclusive_ranges() {
    let _proof = (__gd_vjp_set_shifted, __gd_vjp_set_from_two_inclusive);
    for n in [0, 1, 2, 3, 4, 5, 8] {
        check("shifted", &shifted, &shifted::value_and_grad_set, &shifted::value_and_grad_into, &start(n));
        check("from_two_inclusive", &from_two_inclusive, &from_two_inclusive::value_and_grad_set, &from_two_inclusive::value_and_grad_into, &start(n));
    }
}

// A loop that breaks (the general path today; were it assigned, the trips
// that ran would decide what is zeroed).
#[differentiable]
fn breaks(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
        if i >= 3 {
            break;
        }
    }
    s
}

#[test]
fn breaking_loop_zeroes_what_did_not_run() {
    for n in [0, 2, 4, 9] {
        check("breaks", &breaks, &breaks::value_and_grad_set, &breaks::value_and_grad_into, &start(n));
    }
}

// Not provably written once: the general path (zero, then add) must still
// overwrite everything.

// Chained Rosenbrock: g[i + 1] gets a contribution from two trips.
#[differentiable]
fn chained(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

// Stride 2 with one load: odd elements only (a block of 2 would claim the
// even ones too).
#[differentiable]
fn odd_only(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..x.len() / 2 {
        let i = 2 * k;
        let i = i + 1;
        s += x[i].cos();
    }
    s
}

// The same element under two names: two writes to one index.
#[differentiable]
fn two_names(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let j = i;
        s += x[i] * x[j] + x[j];
    }
    s
}

// A load inside a branch: not every trip writes.
#[differentiable]
fn branch(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if i % 3 != 1 {
            s += x[i].sin();
        }
    }
    s
}

// A name that is not the loop's (a scaled index from outside): not followed.
#[differentiable]
fn outside_stride(x: &[f64]) -> f64 {
    let m = 2;
    let mut s = 0.0;
    for k in 0..x.len() / 2 {
        s += x[m * k] * 3.0;
    }
    s
}

// A trip that skips its load, and an early return from inside the loop.
#[differentiable]
fn skips(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if i == 2 {
            continue;
        }
        s += x[i] * x[i];
    }
    s
}

#[differentiable]
fn returns(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        if i == 3 {
            return s;
        }
        s += x[i].exp();
    }
    s
}

// An index through a 32-bit cast (could wrap, so not followed).
#[differentiable]
fn narrow(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[(i as u32) as usize] * 2.0;
    }
    s
}

#[test]
fn general_path_overwrites_too() {
    for n in [2, 5] {
        let x = start(n);
        check("skips", &skips, &skips::value_and_grad_set, &skips::value_and_grad_into, &x);
        check("returns", &returns, &returns::value_and_grad_set, &returns::value_and_grad_into, &x);
        check("narrow", &narrow, &narrow::value_and_grad_set, &narrow::value_and_grad_into, &x);
    }
    for n in [2, 3, 6, 9] {
        let x = start(n);
        check("chained", &chained, &chained::value_and_grad_set, &chained::value_and_grad_into, &x);
        check("odd_only", &odd_only, &odd_only::value_and_grad_set, &odd_only::value_and_grad_into, &x);
        check("two_names", &two_names, &two_names::value_and_grad_set, &two_names::value_and_grad_into, &x);
        check("branch", &branch, &branch::value_and_grad_set, &branch::value_and_grad_into, &x);
        check("outside_stride", &outside_stride, &outside_stride::value_and_grad_set, &outside_stride::value_and_grad_into, &x);
    }
}

// Several parameters: `x` assigned, `y` (read twice per element) zeroed and
// added into, the scalar `c` assigned.
#[differentiable]
fn mixed(x: &[f64], c: f64, y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += c * x[i] * y[i % y.len()];
    }
    s
}

#[test]
fn several_parameters() {
    let _proof = __gd_vjp_set_mixed;
    let (x, y, c) = (start(7), start(3), 0.7);
    let (mut gx, mut gc, mut gy) = (garbage(7), f64::NAN, garbage(3));
    let v = mixed::value_and_grad_set(&x, c, &y, &mut gx, &mut gc, &mut gy);
    let (mut ix, mut ic, mut iy) = (vec![0.0; 7], 0.0, vec![0.0; 3]);
    assert_eq!(v, mixed::value_and_grad_into(&x, c, &y, &mut ix, &mut ic, &mut iy));
    assert_eq!((gx, gc, gy), (ix, ic, iy.clone()));
    let fy = fd(&|y: &[f64]| mixed(&x, c, y), &y);
    for (a, b) in iy.iter().zip(fy) {
        assert!((a - b).abs() < 1e-6 * (1.0 + b.abs()));
    }
}

#[differentiable]
fn pairs_f32(x: &[f32]) -> f32 {
    let mut s = 0.0;
    for k in 0..x.len() / 2 {
        let i = 2 * k;
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]) * (1.0 - x[i]);
    }
    s
}

#[test]
fn f32_too() {
    let _proof = __gd_vjp_set_pairs_f32;
    let x: Vec<f32> = start(5).iter().map(|&v| v as f32).collect();
    let mut gs = vec![f32::NAN; 5];
    let mut gi = vec![0.0f32; 5];
    assert_eq!(pairs_f32::value_and_grad_set(&x, &mut gs), pairs_f32::value_and_grad_into(&x, &mut gi));
    assert_eq!(gs, gi);
    assert_eq!(gs[4], 0.0);
}

// A matrix parameter: zeroed through `Params::set_zero` (NaN included).
#[differentiable]
fn quad(v: &DVector<f64>) -> f64 {
    v.dot(v) * 0.5 + v.sum()
}

#[test]
fn matrix_parameter() {
    let v = DVector::from_vec(start(4));
    let mut g = DVector::from_element(4, f64::NAN);
    let val = quad::value_and_grad_set(&v, &mut g);
    assert_eq!(val, quad(&v));
    let mut gi = DVector::zeros(4);
    quad::value_and_grad_into(&v, &mut gi);
    assert_eq!(g, gi);
    assert!((g - v.map(|e| e + 1.0)).amax() < 1e-15);
}

// The first loop to write a gradient assigns even when other statements read
// the parameter too: they write later (a replayed loop's reverse, a second
// seeded loop after it), so they add onto what it assigned. Here the mean's
// loop is replayed in the reverse sweep, after the seeded second loop, which
// assigns g[1..] and zeroes g[0] before the replay adds the mean's terms.
#[differentiable]
fn centred(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let mut v = 0.0;
    for i in 1..x.len() {
        v += (x[i] - mean).powi(2) * x[i];
    }
    v / n
}

// Two seeded loops over the same parameter: the first assigns, the second adds.
#[differentiable]
fn two_seeded(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += x[i] * x[i + 1];
    }
    let mut t = 0.0;
    for i in 0..x.len() {
        t += x[i].sin();
    }
    s + 2.0 * t
}

// A scratched loop (its sum's adjoint, 1 / s, is known only after it) that
// is the parameter's only forward-sweep writer and the last statement to read
// it: its trips write `exp(x - m)` into the gradient, its reverse scales the
// gradient by 1 / s, then the max fold's reverse adds its share. Over
// 1..n - 1, so the ends are zeroed (all of it when no trip runs).
#[differentiable]
fn lse_inner(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut s = 0.0;
    for i in 1..x.len() - 1 {
        s += (x[i] - m).exp();
    }
    m + (s + 1.0).ln()
}

// Not in place: a statement after the scratched loop reads `x` (its reverse
// would add into the gradient before the scaling).
#[differentiable]
fn lse_then_read(x: &[f64]) -> f64 {
    let s = x.iter().map(|v| v.exp()).sum::<f64>();
    s.ln() + x[0] * x[1]
}

#[test]
fn first_writer_assigns_when_others_read_too() {
    let _proof = (__gd_vjp_set_centred, __gd_vjp_set_two_seeded, __gd_vjp_set_lse_inner);
    for n in [1, 2, 3, 6, 9] {
        let x = start(n);
        check("centred", &centred, &centred::value_and_grad_set, &centred::value_and_grad_into, &x);
        check("lse_inner", &lse_inner, &lse_inner::value_and_grad_set, &lse_inner::value_and_grad_into, &x);
    }
    for n in [2, 3, 6, 9] {
        let x = start(n);
        check("two_seeded", &two_seeded, &two_seeded::value_and_grad_set, &two_seeded::value_and_grad_into, &x);
        check("lse_then_read", &lse_then_read, &lse_then_read::value_and_grad_set, &lse_then_read::value_and_grad_into, &x);
    }
    // value_and_grad goes through the same sweep.
    let x = start(7);
    let (v, g) = lse_inner::value_and_grad(&x);
    let mut gi = vec![0.0; 7];
    assert_eq!(v, lse_inner::value_and_grad_into(&x, &mut gi));
    assert_eq!(g, gi);
}

// No loop writes `x`'s gradient in the forward sweep: the last statement to
// read it writes first, in the reverse sweep. A replayed loop reading it once
// per trip at an index of slope ±1 assigns, recording the lowest and highest
// index, and zeroes the rest; statements before it add afterwards.
#[differentiable]
fn horner_rev(x: &[f64], t: f64) -> f64 {
    let mut p = 0.0;
    for i in (0..x.len()).rev() {
        p = p * t + x[i];
    }
    (p - 1.0).powi(2)
}

// An offset over a shorter range, after a replayed pass that adds later.
#[differentiable]
fn mirrored(x: &[f64]) -> f64 {
    let m = x.iter().fold(0.0, |a, v| 0.5 * a + v.sin());
    let mut p = m;
    for k in (1..x.len()).rev() {
        p = 0.9 * p + x[k - 1] * p.cos();
    }
    p
}

// A loop that breaks: its trips write a contiguous prefix.
#[differentiable]
fn stops(x: &[f64]) -> f64 {
    let mut p = 1.0;
    for i in 0..x.len() {
        p = p * 0.8 + x[i] * x[i] * 0.1;
        if p > 1.1 {
            break;
        }
    }
    p
}

#[test]
fn last_reader_assigns_in_the_reverse_sweep() {
    let _proof = (__gd_vjp_set_horner_rev, __gd_vjp_set_mirrored);
    for n in [0, 1, 2, 5, 9] {
        let x = start(n);
        let t = 0.7;
        check("horner_rev", &|x| horner_rev(x, t), &|x, g| horner_rev::value_and_grad_set(x, t, g, &mut 0.0), &|x, g| horner_rev::value_and_grad_into(x, t, g, &mut 0.0), &x);
        check("mirrored", &mirrored, &mirrored::value_and_grad_set, &mirrored::value_and_grad_into, &x);
        let big: Vec<f64> = x.iter().map(|v| v * 1.5).collect();
        check("stops", &stops, &stops::value_and_grad_set, &stops::value_and_grad_into, &big);
    }
}
