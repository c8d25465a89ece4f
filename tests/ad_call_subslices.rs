//! Sub-slices of differentiated arrays passed to `#[differentiable]` calls
//! (`dot_self(&x[1..]) - dot_self(&x[..2])`): the callee reads the range and
//! its gradient is added into the same range of the caller's; and bound by
//! name (`let tail = &x[1..];`), then indexed, measured, iterated and passed
//! to calls. Each checked
//! against central differences through the plain function, forward mode
//! against reverse, `_set` against `value_and_grad`, and `hvp` against
//! differences of the gradient.

use gd::differentiable;

mod common;
use common::{assert_close, dot, fd_grad, fd_hvp};

#[differentiable]
fn dot_self(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>()
}

#[differentiable]
fn weighted(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len().min(b.len()) {
        s += (a[i] * b[i]).sin() * (i + 1) as f64;
    }
    s
}

#[differentiable]
fn ends(x: &[f64]) -> f64 {
    dot_self(&x[1..]) - dot_self(&x[..2]) + 0.5 * dot_self(&x[1..=2]).sqrt()
}

/// Bounds that change each trip: captured like indices, so the reverse
/// sweep adds into the trip's own range.
#[differentiable]
fn sliding(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += weighted(&x[i..i + 2], &x[i + 1..]) * x[i];
    }
    s
}

/// Two ranges of the same array in one call (the second lends a scratch),
/// and a range of a local array.
#[differentiable]
fn overlap(x: &[f64], t: f64) -> f64 {
    let h: Vec<f64> = x.iter().map(|v| (v * t).tanh()).collect();
    weighted(&x[..3], &x[1..]) + dot_self(&h[2..]) * t
}

/// A fixed-size array.
#[differentiable]
fn fixed(x: [f64; 4]) -> f64 {
    dot_self(&x[..2]) * weighted(&x[2..], &x[1..3])
}

/// The chained Rosenbrock over two named views of `x`, plus a call and an
/// iterator over one of them.
#[differentiable]
fn named_views(x: &[f64]) -> f64 {
    let head = &x[..x.len() - 1];
    let tail: &[f64] = &x[1..];
    let mut s = 0.0;
    for i in 0..tail.len() {
        let d = tail[i] - head[i] * head[i];
        s += 100.0 * d * d + (1.0 - head[i]).powi(2);
    }
    s + 0.1 * dot_self(tail) + tail.iter().map(|t| t.sin()).sum::<f64>()
}

/// Bounds from data (`a..=b`), a view zipped with a range of the array, and
/// a view made inside a loop, its bounds moving with the trip.
#[differentiable]
fn views_in_loops(x: &[f64], a: usize, b: usize) -> f64 {
    let m = &x[a..=b];
    let mut s = dot_self(m) / m.len() as f64 + m.iter().zip(&x[..m.len()]).map(|(p, q)| p * q).sum::<f64>();
    for i in 0..x.len() - 1 {
        let w = &x[i..];
        s += weighted(w, m) * w[0];
    }
    s
}

/// A view of a local array (formerly refused), read by index and by a call.
#[differentiable]
fn local_view(x: &[f64]) -> f64 {
    let v: Vec<f64> = x.iter().map(|a| a.tanh() * 2.0).collect();
    let w = &v[1..];
    w[0] * x[0] + dot_self(w) - w[w.len() - 1]
}

const X: [f64; 5] = [0.7, -1.2, 0.4, 1.9, -0.3];
const T: [f64; 5] = [0.2, 0.5, -1.0, 0.3, 0.8];

#[test]
fn ranges_into_calls() {
    let x = &X[..4];
    let (v, g) = ends::value_and_grad(x);
    assert_eq!(v, ends(x));
    assert_close("ends gradient vs differences", &g, &fd_grad(&|p| ends(p), x), 1e-7, 0.0);
    // Exactly: 2x on [1..], -2x on [..2], and the sqrt term on [1..=2].
    let r = (x[1] * x[1] + x[2] * x[2]).sqrt();
    let want = [-2.0 * x[0], 0.0 + 0.5 * x[1] / r, 2.0 * x[2] + 0.5 * x[2] / r, 2.0 * x[3]];
    assert_close("ends gradient, by hand", &g, &want, 1e-12, 0.0);
    let (_, d) = ends::jvp(x, &T[..4]);
    assert_close("ends jvp vs reverse", &[d], &[dot(&g, &T[..4])], 1e-12, 0.0);
    let mut buf = vec![5.0; 4];
    ends::value_and_grad_set(x, &mut buf);
    assert_eq!(buf, g);
    let hv = ends::hvp(x, &T[..4]);
    assert_close("ends hvp vs differences of the gradient", &hv, &fd_hvp(&|p| ends::grad(p), x, &T[..4]), 1e-6, 0.0);
}

#[test]
fn ranges_moving_with_the_loop() {
    let (v, g) = sliding::value_and_grad(&X);
    assert_eq!(v, sliding(&X));
    assert_close("sliding gradient vs differences", &g, &fd_grad(&|p| sliding(p), &X), 1e-7, 0.0);
    let (_, d) = sliding::jvp(&X, &T);
    assert_close("sliding jvp vs reverse", &[d], &[dot(&g, &T)], 1e-12, 0.0);
    let mut buf = vec![-1.0; 5];
    sliding::value_and_grad_set(&X, &mut buf);
    assert_eq!(buf, g);
    let hv = sliding::hvp(&X, &T);
    assert_close("sliding hvp vs differences of the gradient", &hv, &fd_hvp(&|p| sliding::grad(p), &X, &T), 1e-6, 0.0);
}

#[test]
fn overlapping_ranges_and_local_arrays() {
    let t = 0.6;
    let (v, (g, gt)) = overlap::value_and_grad(&X, t);
    assert_eq!(v, overlap(&X, t));
    let mut all = X.to_vec();
    all.push(t);
    let fd = fd_grad(&|p| overlap(&p[..5], p[5]), &all);
    let mut got = g.clone();
    got.push(gt);
    assert_close("overlap gradient vs differences", &got, &fd, 1e-7, 0.0);
    let (_, d) = overlap::jvp(&X, t, &T, -0.4);
    assert_close("overlap jvp vs reverse", &[d], &[dot(&g, &T) - 0.4 * gt], 1e-12, 0.0);
    let (hx, ht) = overlap::hvp(&X, t, &T, -0.4);
    let mut tt = T.to_vec();
    tt.push(-0.4);
    let fd_hv = fd_hvp(&|p| {
        let (mut a, b) = overlap::grad(&p[..5], p[5]);
        a.push(b);
        a
    }, &all, &tt);
    let mut hv = hx.clone();
    hv.push(ht);
    assert_close("overlap hvp vs differences of the gradient", &hv, &fd_hv, 1e-6, 0.0);
}

#[test]
fn ranges_of_a_fixed_size_array() {
    let x = [0.3, -0.9, 1.4, 0.6];
    let (v, g) = fixed::value_and_grad(x);
    assert_eq!(v, fixed(x));
    let fd = fd_grad(&|p| fixed([p[0], p[1], p[2], p[3]]), &x);
    assert_close("fixed gradient vs differences", &g, &fd, 1e-7, 0.0);
    let (_, d) = fixed::jvp(x, &T[..4]);
    assert_close("fixed jvp vs reverse", &[d], &[dot(&g, &T[..4])], 1e-12, 0.0);
}

/// Every entry point against differences (gradient and hvp), forward
/// against reverse, and `_set` against `value_and_grad`.
fn check_all(what: &str, f: &dyn Fn(&[f64]) -> f64, vg: &dyn Fn(&[f64]) -> (f64, Vec<f64>), jvp: &dyn Fn(&[f64], &[f64]) -> f64, set: &dyn Fn(&[f64], &mut [f64]) -> f64, hvp: &dyn Fn(&[f64], &[f64]) -> Vec<f64>, grad: &dyn Fn(&[f64]) -> Vec<f64>) {
    let (v, g) = vg(&X);
    assert_eq!(v, f(&X), "{what}: value");
    assert_close(&format!("{what}: gradient vs differences"), &g, &fd_grad(f, &X), 1e-7, 0.0);
    assert_close(&format!("{what}: jvp vs reverse"), &[jvp(&X, &T)], &[dot(&g, &T)], 1e-12, 0.0);
    let mut buf = vec![9.0; X.len()];
    assert_eq!(set(&X, &mut buf), v);
    assert_eq!(buf, g, "{what}: _set");
    assert_close(&format!("{what}: hvp vs differences of the gradient"), &hvp(&X, &T), &fd_hvp(grad, &X, &T), 1e-6, 0.0);
}

#[test]
fn sub_slices_bound_by_name() {
    check_all(
        "named_views",
        &|x| named_views(x),
        &|x| named_views::value_and_grad(x),
        &|x, t| named_views::jvp(x, t).1,
        &|x, g| named_views::value_and_grad_set(x, g),
        &|x, t| named_views::hvp(x, t),
        &|x| named_views::grad(x),
    );
    check_all(
        "local_view",
        &|x| local_view(x),
        &|x| local_view::value_and_grad(x),
        &|x, t| local_view::jvp(x, t).1,
        &|x, g| local_view::value_and_grad_set(x, g),
        &|x, t| local_view::hvp(x, t),
        &|x| local_view::grad(x),
    );
    for (a, b) in [(0, 0), (1, 3), (2, 4)] {
        check_all(
            "views_in_loops",
            &|x| views_in_loops(x, a, b),
            &|x| views_in_loops::value_and_grad(x, a, b),
            &|x, t| views_in_loops::jvp(x, a, b, t).1,
            &|x, g| views_in_loops::value_and_grad_set(x, a, b, g),
            &|x, t| views_in_loops::hvp(x, a, b, t),
            &|x| views_in_loops::grad(x, a, b),
        );
    }
}

#[test]
#[should_panic(expected = "out of range for slice of length 5")]
fn a_view_out_of_range_panics_as_the_slice_would() {
    let _ = views_in_loops::value_and_grad(&X, 2, 5);
}
