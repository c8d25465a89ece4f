//! Local arrays written in the body (README): what reverse mode must save
//! when elements are overwritten. In-place sweeps that read neighbours
//! already updated in the same pass (Gauss-Seidel), prefix arrays, `push`,
//! scatter-adds at repeated data indices, swaps, an old element read after
//! its slot was overwritten, a fixed `[0.0; N]` passed as `&h` to a
//! differentiable callee, `vec![a, b]` of active scalars, and an array
//! element carried through a `while` with a data-dependent trip count.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn gauss_seidel(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut h = vec![0.0; n];
    for _ in 0..3 {
        for j in 0..n {
            h[j] = (h[j] * 0.5 + xs[j] * h[(j + n - 1) % n] + xs[j]).sin();
        }
    }
    let mut s = 0.0;
    for j in 0..n {
        s += h[j] * (j as f64 + 1.0);
    }
    s
}
fn gauss_seidel_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut h = vec![c::<D>(0.0); n];
    for _ in 0..3 {
        for j in 0..n {
            h[j] = (h[j] * 0.5 + xs[j] * h[(j + n - 1) % n] + xs[j]).sin();
        }
    }
    let mut s = c::<D>(0.0);
    for j in 0..n {
        s += h[j] * (j as f64 + 1.0);
    }
    s
}
fn case_gauss_seidel() -> Case {
    Case::new("gauss_seidel", |v| gauss_seidel(v), |v| gauss_seidel_d(v), rand_points(260, 4, 5, -1.5, 1.5))
}

#[differentiable]
fn prefix_push(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut p = vec![0.0; n + 1];
    for i in 0..n {
        p[i + 1] = p[i] + xs[i] * p[i].cos();
    }
    let mut v = Vec::new();
    for &x in xs {
        v.push(x * x);
    }
    for i in 0..n {
        v.push(p[i + 1] * v[i]);
    }
    v.iter().map(|a| a.sin()).sum::<f64>() + p[n]
}
fn prefix_push_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut p = vec![c::<D>(0.0); n + 1];
    for i in 0..n {
        p[i + 1] = p[i] + xs[i] * p[i].cos();
    }
    let mut v = Vec::new();
    for &x in xs {
        v.push(x * x);
    }
    for i in 0..n {
        let w = p[i + 1] * v[i];
        v.push(w);
    }
    v.iter().map(|a| a.sin()).sum::<D>() + p[n]
}
fn case_prefix_push() -> Case {
    Case::new("prefix_push", |v| prefix_push(v), |v| prefix_push_d(v), rand_points(261, 4, 5, -1.5, 1.5))
}

#[differentiable]
fn norm2(u: &[f64]) -> f64 {
    u.iter().map(|a| a * a).sum::<f64>()
}
fn norm2_d<D: Dn>(u: &[D]) -> D {
    u.iter().map(|a| *a * *a).sum::<D>()
}

/// 3x3 matrix (row-major m) times xs into a fixed local array, scatter-add at
/// repeated data indices, swap, overwrite after reading, callee on &h.
#[differentiable(wrt(m, xs))]
fn scatter_swap(m: &[f64], xs: &[f64], idx: &[usize]) -> f64 {
    let mut h = [0.0; 3];
    for i in 0..3 {
        for j in 0..3 {
            h[i] += m[i * 3 + j] * xs[j];
        }
    }
    for k in 0..idx.len() {
        h[idx[k]] += xs[k % 3] * 0.5;
        h[idx[k]] *= 0.9;
    }
    let t = h[0];
    h[0] = h[1];
    h[1] = t;
    let old = h[2];
    h[2] = h[2].tanh() * xs[0];
    norm2(&h) + old * h[2] + h[0]
}
fn scatter_swap_d<D: Dn>(m: &[D], xs: &[D], idx: &[usize]) -> D {
    let mut h = [c::<D>(0.0); 3];
    for i in 0..3 {
        for j in 0..3 {
            h[i] += m[i * 3 + j] * xs[j];
        }
    }
    for k in 0..idx.len() {
        h[idx[k]] += xs[k % 3] * 0.5;
        h[idx[k]] *= 0.9;
    }
    h.swap(0, 1);
    let old = h[2];
    h[2] = h[2].tanh() * xs[0];
    norm2_d(&h) + old * h[2] + h[0]
}
const IDX: [usize; 6] = [2, 0, 2, 2, 1, 0];
fn case_scatter_swap() -> Case {
    Case::new(
        "scatter_swap",
        |v| scatter_swap(&v[..9], &v[9..], &IDX),
        |v| scatter_swap_d(&v[..9], &v[9..], &IDX),
        rand_points(262, 4, 12, -1.2, 1.2),
    )
}

#[differentiable]
fn literal_and_while(a: f64, b: f64, n: usize) -> f64 {
    let v = vec![a * b, a - b, b.sin()];
    let mut st = [a, 0.0];
    let mut k = 0;
    while k < n {
        st[1] = st[1] * 0.5 + st[0] * v[k % 3];
        st[0] = (st[0] + st[1]).tanh();
        k += 1;
    }
    st[0] + st[1] * v[2]
}
fn literal_and_while_d<D: Dn>(a: D, b: D, n: usize) -> D {
    let v = [a * b, a - b, b.sin()];
    let mut st = [a, c::<D>(0.0)];
    let mut k = 0;
    while k < n {
        st[1] = st[1] * 0.5 + st[0] * v[k % 3];
        st[0] = (st[0] + st[1]).tanh();
        k += 1;
    }
    st[0] + st[1] * v[2]
}
fn case_literal_and_while(n: usize) -> Case {
    Case::new("literal_and_while", move |v| literal_and_while(v[0], v[1], n), move |v| literal_and_while_d(v[0], v[1], n), rand_points(263, 4, 2, -1.5, 1.5))
}

#[test]
fn oracles_agree() {
    for case in [case_gauss_seidel(), case_prefix_push(), case_scatter_swap(), case_literal_and_while(0), case_literal_and_while(7)] {
        case.check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn gauss_seidel_in_place_ad() {
        case_gauss_seidel().check_api(api_slice!(gauss_seidel));
    }

    #[test]
    fn prefix_and_push_ad() {
        case_prefix_push().check_api(api_slice!(prefix_push));
    }

    #[test]
    fn scatter_swap_overwrite_callee_ad() {
        case_scatter_swap().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gm, gx)): (f64, (Vec<f64>, Vec<f64>)) = scatter_swap::value_and_grad(&v[..9], &v[9..], &IDX);
                (val, [gm, gx].concat())
            },
            grad: &|v| {
                let (gm, gx) = scatter_swap::grad(&v[..9], &v[9..], &IDX);
                [gm, gx].concat()
            },
            jvp: &|v, t| scatter_swap::jvp(&v[..9], &v[9..], &IDX, &t[..9], &t[9..]),
            grad_into: &|v, g| {
                let (gm, gx) = g.split_at_mut(9);
                scatter_swap::value_and_grad_into(&v[..9], &v[9..], &IDX, gm, gx)
            },
        });
    }

    #[test]
    fn literal_vec_and_while_state_ad() {
        for n in [0, 7] {
            case_literal_and_while(n).check_api(Api {
                value_and_grad: &|v| {
                    let (val, (ga, gb)) = literal_and_while::value_and_grad(v[0], v[1], n);
                    (val, vec![ga, gb])
                },
                grad: &|v| {
                    let (ga, gb) = literal_and_while::grad(v[0], v[1], n);
                    vec![ga, gb]
                },
                jvp: &|v, t| literal_and_while::jvp(v[0], v[1], n, t[0], t[1]),
                grad_into: &|v, g| {
                    let (ga, gb) = g.split_at_mut(1);
                    literal_and_while::value_and_grad_into(v[0], v[1], n, &mut ga[0], &mut gb[0])
                },
            });
        }
    }

    #[test]
    fn local_arrays_hvp() {
        check_second(
            "gauss_seidel",
            &case_gauss_seidel().points,
            &|v| gauss_seidel_d(v),
            &|v| gauss_seidel::value_and_grad(v),
            &|v, t| gauss_seidel::hvp(v, t),
            &|v| {
                let (val, g, h) = gauss_seidel::hessian(v);
                (val, g, h.iter().copied().collect())
            },
        );
        check_second(
            "scatter_swap",
            &case_scatter_swap().points,
            &|v| scatter_swap_d(&v[..9], &v[9..], &IDX),
            &|v| {
                let (val, (gm, gx)) = scatter_swap::value_and_grad(&v[..9], &v[9..], &IDX);
                (val, [gm, gx].concat())
            },
            &|v, t| {
                let (hm, hx) = scatter_swap::hvp(&v[..9], &v[9..], &IDX, &t[..9], &t[9..]);
                [hm, hx].concat()
            },
            &|v| {
                let (val, (gm, gx), h) = scatter_swap::hessian(&v[..9], &v[9..], &IDX);
                (val, [gm, gx].concat(), h.iter().copied().collect())
            },
        );
    }
}

// A seeded loop reading a local array made before it (running sums): its
// trips add into the array's adjoint in the forward sweep, which is sized
// when the array is created (gd-macros/src/plan/fused.rs,
// `seeded_local_reads`). Two variants that must not take that path: the
// array written again after the loop (the adjoint the trips added belongs to
// the old values), and an array that grows with `push`.
#[differentiable]
fn cumsum_fit(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut h = vec![0.0; n];
    h[0] = xs[0];
    for i in 1..n {
        h[i] = h[i - 1] + xs[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += (h[i] - 0.3 * i as f64).powi(2) * h[i].sin();
    }
    s
}
fn cumsum_fit_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut h = vec![c::<D>(0.0); n];
    h[0] = xs[0];
    for i in 1..n {
        h[i] = h[i - 1] + xs[i];
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += (h[i] - 0.3 * i as f64).powi(2) * h[i].sin();
    }
    s
}

#[differentiable]
fn rewritten_after(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut h = vec![0.0; n];
    for i in 0..n {
        h[i] = xs[i] * xs[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += h[i].cos();
    }
    for i in 0..n {
        h[i] = h[i] * xs[i];
    }
    s + h[0] * h[n - 1]
}
fn rewritten_after_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut h = vec![c::<D>(0.0); n];
    for i in 0..n {
        h[i] = xs[i] * xs[i];
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += h[i].cos();
    }
    for i in 0..n {
        h[i] = h[i] * xs[i];
    }
    s + h[0] * h[n - 1]
}

#[differentiable]
fn pushed_then_read(xs: &[f64]) -> f64 {
    let mut h = Vec::new();
    for i in 0..xs.len() {
        h.push(xs[i].exp());
    }
    let mut s = 0.0;
    for i in 0..h.len() {
        s += h[i] * xs[i];
    }
    s
}
fn pushed_then_read_d<D: Dn>(xs: &[D]) -> D {
    let mut h = Vec::new();
    for i in 0..xs.len() {
        h.push(xs[i].exp());
    }
    let mut s = c::<D>(0.0);
    for i in 0..h.len() {
        s += h[i] * xs[i];
    }
    s
}

#[test]
fn seeded_loops_reading_local_arrays() {
    let cases = [
        Case::new("cumsum_fit", |v| cumsum_fit(v), |v| cumsum_fit_d(v), rand_points(264, 4, 6, -1.5, 1.5)),
        Case::new("rewritten_after", |v| rewritten_after(v), |v| rewritten_after_d(v), rand_points(265, 4, 5, -1.5, 1.5)),
        Case::new("pushed_then_read", |v| pushed_then_read(v), |v| pushed_then_read_d(v), rand_points(266, 4, 5, -1.5, 1.5)),
    ];
    for case in &cases {
        case.check_oracles();
    }
    #[cfg(not(gd_oracles_only))]
    {
        cases[0].check_api(api_slice!(cumsum_fit));
        cases[1].check_api(api_slice!(rewritten_after));
        cases[2].check_api(api_slice!(pushed_then_read));
        for (case, set, into) in [
            (&cases[0], &cumsum_fit::value_and_grad_set as &dyn Fn(&[f64], &mut [f64]) -> f64, &cumsum_fit::value_and_grad_into as &dyn Fn(&[f64], &mut [f64]) -> f64),
            (&cases[1], &rewritten_after::value_and_grad_set, &rewritten_after::value_and_grad_into),
        ] {
            for v in &case.points {
                let mut gs = vec![f64::NAN; v.len()];
                let mut gi = vec![0.0; v.len()];
                assert_eq!(set(v, &mut gs), into(v, &mut gi));
                assert_eq!(gs, gi, "{}: set against into", case.name);
            }
        }
        check_second(
            "cumsum_fit",
            &cases[0].points,
            &|v| cumsum_fit_d(v),
            &|v| cumsum_fit::value_and_grad(v),
            &|v, t| cumsum_fit::hvp(v, t),
            &|v| {
                let (val, g, h) = cumsum_fit::hessian(v);
                (val, g, h.iter().copied().collect())
            },
        );
    }
}
