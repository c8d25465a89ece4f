//! Two-pass reductions (issue 15's `variance`, `normalise`, `logsumexp`
//! shapes): a first reduction (a mean, a norm, a max) read by every trip of
//! a second accumulation loop. In reverse the first scalar's adjoint is
//! complete only after the second loop's trips have each added their
//! `∂term/∂m`, then the first loop's reverse adds `m̄ ∂m/∂x_i` into the
//! gradient a second time per element; `value_and_grad_set` must still
//! equal `value_and_grad_into` bit for bit. Spelled several ways: iterator
//! sums and `for` loops, `powi` and `(x - m) * (x - m)`, a weighted
//! variance, a standardisation `Σ ((x_i − m)/s)²`, a softmax-weighted sum,
//! log-sum-exp with the max from a fold and from a loop, a normalisation
//! with `zip`; and the forms whose second loop is not a plain sum (a
//! product, a term that also feeds a running max, the invariant reassigned
//! between the loops), which stay on the saving path. Each against num-dual,
//! central differences and forward mode, second order against hyper-duals.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

/// A weight per position, data to the functions (not differentiated).
fn wt(i: usize) -> f64 {
    1.0 + 0.3 * (i as f64 * 0.7).sin()
}

// The zoo's form: an iterator mean, `powi`.
#[differentiable]
fn var_iter(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let mut v = 0.0;
    for &xi in x {
        v += (xi - mean).powi(2);
    }
    v / n
}
fn var_iter_d<D: Dn>(x: &[D]) -> D {
    let n = x.len() as f64;
    let mean = x.iter().fold(c::<D>(0.0), |a, &v| a + v) / n;
    let mut v = c::<D>(0.0);
    for &xi in x {
        v += (xi - mean).powi(2);
    }
    v / n
}

// `for` loops, the square as a product, the mean as a running sum times 1/n.
#[differentiable]
fn var_loop(x: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        s += x[i];
    }
    let m = s * (1.0 / n as f64);
    let mut v = 0.0;
    for i in 0..n {
        v += (x[i] - m) * (x[i] - m);
    }
    v / (n as f64 - 1.0)
}
fn var_loop_d<D: Dn>(x: &[D]) -> D {
    let n = x.len();
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += x[i];
    }
    let m = s * (1.0 / n as f64);
    let mut v = c::<D>(0.0);
    for i in 0..n {
        v += (x[i] - m) * (x[i] - m);
    }
    v / (n as f64 - 1.0)
}

// A weighted mean and variance: the invariant's partial differs per trip.
#[differentiable]
fn var_weighted(x: &[f64]) -> f64 {
    let mut sw = 0.0;
    let mut swx = 0.0;
    for i in 0..x.len() {
        sw += wt(i);
        swx += wt(i) * x[i];
    }
    let m = swx / sw;
    x.iter().enumerate().map(|(i, &v)| wt(i) * (v - m) * (v - m)).sum::<f64>() / sw
}
fn var_weighted_d<D: Dn>(x: &[D]) -> D {
    let mut sw = 0.0;
    let mut swx = c::<D>(0.0);
    for i in 0..x.len() {
        sw += wt(i);
        swx += x[i] * wt(i);
    }
    let m = swx / sw;
    x.iter().enumerate().fold(c::<D>(0.0), |a, (i, &v)| a + (v - m) * (v - m) * wt(i)) / sw
}

// Two invariants: a standardisation by a spread computed from x too.
#[differentiable]
fn standardise(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let s = (x.iter().map(|v| v * v).sum::<f64>() / n + 0.5).sqrt();
    let mut q = 0.0;
    for &xi in x {
        let z = (xi - m) / s;
        q += z.powi(2) + 0.1 * z;
    }
    q
}
fn standardise_d<D: Dn>(x: &[D]) -> D {
    let n = x.len() as f64;
    let m = x.iter().fold(c::<D>(0.0), |a, &v| a + v) / n;
    let s = (x.iter().fold(c::<D>(0.0), |a, &v| a + v * v) / n + 0.5).sqrt();
    let mut q = c::<D>(0.0);
    for &xi in x {
        let z = (xi - m) / s;
        q += z.powi(2) + z * 0.1;
    }
    q
}

// log-sum-exp, the max from a loop and the sum by a `for`.
#[differentiable]
fn lse_for(x: &[f64]) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for &v in x {
        m = m.max(v);
    }
    let mut s = 0.0;
    for &v in x {
        s += (v - m).exp();
    }
    s.ln() + m
}
fn lse_for_d<D: Dn>(x: &[D]) -> D {
    let mut m = c::<D>(f64::NEG_INFINITY);
    for &v in x {
        m = dmax(m, v);
    }
    let mut s = c::<D>(0.0);
    for &v in x {
        s += (v - m).exp();
    }
    s.ln() + m
}

// The zoo's log-sum-exp: a `fold` max, an iterator sum.
#[differentiable]
fn lse_fold(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s = x.iter().map(|v| (v - m).exp()).sum::<f64>();
    m + s.ln()
}
fn lse_fold_d<D: Dn>(x: &[D]) -> D {
    let m = x.iter().copied().fold(c::<D>(f64::NEG_INFINITY), dmax);
    let s = x.iter().fold(c::<D>(0.0), |a, &v| a + (v - m).exp());
    m + s.ln()
}

// A softmax-weighted sum: two sums over the same shift, divided.
#[differentiable]
fn softmax_mean(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut z = 0.0;
    let mut s = 0.0;
    for i in 0..x.len() {
        let e = (x[i] - m).exp();
        z += e;
        s += e * x[i] * wt(i);
    }
    s / z
}
fn softmax_mean_d<D: Dn>(x: &[D]) -> D {
    let m = x.iter().copied().fold(c::<D>(f64::NEG_INFINITY), dmax);
    let mut z = c::<D>(0.0);
    let mut s = c::<D>(0.0);
    for i in 0..x.len() {
        let e = (x[i] - m).exp();
        z += e;
        s += e * x[i] * wt(i);
    }
    s / z
}

// The zoo's normalisation with `zip` and an iterator sum (weights as data).
#[differentiable]
fn normalise_zip(x: &[f64]) -> f64 {
    let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    let w: Vec<f64> = (0..x.len()).map(wt).collect();
    x.iter().zip(&w).map(|(a, b)| a * b / norm).sum::<f64>()
}
fn normalise_zip_d<D: Dn>(x: &[D]) -> D {
    let norm = x.iter().fold(c::<D>(0.0), |a, &v| a + v * v).sqrt();
    x.iter().enumerate().fold(c::<D>(0.0), |a, (i, &v)| a + v * wt(i) / norm)
}

// The normalisation as a `for` loop, the norm's reciprocal taken first.
#[differentiable]
fn normalise_for(x: &[f64]) -> f64 {
    let mut ss = 0.0;
    for i in 0..x.len() {
        ss += x[i] * x[i];
    }
    let inv = 1.0 / ss.sqrt();
    let mut s = 0.0;
    for i in 0..x.len() {
        s += wt(i) * x[i] * inv;
    }
    s * s
}
fn normalise_for_d<D: Dn>(x: &[D]) -> D {
    let mut ss = c::<D>(0.0);
    for i in 0..x.len() {
        ss += x[i] * x[i];
    }
    let inv = ss.sqrt().recip();
    let mut s = c::<D>(0.0);
    for i in 0..x.len() {
        s += x[i] * wt(i) * inv;
    }
    s * s
}

// Not a plain sum: a product over the trips reads the mean.
#[differentiable]
fn prod_centred(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    let mut p = 1.0;
    for &v in x {
        p *= 1.0 + 0.2 * (v - m);
    }
    p
}
fn prod_centred_d<D: Dn>(x: &[D]) -> D {
    let m = x.iter().fold(c::<D>(0.0), |a, &v| a + v) / x.len() as f64;
    let mut p = c::<D>(1.0);
    for &v in x {
        p *= (v - m) * 0.2 + 1.0;
    }
    p
}

// The term also feeds a running max carried across the trips.
#[differentiable]
fn centred_and_max(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    let mut v = 0.0;
    let mut hi = f64::NEG_INFINITY;
    for &xi in x {
        let d = xi - m;
        v += d * d;
        hi = hi.max(d);
    }
    v + hi
}
fn centred_and_max_d<D: Dn>(x: &[D]) -> D {
    let m = x.iter().fold(c::<D>(0.0), |a, &v| a + v) / x.len() as f64;
    let mut v = c::<D>(0.0);
    let mut hi = c::<D>(f64::NEG_INFINITY);
    for &xi in x {
        let d = xi - m;
        v += d * d;
        hi = dmax(hi, d);
    }
    v + hi
}

// The invariant reassigned between the loops, and the second sum squared.
#[differentiable]
fn var_reassigned(x: &[f64]) -> f64 {
    let mut m = x.iter().sum::<f64>() / x.len() as f64;
    m = m * m + 0.5 * m;
    let mut v = 0.0;
    for &xi in x {
        v += (xi - m).powi(2);
    }
    v * v
}
fn var_reassigned_d<D: Dn>(x: &[D]) -> D {
    let mut m = x.iter().fold(c::<D>(0.0), |a, &v| a + v) / x.len() as f64;
    m = m * m + m * 0.5;
    let mut v = c::<D>(0.0);
    for &xi in x {
        v += (xi - m).powi(2);
    }
    v * v
}

// The mean read inside the second loop's trip and by the tail too.
#[differentiable]
fn var_plus_mean(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>();
    v / n + mean.powi(3)
}
fn var_plus_mean_d<D: Dn>(x: &[D]) -> D {
    let n = x.len() as f64;
    let mean = x.iter().fold(c::<D>(0.0), |a, &v| a + v) / n;
    let v = x.iter().fold(c::<D>(0.0), |a, &v| a + (v - mean) * (v - mean));
    v / n + mean.powi(3)
}

slice_cases!(-1.5, 1.5;
    var_iter, var_iter_d, 901, 7;
    var_loop, var_loop_d, 902, 6;
    var_weighted, var_weighted_d, 903, 8;
    standardise, standardise_d, 904, 5;
    lse_for, lse_for_d, 905, 7;
    lse_fold, lse_fold_d, 906, 9;
    softmax_mean, softmax_mean_d, 907, 6;
    normalise_zip, normalise_zip_d, 908, 7;
    normalise_for, normalise_for_d, 909, 5;
    prod_centred, prod_centred_d, 910, 6;
    centred_and_max, centred_and_max_d, 911, 7;
    var_reassigned, var_reassigned_d, 912, 5;
    var_plus_mean, var_plus_mean_d, 913, 8;
);

#[cfg(not(gd_oracles_only))]
#[test]
fn two_pass_reductions_ad() {
    check_all_api();
}

/// Longer inputs than the oracles' points (the `_set` path's bounds, odd
/// lengths, a single element): `_set` into NaN equals `_into` into zeros
/// and `value_and_grad`, bit for bit.
#[cfg(not(gd_oracles_only))]
#[test]
fn two_pass_set_lengths() {
    let fs: Vec<(&str, &dyn Fn(&[f64], &mut [f64]) -> f64, &dyn Fn(&[f64], &mut [f64]) -> f64, &dyn Fn(&[f64]) -> (f64, Vec<f64>))> = vec![
        ("var_iter", &var_iter::value_and_grad_set, &var_iter::value_and_grad_into, &var_iter::value_and_grad),
        ("var_loop", &var_loop::value_and_grad_set, &var_loop::value_and_grad_into, &var_loop::value_and_grad),
        ("standardise", &standardise::value_and_grad_set, &standardise::value_and_grad_into, &standardise::value_and_grad),
        ("lse_fold", &lse_fold::value_and_grad_set, &lse_fold::value_and_grad_into, &lse_fold::value_and_grad),
        ("softmax_mean", &softmax_mean::value_and_grad_set, &softmax_mean::value_and_grad_into, &softmax_mean::value_and_grad),
        ("normalise_zip", &normalise_zip::value_and_grad_set, &normalise_zip::value_and_grad_into, &normalise_zip::value_and_grad),
        ("normalise_for", &normalise_for::value_and_grad_set, &normalise_for::value_and_grad_into, &normalise_for::value_and_grad),
    ];
    for n in [2usize, 3, 17, 64, 257] {
        let x: Vec<f64> = (0..n).map(|i| (i as f64 * 1.37).sin() + 0.01 * i as f64).collect();
        for (name, set, into, vag) in &fs {
            let mut gs = vec![f64::NAN; n];
            let mut gi = vec![0.0; n];
            let vs = set(&x, &mut gs);
            assert_eq!(vs, into(&x, &mut gi), "{name} n = {n}: set value against into");
            assert_eq!(gs, gi, "{name} n = {n}: set against into");
            let (vv, gv) = vag(&x);
            assert_eq!(vv, vs, "{name} n = {n}: value_and_grad value");
            assert_close(&format!("{name} n = {n}: value_and_grad against set"), &gv, &gs, 1e-13, 0.0);
        }
    }
}

/// Hand-derived: the variance's gradient `2 (x_i − mean) / n` (the mean's
/// own term sums to zero), and log-sum-exp's, the softmax.
#[cfg(not(gd_oracles_only))]
#[test]
fn two_pass_hand_derived() {
    let x: Vec<f64> = (0..31).map(|i| (i as f64 * 0.91).cos() * 2.0).collect();
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let want: Vec<f64> = x.iter().map(|v| 2.0 * (v - mean) / n).collect();
    let mut g = vec![f64::NAN; x.len()];
    var_iter::value_and_grad_set(&x, &mut g);
    assert_close("var_iter: hand-derived", &g, &want, 1e-12, 0.0);
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = x.iter().map(|v| (v - m).exp()).sum();
    let want: Vec<f64> = x.iter().map(|v| (v - m).exp() / z).collect();
    for (name, set) in [("lse_fold", &lse_fold::value_and_grad_set as &dyn Fn(&[f64], &mut [f64]) -> f64), ("lse_for", &lse_for::value_and_grad_set)] {
        let mut g = vec![f64::NAN; x.len()];
        set(&x, &mut g);
        assert_close(&format!("{name}: softmax"), &g, &want, 1e-12, 0.0);
    }
}

#[cfg(not(gd_oracles_only))]
#[test]
fn two_pass_second_order() {
    second_slice!(var_iter, var_iter_d, rand_points(921, 3, 6, -1.2, 1.2));
    second_slice!(var_loop, var_loop_d, rand_points(922, 3, 5, -1.2, 1.2));
    second_slice!(standardise, standardise_d, rand_points(923, 3, 5, -1.2, 1.2));
    second_slice!(lse_fold, lse_fold_d, rand_points(924, 3, 6, -1.2, 1.2));
    second_slice!(normalise_for, normalise_for_d, rand_points(925, 3, 5, -1.2, 1.2));
}
