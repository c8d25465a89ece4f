//! Branches: `if / else if / else` on active values (as statements and as
//! expressions), early `return`, `match` on integers and booleans (`|`,
//! ranges, `_`, guards), comparisons, `&& || !`, blocks as expressions; and
//! the realistic branchy functions: numerically stable sigmoid and softplus,
//! Huber loss.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

// --- if / else if / else on active values, if as an expression ---

#[differentiable]
fn piecewise(x: f64, y: f64) -> f64 {
    let a = if x < -1.0 {
        x * x
    } else if x < 1.0 {
        x.sin() * y
    } else {
        x.ln() + y * y
    };
    let b = if y >= 0.5 && x > 0.0 { y.sqrt() } else { -y };
    let mut c = a * b;
    if c > 1.0 {
        c = c.sqrt();
    } else if c < -1.0 {
        c = -(-c).sqrt();
    }
    c + a
}
fn piecewise_d<D: Dn>(x: D, y: D) -> D {
    let a = if x < -1.0 {
        x * x
    } else if x < 1.0 {
        x.sin() * y
    } else {
        x.ln() + y * y
    };
    let b = if y >= 0.5 && x > 0.0 { y.sqrt() } else { -y };
    let mut c = a * b;
    if c > 1.0 {
        c = c.sqrt();
    } else if c < -1.0 {
        c = -(-c).sqrt();
    }
    c + a
}
fn case_piecewise() -> Case {
    let pts = vec![
        vec![-2.0, 0.7],
        vec![-1.5, -0.3],
        vec![0.3, 0.8],
        vec![-0.6, 1.9],
        vec![2.5, 1.2],
        vec![1.7, -2.1],
        vec![0.9, 0.2],
    ];
    Case::new("piecewise", |v| piecewise(v[0], v[1]), |v| piecewise_d(v[0], v[1]), pts)
}

// --- numerically stable sigmoid ---

#[differentiable]
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
fn sigmoid_d<D: Dn>(x: D) -> D {
    if x >= 0.0 {
        ((-x).exp() + 1.0).recip()
    } else {
        let e = x.exp();
        e / (e + 1.0)
    }
}
fn case_sigmoid() -> Case {
    let pts = vec![vec![-30.0], vec![-3.2], vec![-0.4], vec![0.25], vec![2.0], vec![35.0]];
    Case::new("sigmoid", |v| sigmoid(v[0]), |v| sigmoid_d(v[0]), pts)
}

// --- softplus with max-shift: max(x, 0) + ln(1 + exp(-|x|)) ---

#[differentiable]
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}
fn softplus_d<D: Dn>(x: D) -> D {
    dmax(x, c(0.0)) + (-dabs(x)).exp().ln_1p()
}
fn case_softplus() -> Case {
    let pts = vec![vec![-40.0], vec![-2.5], vec![-0.1], vec![0.3], vec![4.0], vec![50.0]];
    Case::new("softplus", |v| softplus(v[0]), |v| softplus_d(v[0]), pts)
}

// --- early return ---

#[differentiable]
fn early(x: f64, y: f64) -> f64 {
    if x < 0.0 {
        return x * y;
    }
    let z = x.sqrt() * y;
    if z > 2.0 {
        return z.ln() + x;
    }
    let w = z * z;
    if w < 0.01 {
        return w * 100.0;
    }
    w + z
}
fn early_d<D: Dn>(x: D, y: D) -> D {
    if x < 0.0 {
        return x * y;
    }
    let z = x.sqrt() * y;
    if z > 2.0 {
        return z.ln() + x;
    }
    let w = z * z;
    if w < 0.01 {
        return w * 100.0;
    }
    w + z
}
fn case_early() -> Case {
    let pts = vec![vec![-1.2, 0.8], vec![4.0, 1.5], vec![0.5, 0.9], vec![0.2, 0.1], vec![1.1, -0.05], vec![2.0, -1.1]];
    Case::new("early", |v| early(v[0], v[1]), |v| early_d(v[0], v[1]), pts)
}

// --- match on integers: literals, |, ranges, guards, _ ---

#[differentiable]
fn match_int(x: f64, k: usize) -> f64 {
    let a = match k {
        0 => x,
        1 | 2 => x * x,
        3..=5 => x.sin() * 3.0,
        6..8 => {
            let t = x.exp();
            t - 1.0
        }
        _ if k > 10 => -x,
        _ => x.cos(),
    };
    let mut b = 1.0;
    match k % 3 {
        0 => b *= x,
        1 => b += x * 0.5,
        _ => {}
    }
    a * 2.0 + b
}
fn match_int_d<D: Dn>(x: D, k: usize) -> D {
    let a = match k {
        0 => x,
        1 | 2 => x * x,
        3..=5 => x.sin() * 3.0,
        6..8 => {
            let t = x.exp();
            t - 1.0
        }
        _ if k > 10 => -x,
        _ => x.cos(),
    };
    let mut b = c::<D>(1.0);
    match k % 3 {
        0 => b *= x,
        1 => b += x * 0.5,
        _ => {}
    }
    a * 2.0 + b
}
fn case_match_int(k: usize) -> Case {
    Case::new("match_int", move |v| match_int(v[0], k), move |v| match_int_d(v[0], k), rand_points(11 + k as u64, 3, 1, -1.5, 1.5))
}

// --- match on booleans ---

#[differentiable]
fn match_bool(x: f64, y: f64) -> f64 {
    let a = match x > y {
        true => x - y,
        false => (y - x).sqrt(),
    };
    let both = x > 0.0 && y > 0.0;
    let b = match both {
        true => (x * y).ln(),
        false => x * y,
    };
    a + b
}
fn match_bool_d<D: Dn>(x: D, y: D) -> D {
    let a = match x > y {
        true => x - y,
        false => (y - x).sqrt(),
    };
    let both = x > 0.0 && y > 0.0;
    let b = match both {
        true => (x * y).ln(),
        false => x * y,
    };
    a + b
}
fn case_match_bool() -> Case {
    let pts = vec![vec![1.5, 0.5], vec![0.5, 1.5], vec![-1.0, 0.7], vec![2.0, -1.0], vec![-0.3, -2.2]];
    Case::new("match_bool", |v| match_bool(v[0], v[1]), |v| match_bool_d(v[0], v[1]), pts)
}

// --- comparisons and && || ! in conditions, blocks and ifs inside expressions ---

#[differentiable]
fn logic(x: f64, y: f64) -> f64 {
    let r = if !(x < 0.0) && (y > 1.0 || x * y < 0.5) {
        x * y
    } else if x != y && !(y <= -1.0) {
        x - y * y
    } else if x == y || y >= 3.0 {
        0.0
    } else {
        (x + y).exp()
    };
    let s = 2.0 * if x > y { x } else { -y * 0.5 } + {
        let t = y * y + 1.0;
        t.sqrt()
    };
    r + s
}
fn logic_d<D: Dn>(x: D, y: D) -> D {
    let r = if !(x < 0.0) && (y > 1.0 || x * y < 0.5) {
        x * y
    } else if x != y && !(y <= -1.0) {
        x - y * y
    } else if x == y || y >= 3.0 {
        c(0.0)
    } else {
        (x + y).exp()
    };
    let s = (if x > y { x } else { -y * 0.5 }) * 2.0 + {
        let t = y * y + 1.0;
        t.sqrt()
    };
    r + s
}
fn case_logic() -> Case {
    let pts = vec![
        vec![0.5, 2.0],  // first branch via y > 1
        vec![0.3, 0.2],  // first branch via x*y < 0.5
        vec![2.0, 0.9],  // second branch
        vec![-1.0, 0.4], // second branch, x < 0
        vec![-1.0, -2.0], // last branch
    ];
    Case::new("logic", |v| logic(v[0], v[1]), |v| logic_d(v[0], v[1]), pts)
}

// --- Huber loss over residuals: branch per element (data-free, slice active) ---

#[differentiable]
fn huber(r: &[f64]) -> f64 {
    let delta = 1.0;
    let mut s = 0.0;
    for i in 0..r.len() {
        let a = r[i].abs();
        s += if a <= delta { 0.5 * r[i] * r[i] } else { delta * (a - 0.5 * delta) };
    }
    s
}
fn huber_d<D: Dn>(r: &[D]) -> D {
    let delta = 1.0;
    let mut s = c::<D>(0.0);
    for i in 0..r.len() {
        let a = dabs(r[i]);
        s += if a <= delta { r[i] * r[i] * 0.5 } else { (a - 0.5 * delta) * delta };
    }
    s
}
fn case_huber() -> Case {
    let pts = vec![vec![0.3, -2.0, 1.5, -0.7, 0.05], vec![-3.0, 0.9, 2.2, -0.2, 4.0]];
    Case::new("huber", |v| huber(v), |v| huber_d(v), pts)
}

#[test]
fn oracles_agree() {
    let mut cases = vec![
        case_piecewise(),
        case_sigmoid(),
        case_softplus(),
        case_early(),
        case_match_bool(),
        case_logic(),
        case_huber(),
    ];
    cases.extend((0..13).map(case_match_int));
    for case in cases {
        case.check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn piecewise_ad() {
        case_piecewise().check_api(api_scalars!(piecewise; 2));
    }

    #[test]
    fn sigmoid_ad() {
        case_sigmoid().check_api(api_scalars!(sigmoid; 1));
    }

    #[test]
    fn softplus_ad() {
        case_softplus().check_api(api_scalars!(softplus; 1));
    }

    #[test]
    fn early_return_ad() {
        case_early().check_api(api_scalars!(early; 2));
    }

    #[test]
    fn match_int_ad() {
        for k in 0..13 {
            case_match_int(k).check_api(Api {
                value_and_grad: &|x| {
                    let (v, g): (f64, f64) = match_int::value_and_grad(x[0], k);
                    (v, vec![g])
                },
                grad: &|x| vec![match_int::grad(x[0], k)],
                jvp: &|x, t| match_int::jvp(x[0], k, t[0]),
                grad_into: &|x, g| match_int::value_and_grad_into(x[0], k, &mut g[0]),
            });
        }
    }

    #[test]
    fn match_bool_ad() {
        case_match_bool().check_api(api_scalars!(match_bool; 2));
    }

    #[test]
    fn logic_ad() {
        case_logic().check_api(api_scalars!(logic; 2));
    }

    #[test]
    fn huber_ad() {
        case_huber().check_api(api_slice!(huber));
    }
}
