//! Windows and chunks of a differentiated array or a range of one:
//! `xs.windows(k)`, `xs[1..].windows(k)`, `xs.chunks(k)`,
//! `xs.chunks_exact(k)` in `for` loops and folds, composed
//! with `enumerate`, `zip`, `rev` and `skip`; `w[j]`, `w.len()` and
//! `w.iter()` on a view. Checked against num-dual generic copies, central
//! differences and jvp (`check_api`), in f64 and f32, and to second order
//! against hyper-duals; an index past a window panics as slicing would, in
//! every entry point.
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- a smoothness penalty, the idiom that asked for windows ---

#[differentiable]
fn smooth(xs: &[f64]) -> f64 {
    xs.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f64>()
}
fn smooth_d<D: Dn>(xs: &[D]) -> D {
    xs.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<D>()
}
fn case_smooth() -> Case {
    Case::new("smooth", |v| smooth(v), |v| smooth_d(v), rand_points(80, 4, 6, -2.0, 2.0))
}

// --- for loops over windows of 3, a window's own iterator and length ---

#[differentiable]
fn stencil(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for w in xs.windows(3) {
        s += w[0] * w[2] - w[1].sin() + w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
    }
    s
}
fn stencil_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for w in xs.windows(3) {
        s += w[0] * w[2] - w[1].sin() + w.iter().map(|&v| v * v).sum::<D>() / w.len() as f64;
    }
    s
}
fn case_stencil() -> Case {
    Case::new("stencil", |v| stencil(v), |v| stencil_d(v), rand_points(81, 4, 7, -2.0, 2.0))
}

// --- chunks (the last one shorter), chunks_exact, and a chunk size from a variable ---

#[differentiable]
fn chunked(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for c in xs.chunks(3) {
        s += c.iter().map(|v| v * v).sum::<f64>().sqrt() * c.len() as f64;
    }
    let k = 2;
    let pairs = xs.chunks_exact(k).map(|c| c[0] * c[1].exp()).sum::<f64>();
    s + pairs
}
fn chunked_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for ch in xs.chunks(3) {
        s += ch.iter().map(|&v| v * v).sum::<D>().sqrt() * ch.len() as f64;
    }
    let k = 2;
    let pairs = xs.chunks_exact(k).map(|ch| ch[0] * ch[1].exp()).sum::<D>();
    s + pairs
}
fn case_chunked() -> Case {
    Case::new("chunked", |v| chunked(v), |v| chunked_d(v), rand_points(82, 4, 7, 0.3, 2.0))
}

// --- composed: enumerate, zip with data, rev, skip, fold ---

#[differentiable(wrt(xs))]
fn composed(xs: &[f64], ys: &[f64]) -> f64 {
    let a = xs.windows(2).enumerate().map(|(i, w)| (i as f64 + 1.0) * w[0] * w[1]).sum::<f64>();
    let b = xs.windows(2).zip(ys.iter()).map(|(w, y)| (w[1] - w[0] - y).powi(2)).sum::<f64>();
    let mut horner = 0.0;
    for w in xs.windows(2).rev().skip(1) {
        horner = horner * 0.5 + w[1] - w[0];
    }
    let f = xs.chunks(2).fold(1.0, |acc, ch| acc * (1.0 + ch[0].tanh()));
    a + b + horner + f
}
fn composed_d<D: Dn>(xs: &[D], ys: &[f64]) -> D {
    let a = xs.windows(2).enumerate().map(|(i, w)| w[0] * w[1] * (i as f64 + 1.0)).sum::<D>();
    let b = xs.windows(2).zip(ys.iter()).map(|(w, &y)| (w[1] - w[0] - y).powi(2)).sum::<D>();
    let mut horner = c::<D>(0.0);
    for w in xs.windows(2).rev().skip(1) {
        horner = horner * 0.5 + w[1] - w[0];
    }
    let f = xs.chunks(2).fold(c::<D>(1.0), |acc, ch| acc * (ch[0].tanh() + 1.0));
    a + b + horner + f
}
const YS: [f64; 6] = [0.3, -0.5, 1.2, 0.1, -0.9, 0.4];
fn case_composed() -> Case {
    Case::new("composed", |v| composed(v, &YS), |v| composed_d(v, &YS), rand_points(83, 4, 7, -1.5, 1.5))
}

// --- windows and chunks of a range of the array ---

#[differentiable]
fn of_slices(xs: &[f64]) -> f64 {
    let n = xs.len();
    let a = xs[1..].windows(2).map(|w| w[0] * w[1].cos()).sum::<f64>();
    let mut b = 0.0;
    for c in xs[..n - 1].chunks(2) {
        b += c[c.len() - 1] * c[0].exp();
    }
    let d = xs[1..n - 1].chunks_exact(2).map(|c| c[1] - c[0] * c[0]).sum::<f64>();
    a + b + d
}
fn of_slices_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let a = xs[1..].windows(2).map(|w| w[0] * w[1].cos()).sum::<D>();
    let mut b = c::<D>(0.0);
    for ch in xs[..n - 1].chunks(2) {
        b += ch[ch.len() - 1] * ch[0].exp();
    }
    let d = xs[1..n - 1].chunks_exact(2).map(|ch| ch[1] - ch[0] * ch[0]).sum::<D>();
    a + b + d
}
fn case_of_slices() -> Case {
    Case::new("of_slices", |v| of_slices(v), |v| of_slices_d(v), rand_points(88, 4, 8, -1.5, 1.5))
}

// --- windows of a local vector ---

#[differentiable]
fn local_windows(xs: &[f64]) -> f64 {
    let e: Vec<f64> = xs.iter().map(|x| x.exp()).collect();
    e.windows(2).map(|w| w[1] / w[0] + w[0].ln()).sum::<f64>()
}
fn local_windows_d<D: Dn>(xs: &[D]) -> D {
    let e: Vec<D> = xs.iter().map(|x| x.exp()).collect();
    e.windows(2).map(|w| w[1] / w[0] + w[0].ln()).sum::<D>()
}
fn case_local_windows() -> Case {
    Case::new("local_windows", |v| local_windows(v), |v| local_windows_d(v), rand_points(84, 4, 5, -1.0, 1.0))
}

// --- f32 ---

#[differentiable]
fn smooth32(xs: &[f32]) -> f32 {
    let mut s = 0.0;
    for w in xs.windows(3) {
        s += (w[2] - 2.0 * w[1] + w[0]).powi(2);
    }
    s + xs.chunks(2).map(|c| c[0] * c[0]).sum::<f32>()
}
fn smooth32_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for w in xs.windows(3) {
        s += (w[2] - w[1] * 2.0 + w[0]).powi(2);
    }
    s + xs.chunks(2).map(|ch| ch[0] * ch[0]).sum::<D>()
}

#[test]
fn oracles_agree() {
    for case in [case_smooth(), case_stencil(), case_chunked(), case_composed(), case_of_slices(), case_local_windows()] {
        case.check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod ad {
    use super::*;

    #[test]
    fn smooth_ad() {
        case_smooth().check_api(api_slice!(smooth));
        // Hand-derived: d/dx_i of sum (x_{i+1} - x_i)^2.
        let x = [0.5, -1.0, 2.0, 0.25];
        let d = [x[1] - x[0], x[2] - x[1], x[3] - x[2]];
        let want = [-2.0 * d[0], 2.0 * (d[0] - d[1]), 2.0 * (d[1] - d[2]), 2.0 * d[2]];
        assert_close("smooth vs hand gradient", &smooth::grad(&x), &want, 1e-15, 0.0);
    }

    #[test]
    fn stencil_ad() {
        case_stencil().check_api(api_slice!(stencil));
    }

    #[test]
    fn chunked_ad() {
        case_chunked().check_api(api_slice!(chunked));
    }

    #[test]
    fn composed_ad() {
        case_composed().check_api(crate::common::Api {
            value_and_grad: &|x| composed::value_and_grad(x, &YS),
            grad: &|x| composed::grad(x, &YS),
            jvp: &|x, t| composed::jvp(x, &YS, t),
            grad_into: &|x, g| composed::value_and_grad_into(x, &YS, g),
        });
    }

    #[test]
    fn of_slices_ad() {
        case_of_slices().check_api(api_slice!(of_slices));
        // n = 8: xs[..7] has a short last chunk, xs[1..7] an even length.
    }

    #[test]
    fn local_windows_ad() {
        case_local_windows().check_api(api_slice!(local_windows));
    }

    #[test]
    fn f32_windows_and_chunks() {
        Case32::new("smooth32", |v| smooth32(v), |v| smooth32_d(v), rand_points(85, 4, 7, -1.5, 1.5))
            .check_api(api32_slice!(smooth32));
    }

    // Second order (the dual copy): hvp and hessian against hyper-dual
    // numbers through the generic copies.
    #[test]
    fn second_order() {
        fn flat(h: &gd::nalgebra::DMatrix<f64>) -> Vec<f64> {
            h.iter().copied().collect()
        }
        let pts = rand_points(86, 3, 7, -1.5, 1.5);
        check_second("stencil", &pts, &|v| stencil_d(v), &|x| stencil::value_and_grad(x), &|x, v| stencil::hvp(x, v), &|x| {
            let (v, g, h) = stencil::hessian(x);
            (v, g, flat(&h))
        });
        check_second(
            "composed",
            &pts,
            &|v| composed_d(v, &YS),
            &|x| composed::value_and_grad(x, &YS),
            &|x, v| composed::hvp(x, &YS, v),
            &|x| {
                let (v, g, h) = composed::hessian(x, &YS);
                (v, g, flat(&h))
            },
        );
        let pts = rand_points(87, 3, 7, 0.3, 2.0);
        check_second("chunked", &pts, &|v| chunked_d(v), &|x| chunked::value_and_grad(x), &|x, v| chunked::hvp(x, v), &|x| {
            let (v, g, h) = chunked::hessian(x);
            (v, g, flat(&h))
        });
    }

    // Fewer elements than a window: no windows, a zero gradient; one chunk.
    #[test]
    fn short_arrays() {
        assert_eq!(smooth::value_and_grad(&[1.5]), (0.0, vec![0.0]));
        assert_eq!(stencil::value_and_grad(&[1.0, 2.0]), (0.0, vec![0.0, 0.0]));
        let (v, g) = chunked::value_and_grad(&[2.0]);
        assert_eq!((v, g), (chunked(&[2.0]), vec![1.0]));
    }

    // An index past the window reads the array's next element in the
    // generated load; it must panic as `w[2]` on the slice does.
    #[differentiable]
    fn past_the_window(xs: &[f64]) -> f64 {
        xs.windows(2).map(|w| w[0] * w[2]).sum::<f64>()
    }

    #[test]
    #[should_panic(expected = "index out of bounds: the len is 2 but the index is 2")]
    fn index_past_a_window_panics_in_the_primal() {
        past_the_window(&[1.0, 2.0, 3.0]);
    }

    #[test]
    #[should_panic(expected = "index out of bounds: the len is 2 but the index is 2")]
    fn index_past_a_window_panics_in_the_gradient() {
        past_the_window::grad(&[1.0, 2.0, 3.0]);
    }

    #[test]
    #[should_panic(expected = "index out of bounds: the len is 2 but the index is 2")]
    fn index_past_a_window_panics_in_jvp() {
        past_the_window::jvp(&[1.0, 2.0, 3.0], &[1.0, 0.0, 0.0]);
    }

    #[test]
    #[should_panic(expected = "window size must be non-zero")]
    fn zero_window_size_panics() {
        let k = 0;
        smooth_k::grad(&[1.0, 2.0], k);
    }

    #[differentiable(wrt(xs))]
    fn smooth_k(xs: &[f64], k: usize) -> f64 {
        xs.windows(k).map(|w| w[0]).sum::<f64>()
    }
}
