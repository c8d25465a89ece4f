//! Reverse mode may replay a loop's trips instead of saving every value
//! (a159479). What a replay must get right: loop bounds and outer values
//! that change after (or inside) the loop, bounds of inner loops that the
//! outer loop changes, lets whose initializer branches, calls inside the
//! replayed body, data-indexed loads, items from `.enumerate`, and
//! a body that reads an outer variable which is reassigned after the loop.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn bounds_change(xs: &[f64]) -> f64 {
    let mut n = 2;
    let mut s = 0.0;
    for i in 0..n {
        let a = xs[i] * xs[i];
        s += a;
        n += 1;
    }
    for i in 0..n {
        let b = s * 0.5 + xs[i];
        s = b;
    }
    n = 1;
    for i in (0..n).rev() {
        let c = s * xs[i + 2];
        s = c;
    }
    let mut k = 3;
    for i in (0..xs.len()).step_by(k) {
        let d = s.sin() + xs[i];
        s = d;
        k = 1;
    }
    s * k as f64
}
fn bounds_change_d<D: Dn>(xs: &[D]) -> D {
    let mut n = 2;
    let mut s = c::<D>(0.0);
    for i in 0..n {
        let a = xs[i] * xs[i];
        s += a;
        n += 1;
    }
    for i in 0..n {
        let b = s * 0.5 + xs[i];
        s = b;
    }
    n = 1;
    for i in (0..n).rev() {
        let c = s * xs[i + 2];
        s = c;
    }
    let mut k = 3;
    for i in (0..xs.len()).step_by(k) {
        let d = s.sin() + xs[i];
        s = d;
        k = 1;
    }
    s * k as f64
}
fn case_bounds_change() -> Case {
    Case::new("bounds_change", |v| bounds_change(v), |v| bounds_change_d(v), rand_points(220, 4, 7, -1.5, 1.5))
}

#[differentiable]
fn inner_bounds(xs: &[f64]) -> f64 {
    let n = xs.len();
    let mut m = 1;
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..m {
            let t = xs[j] * xs[i] * 0.3;
            s = s * 0.9 + t;
        }
        m = (m + 2) % n + 1;
    }
    s
}
fn inner_bounds_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let mut m = 1;
    let mut s = c::<D>(0.0);
    for i in 0..n {
        for j in 0..m {
            let t = xs[j] * xs[i] * 0.3;
            s = s * 0.9 + t;
        }
        m = (m + 2) % n + 1;
    }
    s
}
fn case_inner_bounds() -> Case {
    Case::new("inner_bounds", |v| inner_bounds(v), |v| inner_bounds_d(v), rand_points(221, 4, 6, -1.5, 1.5))
}

#[differentiable]
fn sq(x: f64) -> f64 {
    x * x
}

#[differentiable]
fn outer_reassigned(xs: &[f64], idx: &[usize], a: f64) -> f64 {
    let mut w = a;
    let mut s = 0.0;
    for (i, &x) in xs.iter().enumerate() {
        let y = xs[idx[i]];
        let z = if x > y { x - y } else { sq(y - x) * w };
        let u = z * w + x;
        s += u;
        w *= 0.9;
    }
    for i in 1..xs.len() {
        let r = xs[i - 1] * xs[i] * w;
        s += r;
    }
    w = 3.0;
    s * w
}
fn outer_reassigned_d<D: Dn>(xs: &[D], idx: &[usize], a: D) -> D {
    let mut w = a;
    let mut s = c::<D>(0.0);
    for (i, &x) in xs.iter().enumerate() {
        let y = xs[idx[i]];
        let z = if x > y { x - y } else { (y - x) * (y - x) * w };
        let u = z * w + x;
        s += u;
        w *= 0.9;
    }
    for i in 1..xs.len() {
        let r = xs[i - 1] * xs[i] * w;
        s += r;
    }
    w = c(3.0);
    s * w
}
const IDX: [usize; 5] = [4, 0, 0, 2, 1];
fn case_outer_reassigned() -> Case {
    Case::new(
        "outer_reassigned",
        |v| outer_reassigned(&v[..5], &IDX, v[5]),
        |v| outer_reassigned_d(&v[..5], &IDX, v[5]),
        rand_points(222, 5, 6, -1.5, 1.5),
    )
}

#[differentiable]
fn read_then_rebound(xs: &[f64], a: f64) -> f64 {
    let mut k = a * 2.0;
    let mut s = 0.0;
    for i in 0..xs.len() {
        let t = xs[i] * k;
        s += t.tanh();
    }
    k = a * a;
    let mut q = 0.0;
    for i in 0..xs.len() {
        let t = xs[i] * k + s;
        q += t.sin();
    }
    let k = q * 0.5;
    q + k
}
fn read_then_rebound_d<D: Dn>(xs: &[D], a: D) -> D {
    let mut k = a * 2.0;
    let mut s = c::<D>(0.0);
    for i in 0..xs.len() {
        let t = xs[i] * k;
        s += t.tanh();
    }
    k = a * a;
    let mut q = c::<D>(0.0);
    for i in 0..xs.len() {
        let t = xs[i] * k + s;
        q += t.sin();
    }
    let k = q * 0.5;
    q + k
}
fn case_read_then_rebound() -> Case {
    Case::new(
        "read_then_rebound",
        |v| read_then_rebound(&v[..4], v[4]),
        |v| read_then_rebound_d(&v[..4], v[4]),
        rand_points(223, 4, 5, -1.5, 1.5),
    )
}

#[test]
fn oracles_agree() {
    for case in [case_bounds_change(), case_inner_bounds(), case_outer_reassigned(), case_read_then_rebound()] {
        case.check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn bounds_changed_after_and_inside_loops_ad() {
        case_bounds_change().check_api(api_slice!(bounds_change));
    }

    #[test]
    fn inner_bounds_set_by_outer_loop_ad() {
        case_inner_bounds().check_api(api_slice!(inner_bounds));
    }

    #[test]
    fn outer_values_changed_in_and_after_loop_ad() {
        case_outer_reassigned().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, ga)): (f64, (Vec<f64>, f64)) = outer_reassigned::value_and_grad(&v[..5], &IDX, v[5]);
                (val, [gx, vec![ga]].concat())
            },
            grad: &|v| {
                let (gx, ga) = outer_reassigned::grad(&v[..5], &IDX, v[5]);
                [gx, vec![ga]].concat()
            },
            jvp: &|v, t| outer_reassigned::jvp(&v[..5], &IDX, v[5], &t[..5], t[5]),
            grad_into: &|v, g| {
                let (gx, ga) = g.split_at_mut(5);
                outer_reassigned::value_and_grad_into(&v[..5], &IDX, v[5], gx, &mut ga[0])
            },
        });
    }

    #[test]
    fn read_then_rebound_ad() {
        case_read_then_rebound().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, ga)): (f64, (Vec<f64>, f64)) = read_then_rebound::value_and_grad(&v[..4], v[4]);
                (val, [gx, vec![ga]].concat())
            },
            grad: &|v| {
                let (gx, ga) = read_then_rebound::grad(&v[..4], v[4]);
                [gx, vec![ga]].concat()
            },
            jvp: &|v, t| read_then_rebound::jvp(&v[..4], v[4], &t[..4], t[4]),
            grad_into: &|v, g| {
                let (gx, ga) = g.split_at_mut(4);
                read_then_rebound::value_and_grad_into(&v[..4], v[4], gx, &mut ga[0])
            },
        });
    }
}
