//! Iterator folds: `xs.iter().map(|x| ..).sum::<f64>()`, `.zip(..)`,
//! `.enumerate()`, `.fold(init, |acc, x| ..)`, `.product()`,
//! `(0..n).map(|i| ..).sum()`; and the realistic functions built from them:
//! log-sum-exp with max-shift, softmax cross-entropy, logistic-regression
//! loss over data slices with `wrt(w)`.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- map + sum ---

#[differentiable]
fn map_sum(xs: &[f64]) -> f64 {
    let a = xs.iter().map(|x| x * x).sum::<f64>();
    let b: f64 = xs.iter().map(|&x| (x * 0.5).sin()).sum();
    a * 0.5 + b
}
fn map_sum_d<D: Dn>(xs: &[D]) -> D {
    let a = xs.iter().map(|x| *x * *x).sum::<D>();
    let b: D = xs.iter().map(|&x| (x * 0.5).sin()).sum();
    a * 0.5 + b
}
fn case_map_sum() -> Case {
    Case::new("map_sum", |v| map_sum(v), |v| map_sum_d(v), rand_points(40, 4, 6, -2.0, 2.0))
}

// --- float methods named as paths: `.map(f64::exp)`, `.fold(.., f64::max)` ---

#[differentiable]
fn path_closures(xs: &[f64]) -> f64 {
    let m = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s = xs.iter().map(|x| x - m).map(f64::exp).sum::<f64>();
    s.ln() + m + xs.iter().copied().map(f64::sin).fold(0.0, f64::min)
}
fn path_closures_d<D: Dn>(xs: &[D]) -> D {
    let m = xs.iter().copied().fold(c::<D>(f64::NEG_INFINITY), dmax);
    let s = xs.iter().map(|&x| (x - m).exp()).sum::<D>();
    s.ln() + m + xs.iter().map(|x| x.sin()).fold(c::<D>(0.0), dmin)
}
fn case_path_closures() -> Case {
    Case::new("path_closures", |v| path_closures(v), |v| path_closures_d(v), rand_points(43, 4, 5, -2.0, 2.0))
}

// --- adapters that choose positions: slices, skip, take, step_by, rev ---

#[differentiable]
fn adapters(xs: &[f64]) -> f64 {
    let n = xs.len();
    // A smoothness penalty: neighbours through two shifted slices.
    let smooth = xs[1..].iter().zip(&xs[..n - 1]).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
    let tail = xs.iter().skip(2).take(3).map(|x| x.sin()).sum::<f64>();
    let even = xs.iter().step_by(2).enumerate().map(|(i, x)| (i as f64 + 1.0) * x).sum::<f64>();
    let mut horner = 0.0;
    for x in xs.iter().rev() {
        horner = horner * 0.5 + x;
    }
    let back = xs[1..4].iter().copied().rev().enumerate().fold(0.0, |acc, (i, x)| acc + x * x * (i as f64));
    smooth + tail + even + horner + back
}
fn adapters_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let smooth = xs[1..].iter().zip(&xs[..n - 1]).map(|(&a, &b)| (a - b) * (a - b)).sum::<D>();
    let tail = xs.iter().skip(2).take(3).map(|x| x.sin()).sum::<D>();
    let even = xs.iter().step_by(2).enumerate().map(|(i, &x)| x * (i as f64 + 1.0)).sum::<D>();
    let mut horner = c::<D>(0.0);
    for &x in xs.iter().rev() {
        horner = horner * 0.5 + x;
    }
    let back = xs[1..4].iter().copied().rev().enumerate().fold(c::<D>(0.0), |acc, (i, x)| acc + x * x * (i as f64));
    smooth + tail + even + horner + back
}
fn case_adapters() -> Case {
    Case::new("adapters", |v| adapters(v), |v| adapters_d(v), rand_points(44, 4, 7, -2.0, 2.0))
}

// --- `collect` into a local vector, then used ---

#[differentiable]
fn collected(xs: &[f64]) -> f64 {
    let n = xs.len();
    let sq: Vec<f64> = xs.iter().map(|x| x * x).collect();
    let sm = xs[1..].iter().zip(&sq[..n - 1]).map(|(a, b)| a * b).map(|p| p.tanh()).collect::<Vec<f64>>();
    let copy: Vec<f64> = xs.iter().copied().collect();
    let mut s = 0.0;
    for i in 0..sm.len() {
        s += sm[i] * copy[i + 1] + sq[i].sqrt();
    }
    s + sq.iter().sum::<f64>()
}
fn collected_d<D: Dn>(xs: &[D]) -> D {
    let n = xs.len();
    let sq: Vec<D> = xs.iter().map(|&x| x * x).collect();
    let sm = xs[1..].iter().zip(&sq[..n - 1]).map(|(&a, &b)| a * b).map(|p| p.tanh()).collect::<Vec<D>>();
    let copy: Vec<D> = xs.to_vec();
    let mut s = c::<D>(0.0);
    for i in 0..sm.len() {
        s += sm[i] * copy[i + 1] + sq[i].sqrt();
    }
    s + sq.iter().copied().sum::<D>()
}
fn case_collected() -> Case {
    Case::new("collected", |v| collected(v), |v| collected_d(v), rand_points(45, 4, 6, 0.2, 2.0))
}

// Passive vectors collected beside differentiated ones: a typed passive
// `let` keeps its type (`collect` needs it), and one that names `x` for its
// length only is user code.
#[differentiable(wrt(x))]
fn collected_passive(x: &[f64], data: &[f64]) -> f64 {
    let scaled: Vec<f64> = data.iter().map(|d| d * 2.0).collect();
    let idx: Vec<usize> = (0..x.len()).map(|i| x.len() - 1 - i).collect();
    let mut s = 0.0;
    for k in 0..x.len() {
        let row: Vec<f64> = x.iter().map(|v| v * scaled[k]).collect();
        s += row[idx[k]] * data[k];
    }
    s
}

// --- zip ---

#[differentiable]
fn zip_dist(xs: &[f64], ys: &[f64]) -> f64 {
    let d2 = xs.iter().zip(ys.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f64>();
    let dot = xs.iter().zip(ys).map(|(&x, &y)| x * y).sum::<f64>();
    d2.sqrt() + dot
}
fn zip_dist_d<D: Dn>(xs: &[D], ys: &[D]) -> D {
    let d2 = xs.iter().zip(ys.iter()).map(|(x, y)| (*x - *y) * (*x - *y)).sum::<D>();
    let dot = xs.iter().zip(ys).map(|(&x, &y)| x * y).sum::<D>();
    d2.sqrt() + dot
}
fn case_zip_dist() -> Case {
    Case::new("zip_dist", |v| zip_dist(&v[..5], &v[5..]), |v| zip_dist_d(&v[..5], &v[5..]), rand_points(41, 4, 10, -2.0, 2.0))
}

// --- enumerate ---

#[differentiable]
fn enumerate_sum(xs: &[f64]) -> f64 {
    xs.iter().enumerate().map(|(i, x)| (i as f64 + 1.0) * (x * 0.3).exp()).sum::<f64>()
}
fn enumerate_sum_d<D: Dn>(xs: &[D]) -> D {
    xs.iter().enumerate().map(|(i, x)| (*x * 0.3).exp() * (i as f64 + 1.0)).sum::<D>()
}
fn case_enumerate_sum() -> Case {
    Case::new("enumerate_sum", |v| enumerate_sum(v), |v| enumerate_sum_d(v), rand_points(42, 4, 7, -2.0, 2.0))
}

// --- fold (a recurrence: each step overwrites the accumulator) ---

#[differentiable]
fn fold_rec(xs: &[f64], a: f64) -> f64 {
    xs.iter().fold(0.0, |acc, x| acc * a + x.sin())
}
fn fold_rec_d<D: Dn>(xs: &[D], a: D) -> D {
    xs.iter().fold(c::<D>(0.0), |acc, x| acc * a + x.sin())
}
fn case_fold_rec() -> Case {
    Case::new("fold_rec", |v| fold_rec(&v[..6], v[6]), |v| fold_rec_d(&v[..6], v[6]), rand_points(43, 4, 7, -1.2, 1.2))
}

// --- product ---

#[differentiable]
fn product(xs: &[f64]) -> f64 {
    let p = xs.iter().map(|x| 1.0 + x * x).product::<f64>();
    let q: f64 = xs.iter().map(|&x| x + 3.0).product();
    p.ln() + q
}
fn product_d<D: Dn>(xs: &[D]) -> D {
    let p = xs.iter().map(|x| *x * *x + 1.0).product::<D>();
    let q: D = xs.iter().map(|&x| x + 3.0).product();
    p.ln() + q
}
fn case_product() -> Case {
    Case::new("product", |v| product(v), |v| product_d(v), rand_points(44, 4, 5, -1.5, 1.5))
}

// --- (0..n).map(|i| ..).sum() with indexing ---

#[differentiable]
fn range_map(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len();
    let conv = (0..n).map(|i| xs[i] * ys[n - 1 - i]).sum::<f64>();
    let diffs: f64 = (1..n).map(|i| (xs[i] - xs[i - 1]).powi(2)).sum();
    conv + diffs
}
fn range_map_d<D: Dn>(xs: &[D], ys: &[D]) -> D {
    let n = xs.len();
    let conv = (0..n).map(|i| xs[i] * ys[n - 1 - i]).sum::<D>();
    let diffs: D = (1..n).map(|i| (xs[i] - xs[i - 1]).powi(2)).sum();
    conv + diffs
}
fn case_range_map() -> Case {
    Case::new("range_map", |v| range_map(&v[..5], &v[5..]), |v| range_map_d(&v[..5], &v[5..]), rand_points(45, 4, 10, -2.0, 2.0))
}

// --- log-sum-exp with max-shift (the max is a fold) ---

#[differentiable]
fn logsumexp(xs: &[f64]) -> f64 {
    let m = xs.iter().fold(xs[0], |m, &x| m.max(x));
    m + xs.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}
fn logsumexp_d<D: Dn>(xs: &[D]) -> D {
    let m = xs.iter().fold(xs[0], |m, &x| dmax(m, x));
    m + xs.iter().map(|x| (*x - m).exp()).sum::<D>().ln()
}
fn softmax(xs: &[f64]) -> Vec<f64> {
    let m = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = xs.iter().map(|x| (x - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}
fn case_logsumexp() -> Case {
    let mut pts = rand_points(46, 4, 6, -3.0, 3.0);
    pts.push(vec![700.0, 690.0, 710.5]); // overflows without the shift
    Case::new("logsumexp", |v| logsumexp(v), |v| logsumexp_d(v), pts)
}

// --- softmax cross-entropy with a data label ---

#[differentiable]
fn cross_entropy(logits: &[f64], label: usize) -> f64 {
    let m = logits.iter().fold(logits[0], |m, &x| m.max(x));
    let lse = m + logits.iter().map(|&z| (z - m).exp()).sum::<f64>().ln();
    lse - logits[label]
}
fn cross_entropy_d<D: Dn>(logits: &[D], label: usize) -> D {
    let m = logits.iter().fold(logits[0], |m, &x| dmax(m, x));
    let lse = m + logits.iter().map(|&z| (z - m).exp()).sum::<D>().ln();
    lse - logits[label]
}
fn case_cross_entropy() -> Case {
    Case::new("cross_entropy", |v| cross_entropy(v, 2), |v| cross_entropy_d(v, 2), rand_points(47, 4, 5, -3.0, 3.0))
}

// --- logistic regression, labels in {-1, 1}, x row-major n x d; wrt(w) only ---

#[differentiable(wrt(w))]
fn logreg(w: &[f64], x: &[f64], y: &[f64], lambda: f64) -> f64 {
    let d = w.len();
    let n = y.len();
    let mut loss = 0.0;
    for i in 0..n {
        let z = (0..d).map(|j| w[j] * x[i * d + j]).sum::<f64>();
        let m = -y[i] * z;
        loss += if m > 0.0 { m + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
    }
    loss / n as f64 + 0.5 * lambda * w.iter().map(|v| v * v).sum::<f64>()
}
fn logreg_d<D: Dn>(w: &[D], x: &[f64], y: &[f64], lambda: f64) -> D {
    let d = w.len();
    let n = y.len();
    let mut loss = c::<D>(0.0);
    for i in 0..n {
        let z = (0..d).map(|j| w[j] * x[i * d + j]).sum::<D>();
        let m = z * -y[i];
        loss += if m > 0.0 { m + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
    }
    loss / n as f64 + w.iter().map(|v| *v * *v).sum::<D>() * (0.5 * lambda)
}
fn logreg_grad_by_hand(w: &[f64], x: &[f64], y: &[f64], lambda: f64) -> Vec<f64> {
    let d = w.len();
    let n = y.len();
    let mut g: Vec<f64> = w.iter().map(|v| lambda * v).collect();
    for i in 0..n {
        let z: f64 = (0..d).map(|j| w[j] * x[i * d + j]).sum();
        let s = 1.0 / (1.0 + (y[i] * z).exp()); // sigma(-y z)
        for j in 0..d {
            g[j] += -y[i] * s * x[i * d + j] / n as f64;
        }
    }
    g
}
const LR_N: usize = 40;
const LR_D: usize = 4;
const LR_LAMBDA: f64 = 0.1;
fn logreg_data() -> (Vec<f64>, Vec<f64>) {
    let x = rand_points(48, 1, LR_N * LR_D, -2.0, 2.0).remove(0);
    let y = rand_points(49, 1, LR_N, -1.0, 1.0).remove(0).iter().map(|&v| if v > 0.0 { 1.0 } else { -1.0 }).collect();
    (x, y)
}
fn case_logreg() -> Case {
    let (x, y) = logreg_data();
    let (x2, y2) = (x.clone(), y.clone());
    Case::new(
        "logreg",
        move |w| logreg(w, &x, &y, LR_LAMBDA),
        move |w| logreg_d(w, &x2, &y2, LR_LAMBDA),
        rand_points(50, 4, LR_D, -2.0, 2.0),
    )
}

#[test]
fn oracles_agree() {
    for case in [
        case_map_sum(),
        case_path_closures(),
        case_adapters(),
        case_collected(),
        case_zip_dist(),
        case_enumerate_sum(),
        case_fold_rec(),
        case_product(),
        case_range_map(),
        case_logsumexp(),
        case_cross_entropy(),
        case_logreg(),
    ] {
        case.check_oracles();
    }
}

#[test]
fn oracles_agree_with_hand_derivatives() {
    for x in &case_logsumexp().points {
        let (_, dg) = dual_grad(&|v| logsumexp_d(v), x);
        assert_close("logsumexp: num-dual vs softmax", &dg, &softmax(x), 1e-12, 0.0);
    }
    let (x, y) = logreg_data();
    for w in &case_logreg().points {
        let (_, dg) = dual_grad(&|v| logreg_d(v, &x, &y, LR_LAMBDA), w);
        assert_close("logreg: num-dual vs hand gradient", &dg, &logreg_grad_by_hand(w, &x, &y, LR_LAMBDA), 1e-12, 0.0);
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn map_sum_ad() {
        case_map_sum().check_api(api_slice!(map_sum));
    }

    #[test]
    fn zip_ad() {
        case_zip_dist().check_api(Api {
            value_and_grad: &|v| {
                let (val, (ga, gb)): (f64, (Vec<f64>, Vec<f64>)) = zip_dist::value_and_grad(&v[..5], &v[5..]);
                (val, [ga, gb].concat())
            },
            grad: &|v| {
                let (ga, gb): (Vec<f64>, Vec<f64>) = zip_dist::grad(&v[..5], &v[5..]);
                [ga, gb].concat()
            },
            jvp: &|v, t| zip_dist::jvp(&v[..5], &v[5..], &t[..5], &t[5..]),
            grad_into: &|v, g| {
                let (ga, gb) = g.split_at_mut(5);
                zip_dist::value_and_grad_into(&v[..5], &v[5..], ga, gb)
            },
        });
    }

    #[test]
    fn path_closures_ad() {
        case_path_closures().check_api(api_slice!(path_closures));
    }

    #[test]
    fn adapters_ad() {
        case_adapters().check_api(api_slice!(adapters));
    }

    #[test]
    fn collected_ad() {
        case_collected().check_api(api_slice!(collected));
    }

    #[test]
    fn collected_passive_against_hand_gradient() {
        let (x, d) = ([0.3, -0.7, 1.1, 0.2], [1.0, 2.0, 3.0, -0.5]);
        // s = Σ_k 2 d_k² x_{n-1-k}
        let hand: Vec<f64> = (0..4).map(|j| 2.0 * d[3 - j] * d[3 - j]).collect();
        assert_close("collected_passive", &collected_passive::grad(&x, &d), &hand, 1e-15, 0.0);
    }

    #[test]
    fn enumerate_ad() {
        case_enumerate_sum().check_api(api_slice!(enumerate_sum));
    }

    #[test]
    fn fold_ad() {
        case_fold_rec().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, ga)): (f64, (Vec<f64>, f64)) = fold_rec::value_and_grad(&v[..6], v[6]);
                (val, [gx, vec![ga]].concat())
            },
            grad: &|v| {
                let (gx, ga): (Vec<f64>, f64) = fold_rec::grad(&v[..6], v[6]);
                [gx, vec![ga]].concat()
            },
            jvp: &|v, t| fold_rec::jvp(&v[..6], v[6], &t[..6], t[6]),
            grad_into: &|v, g| {
                let (gx, ga) = g.split_at_mut(6);
                fold_rec::value_and_grad_into(&v[..6], v[6], gx, &mut ga[0])
            },
        });
    }

    #[test]
    fn product_ad() {
        case_product().check_api(api_slice!(product));
    }

    #[test]
    fn range_map_ad() {
        case_range_map().check_api(Api {
            value_and_grad: &|v| {
                let (val, (ga, gb)): (f64, (Vec<f64>, Vec<f64>)) = range_map::value_and_grad(&v[..5], &v[5..]);
                (val, [ga, gb].concat())
            },
            grad: &|v| {
                let (ga, gb): (Vec<f64>, Vec<f64>) = range_map::grad(&v[..5], &v[5..]);
                [ga, gb].concat()
            },
            jvp: &|v, t| range_map::jvp(&v[..5], &v[5..], &t[..5], &t[5..]),
            grad_into: &|v, g| {
                let (ga, gb) = g.split_at_mut(5);
                range_map::value_and_grad_into(&v[..5], &v[5..], ga, gb)
            },
        });
    }

    #[test]
    fn logsumexp_ad() {
        case_logsumexp().check_api(api_slice!(logsumexp));
        for x in &case_logsumexp().points {
            assert_close("logsumexp: macro grad vs softmax", &logsumexp::grad(x), &softmax(x), 1e-12, 0.0);
        }
    }

    #[test]
    fn cross_entropy_ad() {
        case_cross_entropy().check_api(Api {
            value_and_grad: &|v| {
                let (val, g): (f64, Vec<f64>) = cross_entropy::value_and_grad(v, 2);
                (val, g)
            },
            grad: &|v| cross_entropy::grad(v, 2),
            jvp: &|v, t| cross_entropy::jvp(v, 2, t),
            grad_into: &|v, g| cross_entropy::value_and_grad_into(v, 2, g),
        });
    }

    #[test]
    fn logreg_wrt_w_ad() {
        let (x, y) = logreg_data();
        case_logreg().check_api(Api {
            // the gradient is w's alone: not a tuple, data and lambda are constants
            value_and_grad: &|w| {
                let (val, g): (f64, Vec<f64>) = logreg::value_and_grad(w, &x, &y, LR_LAMBDA);
                (val, g)
            },
            grad: &|w| {
                let g: Vec<f64> = logreg::grad(w, &x, &y, LR_LAMBDA);
                g
            },
            jvp: &|w, t| logreg::jvp(w, &x, &y, LR_LAMBDA, t),
            grad_into: &|w, g| logreg::value_and_grad_into(w, &x, &y, LR_LAMBDA, g),
        });
        for w in &case_logreg().points {
            let g = logreg::grad(w, &x, &y, LR_LAMBDA);
            assert_close("logreg: macro grad vs hand gradient", &g, &logreg_grad_by_hand(w, &x, &y, LR_LAMBDA), 1e-12, 0.0);
        }
        // the data is really used (and read, not differentiated): other data, other gradient
        let w = [0.3, -0.2, 0.5, 0.1];
        let y_flipped: Vec<f64> = y.iter().map(|v| -v).collect();
        let g1 = logreg::grad(&w, &x, &y, LR_LAMBDA);
        let g2 = logreg::grad(&w, &x, &y_flipped, LR_LAMBDA);
        assert_close("logreg: flipped labels, hand gradient", &g2, &logreg_grad_by_hand(&w, &x, &y_flipped, LR_LAMBDA), 1e-12, 0.0);
        assert!(g1 != g2);
        let g3 = logreg::grad(&w, &x, &y, 0.0);
        assert_close("logreg: lambda = 0, hand gradient", &g3, &logreg_grad_by_hand(&w, &x, &y, 0.0), 1e-12, 0.0);
    }
}
