//! Conventions at non-differentiable points, checked exactly against the
//! values the spec documents (no oracle can decide these):
//! abs'(0) = 0; max/min at a tie give 0.5 to each side, and with one NaN
//! operand all to the other one, which Rust returns; clamp(x, lo, hi)
//! passes the gradient to x for lo <= x <= hi (inclusive), else to the active
//! bound; signum/floor/ceil/round/trunc have derivative 0 (also at their
//! jumps); powf(0, b) has d/db = 0. Forward mode must agree with reverse
//! mode there too: jvp(x, v) == grad(x) . v.

use gd::differentiable;

#[differentiable]
fn abs1(x: f64) -> f64 {
    x.abs()
}

#[differentiable]
fn abs_diff(x: f64, y: f64) -> f64 {
    (x - y).abs() * 3.0 + x
}

#[differentiable]
fn max2(x: f64, y: f64) -> f64 {
    x.max(y)
}

#[differentiable]
fn min2(x: f64, y: f64) -> f64 {
    x.min(y)
}

#[differentiable]
fn max_path(x: f64, y: f64) -> f64 {
    f64::max(x, y) + f64::min(x, y) * 2.0
}

#[differentiable]
fn relu(x: f64) -> f64 {
    x.max(0.0)
}

#[differentiable]
fn clamp3(x: f64, lo: f64, hi: f64) -> f64 {
    x.clamp(lo, hi)
}

#[differentiable]
fn clamp_const(x: f64) -> f64 {
    x.clamp(-1.0, 1.0)
}

#[differentiable]
fn signum1(x: f64) -> f64 {
    x.signum()
}

#[differentiable]
fn floor1(x: f64) -> f64 {
    x.floor()
}

#[differentiable]
fn ceil1(x: f64) -> f64 {
    x.ceil()
}

#[differentiable]
fn round1(x: f64) -> f64 {
    x.round()
}

#[differentiable]
fn trunc1(x: f64) -> f64 {
    x.trunc()
}

#[differentiable]
fn x_floor_x(x: f64) -> f64 {
    x * x.floor() + f64::round(x) * f64::trunc(x) + x.signum() * x.ceil()
}

#[differentiable]
fn powf2(a: f64, b: f64) -> f64 {
    a.powf(b)
}

#[differentiable]
fn powf_zero_base(b: f64) -> f64 {
    let z: f64 = 0.0;
    z.powf(b) + 0.0f64.powf(b) + b
}

#[differentiable]
fn abs1_f32(x: f32) -> f32 {
    x.abs()
}

#[differentiable]
fn max2_f32(x: f32, y: f32) -> f32 {
    x.max(y)
}

#[differentiable]
fn clamp3_f32(x: f32, lo: f32, hi: f32) -> f32 {
    x.clamp(lo, hi)
}

// Rust's max/min ignore a NaN operand: `x.max(NAN)` is `x` (derivative 1),
// not a tie. On the left, on the right, as a fold's start, in f32.
#[differentiable]
fn nan_max(x: f64) -> f64 {
    let y = x.max(f64::NAN).min(1.0);
    let z = f64::NAN.min(x);
    y * y + z
}

#[differentiable]
fn nan_max_f32(x: f32) -> f32 {
    let y = x.max(f32::NAN).min(1.0);
    let z = f32::max(f32::NAN, x);
    y * y + z
}

#[differentiable]
fn fold_max_from_nan(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NAN, f64::max)
}

/// jvp along each unit direction and along (1, 1, ..) equals grad . v.
fn assert_fwd_rev(name: &str, grad: &[f64], jvp: impl Fn(&[f64]) -> f64) {
    let n = grad.len();
    for k in 0..=n {
        let v: Vec<f64> = (0..n).map(|i| if k == n || i == k { 1.0 } else { 0.0 }).collect();
        let want: f64 = grad.iter().zip(&v).map(|(a, b)| a * b).sum();
        let got = jvp(&v);
        assert!(got == want, "{name}: jvp along {v:?} = {got}, grad . v = {want} (grad = {grad:?})");
    }
}

#[test]
fn abs_at_zero_is_zero() {
    for x in [0.0, -0.0] {
        assert_eq!(abs1::grad(x), 0.0, "abs'({x:?})");
        assert_eq!(abs1::value_and_grad(x), (0.0, 0.0));
        assert_eq!(abs1::jvp(x, 1.0).1, 0.0, "abs jvp at {x:?}");
        let mut g = 0.0;
        abs1::value_and_grad_into(x, &mut g);
        assert_eq!(g, 0.0);
    }
    assert_eq!(abs1::grad(2.0), 1.0);
    assert_eq!(abs1::grad(-2.0), -1.0);
    assert_eq!(abs1_f32::grad(0.0f32), 0.0f32);
    // through an expression: (x - y).abs() at x == y contributes nothing
    let (gx, gy) = abs_diff::grad(1.25, 1.25);
    assert_eq!((gx, gy), (1.0, 0.0));
    assert_fwd_rev("abs_diff", &[gx, gy], |v| abs_diff::jvp(1.25, 1.25, v[0], v[1]).1);
}

#[test]
fn max_min_tie_split_half() {
    for t in [1.5, 0.0, -3.0] {
        assert_eq!(max2::grad(t, t), (0.5, 0.5), "max tie at {t}");
        assert_eq!(min2::grad(t, t), (0.5, 0.5), "min tie at {t}");
        assert_eq!(max_path::grad(t, t), (1.5, 1.5), "f64::max + 2 f64::min, tie at {t}");
        assert_fwd_rev("max2", &[0.5, 0.5], |v| max2::jvp(t, t, v[0], v[1]).1);
        assert_fwd_rev("min2", &[0.5, 0.5], |v| min2::jvp(t, t, v[0], v[1]).1);
        let (mut gx, mut gy) = (0.0, 0.0);
        max2::value_and_grad_into(t, t, &mut gx, &mut gy);
        assert_eq!((gx, gy), (0.5, 0.5));
    }
    // away from ties the larger (smaller) one takes it all
    assert_eq!(max2::grad(2.0, 1.0), (1.0, 0.0));
    assert_eq!(max2::grad(1.0, 2.0), (0.0, 1.0));
    assert_eq!(min2::grad(2.0, 1.0), (0.0, 1.0));
    assert_eq!(min2::grad(1.0, 2.0), (1.0, 0.0));
    // a tie with a constant: half of it stays with x
    assert_eq!(relu::grad(0.0), 0.5);
    assert_eq!(relu::jvp(0.0, 1.0).1, 0.5);
    assert_eq!(relu::grad(1.0), 1.0);
    assert_eq!(relu::grad(-1.0), 0.0);
    assert_eq!(max2_f32::grad(1.0f32, 1.0f32), (0.5f32, 0.5f32));
}

#[test]
fn max_min_with_nan_follow_the_operand_returned() {
    // At x = 0.7: y = x, z = x, f = x² + x.
    let x = 0.7;
    assert_eq!(nan_max::value_and_grad(x), (x * x + x, 2.0 * x + 1.0));
    assert_eq!(nan_max::jvp(x, 1.0), (x * x + x, 2.0 * x + 1.0));
    assert_eq!(nan_max::hvp(x, 1.0), 2.0, "second order (the dual copy) too");
    let xf = 0.7f32;
    assert_eq!(nan_max_f32::value_and_grad(xf), (xf * xf + xf, 2.0 * xf + 1.0));
    assert_eq!(nan_max_f32::jvp(xf, 1.0).1, 2.0 * xf + 1.0);
    assert_eq!(nan_max_f32::hvp(xf, 1.0), 2.0);
    // Both operands differentiated: all of it to the one that is not NaN.
    let nan = f64::NAN;
    for (a, b, want) in [(0.7, nan, (1.0, 0.0)), (nan, 0.7, (0.0, 1.0))] {
        for (name, g, jvp) in [
            ("max", max2::grad(a, b), &(|v: &[f64]| max2::jvp(a, b, v[0], v[1]).1) as &dyn Fn(&[f64]) -> f64),
            ("min", min2::grad(a, b), &|v: &[f64]| min2::jvp(a, b, v[0], v[1]).1),
        ] {
            assert_eq!(g, want, "{name}({a}, {b})");
            assert_fwd_rev(name, &[g.0, g.1], jvp);
        }
        assert_eq!(max_path::value_and_grad(a, b), (0.7 + 2.0 * 0.7, (3.0 * want.0, 3.0 * want.1)), "f64::max + 2 f64::min");
    }
    assert_eq!(max2_f32::grad(f32::NAN, 0.5), (0.0, 1.0));
    // The fold's NaN start loses to the first element, which then wins.
    let xs = [0.9, 0.3, 0.5];
    let (v, g) = fold_max_from_nan::value_and_grad(&xs);
    assert_eq!((v, g), (0.9, vec![1.0, 0.0, 0.0]));
    assert_eq!(fold_max_from_nan::jvp(&xs, &[1.0, 2.0, 3.0]), (0.9, 1.0));
    // clamp returns a NaN x as it is: the derivative stays with x.
    assert_eq!(clamp3::grad(nan, 0.0, 1.0), (1.0, 0.0, 0.0));
    assert_eq!(clamp3::jvp(nan, 0.0, 1.0, 2.0, 3.0, 5.0).1, 2.0);
}

#[test]
fn clamp_inclusive_bounds() {
    // (x, lo, hi) -> (d/dx, d/dlo, d/dhi)
    let cases = [
        ((0.5, 0.0, 1.0), (1.0, 0.0, 0.0)),
        ((0.0, 0.0, 1.0), (1.0, 0.0, 0.0)), // x == lo: still x
        ((1.0, 0.0, 1.0), (1.0, 0.0, 0.0)), // x == hi: still x
        ((-0.5, 0.0, 1.0), (0.0, 1.0, 0.0)),
        ((2.0, 0.0, 1.0), (0.0, 0.0, 1.0)),
        ((0.3, 0.3, 0.3), (1.0, 0.0, 0.0)), // lo == hi == x
    ];
    for ((x, lo, hi), want) in cases {
        let g = clamp3::grad(x, lo, hi);
        assert_eq!(g, want, "clamp({x}, {lo}, {hi})");
        assert_eq!(clamp3::value_and_grad(x, lo, hi).0, x.clamp(lo, hi));
        assert_fwd_rev("clamp3", &[g.0, g.1, g.2], |v| clamp3::jvp(x, lo, hi, v[0], v[1], v[2]).1);
        let gf = clamp3_f32::grad(x as f32, lo as f32, hi as f32);
        assert_eq!(gf, (want.0 as f32, want.1 as f32, want.2 as f32), "clamp f32 ({x}, {lo}, {hi})");
    }
    for (x, want) in [(-1.0, 1.0), (1.0, 1.0), (0.2, 1.0), (-1.5, 0.0), (1.5, 0.0)] {
        assert_eq!(clamp_const::grad(x), want, "clamp({x}, -1, 1)");
    }
}

#[test]
fn piecewise_constant_have_zero_derivative() {
    for x in [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, 2.3, -7.7] {
        for (name, g, j) in [
            ("signum", signum1::grad(x), signum1::jvp(x, 1.0).1),
            ("floor", floor1::grad(x), floor1::jvp(x, 1.0).1),
            ("ceil", ceil1::grad(x), ceil1::jvp(x, 1.0).1),
            ("round", round1::grad(x), round1::jvp(x, 1.0).1),
            ("trunc", trunc1::grad(x), trunc1::jvp(x, 1.0).1),
        ] {
            assert_eq!(g, 0.0, "{name}'({x})");
            assert_eq!(j, 0.0, "{name} jvp at {x}");
        }
        // the product rule around them: d/dx = floor(x), the other factors are constant
        let want = x.floor();
        assert_eq!(x_floor_x::grad(x), want, "x floor x + .. at {x}");
        assert_eq!(x_floor_x::value_and_grad(x).0, x_floor_x(x));
    }
}

#[test]
fn powf_zero_base_has_zero_exponent_derivative() {
    for (b, want_da) in [(2.5, 0.0), (1.0, 1.0), (3.0, 0.0)] {
        let (da, db) = powf2::grad(0.0, b);
        assert_eq!(db, 0.0, "d/db 0^b at b = {b}");
        assert_eq!(da, want_da, "d/da a^b at a = 0, b = {b}");
        assert_fwd_rev("powf2", &[da, db], |v| powf2::jvp(0.0, b, v[0], v[1]).1);
    }
    for b in [0.5, 1.0, 2.0, 3.5] {
        assert_eq!(powf_zero_base::grad(b), 1.0, "0.powf(b) + b at b = {b}");
        assert_eq!(powf_zero_base::jvp(b, 1.0).1, 1.0);
    }
    // away from 0 the exponent derivative is a^b ln a
    let (da, db) = powf2::grad(2.0, 3.0);
    assert!((da - 12.0).abs() < 1e-12 && (db - 8.0 * 2f64.ln()).abs() < 1e-12, "({da}, {db})");
}
