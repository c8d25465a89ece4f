//! Reads of data at `base + j` in inner loops over `lo..hi`, taken as row
//! slices once per loop (gd-macros/src/plan/rows.rs): the loop runs a copy
//! that reads the rows when all are in bounds, and as written otherwise.
//! The matrix–vector product written with the index four ways (`i * d + j`,
//! `j + i * d`, `d * i + j`, an offset `+ 1` into a padded row), two arrays
//! read in one loop, an iterator sum, a range that does not start at zero,
//! an upper triangle (`j in i..d`: the row from `base + lo`),
//! and the variable bound again in the body (no row), or another name bound
//! from it in an iterator's closure (no row for the reads through it);
//! each against num-dual, central differences and forward mode, and
//! `value_and_grad_set` against `value_and_grad_into`. Data too short
//! panics as the user's code does, and an empty range reads nothing;
//! Hessians through the dual copy against hyper-duals.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

const D: usize = 3;
/// A 3×3 matrix, row-major, and the same padded to rows of 4 (`P[i * 4 + j + 1]`).
const A: [f64; 9] = [0.3, -1.2, 0.7, 1.1, 0.4, -0.5, -0.8, 0.9, 0.2];
const P: [f64; 12] = [9.0, 0.3, -1.2, 0.7, 9.0, 1.1, 0.4, -0.5, 9.0, -0.8, 0.9, 0.2];
const B: [f64; 3] = [0.5, -0.25, 1.0];

#[differentiable(wrt(x))]
fn mv_plain(x: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..b.len() {
        let mut r = -b[i];
        for j in 0..d {
            r += a[i * d + j] * x[j];
        }
        s += r * r;
    }
    0.5 * s
}

#[differentiable(wrt(x))]
fn mv_swapped(x: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..b.len() {
        let mut r = -b[i];
        for j in 0..d {
            r += a[j + i * d] * x[j];
        }
        s += r * r;
    }
    0.5 * s
}

#[differentiable(wrt(x))]
fn mv_d_first(x: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..b.len() {
        let r = (0..d).map(|j| a[d * i + j] * x[j]).sum::<f64>() - b[i];
        s += r * r;
    }
    0.5 * s
}

#[differentiable(wrt(x))]
fn mv_padded(x: &[f64], p: &[f64], b: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..b.len() {
        let mut r = -b[i];
        for j in 0..d {
            r += p[i * (d + 1) + j + 1] * x[j];
        }
        s += r * r;
    }
    0.5 * s
}

/// Two arrays read in one loop, over a range that starts at 1.
#[differentiable(wrt(x))]
fn two_arrays(x: &[f64], a: &[f64], p: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..d {
        let mut t = 0.0;
        for j in 1..d {
            t += (a[i * d + j] - p[i * (d + 1) + j + 1]) * x[j] * x[j - 1];
        }
        s += t.sin();
    }
    s
}

/// The loop's variable bound again in the body (`let j = j + 1`): the read
/// is no longer at `base + item`, so no row is taken.
#[differentiable(wrt(x))]
fn shifted_in_body(x: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..b.len() {
        let mut r = -b[i];
        for j in 0..d - 1 {
            let j = j + 1;
            r += a[i * d + j] * x[j];
        }
        s += r * r;
    }
    0.5 * s
}
fn shifted_in_body_d<Dn_: Dn>(x: &[Dn_], a: &[f64], b: &[f64]) -> Dn_ {
    let d = x.len();
    let mut s = c::<Dn_>(0.0);
    for i in 0..b.len() {
        let mut r = c::<Dn_>(-b[i]);
        for j in 1..d {
            r += x[j] * a[i * d + j];
        }
        s += r * r;
    }
    s * 0.5
}

/// Another name bound from the loop's variable in the body: `k` is not the
/// variable (as a name bound to it is: the lowering's `let j = ..;` for an
/// iterator's item), so `a[i * d + k]` takes no row, while `a[i * d + j]` does.
#[differentiable(wrt(x))]
fn mv_column_reversed(x: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..b.len() {
        let mut r = -b[i];
        for j in 0..d {
            let k = d - 1 - j;
            r += a[i * d + k] * x[j] + 0.5 * a[i * d + j];
        }
        s += r * r;
    }
    0.5 * s
}
fn mv_column_reversed_d<Dn_: Dn>(x: &[Dn_], a: &[f64], b: &[f64]) -> Dn_ {
    let d = x.len();
    let mut s = c::<Dn_>(0.0);
    for i in 0..b.len() {
        let mut r = c::<Dn_>(-b[i]);
        for j in 0..d {
            r += x[j] * a[i * d + d - 1 - j] + 0.5 * a[i * d + j];
        }
        s += r * r;
    }
    s * 0.5
}

fn mv_d<Dn_: Dn>(x: &[Dn_], a: &[f64], b: &[f64], stride: usize, off: usize) -> Dn_ {
    let d = x.len();
    let mut s = c::<Dn_>(0.0);
    for i in 0..b.len() {
        let mut r = c::<Dn_>(-b[i]);
        for j in 0..d {
            r += x[j] * a[i * stride + j + off];
        }
        s += r * r;
    }
    s * 0.5
}

fn two_arrays_d<Dn_: Dn>(x: &[Dn_], a: &[f64], p: &[f64]) -> Dn_ {
    let d = x.len();
    let mut s = c::<Dn_>(0.0);
    for i in 0..d {
        let mut t = c::<Dn_>(0.0);
        for j in 1..d {
            t += x[j] * x[j - 1] * (a[i * d + j] - p[i * (d + 1) + j + 1]);
        }
        s += t.sin();
    }
    s
}

/// An inner loop from `i` (`j in i..d`, the upper triangle): its row starts
/// at `base + lo`, `lo` changing from row to row.
#[differentiable(wrt(x))]
fn upper(x: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..b.len() {
        let mut r = -b[i];
        for j in i..d {
            r += a[i * d + j] * x[j];
        }
        s += r * r;
    }
    s * 0.5
}
fn upper_d<Dn_: Dn>(x: &[Dn_], a: &[f64], b: &[f64]) -> Dn_ {
    let d = x.len();
    let mut s = c::<Dn_>(0.0);
    for i in 0..b.len() {
        let mut r = c::<Dn_>(-b[i]);
        for j in i..d {
            r += x[j] * a[i * d + j];
        }
        s += r * r;
    }
    s * 0.5
}

fn cases() -> Vec<Case> {
    let pts = |seed| rand_points(seed, 4, D, -1.3, 1.3);
    vec![
        Case::new("mv_plain", |v| mv_plain(v, &A, &B), |v| mv_d(v, &A, &B, D, 0), pts(501)),
        Case::new("mv_swapped", |v| mv_swapped(v, &A, &B), |v| mv_d(v, &A, &B, D, 0), pts(502)),
        Case::new("mv_d_first", |v| mv_d_first(v, &A, &B), |v| mv_d(v, &A, &B, D, 0), pts(503)),
        Case::new("mv_padded", |v| mv_padded(v, &P, &B), |v| mv_d(v, &P, &B, D + 1, 1), pts(504)),
        Case::new("two_arrays", |v| two_arrays(v, &A, &P), |v| two_arrays_d(v, &A, &P), pts(505)),
        Case::new("shifted_in_body", |v| shifted_in_body(v, &A, &B), |v| shifted_in_body_d(v, &A, &B), pts(506)),
        Case::new("mv_column_reversed", |v| mv_column_reversed(v, &A, &B), |v| mv_column_reversed_d(v, &A, &B), pts(507)),
        Case::new("upper", |v| upper(v, &A, &B), |v| upper_d(v, &A, &B), pts(508)),
    ]
}

#[test]
fn oracles_agree() {
    for case in cases() {
        case.check_oracles();
    }
}

/// `Api` for `f(x, data, data)` differentiated in `x`.
#[cfg(not(gd_oracles_only))]
macro_rules! api_data {
    ($f:ident, $a:expr, $b:expr) => {
        Api {
            value_and_grad: &|x| $f::value_and_grad(x, &$a, &$b),
            grad: &|x| $f::grad(x, &$a, &$b),
            jvp: &|x, t| $f::jvp(x, &$a, &$b, t),
            grad_into: &|x, g| $f::value_and_grad_into(x, &$a, &$b, g),
        }
    };
}

#[cfg(not(gd_oracles_only))]
#[test]
fn row_reads_ad() {
    type Set = dyn Fn(&[f64], &mut [f64]) -> f64;
    let apis = [
        (api_data!(mv_plain, A, B), &(|x: &[f64], g: &mut [f64]| mv_plain::value_and_grad_set(x, &A, &B, g)) as &Set),
        (api_data!(mv_swapped, A, B), &|x: &[f64], g: &mut [f64]| mv_swapped::value_and_grad_set(x, &A, &B, g)),
        (api_data!(mv_d_first, A, B), &|x: &[f64], g: &mut [f64]| mv_d_first::value_and_grad_set(x, &A, &B, g)),
        (api_data!(mv_padded, P, B), &|x: &[f64], g: &mut [f64]| mv_padded::value_and_grad_set(x, &P, &B, g)),
        (api_data!(two_arrays, A, P), &|x: &[f64], g: &mut [f64]| two_arrays::value_and_grad_set(x, &A, &P, g)),
        (api_data!(shifted_in_body, A, B), &|x: &[f64], g: &mut [f64]| shifted_in_body::value_and_grad_set(x, &A, &B, g)),
        (api_data!(mv_column_reversed, A, B), &|x: &[f64], g: &mut [f64]| mv_column_reversed::value_and_grad_set(x, &A, &B, g)),
        (api_data!(upper, A, B), &|x: &[f64], g: &mut [f64]| upper::value_and_grad_set(x, &A, &B, g)),
    ];
    for (case, (api, set)) in cases().into_iter().zip(apis) {
        case.check_api_set(api, set);
    }
}

/// A matrix one element short: the last row's read is out of bounds, so
/// the loop runs as written and panics at the user's index, as the primal does.
#[cfg(not(gd_oracles_only))]
#[test]
fn short_data_panics_like_the_primal() {
    let x = [0.1, 0.2, 0.3];
    let short = &A[..8];
    let primal = std::panic::catch_unwind(|| mv_plain(&x, short, &B)).unwrap_err();
    let grad = std::panic::catch_unwind(|| mv_plain::grad(&x, short, &B)).unwrap_err();
    let msg = |e: &Box<dyn std::any::Any + Send>| e.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg(&primal).contains("index out of bounds"), "{}", msg(&primal));
    assert_eq!(msg(&grad), msg(&primal));
}

/// No columns: the inner range is empty, its base never computed.
#[cfg(not(gd_oracles_only))]
#[test]
fn empty_rows_read_nothing() {
    let (v, g) = mv_plain::value_and_grad(&[], &[], &B);
    assert_eq!(v, 0.5 * B.iter().map(|b| b * b).sum::<f64>());
    assert!(g.is_empty());
}

/// The second-order paths run the dual copy of the sweeps, rows and all.
#[cfg(not(gd_oracles_only))]
#[test]
fn row_reads_second_order() {
    check_second(
        "mv_plain",
        &rand_points(511, 2, D, -1.0, 1.0),
        &|v| mv_d(v, &A, &B, D, 0),
        &|v| mv_plain::value_and_grad(v, &A, &B),
        &|v, t| mv_plain::hvp(v, &A, &B, t),
        &|v| {
            let (val, g, h) = mv_plain::hessian(v, &A, &B);
            (val, g, h.iter().copied().collect())
        },
    );
    check_second(
        "two_arrays",
        &rand_points(512, 2, D, -1.0, 1.0),
        &|v| two_arrays_d(v, &A, &P),
        &|v| two_arrays::value_and_grad(v, &A, &P),
        &|v, t| two_arrays::hvp(v, &A, &P, t),
        &|v| {
            let (val, g, h) = two_arrays::hessian(v, &A, &P);
            (val, g, h.iter().copied().collect())
        },
    );
}
