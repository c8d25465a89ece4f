//! `f::hessian` by chunks of `gd::__private::LANES` columns (the lanes copy
//! of the reverse sweep): sizes around the chunk (n = 1, LANES - 1, LANES,
//! LANES + 1, 2·LANES + 1, large), a chunk that straddles parameters (scalar,
//! slice, array), calls (to a function whose sweep runs over lanes, and to
//! one over matrices that runs its dual copy per lane), passive data, f32.
//! Oracles: hyper-dual numbers (num-dual) through generic copies, `hvp`
//! per column (the one-tangent dual copy), central differences of the
//! gradient (`common::check_second` and `fd_columns` below).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;
use gd::nalgebra::DMatrix;

const K: usize = gd::__private::LANES;

/// The sizes that exercise the chunking: one column, a partial chunk, a
/// full one, one column over, two chunks and a partial, many chunks.
fn sizes() -> Vec<usize> {
    vec![1, 2, K - 1, K, K + 1, 2 * K + 1, 5 * K + 3]
}

/// A dense Hessian in every chunk (the cubed sum couples all coordinates)
/// plus a chain and a branch, so that lanes differ in what they see.
#[differentiable]
fn dense(x: &[f64]) -> f64 {
    let mut s = 0.0;
    let mut m = 0.0;
    for i in 0..x.len() {
        let p = if i > 0 { x[i - 1] } else { 0.5 };
        if x[i] > 0.0 {
            s += (x[i] * p).sin();
        } else {
            s += 0.1 * x[i].exp() * p;
        }
        m += x[i];
    }
    s + 0.01 * m * m * m
}
fn dense_d<D: Dn>(x: &[D]) -> D {
    let mut s = c::<D>(0.0);
    let mut m = c::<D>(0.0);
    for i in 0..x.len() {
        let p = if i > 0 { x[i - 1] } else { c::<D>(0.5) };
        if x[i].re() > 0.0 {
            s += (x[i] * p).sin();
        } else {
            s += x[i].exp() * p * 0.1;
        }
        m += x[i];
    }
    s + m * m * m * 0.01
}

/// Columns straddle parameters: a scalar, a slice, a scalar, an array.
#[differentiable]
fn mixed(a: f64, xs: &[f64], b: f64, w: [f64; 3]) -> f64 {
    let mut s = a * b;
    for i in 0..xs.len() {
        s += xs[i] * xs[i] * a + (xs[i] * w[i % 3]).tanh();
    }
    s + (w[0] * w[1] * w[2] + b).powi(2)
}
fn mixed_d<D: Dn>(v: &[D]) -> D {
    let n = v.len() - 5;
    let (a, xs, b, w) = (v[0], &v[1..1 + n], v[1 + n], &v[2 + n..]);
    let mut s = a * b;
    for i in 0..n {
        s += xs[i] * xs[i] * a + (xs[i] * w[i % 3]).tanh();
    }
    s + (w[0] * w[1] * w[2] + b).powi(2)
}

/// A callee whose sweep runs over lanes too.
#[differentiable]
fn pair(a: f64, b: f64) -> f64 {
    (a - b * b).powi(2) + a.cos() * b
}
#[differentiable]
fn calls(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        s += pair(x[i], x[(i + 1) % n]);
    }
    s
}
fn calls_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut s = c::<D>(0.0);
    for i in 0..n {
        let (a, b) = (x[i], x[(i + 1) % n]);
        s += (a - b * b).powi(2) + a.cos() * b;
    }
    s
}

/// A callee that differentiates a matrix: its lanes copy runs its dual copy
/// once per lane; the caller passes it data.
#[differentiable]
fn scaled_sum(t: f64, m: &DMatrix<f64>) -> f64 {
    t * t * m.sum()
}
#[differentiable(wrt(x))]
fn with_data(x: &[f64], m: &DMatrix<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += scaled_sum(x[i], m) * x[(i + 1) % x.len()];
    }
    s
}
fn with_data_d<D: Dn>(x: &[D], msum: f64) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..x.len() {
        s += x[i] * x[i] * msum * x[(i + 1) % x.len()];
    }
    s
}

/// f32: the same `dense` in single precision.
#[differentiable]
fn dense32(x: &[f32]) -> f32 {
    let mut s = 0.0;
    let mut m = 0.0;
    for i in 0..x.len() {
        let p = if i > 0 { x[i - 1] } else { 0.5 };
        if x[i] > 0.0 {
            s += (x[i] * p).sin();
        } else {
            s += 0.1 * x[i].exp() * p;
        }
        m += x[i];
    }
    s + 0.01 * m * m * m
}

fn hess_flat<F: Copy + Into<f64>>(h: &DMatrix<F>) -> Vec<f64> {
    h.iter().map(|&a| a.into()).collect() // column-major
}

/// Central differences of the gradient, column by column (the oracle that
/// shares nothing with the macro but the gradient).
fn fd_columns(grad: &dyn Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .flat_map(|j| {
            let e: Vec<f64> = (0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
            fd_hvp(grad, x, &e)
        })
        .collect()
}

#[test]
fn dense_around_the_chunk() {
    for (k, n) in sizes().into_iter().enumerate() {
        let pts = rand_points(300 + k as u64, 2, n, -1.2, 1.2);
        check_second(
            &format!("dense n={n}"),
            &pts,
            &|v| dense_d(v),
            &|x| dense::value_and_grad(x),
            &|x, v| dense::hvp(x, v),
            &|x| {
                let (v, g, h) = dense::hessian(x);
                (v, g, hess_flat(&h))
            },
        );
        for x in &pts {
            let fd = fd_columns(&|x| dense::grad(x), x);
            assert_close(&format!("dense n={n}: hessian vs differences of grad"), &hess_flat(&dense::hessian(x).2), &fd, 1e-5, 1.0);
        }
    }
}

#[test]
fn mixed_parameters_straddle_chunks() {
    // n = 5 + len: chunks end inside the slice, on `b`, inside `w`.
    for len in [0, 1, K - 4, K - 3, K - 2, K + 2, 3 * K] {
        let pts = rand_points(400 + len as u64, 2, len + 5, -1.0, 1.0);
        let split = |x: &[f64]| (x[0], x[1..1 + len].to_vec(), x[1 + len], [x[2 + len], x[3 + len], x[4 + len]]);
        check_second(
            &format!("mixed len={len}"),
            &pts,
            &|v| mixed_d(v),
            &|x| {
                let (a, xs, b, w) = split(x);
                let (v, (ga, gx, gb, gw)) = mixed::value_and_grad(a, &xs, b, w);
                (v, [vec![ga], gx, vec![gb], gw.to_vec()].concat())
            },
            &|x, t| {
                let (a, xs, b, w) = split(x);
                let (ta, tx, tb, tw) = split(t);
                let (ha, hx, hb, hw) = mixed::hvp(a, &xs, b, w, ta, &tx, tb, &tw);
                [vec![ha], hx, vec![hb], hw.to_vec()].concat()
            },
            &|x| {
                let (a, xs, b, w) = split(x);
                let (v, (ga, gx, gb, gw), h) = mixed::hessian(a, &xs, b, w);
                (v, [vec![ga], gx, vec![gb], gw.to_vec()].concat(), hess_flat(&h))
            },
        );
    }
}

#[test]
fn calls_through_lanes() {
    for (k, n) in sizes().into_iter().filter(|&n| n > 1).enumerate() {
        let pts = rand_points(500 + k as u64, 2, n, -1.5, 1.5);
        check_second(
            &format!("calls n={n}"),
            &pts,
            &|v| calls_d(v),
            &|x| calls::value_and_grad(x),
            &|x, v| calls::hvp(x, v),
            &|x| {
                let (v, g, h) = calls::hessian(x);
                (v, g, hess_flat(&h))
            },
        );
    }
}

#[test]
fn calls_a_matrix_function_per_lane() {
    let m = DMatrix::from_row_slice(2, 2, &[0.5, -1.0, 2.0, 0.25]);
    let msum = m.sum();
    for (k, n) in sizes().into_iter().enumerate() {
        let pts = rand_points(600 + k as u64, 2, n, -1.0, 1.0);
        check_second(
            &format!("with_data n={n}"),
            &pts,
            &|v| with_data_d(v, msum),
            &|x| with_data::value_and_grad(x, &m),
            &|x, v| with_data::hvp(x, &m, v),
            &|x| {
                let (v, g, h) = with_data::hessian(x, &m);
                (v, g, hess_flat(&h))
            },
        );
    }
}

#[test]
fn hessian_into_matches_hessian_and_overwrites() {
    let n = 2 * K + 3;
    let x = &rand_points(700, 1, n, -1.0, 1.0)[0];
    let (v, _, h) = dense::hessian(x);
    let mut buf = DMatrix::from_element(n, n, f64::NAN);
    let v2 = dense::hessian_into(x, &mut buf);
    assert_same("hessian_into value", v2, v);
    assert_eq!(hess_flat(&buf), hess_flat(&h), "hessian_into differs from hessian");
}

#[test]
fn large_n_rosenbrock_by_hand() {
    // The extended Rosenbrock's Hessian is tridiagonal, known in closed form.
    #[differentiable]
    fn rosen(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            let a = x[i + 1] - x[i] * x[i];
            s += 100.0 * a * a + (1.0 - x[i]).powi(2);
        }
        s
    }
    let n = 203;
    let x = &rand_points(800, 1, n, -1.5, 1.5)[0];
    let mut want = vec![0.0; n * n];
    for i in 0..n - 1 {
        want[i * n + i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
        want[(i + 1) * n + i + 1] += 200.0;
        want[i * n + i + 1] += -400.0 * x[i];
        want[(i + 1) * n + i] += -400.0 * x[i];
    }
    assert_close("rosen n=203: hessian vs hand", &hess_flat(&rosen::hessian(x).2), &want, 1e-12, 0.0);
}

#[test]
fn f32_against_f64() {
    for n in sizes() {
        let x = &rand_points(900 + n as u64, 1, n, -1.0, 1.0)[0];
        let x32: Vec<f32> = x.iter().map(|&a| a as f32).collect();
        let xr: Vec<f64> = x32.iter().map(|&a| a as f64).collect();
        let (_, g32, h32) = dense32::hessian(&x32);
        let (_, g, h) = dense::hessian(&xr);
        assert_close(&format!("dense32 n={n}: gradient vs f64"), &g32.iter().map(|&a| a as f64).collect::<Vec<_>>(), &g, 1e-4, 0.0);
        assert_close(&format!("dense32 n={n}: hessian vs f64"), &hess_flat(&h32), &hess_flat(&h), 1e-4, 0.0);
        // The f32 chunks agree with the f32 hvp columns.
        for j in 0..n {
            let e: Vec<f32> = (0..n).map(|i| if i == j { 1.0 } else { 0.0 }).collect();
            let col: Vec<f64> = dense32::hvp(&x32, &e).iter().map(|&a| a as f64).collect();
            assert_close(&format!("dense32 n={n}: column {j} vs hvp"), &hess_flat(&h32)[j * n..(j + 1) * n], &col, 1e-6, 0.0);
        }
    }
}
