//! The test harness tests itself: `Case::check_api` must accept a correct
//! hand-written implementation of the generated API and reject each kind of
//! mistake the macro could make (wrong gradient, inexact value, forward and
//! reverse disagreeing, `value_and_grad_into` overwriting instead of adding).
//! Needs nothing from the macro.

mod common;
use common::*;

fn f(x: &[f64]) -> f64 {
    x[0] * x[1] + x[0].sin() - (x[1] * 0.5).exp()
}
fn f_d<D: Dn>(x: &[D]) -> D {
    x[0] * x[1] + x[0].sin() - (x[1] * 0.5).exp()
}
fn grad(x: &[f64]) -> Vec<f64> {
    vec![x[1] + x[0].cos(), x[0] - 0.5 * (x[1] * 0.5).exp()]
}
fn case() -> Case {
    Case::new("selftest", f, f_d, rand_points(1, 4, 2, -2.0, 2.0))
}

/// A correct API, with one of its parts replaced by `broken`.
fn run(broken: &str) {
    let perturb = |g: Vec<f64>| -> Vec<f64> {
        if broken == "grad" {
            vec![g[0] * (1.0 + 1e-7), g[1]]
        } else {
            g
        }
    };
    case().check_api(Api {
        value_and_grad: &|x| {
            let v = f(x);
            let v = if broken == "value" { v + v.abs() * f64::EPSILON } else { v };
            (v, perturb(grad(x)))
        },
        grad: &|x| perturb(grad(x)),
        jvp: &|x, t| {
            let g = grad(x);
            let d = g[0] * t[0] + g[1] * t[1];
            (f(x), if broken == "jvp" { d + 1e-6 * g[0] * t[0] } else { d })
        },
        grad_into: &|x, buf| {
            let g = perturb(grad(x));
            for i in 0..2 {
                if broken == "into" {
                    buf[i] = g[i];
                } else {
                    buf[i] += g[i];
                }
            }
            f(x)
        },
    });
}

#[test]
fn accepts_a_correct_api() {
    run("none");
}

#[test]
#[should_panic(expected = "macro grad vs num-dual")]
fn rejects_a_gradient_off_by_1e7_relative() {
    run("grad");
}

#[test]
#[should_panic(expected = "value_and_grad().0 vs f()")]
fn rejects_a_value_one_ulp_off() {
    run("value");
}

#[test]
#[should_panic(expected = "forward vs reverse")]
fn rejects_forward_disagreeing_with_reverse() {
    run("jvp");
}

#[test]
#[should_panic(expected = "buffer doubles")]
fn rejects_grad_into_that_overwrites() {
    run("into");
}

#[test]
#[should_panic(expected = "oracle self-check")]
fn rejects_a_generic_copy_that_differs() {
    // same value, derivative off by 1e-4 in x[0]
    let c = Case::new("wrong copy", f, |x: &[Dual64]| f_d(x) + (x[0] - x[0].re) * 1e-4, vec![vec![0.3, 0.4]]);
    c.check_oracles();
}

#[test]
fn finite_differences_at_a_minimum() {
    // gradient 0, third derivative not: the FD error estimate keeps this fair
    let rosen = |x: &[f64]| 100.0 * (x[1] - x[0] * x[0]).powi(2) + (1.0 - x[0]).powi(2);
    let fd = fd_grad_err(&rosen, &[1.0, 1.0]);
    assert_close_fd("rosenbrock at its minimum", &[0.0, 0.0], &fd, RTOL_FD, 0.0);
    // and FD itself is accurate where it should be
    let g = fd_grad(&|x: &[f64]| x[0].exp() * x[1].sin(), &[0.7, 1.1]);
    assert_close("fd of exp(x) sin(y)", &g, &[0.7f64.exp() * 1.1f64.sin(), 0.7f64.exp() * 1.1f64.cos()], 1e-9, 0.0);
    let g32 = fd_grad_f32(&|x: &[f32]| x[0].exp() * x[1].sin(), &[0.7, 1.1]);
    assert_close("f32 fd of exp(x) sin(y)", &g32, &[0.7f64.exp() * 1.1f64.sin(), 0.7f64.exp() * 1.1f64.cos()], RTOL32_FD, 0.0);
}

#[test]
fn dual_oracle_is_exact_on_a_known_gradient() {
    for x in rand_points(2, 5, 2, -3.0, 3.0) {
        let (v, g) = dual_grad(&|x| f_d(x), &x);
        assert_eq!(v, f(&x));
        assert_close("num-dual vs hand gradient", &g, &grad(&x), 1e-15, 0.0);
    }
}
