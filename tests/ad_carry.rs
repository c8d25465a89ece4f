//! Local arrays written by a recurrence and read after it, in the forms
//! users write them: the loads of elements earlier trips stored (`c[i - 1]`
//! before `c[i] = ..`) pass their adjoints in registers to those trips'
//! stores (gd-macros/src/plan/carry.rs). Running sums in a `vec!` and in a
//! `[f64; N]`, a running product, two trips back, a stride, backwards, an
//! Euler step that stores one ahead, a second pass that reads pairs, the
//! recurrence run twice over the array; and beside them forms the plan
//! leaves to the memory path (a `Vec` pushed to, a load after the store).
//! The pass that reads the array first assigns its adjoint (`first_writes`
//! in the same file); a second pass adds.
//! Each against num-dual, central differences, jvp, `_into` and `_set`.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn cumsum_vec(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.0; n];
    c[0] = x[0];
    for i in 1..n {
        c[i] = c[i - 1] + x[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += (c[i] - 0.5).powi(2);
    }
    s
}
fn cumsum_vec_d<D: Dn>(x: &[D]) -> D {
    let mut acc = c::<D>(0.0);
    let mut s = c::<D>(0.0);
    for &v in x {
        acc += v;
        s += (acc - 0.5).powi(2);
    }
    s
}

#[differentiable]
fn cumsum_array(x: &[f64]) -> f64 {
    let mut c = [0.0; 6];
    c[0] = x[0];
    for i in 1..6 {
        c[i] = c[i - 1] + x[i] * x[i];
    }
    let mut s = 0.0;
    for i in 0..6 {
        s += c[i].sin();
    }
    s
}
fn cumsum_array_d<D: Dn>(x: &[D]) -> D {
    let mut acc = c::<D>(0.0);
    let mut s = c::<D>(0.0);
    for (i, &v) in x.iter().enumerate().take(6) {
        acc += if i == 0 { v } else { v * v };
        s += acc.sin();
    }
    s
}

#[differentiable]
fn prefix_product(x: &[f64]) -> f64 {
    let n = x.len();
    let mut p = vec![1.0; n + 1];
    for i in 0..n {
        p[i + 1] = p[i] * (1.0 + 0.5 * x[i].tanh());
    }
    let mut s = 0.0;
    for i in 0..=n {
        s += p[i];
    }
    s
}
fn prefix_product_d<D: Dn>(x: &[D]) -> D {
    let mut p = c::<D>(1.0);
    let mut s = p;
    for &v in x {
        p = p * (v.tanh() * 0.5 + 1.0);
        s += p;
    }
    s
}

/// Two trips back, and the second pass reads neighbours.
#[differentiable]
fn two_back_pairs(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.0; n + 2];
    c[1] = 0.5;
    for i in 2..n + 2 {
        c[i] = (c[i - 1] * 0.5 - c[i - 2] * 0.3 + x[i - 2]).tanh();
    }
    let mut s = 0.0;
    for i in 1..n + 2 {
        s += c[i] * c[i - 1] + c[i];
    }
    s
}
fn two_back_pairs_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut h = vec![c::<D>(0.0); n + 2];
    h[1] = c::<D>(0.5);
    for i in 2..n + 2 {
        h[i] = (h[i - 1] * 0.5 - h[i - 2] * 0.3 + x[i - 2]).tanh();
    }
    let mut s = c::<D>(0.0);
    for i in 1..n + 2 {
        s += h[i] * h[i - 1] + h[i];
    }
    s
}

/// Every other element, from the one two back; those between keep `x`.
#[differentiable]
fn strided(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.0; n];
    for i in 0..n {
        c[i] = x[i];
    }
    for i in (2..n).step_by(2) {
        c[i] = (c[i - 2] + c[i - 1] * x[i]).sin();
    }
    let mut s = 0.0;
    for i in 0..n {
        s += c[i] * (i as f64 + 1.0);
    }
    s
}
fn strided_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut h = x.to_vec();
    for i in (2..n).step_by(2) {
        h[i] = (h[i - 2] + h[i - 1] * x[i]).sin();
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += h[i] * (i as f64 + 1.0);
    }
    s
}

/// Suffix sums, backwards.
#[differentiable]
fn suffix(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.0; n + 1];
    for i in (0..n).rev() {
        c[i] = c[i + 1] * 0.9 + x[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += c[i].atan();
    }
    s
}
fn suffix_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut h = vec![c::<D>(0.0); n + 1];
    for i in (0..n).rev() {
        h[i] = h[i + 1] * 0.9 + x[i];
    }
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += h[i].atan();
    }
    s
}

/// Explicit Euler steps of `u' = -sin u + x(t)`, stored one ahead.
#[differentiable]
fn euler(x: &[f64]) -> f64 {
    let n = x.len();
    let mut u = vec![0.3; n + 1];
    for i in 0..n {
        u[i + 1] = u[i] + 0.1 * (x[i] - u[i].sin());
    }
    let mut s = 0.0;
    for i in 0..=n {
        s += (u[i] - 1.0).powi(2);
    }
    s
}
fn euler_d<D: Dn>(x: &[D]) -> D {
    let mut u = c::<D>(0.3);
    let mut s = (u - 1.0).powi(2);
    for &v in x {
        u = u + (v - u.sin()) * 0.1;
        s += (u - 1.0).powi(2);
    }
    s
}

/// The recurrence twice over the array, each trip also reading the element
/// it overwrites (the memory path, beside the register).
#[differentiable]
fn twice(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.0; n + 1];
    for _ in 0..2 {
        for i in 1..n + 1 {
            c[i] = (c[i - 1] * 0.7 + c[i] * 0.2 + x[i - 1]).tanh();
        }
    }
    let mut s = 0.0;
    for i in 0..n + 1 {
        s += c[i] * c[i];
    }
    s
}
fn twice_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut h = vec![c::<D>(0.0); n + 1];
    for _ in 0..2 {
        for i in 1..n + 1 {
            h[i] = (h[i - 1] * 0.7 + h[i] * 0.2 + x[i - 1]).tanh();
        }
    }
    let mut s = c::<D>(0.0);
    for i in 0..n + 1 {
        s += h[i] * h[i];
    }
    s
}

/// Running sums pushed to a `Vec`: the planner does not follow a pushed
/// array's length, so these keep the memory path.
#[differentiable]
fn cumsum_push(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = Vec::new();
    c.push(x[0]);
    for i in 1..n {
        let v = c[i - 1] + x[i];
        c.push(v);
    }
    let mut s = 0.0;
    for i in 0..n {
        s += (c[i] - 0.5).powi(2);
    }
    s
}

/// A load after the store in the trip (of the element the trip before
/// stored): not carried.
#[differentiable]
fn load_after_store(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.0; n];
    let mut s = 0.0;
    for i in 1..n {
        c[i] = (x[i] + x[i - 1]).sin();
        s += c[i] * c[i - 1];
    }
    s + c[n - 1]
}
fn load_after_store_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut h = vec![c::<D>(0.0); n];
    let mut s = c::<D>(0.0);
    for i in 1..n {
        h[i] = (x[i] + x[i - 1]).sin();
        s += h[i] * h[i - 1];
    }
    s + h[n - 1]
}

/// Two passes read the running sums, each one element per trip: the first
/// assigns their adjoints, the second adds.
#[differentiable]
fn two_readers(x: &[f64]) -> f64 {
    let n = x.len();
    let mut c = vec![0.0; n];
    c[0] = x[0];
    for i in 1..n {
        c[i] = c[i - 1] + x[i];
    }
    let mut s = 0.0;
    for i in 0..n {
        s += c[i].sin();
    }
    let mut t = 0.0;
    for i in 0..n {
        t += c[i] * c[i];
    }
    s + 0.5 * t
}
fn two_readers_d<D: Dn>(x: &[D]) -> D {
    let mut acc = c::<D>(0.0);
    let mut s = c::<D>(0.0);
    for &v in x {
        acc += v;
        s += acc.sin() + acc * acc * 0.5;
    }
    s
}

/// A local array made anew on each trip of an outer loop, its length
/// growing: its adjoint keeps one buffer (an array made once per call gets
/// a new `vec!`), cleared and sized to each trip's array, nothing left from
/// the trip before.
#[differentiable]
fn per_trip_cumsum(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for j in 1..n {
        let mut c = vec![0.0; j + 1];
        c[0] = x[0];
        for i in 1..j + 1 {
            c[i] = c[i - 1] + x[i] * x[j];
        }
        for i in 0..j + 1 {
            s += (c[i] - 0.5).powi(2);
        }
    }
    s
}
fn per_trip_cumsum_d<D: Dn>(x: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for j in 1..x.len() {
        let mut acc = x[0];
        s += (acc - 0.5).powi(2);
        for i in 1..j + 1 {
            acc += x[i] * x[j];
            s += (acc - 0.5).powi(2);
        }
    }
    s
}

/// The same, the array shrinking and read backwards after a push-built copy
/// (its adjoint made in the reverse sweep, sized to its final length).
#[differentiable]
fn per_trip_pushed(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for j in 0..n {
        let mut c = Vec::new();
        c.push(x[j]);
        for i in 1..n - j {
            let v = c[i - 1] * 0.9 + x[i + j];
            c.push(v);
        }
        for i in (0..n - j).rev() {
            s += c[i].sin();
        }
    }
    s
}
fn per_trip_pushed_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut s = c::<D>(0.0);
    for j in 0..n {
        let mut acc = x[j];
        s += acc.sin();
        for i in 1..n - j {
            acc = acc * 0.9 + x[i + j];
            s += acc.sin();
        }
    }
    s
}

slice_cases!(-1.2, 1.2;
    cumsum_vec, cumsum_vec_d, 801, 7;
    cumsum_array, cumsum_array_d, 802, 6;
    prefix_product, prefix_product_d, 803, 7;
    two_back_pairs, two_back_pairs_d, 804, 6;
    strided, strided_d, 805, 8;
    suffix, suffix_d, 806, 5;
    euler, euler_d, 807, 9;
    twice, twice_d, 808, 5;
    cumsum_push, cumsum_vec_d, 809, 7;
    load_after_store, load_after_store_d, 810, 6;
    two_readers, two_readers_d, 811, 6;
    per_trip_cumsum, per_trip_cumsum_d, 812, 6;
    per_trip_pushed, per_trip_pushed_d, 813, 5;
);

#[test]
fn recurrences_over_local_arrays() {
    check_all_api();
}

/// One trip, and none (an `x` of one element: the recurrence never runs,
/// and what the first trip would read is flushed from no register).
#[test]
fn short_arrays() {
    for x in [vec![0.7], vec![0.7, -0.2]] {
        let cases: [(&str, fn(&[f64]) -> (f64, Vec<f64>), fn(&[Dual64]) -> Dual64); 5] = [
            ("cumsum_vec", |x| cumsum_vec::value_and_grad(x), |x| cumsum_vec_d(x)),
            ("prefix_product", |x| prefix_product::value_and_grad(x), |x| prefix_product_d(x)),
            ("suffix", |x| suffix::value_and_grad(x), |x| suffix_d(x)),
            ("euler", |x| euler::value_and_grad(x), |x| euler_d(x)),
            ("two_back_pairs", |x| two_back_pairs::value_and_grad(x), |x| two_back_pairs_d(x)),
        ];
        for (name, f, fd) in cases {
            let (v, g) = f(&x);
            let (dv, dg) = dual_grad(&fd, &x);
            assert_close1(&format!("{name} at {x:?}: value"), v, dv, 1e-12);
            assert_close(&format!("{name} at {x:?}: gradient"), &g, &dg, RTOL_DUAL, 0.0);
        }
    }
}
