//! Activity: `#[differentiable(wrt(a, c))]` makes only the named parameters
//! active (float parameters not named are constants), and by default every
//! parameter whose type holds floats is active while `usize`, `&[usize]`,
//! `bool`, … are data. Gradients and tangents exist for active parameters
//! only, in parameter order. Reverse mode must accumulate into repeated
//! indices (`w[idx[k]]` with repeated `idx`).
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- wrt(a, c): b (an f64) and k are constants ---

#[differentiable(wrt(a, c))]
fn wrt_mixed(a: f64, b: f64, c: &[f64], k: usize) -> f64 {
    let mut s = a * b;
    for i in 0..c.len() {
        s += (c[i] * a).sin() * b + c[i] * k as f64;
    }
    s * s.cos() + b.exp()
}
fn wrt_mixed_d<D: Dn>(a: D, b: f64, c: &[D], k: usize) -> D {
    let mut s = a * b;
    for i in 0..c.len() {
        s += (c[i] * a).sin() * b + c[i] * k as f64;
    }
    s * s.cos() + b.exp()
}
fn case_wrt_mixed(b: f64) -> Case {
    Case::new("wrt_mixed", move |v| wrt_mixed(v[0], b, &v[1..], 2), move |v| wrt_mixed_d(v[0], b, &v[1..], 2), rand_points(80, 4, 5, -1.0, 1.0))
}

// --- wrt(y) of two slices ---

#[differentiable(wrt(y))]
fn wrt_second(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y.iter()).map(|(a, b)| (a - b).powi(2) * a.exp()).sum::<f64>()
}
fn wrt_second_d<D: Dn>(x: &[f64], y: &[D]) -> D {
    x.iter().zip(y.iter()).map(|(a, b)| (-*b + *a).powi(2) * a.exp()).sum::<D>()
}
fn wrt_second_x() -> Vec<f64> {
    vec![0.3, -1.2, 0.8, 2.0]
}
fn case_wrt_second() -> Case {
    let x = wrt_second_x();
    let x2 = x.clone();
    Case::new("wrt_second", move |y| wrt_second(&x, y), move |y| wrt_second_d(&x2, y), rand_points(81, 4, 4, -2.0, 2.0))
}

// --- default activity: index data &[usize] with repeated indices ---

#[differentiable]
fn gather(w: &[f64], idx: &[usize]) -> f64 {
    let mut s = 0.0;
    for k in 0..idx.len() {
        let v = w[idx[k]];
        s += v * v * (k as f64 + 1.0);
    }
    s
}
fn gather_d<D: Dn>(w: &[D], idx: &[usize]) -> D {
    let mut s = c::<D>(0.0);
    for k in 0..idx.len() {
        let v = w[idx[k]];
        s += v * v * (k as f64 + 1.0);
    }
    s
}
const GATHER_IDX: [usize; 7] = [0, 2, 2, 4, 0, 2, 1];
fn case_gather() -> Case {
    Case::new("gather", |w| gather(w, &GATHER_IDX), |w| gather_d(w, &GATHER_IDX), rand_points(82, 4, 5, -2.0, 2.0))
}

// --- default activity with bool and usize data between active params ---

#[differentiable]
fn default_activity(a: f64, n: usize, xs: &[f64], flag: bool) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        s += xs[i] * a;
    }
    if flag {
        s.exp()
    } else {
        s * s
    }
}
fn default_activity_d<D: Dn>(a: D, n: usize, xs: &[D], flag: bool) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..n {
        s += xs[i] * a;
    }
    if flag {
        s.exp()
    } else {
        s * s
    }
}
fn case_default_activity(flag: bool) -> Case {
    Case::new(
        "default_activity",
        move |v| default_activity(v[0], 3, &v[1..], flag),
        move |v| default_activity_d(v[0], 3, &v[1..], flag),
        rand_points(83, 3, 5, -1.0, 1.0),
    )
}

// --- a constant float parameter deciding a branch ---

#[differentiable(wrt(x))]
fn threshold(x: f64, t: f64) -> f64 {
    if x > t {
        (x - t).powi(2)
    } else {
        0.1 * (x - t)
    }
}
fn threshold_d<D: Dn>(x: D, t: f64) -> D {
    if x > t {
        (x - t).powi(2)
    } else {
        (x - t) * 0.1
    }
}
fn case_threshold(t: f64) -> Case {
    let pts = vec![vec![-1.3], vec![0.2], vec![1.7], vec![3.1]];
    Case::new("threshold", move |v| threshold(v[0], t), move |v| threshold_d(v[0], t), pts)
}

// --- a Vec<f64> passed by value as data ---

#[differentiable(wrt(a))]
fn wrt_vec_data(a: f64, v: Vec<f64>) -> f64 {
    let mut s = 0.0;
    for i in 0..v.len() {
        s += (a * v[i]).tanh();
    }
    s
}
fn wrt_vec_data_d<D: Dn>(a: D, v: Vec<f64>) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..v.len() {
        s += (a * v[i]).tanh();
    }
    s
}
fn case_wrt_vec_data() -> Case {
    Case::new(
        "wrt_vec_data",
        |x| wrt_vec_data(x[0], vec![0.5, -1.5, 2.0]),
        |x| wrt_vec_data_d(x[0], vec![0.5, -1.5, 2.0]),
        rand_points(84, 4, 1, -1.0, 1.0),
    )
}

#[test]
fn oracles_agree() {
    let mut cases = vec![case_wrt_mixed(0.7), case_wrt_mixed(-1.3), case_wrt_second(), case_gather(), case_wrt_vec_data()];
    cases.push(case_default_activity(true));
    cases.push(case_default_activity(false));
    cases.extend([-0.5, 0.9].map(case_threshold));
    for case in cases {
        case.check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn wrt_mixed_ad() {
        for b in [0.7, -1.3] {
            case_wrt_mixed(b).check_api(Api {
                value_and_grad: &|v| {
                    let (val, (ga, gc)): (f64, (f64, Vec<f64>)) = wrt_mixed::value_and_grad(v[0], b, &v[1..], 2);
                    (val, [vec![ga], gc].concat())
                },
                grad: &|v| {
                    let (ga, gc): (f64, Vec<f64>) = wrt_mixed::grad(v[0], b, &v[1..], 2);
                    [vec![ga], gc].concat()
                },
                // one tangent per active parameter: a and c
                jvp: &|v, t| wrt_mixed::jvp(v[0], b, &v[1..], 2, t[0], &t[1..]),
                grad_into: &|v, g| {
                    let (ga, gc) = g.split_at_mut(1);
                    wrt_mixed::value_and_grad_into(v[0], b, &v[1..], 2, &mut ga[0], gc)
                },
            });
        }
    }

    #[test]
    fn wrt_second_ad() {
        let x = wrt_second_x();
        let x_before = x.clone();
        case_wrt_second().check_api(Api {
            value_and_grad: &|y| {
                let (val, g): (f64, Vec<f64>) = wrt_second::value_and_grad(&x, y);
                (val, g)
            },
            grad: &|y| wrt_second::grad(&x, y),
            jvp: &|y, t| wrt_second::jvp(&x, y, t),
            grad_into: &|y, g| wrt_second::value_and_grad_into(&x, y, g),
        });
        assert_eq!(x, x_before, "data parameter changed");
    }

    #[test]
    fn gather_repeated_indices_ad() {
        case_gather().check_api(Api {
            value_and_grad: &|w| {
                let (val, g): (f64, Vec<f64>) = gather::value_and_grad(w, &GATHER_IDX);
                (val, g)
            },
            grad: &|w| gather::grad(w, &GATHER_IDX),
            jvp: &|w, t| gather::jvp(w, &GATHER_IDX, t),
            grad_into: &|w, g| gather::value_and_grad_into(w, &GATHER_IDX, g),
        });
        // by hand: d/dw_j = 2 w_j * sum of (k + 1) over k with idx[k] == j
        let w = [0.5, -1.0, 2.0, 3.0, -0.25];
        let g = gather::grad(&w, &GATHER_IDX);
        let want = [2.0 * 0.5 * (1.0 + 5.0), 2.0 * -1.0 * 7.0, 2.0 * 2.0 * (2.0 + 3.0 + 6.0), 0.0, 2.0 * -0.25 * 4.0];
        assert_close("gather: repeated indices accumulate", &g, &want, 1e-15, 0.0);
    }

    #[test]
    fn default_activity_ad() {
        for flag in [true, false] {
            case_default_activity(flag).check_api(Api {
                value_and_grad: &|v| {
                    let (val, (ga, gx)): (f64, (f64, Vec<f64>)) = default_activity::value_and_grad(v[0], 3, &v[1..], flag);
                    (val, [vec![ga], gx].concat())
                },
                grad: &|v| {
                    let (ga, gx): (f64, Vec<f64>) = default_activity::grad(v[0], 3, &v[1..], flag);
                    [vec![ga], gx].concat()
                },
                jvp: &|v, t| default_activity::jvp(v[0], 3, &v[1..], flag, t[0], &t[1..]),
                grad_into: &|v, g| {
                    let (ga, gx) = g.split_at_mut(1);
                    default_activity::value_and_grad_into(v[0], 3, &v[1..], flag, &mut ga[0], gx)
                },
            });
        }
        // xs[3] is never read (n = 3): its gradient is exactly zero
        let (_, gx) = default_activity::grad(0.5, 3, &[0.1, 0.2, 0.3, 0.4], true);
        assert_eq!(gx.len(), 4);
        assert_eq!(gx[3], 0.0);
    }

    #[test]
    fn threshold_constant_param_ad() {
        for t in [-0.5, 0.9] {
            case_threshold(t).check_api(Api {
                value_and_grad: &|v| {
                    let (val, g): (f64, f64) = threshold::value_and_grad(v[0], t);
                    (val, vec![g])
                },
                grad: &|v| vec![threshold::grad(v[0], t)],
                jvp: &|v, tan| threshold::jvp(v[0], t, tan[0]),
                grad_into: &|v, g| threshold::value_and_grad_into(v[0], t, &mut g[0]),
            });
        }
    }

    #[test]
    fn wrt_vec_data_ad() {
        let v = vec![0.5, -1.5, 2.0];
        case_wrt_vec_data().check_api(Api {
            value_and_grad: &|x| {
                let (val, g): (f64, f64) = wrt_vec_data::value_and_grad(x[0], v.clone());
                (val, vec![g])
            },
            grad: &|x| vec![wrt_vec_data::grad(x[0], v.clone())],
            jvp: &|x, t| wrt_vec_data::jvp(x[0], v.clone(), t[0]),
            grad_into: &|x, g| wrt_vec_data::value_and_grad_into(x[0], v.clone(), &mut g[0]),
        });
    }
}
