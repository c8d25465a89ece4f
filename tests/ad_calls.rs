//! Calls: to other `#[differentiable]` functions in the same module and by
//! path (`helpers::name(..)`), with scalar and slice arguments, chains of
//! calls, calls inside loops, a callee with `wrt(..)` called with a constant
//! for its data parameter; user functions named like float primitives
//! (`shadowing::sqrt`, `exp`) and a local named like its callee; and calls
//! to plain functions whose arguments are all constants.
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

#[differentiable]
fn sq(x: f64) -> f64 {
    x * x
}
fn sq_d<D: Dn>(x: D) -> D {
    x * x
}

mod helpers {
    use gd::differentiable;

    #[differentiable]
    pub fn softplus(x: f64) -> f64 {
        if x > 0.0 {
            x + (-x).exp().ln_1p()
        } else {
            x.exp().ln_1p()
        }
    }

    #[differentiable]
    pub fn dist(a: f64, b: f64) -> f64 {
        (a * a + b * b).sqrt()
    }

    #[differentiable]
    pub fn norm2(xs: &[f64]) -> f64 {
        let mut s = 0.0;
        for &x in xs {
            s += x * x;
        }
        s
    }

    /// Only `x` is active; `s` is a constant parameter.
    #[differentiable(wrt(x))]
    pub fn scaled_sin(x: f64, s: f64) -> f64 {
        (x * s).sin() / s
    }

    pub mod generic {
        use crate::common::*;
        pub fn softplus<D: Dn>(x: D) -> D {
            if x > 0.0 {
                x + (-x).exp().ln_1p()
            } else {
                x.exp().ln_1p()
            }
        }
        pub fn dist<D: Dn>(a: D, b: D) -> D {
            (a * a + b * b).sqrt()
        }
        pub fn norm2<D: Dn>(xs: &[D]) -> D {
            let mut s = c::<D>(0.0);
            for &x in xs {
                s += x * x;
            }
            s
        }
        pub fn scaled_sin<D: Dn>(x: D, s: f64) -> D {
            (x * s).sin() / s
        }
    }
}

/// Plain (not differentiable) functions, called with constant arguments.
fn weight(i: usize) -> f64 {
    1.0 / (i as f64 + 1.0)
}
fn coef(k: i32, scale: f64) -> f64 {
    scale * k as f64 + 0.25
}

// --- same-module call ---

#[differentiable]
fn call_local(x: f64, y: f64) -> f64 {
    sq(x) + sq(x * y) * 0.5 - sq(sq(y))
}
fn call_local_d<D: Dn>(x: D, y: D) -> D {
    sq_d(x) + sq_d(x * y) * 0.5 - sq_d(sq_d(y))
}
fn case_call_local() -> Case {
    Case::new("call_local", |v| call_local(v[0], v[1]), |v| call_local_d(v[0], v[1]), rand_points(60, 5, 2, -1.5, 1.5))
}

// --- calls by path, several active arguments, nested as arguments ---

#[differentiable]
fn call_path(x: f64, y: f64) -> f64 {
    helpers::softplus(x - y) + helpers::dist(x, y) * helpers::softplus(y) + helpers::dist(helpers::softplus(x), sq(y))
}
fn call_path_d<D: Dn>(x: D, y: D) -> D {
    use helpers::generic as g;
    g::softplus(x - y) + g::dist(x, y) * g::softplus(y) + g::dist(g::softplus(x), sq_d(y))
}
fn case_call_path() -> Case {
    Case::new("call_path", |v| call_path(v[0], v[1]), |v| call_path_d(v[0], v[1]), rand_points(61, 6, 2, -2.0, 2.0))
}

// --- a slice argument to a differentiable callee, plus a scalar ---

#[differentiable]
fn call_slice(xs: &[f64], a: f64) -> f64 {
    helpers::norm2(xs) * a + sq(a) + helpers::norm2(xs).sqrt()
}
fn call_slice_d<D: Dn>(xs: &[D], a: D) -> D {
    helpers::generic::norm2(xs) * a + sq_d(a) + helpers::generic::norm2(xs).sqrt()
}
fn case_call_slice() -> Case {
    Case::new("call_slice", |v| call_slice(&v[..4], v[4]), |v| call_slice_d(&v[..4], v[4]), rand_points(62, 4, 5, -2.0, 2.0))
}

// --- calls inside a loop, with plain functions of constant arguments ---

#[differentiable]
fn call_in_loop(xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..xs.len() {
        s += weight(i) * sq(xs[i] - 1.0) + coef(i as i32, 0.5) * helpers::softplus(xs[i]);
    }
    s * coef(2, 1.5)
}
fn call_in_loop_d<D: Dn>(xs: &[D]) -> D {
    let mut s = c::<D>(0.0);
    for i in 0..xs.len() {
        s += sq_d(xs[i] - 1.0) * weight(i) + helpers::generic::softplus(xs[i]) * coef(i as i32, 0.5);
    }
    s * coef(2, 1.5)
}
fn case_call_in_loop() -> Case {
    Case::new("call_in_loop", |v| call_in_loop(v), |v| call_in_loop_d(v), rand_points(63, 4, 6, -2.0, 2.0))
}

// --- a chain: outer -> middle -> sq, and a wrt(..) callee given a constant ---

#[differentiable]
fn middle(x: f64, y: f64) -> f64 {
    sq(x - y) + helpers::scaled_sin(x, 2.0)
}
fn middle_d<D: Dn>(x: D, y: D) -> D {
    sq_d(x - y) + helpers::generic::scaled_sin(x, 2.0)
}

#[differentiable]
fn outer(x: f64, y: f64, z: f64) -> f64 {
    let m = middle(x * z, y);
    middle(m, z) + m * helpers::scaled_sin(y, 3.0)
}
fn outer_d<D: Dn>(x: D, y: D, z: D) -> D {
    let m = middle_d(x * z, y);
    middle_d(m, z) + m * helpers::generic::scaled_sin(y, 3.0)
}
fn case_outer() -> Case {
    Case::new("outer", |v| outer(v[0], v[1], v[2]), |v| outer_d(v[0], v[1], v[2]), rand_points(64, 5, 3, -1.0, 1.0))
}

// --- the result of a plain-function call as data inside active arithmetic ---

fn table_lookup(n: usize) -> f64 {
    [0.5, 1.5, -0.25, 2.0][n % 4]
}

#[differentiable]
fn call_plain(x: f64, n: usize) -> f64 {
    let k = table_lookup(n) + table_lookup(n + 1);
    let w = coef(3, 0.1);
    x * k + (x * w).exp() + weight(n) * sq(x)
}
fn call_plain_d<D: Dn>(x: D, n: usize) -> D {
    let k = table_lookup(n) + table_lookup(n + 1);
    let w = coef(3, 0.1);
    x * k + (x * w).exp() + sq_d(x) * weight(n)
}
fn case_call_plain(n: usize) -> Case {
    Case::new("call_plain", move |v| call_plain(v[0], n), move |v| call_plain_d(v[0], n), rand_points(65, 3, 1, -2.0, 2.0))
}

// --- user functions named like float primitives; a local named like its callee ---

mod shadowing {
    use gd::differentiable;
    /// Not the square root: a call by path must reach the user's function.
    #[differentiable]
    pub fn sqrt(x: f64) -> f64 {
        x * x * x
    }
}

/// Not the exponential.
#[differentiable]
fn exp(x: f64) -> f64 {
    2.0 * x + x.exp()
}

#[differentiable]
fn named_like_primitives(x: f64) -> f64 {
    let sq = sq(x);
    let x2 = shadowing::sqrt(x) + exp(x);
    let x = x.sin();
    sq * 2.0 + x + x2
}
fn named_like_primitives_d<D: Dn>(x: D) -> D {
    let sq = sq_d(x);
    let x2 = x * x * x + x * 2.0 + x.exp();
    let x = x.sin();
    sq * 2.0 + x + x2
}
fn case_named_like_primitives() -> Case {
    Case::new("named_like_primitives", |v| named_like_primitives(v[0]), |v| named_like_primitives_d(v[0]), rand_points(67, 4, 1, -2.0, 2.0))
}

#[test]
fn oracles_agree() {
    let mut cases = vec![case_call_local(), case_call_path(), case_call_slice(), case_call_in_loop(), case_outer(), case_named_like_primitives()];
    cases.extend((0..4).map(case_call_plain));
    for case in cases {
        case.check_oracles();
    }
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn callee_sq_ad() {
        let case = Case::new("sq", |v| sq(v[0]), |v| sq_d(v[0]), rand_points(66, 4, 1, -3.0, 3.0));
        case.check_api(api_scalars!(sq; 1));
    }

    #[test]
    fn call_local_ad() {
        case_call_local().check_api(api_scalars!(call_local; 2));
    }

    #[test]
    fn call_path_ad() {
        case_call_path().check_api(api_scalars!(call_path; 2));
    }

    #[test]
    fn callee_by_path_generated_api() {
        // the generated modules of functions in another module are reachable by path
        let (v, (ga, gb)) = helpers::dist::value_and_grad(3.0, 4.0);
        assert_eq!(v, 5.0);
        assert_close("helpers::dist::value_and_grad", &[ga, gb], &[0.6, 0.8], 1e-15, 0.0);
        let g = helpers::scaled_sin::grad(0.3, 2.0);
        assert_close1("helpers::scaled_sin::grad (wrt(x))", g, (0.6f64).cos(), 1e-15);
    }

    #[test]
    fn call_slice_ad() {
        case_call_slice().check_api(Api {
            value_and_grad: &|v| {
                let (val, (gx, ga)): (f64, (Vec<f64>, f64)) = call_slice::value_and_grad(&v[..4], v[4]);
                (val, [gx, vec![ga]].concat())
            },
            grad: &|v| {
                let (gx, ga): (Vec<f64>, f64) = call_slice::grad(&v[..4], v[4]);
                [gx, vec![ga]].concat()
            },
            jvp: &|v, t| call_slice::jvp(&v[..4], v[4], &t[..4], t[4]),
            grad_into: &|v, g| {
                let (gx, ga) = g.split_at_mut(4);
                call_slice::value_and_grad_into(&v[..4], v[4], gx, &mut ga[0])
            },
        });
    }

    #[test]
    fn call_in_loop_ad() {
        case_call_in_loop().check_api(api_slice!(call_in_loop));
    }

    #[test]
    fn call_chain_ad() {
        case_outer().check_api(api_scalars!(outer; 3));
    }

    #[test]
    fn callees_named_like_primitives_ad() {
        case_named_like_primitives().check_api(api_scalars!(named_like_primitives; 1));
    }

    #[test]
    fn call_plain_ad() {
        for n in 0..4 {
            case_call_plain(n).check_api(Api {
                value_and_grad: &|x| {
                    let (v, g): (f64, f64) = call_plain::value_and_grad(x[0], n);
                    (v, vec![g])
                },
                grad: &|x| vec![call_plain::grad(x[0], n)],
                jvp: &|x, t| call_plain::jvp(x[0], n, t[0]),
                grad_into: &|x, g| call_plain::value_and_grad_into(x[0], n, &mut g[0]),
            });
        }
    }
}

// Integer and boolean literals as arguments of a differentiable call: passed
// as written in every sweep (the dual copy that `hvp` runs once converted a
// captured `3` as an `i32`, which did not compile for a `usize` parameter).
#[differentiable(wrt(x))]
fn powered(x: f64, n: usize, flip: bool) -> f64 {
    let mut p = 1.0;
    for _ in 0..n {
        p *= x;
    }
    if flip { -p } else { p }
}

#[differentiable]
fn literal_args(x: f64) -> f64 {
    powered(x, 3, false) + powered(x, 2, true)
}

#[test]
fn literal_arguments_in_every_sweep() {
    let x = 0.7;
    // x³ − x²: gradient 3x² − 2x, second derivative 6x − 2.
    assert!((literal_args::grad(x) - (3.0 * x * x - 2.0 * x)).abs() < 1e-14);
    assert!((literal_args::hvp(x, 1.0) - (6.0 * x - 2.0)).abs() < 1e-13);
    assert!((literal_args::jvp(x, 1.0).1 - (3.0 * x * x - 2.0 * x)).abs() < 1e-14);
}

// --- a glob import beside a plain fn of the same name in another module ---
// The plain `twice` of `plain_twice` is not what `glob_import` calls: its
// glob brings the #[differentiable] `twice` of another file, which the
// macro cannot see. The call must not be refused as a call of a plain fn.
#[path = "calls_other_file/mod.rs"]
mod calls_other_file;

mod plain_twice {
    #[allow(dead_code)]
    pub fn twice(v: f64) -> f64 {
        v + v
    }
}

mod glob_import {
    use super::calls_other_file::*;
    use gd::differentiable;

    #[differentiable]
    pub fn f(x: f64) -> f64 {
        twice(x) + x
    }
}

#[test]
fn glob_import_of_a_differentiable_fn_beside_a_plain_namesake() {
    let (v, g) = glob_import::f::value_and_grad(1.5);
    assert_eq!((v, g), (2.0 * 1.5 * 1.5 + 1.5, 4.0 * 1.5 + 1.0));
}
