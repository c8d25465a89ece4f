//! Local arrays made once per call and only indexed are kept, with their
//! adjoints, in room in the reverse sweep's frame (`plan::room`,
//! `__private::Room`: up to 64 elements, else a vector). Arrays of lengths
//! around that size, written then read in several orders, read through the
//! user's own name (`c.iter()`, `for v in c`), made in a branch, two in one
//! function, and after a larger call: every gradient equals the
//! dual-number oracle's, and a buffer of NaN is overwritten.

mod common;
use common::*;
use gd::differentiable;

/// Prefix sums, then a second pass over them (the zoo's `cumsum_local`).
#[differentiable]
fn prefix(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.0; n];
    c[0] = x[0];
    for i in 1..n {
        c[i] = c[i - 1] + x[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += (c[i] - 0.3).powi(2) * x[n - 1 - i];
    }
    s
}
fn prefix_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut p = vec![c::<D>(0.0); n];
    p[0] = x[0];
    for i in 1..n {
        p[i] = p[i - 1] + x[i];
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += (p[i] - 0.3).powi(2) * x[n - 1 - i];
    }
    s
}

/// Two arrays, one filled backwards from the other and read through the
/// user's name by iterators.
#[differentiable]
fn two_arrays(x: &[f64]) -> f64 {
    let n = x.len();
    let mut a = vec![1.0; n];
    let mut b = vec![0.0; n];
    for i in 0..n {
        a[i] = x[i].sin() * a[i];
    }
    for i in (0..n).rev() {
        b[i] = a[n - 1 - i] * x[i];
    }
    let s: f64 = b.iter().map(|v| v * v).sum();
    let mut t = 0.0;
    for v in &a {
        t += v.exp();
    }
    s + t
}
fn two_arrays_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut a = vec![c::<D>(1.0); n];
    let mut b = vec![c::<D>(0.0); n];
    for i in 0..n {
        a[i] = x[i].sin() * a[i];
    }
    for i in (0..n).rev() {
        b[i] = a[n - 1 - i] * x[i];
    }
    let s = b.iter().fold(c::<D>(0.0), |s, v| s + *v * *v);
    let mut t = c::<D>(0.0);
    for v in &a {
        t += v.exp();
    }
    s + t
}

/// An array made in one arm of a branch, of a length that depends on the data.
#[differentiable]
fn in_branch(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    if x[0] > 0.0 {
        let m = n / 2 + 1;
        let mut w = vec![0.5; m];
        for i in 0..m {
            w[i] = w[i] * x[i] + x[n - 1 - i];
        }
        for i in 0..m {
            s += w[i] * w[m - 1 - i];
        }
    } else {
        s = x[0] * x[0];
    }
    s
}
fn in_branch_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut s = c::<D>(0.0);
    if x[0].re() > 0.0 {
        let m = n / 2 + 1;
        let mut w = vec![c::<D>(0.5); m];
        for i in 0..m {
            w[i] = w[i] * x[i] + x[n - 1 - i];
        }
        for i in 0..m {
            s += w[i] * w[m - 1 - i];
        }
    } else {
        s = x[0] * x[0];
    }
    s
}

/// Lengths below, at and past the room (64), then small after large.
const SIZES: [usize; 11] = [1, 2, 10, 63, 64, 65, 127, 128, 129, 400, 7];

fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 29 % 17) as f64 / 17.0 - 0.4) * 0.9 + 0.05).collect()
}

fn check(what: &str, x: &[f64], set: &dyn Fn(&[f64], &mut [f64]) -> f64, into: &dyn Fn(&[f64], &mut [f64]) -> f64, oracle: &dyn Fn(&[Dual64]) -> Dual64) {
    let n = x.len();
    let (want_v, want) = dual_grad(oracle, x);
    let mut g = vec![f64::NAN; n];
    let v = set(x, &mut g);
    assert_close1(&format!("{what} value, n = {n}"), v, want_v, 1e-12);
    assert_close(&format!("{what} value_and_grad_set, n = {n}"), &g, &want, 1e-11, 0.0);
    let mut g = vec![1.0; n];
    into(x, &mut g);
    let added: Vec<f64> = want.iter().map(|w| w + 1.0).collect();
    assert_close(&format!("{what} value_and_grad_into, n = {n}"), &g, &added, 1e-11, 0.0);
}

#[test]
fn local_arrays_in_room() {
    for n in SIZES {
        let x = point(n);
        check("prefix", &x, &|x, g| prefix::value_and_grad_set(x, g), &|x, g| prefix::value_and_grad_into(x, g), &|x| prefix_d(x));
        check("two_arrays", &x, &|x, g| two_arrays::value_and_grad_set(x, g), &|x, g| two_arrays::value_and_grad_into(x, g), &|x| two_arrays_d(x));
        for sign in [1.0, -1.0] {
            let mut y = x.clone();
            y[0] = sign * (y[0].abs() + 0.1);
            check("in_branch", &y, &|x, g| in_branch::value_and_grad_set(x, g), &|x, g| in_branch::value_and_grad_into(x, g), &|x| in_branch_d(x));
        }
    }
}

/// The split sweep (its pullback outlives the frame) keeps its arrays on
/// the heap; the same gradient through it.
#[test]
fn split_keeps_vectors() {
    for n in SIZES {
        let x = point(n);
        let (v, pb) = prefix::__gd_split(&x);
        let mut g = vec![0.0; n];
        pb(1.0, Some(&mut g));
        let (want_v, want) = dual_grad(&|x| prefix_d(x), &x);
        assert_close1("split value", v, want_v, 1e-12);
        assert_close(&format!("split gradient, n = {n}"), &g, &want, 1e-11, 0.0);
    }
}
