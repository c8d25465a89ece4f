//! Branch-free `if`s whose condition is a float comparison select on the
//! SSE compare's mask (`plan::float_cmp`), and `abs`/`max`/`min` reverse
//! without a branch in the sweeps over f32/f64 (`__private::abs_adj`, ..).
//! Each comparison operator at its boundary, with NaN and ±∞ (a NaN
//! compares false, but `!=` true) and NaN computed by the arm not taken;
//! f32 and f64; an `else if` chain; a loop whose reverse runs after all its
//! trips (it selects on the saved `bool`, not on a mask); conditions that
//! must keep the `bool` (integers, a name user code binds again). The rule
//! reverses are checked against forward mode, which still prints the rule
//! table's `if` chains, at ties, ±0, NaN and ±∞.

use gd::differentiable;

// --- one comparison operator each; the else arm is NaN below 0.5 ---

#[differentiable]
fn op_lt(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let v = x[i];
        s += if v < 0.5 { 2.0 * v } else { (v - 0.5).sqrt() + v * v };
    }
    s
}

#[differentiable]
fn op_le(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let v = x[i];
        s += if v <= 0.5 { 2.0 * v } else { (v - 0.5).sqrt() + v * v };
    }
    s
}

/// The literal on the left, the float on the right.
#[differentiable]
fn op_gt(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let v = x[i];
        s += if 0.5 > v { 2.0 * v } else { (v - 0.5).sqrt() + v * v };
    }
    s
}

#[differentiable]
fn op_ge(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let v = x[i];
        s += if 0.5 >= v { 2.0 * v } else { (v - 0.5).sqrt() + v * v };
    }
    s
}

#[differentiable]
fn op_eq(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let v = x[i];
        s += if v * 2.0 == 1.0 { 2.0 * v } else { (v - 0.5).abs().sqrt() + v * v };
    }
    s
}

/// True for NaN: the then arm.
#[differentiable]
fn op_ne(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let v = x[i];
        s += if v.abs() != 0.5 { (v - 0.5).abs().sqrt() + v * v } else { 2.0 * v };
    }
    s
}

/// `if c { 2v } else { √(v − ½) + v² }` by hand (for `op_ne`, with `|v − ½|`
/// in the root and the arms swapped: the same values where `v ≠ ½`).
fn op_hand(x: &[f64], c: impl Fn(f64) -> bool) -> (f64, Vec<f64>) {
    let mut s = 0.0;
    let g = x
        .iter()
        .map(|&v| {
            if c(v) {
                s += 2.0 * v;
                2.0
            } else {
                let r = (v - 0.5).abs().sqrt();
                s += r + v * v;
                0.5 / r * (v - 0.5).signum() + 2.0 * v
            }
        })
        .collect();
    (s, g)
}

/// Equal, both NaN, or within `tol` relative to the larger magnitude.
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= tol * a.abs().max(b.abs())
}

fn assert_close(what: &str, got: (f64, &[f64]), want: (f64, &[f64]), tol: f64) {
    assert!(close(got.0, want.0, tol), "{what}: value {} against {}", got.0, want.0);
    for (i, (a, b)) in got.1.iter().zip(want.1).enumerate() {
        assert!(close(*a, *b, tol), "{what}: gradient [{i}] {a} against {b} (got {:?}, want {:?})", got.1, want.1);
    }
}

/// Points on both sides of 0.5, at it, just beside it, ±0 and the ones
/// where the arm not taken is NaN (below 0.5) or infinite (at 0.5).
const POINTS: &[f64] = &[-3.0, -0.0, 0.0, 0.25, 0.49999999999999994, 0.5, 0.5000000000000001, 0.75, 2.0];

type Form = (&'static str, fn(&[f64]) -> (f64, Vec<f64>), fn(&[f64], &mut [f64]) -> f64, fn(f64) -> bool);

fn forms() -> Vec<Form> {
    vec![
        ("lt", op_lt::value_and_grad, op_lt::value_and_grad_set, |v| v < 0.5),
        ("le", op_le::value_and_grad, op_le::value_and_grad_set, |v| v <= 0.5),
        ("gt", op_gt::value_and_grad, op_gt::value_and_grad_set, |v| 0.5 > v),
        ("ge", op_ge::value_and_grad, op_ge::value_and_grad_set, |v| 0.5 >= v),
        ("eq", op_eq::value_and_grad, op_eq::value_and_grad_set, |v| v * 2.0 == 1.0),
        ("ne", op_ne::value_and_grad, op_ne::value_and_grad_set, |v| v.abs() == 0.5),
    ]
}

#[test]
fn each_comparison_takes_rusts_arm() {
    for (name, vag, set, c) in forms() {
        let (vh, gh) = op_hand(POINTS, c);
        assert!(vh.is_finite(), "{name}: {vh}");
        let (v, g) = vag(POINTS);
        assert_close(name, (v, &g), (vh, &gh), 1e-15);
        let mut gs = vec![f64::NAN; POINTS.len()];
        let vs = set(POINTS, &mut gs);
        assert_close(name, (vs, &gs), (vh, &gh), 1e-15);
    }
}

#[test]
fn each_comparison_with_nan_and_infinities() {
    // NaN: every comparison false but `!=` (the arm of the root: NaN);
    // ±∞ one arm or the other, one element at a time so that one NaN
    // does not hide the others' gradients.
    for (name, vag, set, c) in forms() {
        for p in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let x = [0.25, p, 2.0];
            let (vh, gh) = op_hand(&x, c);
            let (v, g) = vag(&x);
            assert_close(&format!("{name} at {p}"), (v, &g), (vh, &gh), 1e-15);
            let mut gs = vec![0.0; 3];
            let vs = set(&x, &mut gs);
            assert_close(&format!("{name} set at {p}"), (vs, &gs), (vh, &gh), 1e-15);
        }
    }
}

// --- f32 and an `else if` chain ---

// One spelling, differentiated at each width.
macro_rules! chain {
    ($name:ident, $f:ident) => {
        #[differentiable]
        fn $name(x: &[$f]) -> $f {
            let mut s = 0.0;
            for i in 0..x.len() {
                let v = x[i];
                s += if v < -1.0 {
                    -2.0 * v - 1.0
                } else if v <= 1.0 {
                    v * v
                } else {
                    4.0 * v.sqrt() - 3.0
                };
            }
            s
        }
    };
}
chain!(chain_f32, f32);
chain!(chain_f64, f64);

fn chain_hand(x: &[f64]) -> (f64, Vec<f64>) {
    let mut s = 0.0;
    let g = x
        .iter()
        .map(|&v| {
            let (f, d) = if v < -1.0 {
                (-2.0 * v - 1.0, -2.0)
            } else if v <= 1.0 {
                (v * v, 2.0 * v)
            } else {
                (4.0 * v.sqrt() - 3.0, 2.0 / v.sqrt())
            };
            s += f;
            d
        })
        .collect();
    (s, g)
}

const CHAIN: &[f64] = &[-5.0, -1.0000001, -1.0, -0.3, -0.0, 0.0, 0.7, 1.0, 1.5, 8.0];

#[test]
fn else_if_chain_f64_and_f32() {
    let (vh, gh) = chain_hand(CHAIN);
    let (v, g) = chain_f64::value_and_grad(CHAIN);
    assert!(v.is_finite() && g.iter().all(|d| d.is_finite()), "{v} {g:?}");
    assert_close("chain_f64", (v, &g), (vh, &gh), 1e-15);
    let mut gs = vec![f64::NAN; CHAIN.len()];
    let vs = chain_f64::value_and_grad_set(CHAIN, &mut gs);
    assert_close("chain_f64 set", (vs, &gs), (vh, &gh), 1e-15);
    // NaN: every comparison false, the last piece.
    let (v, g) = chain_f64::value_and_grad(&[f64::NAN, 0.5]);
    assert!(v.is_nan() && g[0].is_nan() && g[1] == 1.0, "{v} {g:?}");

    // f32: against the same chain computed in f32 by hand.
    let x32: Vec<f32> = CHAIN.iter().map(|&v| v as f32).collect();
    let (mut vh, mut gh) = (0.0f32, Vec::new());
    for &v in &x32 {
        let (f, d) = if v < -1.0 {
            (-2.0 * v - 1.0, -2.0)
        } else if v <= 1.0 {
            (v * v, 2.0 * v)
        } else {
            (4.0 * v.sqrt() - 3.0, 2.0 / v.sqrt())
        };
        vh += f;
        gh.push(d);
    }
    let (v, g) = chain_f32::value_and_grad(&x32);
    let mut gs = vec![f32::NAN; x32.len()];
    let vs = chain_f32::value_and_grad_set(&x32, &mut gs);
    let w = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<_>>();
    assert_close("chain_f32", (v as f64, &w(&g)), (vh as f64, &w(&gh)), 1e-6);
    assert_close("chain_f32 set", (vs as f64, &w(&gs)), (vh as f64, &w(&gh)), 1e-6);
}

// --- a loop whose reverse runs after all its trips ---

/// A product (not a sum): the reverse sweep runs the trips last first,
/// after the loop, each replayed (its mask made again) before its reverse.
#[differentiable]
fn product(x: &[f64]) -> f64 {
    let mut p = 1.0;
    for i in 0..x.len() {
        let v = x[i];
        p = p * if v <= 1.0 { v + 2.0 } else { v * v };
    }
    p
}

/// The same, with user code that must not run twice (a call): the loop
/// saves each trip's values instead of replaying it, and its reverse must
/// choose by each trip's saved condition, not by the mask the last trip
/// left.
#[differentiable]
fn product_saved(x: &[f64]) -> f64 {
    let mut p = 1.0;
    for i in 0..x.len() {
        let k = std::hint::black_box(i);
        let v = x[k];
        p = p * if v <= 1.0 { v + 2.0 } else { v * v };
    }
    p
}

fn product_hand(x: &[f64]) -> (f64, Vec<f64>) {
    let f: Vec<f64> = x.iter().map(|&v| if v <= 1.0 { v + 2.0 } else { v * v }).collect();
    let d: Vec<f64> = x.iter().map(|&v| if v <= 1.0 { 1.0 } else { 2.0 * v }).collect();
    let p: f64 = f.iter().product();
    let g = (0..x.len()).map(|i| d[i] * f.iter().enumerate().filter(|&(j, _)| j != i).map(|(_, v)| v).product::<f64>()).collect();
    (p, g)
}

#[test]
fn saved_conditions_choose_in_a_later_reverse() {
    // The last trip takes the other arm than the ones before it.
    for x in [vec![3.0, 0.5, -1.0, 1.0, 1.5], vec![0.5, 2.0, 1.25, -0.5], vec![0.2]] {
        let (vh, gh) = product_hand(&x);
        let (v, g) = product::value_and_grad(&x);
        assert_close("product", (v, &g), (vh, &gh), 1e-14);
        let mut gs = vec![f64::NAN; x.len()];
        let vs = product::value_and_grad_set(&x, &mut gs);
        assert_close("product set", (vs, &gs), (vh, &gh), 1e-14);
        let (v, g) = product_saved::value_and_grad(&x);
        assert_close("product_saved", (v, &g), (vh, &gh), 1e-14);
    }
}

// --- conditions that keep the `bool` ---

/// An integer comparison: not a float's, the `bool` path (it must compile).
#[differentiable]
fn int_cond(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let v = x[i];
        s += if i < 2 { v * v } else { 3.0 * v };
    }
    s
}

/// `r` is an f64, then user code binds it to an f32: `r < 1.5` compares
/// f32s (recognised as the sweep's float, it would not compile).
#[differentiable]
fn rebound(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let r = x[i] * 2.0;
        s += r;
        let r = i as f32;
        let v = x[i];
        s += if r < 1.5 { v * v } else { 3.0 * v };
    }
    s
}

#[test]
fn integer_conditions_keep_the_bool() {
    let x = [1.5, -2.0, 0.25, 4.0];
    let want = vec![3.0, -4.0, 3.0, 3.0];
    let (v, g) = int_cond::value_and_grad(&x);
    assert_eq!((v, g.clone()), (2.25 + 4.0 + 0.75 + 12.0, want.clone()));
    let (v2, g2) = rebound::value_and_grad(&x);
    assert_eq!(v2, v + 2.0 * (1.5 - 2.0 + 0.25 + 4.0));
    assert_eq!(g2, want.iter().map(|d| d + 2.0).collect::<Vec<_>>());
}

// --- abs, max and min reverses against forward mode, bit for bit ---

#[differentiable(wrt(x, y))]
fn extremes(x: &[f64], y: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let a = x[i];
        let b = y[i];
        s += a.max(b) * 3.0 + a.min(b) * 5.0 + (a - b).abs() * 7.0 + a.abs().min(1.0) * 11.0;
    }
    s
}

#[differentiable(wrt(x, y))]
fn extremes_f32(x: &[f32], y: &[f32]) -> f32 {
    let mut s = 0.0;
    for i in 0..x.len() {
        let a = x[i];
        let b = y[i];
        s += a.max(b) * 3.0 + a.min(b) * 5.0 + (a - b).abs() * 7.0 + a.abs().min(1.0) * 11.0;
    }
    s
}

/// Pairs: ordered both ways, ties (±0 against ∓0 too), NaN on either side
/// and both, ±∞, `|a|` at 1 (min's tie with the literal).
const PAIRS: &[(f64, f64)] = &[
    (1.0, 2.0),
    (2.0, -1.0),
    (0.5, 0.5),
    (0.0, -0.0),
    (-0.0, 0.0),
    (f64::NAN, 1.0),
    (1.0, f64::NAN),
    (f64::NAN, f64::NAN),
    (f64::INFINITY, 3.0),
    (-3.0, f64::NEG_INFINITY),
    (-1.0, 4.0),
    (1.0, 1.0),
    (0.0, 0.0),
];

#[test]
fn rule_reverses_match_forward_mode() {
    for &(a, b) in PAIRS {
        let (x, y) = ([a], [b]);
        let (_, (gx, gy)) = extremes::value_and_grad(&x, &y);
        let fx = extremes::jvp(&x, &y, &[1.0], &[0.0]).1;
        let fy = extremes::jvp(&x, &y, &[0.0], &[1.0]).1;
        assert_eq!((gx[0], gy[0]), (fx, fy), "at ({a}, {b}): reverse ({}, {}), forward ({fx}, {fy})", gx[0], gy[0]);
        let (x, y) = ([a as f32], [b as f32]);
        let (_, (gx, gy)) = extremes_f32::value_and_grad(&x, &y);
        let fx = extremes_f32::jvp(&x, &y, &[1.0], &[0.0]).1;
        let fy = extremes_f32::jvp(&x, &y, &[0.0], &[1.0]).1;
        assert_eq!((gx[0], gy[0]), (fx, fy), "f32 at ({a}, {b}): reverse ({}, {}), forward ({fx}, {fy})", gx[0], gy[0]);
    }
    // The conventions themselves: a tie splits, NaN passes to the other.
    let (_, (gx, gy)) = extremes::value_and_grad(&[0.5], &[0.5]);
    assert_eq!((gx[0], gy[0]), (0.5 * 3.0 + 0.5 * 5.0 + 11.0, 0.5 * 3.0 + 0.5 * 5.0));
    let (_, (gx, gy)) = extremes::value_and_grad(&[2.0], &[f64::NAN]);
    assert_eq!((gx[0], gy[0]), (3.0 + 5.0, 0.0));
}
