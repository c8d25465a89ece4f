//! Signatures and function shapes: other attributes and doc comments around
//! `#[differentiable]`, `return` as the last statement and in both arms of
//! an `if`, a shadowing inner block, many kinds of data parameter (u32, i64,
//! u64, isize, u8, &[i32], &[bool], &str) between and around the active one,
//! and the generated API's argument checks: a tangent or gradient buffer of
//! the wrong length panics instead of being read or written partially.

use gd::differentiable;

/// Documented, inlined, with a lint attribute after the macro.
#[inline]
#[differentiable]
#[allow(clippy::all)]
fn attrs(x: f64) -> f64 {
    x * x
}

#[differentiable]
fn return_last(x: f64) -> f64 {
    let s = x * 3.0;
    return s;
}

#[differentiable]
fn return_both(x: f64) -> f64 {
    if x > 0.0 {
        return x * 2.0;
    } else {
        return x * x;
    }
}

#[differentiable]
fn inner_shadow(x: f64) -> f64 {
    let a = x;
    let mut s = 0.0;
    {
        let a = a * 2.0;
        s += a * a;
    }
    a + s
}

#[allow(clippy::too_many_arguments)]
#[differentiable]
fn many_data(a: u32, x: f64, b: i64, c: u64, d: isize, e: &[i32], f: &[bool], g: u8, h: &str) -> f64 {
    let mut s = x * a as f64 + b as f64 + c as f64 * x + d as f64;
    for k in 0..e.len() {
        if f[k] {
            s += x * x * e[k] as f64;
        }
    }
    s * g as f64 + h.len() as f64
}

#[differentiable]
fn sumsq(x: &[f64], w: [f64; 2]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>() * w[0] + w[1]
}

#[test]
fn attributes_and_docs_are_kept() {
    assert_eq!(attrs(1.5), 2.25);
    assert_eq!(attrs::value_and_grad(1.5), (2.25, 3.0));
}

#[test]
fn return_forms() {
    assert_eq!(return_last::value_and_grad(1.0), (3.0, 3.0));
    assert_eq!(return_both::value_and_grad(1.5), (3.0, 2.0));
    assert_eq!(return_both::value_and_grad(-1.5), (2.25, -3.0));
    assert_eq!(return_both::jvp(-1.5, 2.0), (2.25, -6.0));
}

#[test]
fn inner_block_shadowing() {
    // a + (2a)^2 = x + 4x^2
    assert_eq!(inner_shadow::value_and_grad(1.0), (5.0, 9.0));
}

#[test]
fn data_parameters_of_many_types() {
    let (v, g) = many_data::value_and_grad(3, 2.0, 4, 5, 6, &[1, 2], &[true, false], 2, "abc");
    // s = 3x + 4 + 5x + 6 + x^2 = 26 + 4 = 30 at x = 2; 30 * 2 + 3 = 63
    assert_eq!(v, many_data(3, 2.0, 4, 5, 6, &[1, 2], &[true, false], 2, "abc"));
    assert_eq!(v, 63.0);
    // d/dx = (3 + 5 + 2x) * 2 = 24
    assert_eq!(g, 24.0);
    assert_eq!(many_data::jvp(3, 2.0, 4, 5, 6, &[1, 2], &[true, false], 2, "abc", 0.5), (63.0, 12.0));
}

#[test]
fn right_lengths_work() {
    let (v, (gx, gw)) = sumsq::value_and_grad(&[1.0, 2.0], [3.0, 1.0]);
    assert_eq!((v, gx, gw), (16.0, vec![6.0, 12.0], [5.0, 1.0]));
    let mut bx = vec![0.0; 2];
    let mut bw = [0.0; 2];
    sumsq::value_and_grad_into(&[1.0, 2.0], [3.0, 1.0], &mut bx, &mut bw);
    assert_eq!((bx, bw), (vec![6.0, 12.0], [5.0, 1.0]));
}

#[test]
#[should_panic]
fn jvp_tangent_too_long_panics() {
    sumsq::jvp(&[1.0, 2.0], [3.0, 1.0], &[1.0, 1.0, 1.0], &[0.0, 0.0]);
}

#[test]
#[should_panic]
fn jvp_tangent_too_short_panics() {
    sumsq::jvp(&[1.0, 2.0], [3.0, 1.0], &[1.0], &[0.0, 0.0]);
}

#[test]
#[should_panic]
fn jvp_array_tangent_wrong_length_panics() {
    sumsq::jvp(&[1.0, 2.0], [3.0, 1.0], &[1.0, 1.0], &[0.0]);
}

#[test]
#[should_panic(expected = "sumsq: the gradient buffer for `x` has length 3 but `x` has length 2")]
fn grad_buffer_too_long_panics() {
    let mut bx = vec![0.0; 3];
    let mut bw = [0.0; 2];
    sumsq::value_and_grad_into(&[1.0, 2.0], [3.0, 1.0], &mut bx, &mut bw);
}

#[test]
#[should_panic(expected = "sumsq: the gradient buffer for `x` has length 1 but `x` has length 2")]
fn grad_buffer_too_short_panics() {
    let mut bx = vec![0.0; 1];
    let mut bw = [0.0; 2];
    sumsq::value_and_grad_into(&[1.0, 2.0], [3.0, 1.0], &mut bx, &mut bw);
}

#[test]
#[should_panic(expected = "sumsq: the gradient buffer for `x` has length 1 but `x` has length 2")]
fn set_buffer_too_short_panics() {
    let mut bx = vec![0.0; 1];
    let mut bw = [0.0; 2];
    sumsq::value_and_grad_set(&[1.0, 2.0], [3.0, 1.0], &mut bx, &mut bw);
}
