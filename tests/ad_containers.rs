//! Loops and folds over every container kind a parameter can have —
//! `[f64; N]` by value and by reference, `Vec<f64>` by value and `&Vec<f64>`,
//! `&[f32; N]` — plus loops that run zero times or break at once, a trip
//! count computed from an active value by an integer cast, and `return` /
//! `break` inside `match` arms.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn arr_loops(a: [f64; 4], b: &[f64; 4]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[(i + 1) % 4];
    }
    let t = a.iter().map(|x| x.sin()).sum::<f64>();
    for &x in b.iter() {
        s = s * 0.5 + x * t;
    }
    let u = b.iter().zip(a.iter()).map(|(p, q)| p * q).sum::<f64>();
    let p = a.iter().fold(1.0, |acc, x| acc * (1.0 + 0.1 * x));
    s + u * p
}
fn arr_loops_d<D: Dn>(a: [D; 4], b: &[D; 4]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..a.len() {
        s += a[i] * b[(i + 1) % 4];
    }
    let t = a.iter().map(|x| x.sin()).sum::<D>();
    for &x in b.iter() {
        s = s * 0.5 + x * t;
    }
    let u = b.iter().zip(a.iter()).map(|(p, q)| *p * *q).sum::<D>();
    let p = a.iter().fold(c::<D>(1.0), |acc, x| acc * (*x * 0.1 + 1.0));
    s + u * p
}
fn case_arr_loops() -> Case {
    Case::new(
        "arr_loops",
        |v| arr_loops([v[0], v[1], v[2], v[3]], &[v[4], v[5], v[6], v[7]]),
        |v| arr_loops_d([v[0], v[1], v[2], v[3]], &[v[4], v[5], v[6], v[7]]),
        rand_points(170, 4, 8, -1.5, 1.5),
    )
}

#[differentiable]
fn vec_loops(v: Vec<f64>, w: &Vec<f64>) -> f64 {
    let mut s = 0.0;
    for &x in v.iter() {
        s += x * x;
    }
    for (i, x) in w.iter().enumerate() {
        s += x * v[i % v.len()] * (i as f64 + 0.5);
    }
    let q = w.iter().map(|x| 1.0 + x * x).product::<f64>();
    let r = v.iter().zip(w.iter()).fold(0.0, |acc, (a, b)| acc + (a - b).powi(2));
    s + q.ln() + r * (v.len() + w.len()) as f64
}
fn vec_loops_d<D: Dn>(v: Vec<D>, w: &Vec<D>) -> D {
    let mut s = c::<D>(0.0);
    for &x in v.iter() {
        s += x * x;
    }
    for (i, x) in w.iter().enumerate() {
        s += *x * v[i % v.len()] * (i as f64 + 0.5);
    }
    let q = w.iter().map(|x| *x * *x + 1.0).product::<D>();
    let r = v.iter().zip(w.iter()).fold(c::<D>(0.0), |acc, (a, b)| acc + (*a - *b).powi(2));
    s + q.ln() + r * ((v.len() + w.len()) as f64)
}
fn case_vec_loops() -> Case {
    Case::new(
        "vec_loops",
        |x| vec_loops(x[..3].to_vec(), &x[3..].to_vec()),
        |x| vec_loops_d(x[..3].to_vec(), &x[3..].to_vec()),
        rand_points(171, 4, 8, -1.5, 1.5),
    )
}

#[differentiable]
fn arr32(a: &[f32; 3]) -> f32 {
    let mut s = 0.0;
    for &x in a.iter() {
        s = s * x + x.exp();
    }
    s + a.iter().map(|x| x * x).sum::<f32>()
}
fn arr32_d<D: Dn>(a: &[D; 3]) -> D {
    let mut s = c::<D>(0.0);
    for &x in a.iter() {
        s = s * x + x.exp();
    }
    s + a.iter().map(|x| *x * *x).sum::<D>()
}
fn case_arr32() -> Case32 {
    Case32::new("arr32", |v| arr32(&[v[0], v[1], v[2]]), |v| arr32_d(&[v[0], v[1], v[2]]), rand_points(172, 4, 3, -1.0, 1.0))
}

#[differentiable]
fn zero_trips(x: f64, xs: &[f64]) -> f64 {
    let mut s = x;
    while s > 100.0 {
        s = s * 0.5;
    }
    loop {
        s = s * 1.5 + xs[0];
        break;
    }
    for i in 5..5 {
        s += xs[i];
    }
    let n = xs.len() - xs.len();
    for i in (0..n).rev() {
        s *= xs[i];
    }
    let mut k = 0;
    loop {
        if k >= xs.len() {
            break;
        }
        s = s * 0.9 + xs[k] * x;
        k += 1;
    }
    s
}
fn zero_trips_d<D: Dn>(x: D, xs: &[D]) -> D {
    let mut s = x;
    s = s * 1.5 + xs[0];
    let mut k = 0;
    while k < xs.len() {
        s = s * 0.9 + xs[k] * x;
        k += 1;
    }
    s
}
fn case_zero_trips() -> Case {
    Case::new("zero_trips", |v| zero_trips(v[0], &v[1..]), |v| zero_trips_d(v[0], &v[1..]), rand_points(173, 4, 4, -2.0, 2.0))
}

#[differentiable]
fn cast_trips(x: f64, xs: &[f64]) -> f64 {
    let n = (x * 2.0) as usize;
    let mut s = x;
    for i in 0..n.min(xs.len()) {
        s = s * xs[i] + 1.0;
    }
    s
}
fn cast_trips_d<D: Dn>(x: D, xs: &[D]) -> D {
    let n = (x.re() * 2.0) as usize;
    let mut s = x;
    for i in 0..n.min(xs.len()) {
        s = s * xs[i] + 1.0;
    }
    s
}
fn case_cast_trips() -> Case {
    // x * 2 away from integers
    let pts = vec![vec![0.3, 0.5, -1.2, 0.8, 1.1], vec![1.2, 0.5, -1.2, 0.8, 1.1], vec![1.7, 0.9, 0.4, -0.6, 1.3], vec![3.3, 1.1, 0.2, 0.7, -0.9]];
    Case::new("cast_trips", |v| cast_trips(v[0], &v[1..]), |v| cast_trips_d(v[0], &v[1..]), pts)
}

#[differentiable]
fn match_exits(x: f64, xs: &[f64], k: usize) -> f64 {
    let mut s = x;
    for i in 0..xs.len() {
        match (i + k) % 4 {
            0 => s += xs[i],
            1 => {
                if s > 3.0 {
                    break;
                }
                s *= xs[i];
            }
            2 => continue,
            _ => s = s.sin() + xs[i] * x,
        }
    }
    match k {
        0 => return s * 2.0,
        1 | 2 => s = s + x,
        _ => {}
    }
    s * x
}
fn match_exits_d<D: Dn>(x: D, xs: &[D], k: usize) -> D {
    let mut s = x;
    for i in 0..xs.len() {
        match (i + k) % 4 {
            0 => s += xs[i],
            1 => {
                if s > 3.0 {
                    break;
                }
                s *= xs[i];
            }
            2 => continue,
            _ => s = s.sin() + xs[i] * x,
        }
    }
    match k {
        0 => return s * 2.0,
        1 | 2 => s = s + x,
        _ => {}
    }
    s * x
}
fn case_match_exits(k: usize) -> Case {
    Case::new(
        "match_exits",
        move |v| match_exits(v[0], &v[1..], k),
        move |v| match_exits_d(v[0], &v[1..], k),
        rand_points(174 + k as u64, 4, 9, -2.0, 2.5),
    )
}

#[test]
fn oracles_agree() {
    let mut cases = vec![case_arr_loops(), case_vec_loops(), case_zero_trips(), case_cast_trips()];
    cases.extend((0..4).map(case_match_exits));
    for case in cases {
        case.check_oracles();
    }
    case_arr32().check_oracles();
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn array_loops_ad() {
        case_arr_loops().check_api(Api {
            value_and_grad: &|v| {
                let (val, (ga, gb)): (f64, ([f64; 4], [f64; 4])) = arr_loops::value_and_grad([v[0], v[1], v[2], v[3]], &[v[4], v[5], v[6], v[7]]);
                (val, [ga, gb].concat())
            },
            grad: &|v| {
                let (ga, gb) = arr_loops::grad([v[0], v[1], v[2], v[3]], &[v[4], v[5], v[6], v[7]]);
                [ga, gb].concat()
            },
            jvp: &|v, t| arr_loops::jvp([v[0], v[1], v[2], v[3]], &[v[4], v[5], v[6], v[7]], &t[..4], &t[4..]),
            grad_into: &|v, g| {
                let (ga, gb) = g.split_at_mut(4);
                arr_loops::value_and_grad_into([v[0], v[1], v[2], v[3]], &[v[4], v[5], v[6], v[7]], ga, gb)
            },
        });
    }

    #[test]
    fn vec_loops_ad() {
        case_vec_loops().check_api(Api {
            value_and_grad: &|x| {
                let (val, (gv, gw)): (f64, (Vec<f64>, Vec<f64>)) = vec_loops::value_and_grad(x[..3].to_vec(), &x[3..].to_vec());
                (val, [gv, gw].concat())
            },
            grad: &|x| {
                let (gv, gw) = vec_loops::grad(x[..3].to_vec(), &x[3..].to_vec());
                [gv, gw].concat()
            },
            jvp: &|x, t| vec_loops::jvp(x[..3].to_vec(), &x[3..].to_vec(), &t[..3], &t[3..]),
            grad_into: &|x, g| {
                let (gv, gw) = g.split_at_mut(3);
                vec_loops::value_and_grad_into(x[..3].to_vec(), &x[3..].to_vec(), gv, gw)
            },
        });
    }

    #[test]
    fn f32_array_ref_ad() {
        case_arr32().check_api(Api32 {
            value_and_grad: &|v| {
                let (val, g): (f32, [f32; 3]) = arr32::value_and_grad(&[v[0], v[1], v[2]]);
                (val, g.to_vec())
            },
            grad: &|v| arr32::grad(&[v[0], v[1], v[2]]).to_vec(),
            jvp: &|v, t| arr32::jvp(&[v[0], v[1], v[2]], t),
            grad_into: &|v, g| arr32::value_and_grad_into(&[v[0], v[1], v[2]], g),
        });
    }

    #[test]
    fn zero_trip_loops_ad() {
        case_zero_trips().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, gs)): (f64, (f64, Vec<f64>)) = zero_trips::value_and_grad(v[0], &v[1..]);
                (val, [vec![gx], gs].concat())
            },
            grad: &|v| {
                let (gx, gs) = zero_trips::grad(v[0], &v[1..]);
                [vec![gx], gs].concat()
            },
            jvp: &|v, t| zero_trips::jvp(v[0], &v[1..], t[0], &t[1..]),
            grad_into: &|v, g| {
                let (gx, gs) = g.split_at_mut(1);
                zero_trips::value_and_grad_into(v[0], &v[1..], &mut gx[0], gs)
            },
        });
    }

    #[test]
    fn trip_count_from_active_cast_ad() {
        case_cast_trips().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, gs)): (f64, (f64, Vec<f64>)) = cast_trips::value_and_grad(v[0], &v[1..]);
                (val, [vec![gx], gs].concat())
            },
            grad: &|v| {
                let (gx, gs) = cast_trips::grad(v[0], &v[1..]);
                [vec![gx], gs].concat()
            },
            jvp: &|v, t| cast_trips::jvp(v[0], &v[1..], t[0], &t[1..]),
            grad_into: &|v, g| {
                let (gx, gs) = g.split_at_mut(1);
                cast_trips::value_and_grad_into(v[0], &v[1..], &mut gx[0], gs)
            },
        });
    }

    #[test]
    fn return_break_continue_in_match_ad() {
        for k in 0..4 {
            case_match_exits(k).check_api(Api {
                value_and_grad: &|v| {
                    let (val, (gx, gs)): (f64, (f64, Vec<f64>)) = match_exits::value_and_grad(v[0], &v[1..], k);
                    (val, [vec![gx], gs].concat())
                },
                grad: &|v| {
                    let (gx, gs) = match_exits::grad(v[0], &v[1..], k);
                    [vec![gx], gs].concat()
                },
                jvp: &|v, t| match_exits::jvp(v[0], &v[1..], k, t[0], &t[1..]),
                grad_into: &|v, g| {
                    let (gx, gs) = g.split_at_mut(1);
                    match_exits::value_and_grad_into(v[0], &v[1..], k, &mut gx[0], gs)
                },
            });
        }
    }
}
