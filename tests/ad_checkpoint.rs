//! `#[checkpoint]` loops (binomial checkpointing): each function below is
//! written once, in a macro that defines it plainly and with the attribute
//! on its loops (so the twins cannot drift apart), and the two gradients
//! must agree to 1e-12 relative for trip counts 0, 1, small, powers of two
//! ± 1 and large, with few snapshots so that trips are recomputed; central
//! differences check both. Covered: an RK4 pendulum whose right-hand side
//! is another `#[differentiable]` function, `while` loops, nested loops
//! (checkpointed outside, inside, both), branches, local arrays, `return`,
//! `break` and `continue`, inclusive and reversed ranges, loops over the differentiated
//! array, an accumulator, a carried nalgebra vector, f32, a caller of
//! checkpointed functions, and `hvp`/`hessian` through checkpointed loops.

#[macro_use]
mod common;
use common::{assert_close, assert_close_fd, fd_grad_err, fd_hvp};
use gd::differentiable;

/// The pendulum's angular acceleration: damping `c`, `g/L` as `k`.
#[differentiable]
fn accel(th: f64, om: f64, c: f64, k: f64) -> f64 {
    -c * om - k * th.sin()
}

/// RK4 on θ' = ω, ω' = accel; `p = [c, k, θ₀]`, step 0.01.
macro_rules! pendulum_fns {
    ($name:ident { $($a1:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64], n: usize) -> f64 {
            let (c, k) = (p[0], p[1]);
            let h = 0.01;
            let mut th = p[2];
            let mut om = 0.0;
            $($a1)*
            for _ in 0..n {
                let (k1t, k1o) = (om, accel(th, om, c, k));
                let (k2t, k2o) = (om + 0.5 * h * k1o, accel(th + 0.5 * h * k1t, om + 0.5 * h * k1o, c, k));
                let (k3t, k3o) = (om + 0.5 * h * k2o, accel(th + 0.5 * h * k2t, om + 0.5 * h * k2o, c, k));
                let (k4t, k4o) = (om + h * k3o, accel(th + h * k3t, om + h * k3o, c, k));
                th = th + h / 6.0 * (k1t + 2.0 * k2t + 2.0 * k3t + k4t);
                om = om + h / 6.0 * (k1o + 2.0 * k2o + 2.0 * k3o + k4o);
            }
            th * th + 0.5 * om * om
        }
    };
}
pendulum_fns!(pendulum {});
pendulum_fns!(pendulum_ck { #[checkpoint(snapshots = 3)] });
pendulum_fns!(pendulum_default { #[checkpoint] });

/// A `while` loop (trip count found by the forward sweep), with a branch
/// and the loop index used in arithmetic.
macro_rules! wobble_fns {
    ($name:ident { $($a1:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64], n: usize) -> f64 {
            let mut x = p[0];
            let mut y = p[1];
            let mut i = 0;
            $($a1)*
            while i < n {
                if x > 0.0 {
                    x = x - 0.1 * (x * y).sin();
                } else {
                    x = 0.5 * x + 0.1 * x * x - 0.05 * y;
                }
                y = 0.95 * y + 0.02 * ((i % 7) as f64) * x.cos();
                i += 1;
            }
            x * y + x
        }
    };
}
wobble_fns!(wobble {});
wobble_fns!(wobble_ck { #[checkpoint(snapshots = 2)] });

/// `loop` with a `break` on a value-dependent condition.
macro_rules! until_fns {
    ($name:ident { $($a1:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64], n: usize) -> f64 {
            let mut x = p[0];
            let mut k = 0;
            $($a1)*
            loop {
                x = x + 0.01 * (x * p[1]).cos();
                k += 1;
                if k >= n || x > 50.0 {
                    break;
                }
            }
            x * x
        }
    };
}
until_fns!(until {});
until_fns!(until_ck { #[checkpoint(snapshots = 4)] });

/// A local array made and read in each trip, and the parameter array read
/// at an index that moves with the trip.
macro_rules! mixer_fns {
    ($name:ident { $($a1:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64], n: usize) -> f64 {
            let mut a = p[0];
            let mut b = p[1];
            $($a1)*
            for i in 0..n {
                let mut v = vec![0.0; 3];
                v[0] = a.sin();
                v[1] = b * a;
                v[2] = p[i % 3] * b;
                let mut s = 0.0;
                for j in 0..3 {
                    s += v[j] * v[(j + 1) % 3];
                }
                a = 0.9 * a + 0.1 * s;
                b = b - 0.05 * v[2];
            }
            a + b * b
        }
    };
}
mixer_fns!(mixer {});
mixer_fns!(mixer_ck { #[checkpoint(snapshots = 3)] });

/// Nested loops: `m` inner trips per outer trip.
macro_rules! nested_fns {
    ($name:ident { $($a1:tt)* } { $($a2:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64], n: usize, m: usize) -> f64 {
            let mut x = p[0];
            let mut y = p[1];
            $($a1)*
            for _ in 0..n {
                let mut s = 0.0;
                $($a2)*
                for j in 0..m {
                    s += (x * (j as f64 + 1.0)).sin() * y;
                    y = y + 0.01 * s.tanh();
                }
                x = x + 0.1 * s;
            }
            x * x + y
        }
    };
}
nested_fns!(nested {} {});
nested_fns!(nested_outer { #[checkpoint(snapshots = 2)] } {});
nested_fns!(nested_inner {} { #[checkpoint(snapshots = 2)] });
nested_fns!(nested_both { #[checkpoint(snapshots = 3)] } { #[checkpoint(snapshots = 2)] });

/// `return` from inside the loop, the trip index in arithmetic.
macro_rules! escape_fns {
    ($name:ident { $($a1:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64], n: usize) -> f64 {
            let mut x = p[0];
            $($a1)*
            for i in 0..n {
                x = x * 1.1 + 0.05 * (x * p[1]).sin();
                if x > 3.0 {
                    return x * (i as f64 + 1.0);
                }
            }
            x
        }
    };
}
escape_fns!(escape {});
escape_fns!(escape_ck { #[checkpoint(snapshots = 2)] });

/// Other ranges: inclusive, reversed.
macro_rules! ranges_fns {
    ($name:ident { $($a1:tt)* } { $($a2:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64], n: usize) -> f64 {
            let mut s = p[0];
            let mut t = p[1];
            $($a1)*
            for i in 1..=n {
                s = s + (t * i as f64).sin() * 0.01;
                t = t * 0.99 + 0.01 * s;
            }
            $($a2)*
            for i in (0..n).rev() {
                s = s * 0.999 + 0.001 * (t + i as f64).cos();
            }
            s * t
        }
    };
}
ranges_fns!(ranges {} {});
ranges_fns!(ranges_ck { #[checkpoint(snapshots = 3)] } { #[checkpoint(snapshots = 2)] });

/// An accumulator whose sum is the result (without the attribute it is
/// reversed during the forward sweep; with it, it follows the schedule).
macro_rules! accumulate_fns {
    ($name:ident { $($a1:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64], n: usize) -> f64 {
            let mut s = 0.0;
            $($a1)*
            for i in 0..n {
                s += (p[0] * i as f64).sin() * p[1];
            }
            s
        }
    };
}
accumulate_fns!(accumulate {});
accumulate_fns!(accumulate_ck { #[checkpoint(snapshots = 3)] });

/// Loops over the differentiated array itself (index loops underneath).
macro_rules! over_array_fns {
    ($name:ident { $($a1:tt)* } { $($a2:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64]) -> f64 {
            let mut s = 0.5;
            let mut t = 1.0;
            $($a1)*
            for &v in p.iter() {
                s = s * v.cos() + t;
                t = 0.5 * t + (s * v).sin();
            }
            $($a2)*
            for (i, v) in p.iter().enumerate() {
                s = s + 0.1 * (i as f64) * v * t;
            }
            s * t
        }
    };
}
over_array_fns!(over_array {} {});
over_array_fns!(over_array_ck { #[checkpoint(snapshots = 2)] } { #[checkpoint(snapshots = 2)] });

const COUNTS: [usize; 14] = [0, 1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 63, 64, 65];
const P: [f64; 3] = [0.3, 2.0, 1.1];

/// `ck`'s gradient against `plain`'s (1e-12 relative) and central
/// differences; the values equal bit for bit.
fn agree(what: &str, plain: &dyn Fn(&[f64]) -> (f64, Vec<f64>), ck: &dyn Fn(&[f64]) -> (f64, Vec<f64>), f: &dyn Fn(&[f64]) -> f64, p: &[f64]) {
    let (v0, g0) = plain(p);
    let (v1, g1) = ck(p);
    assert_eq!(v0, v1, "{what}: values differ");
    assert_eq!(v1, f(p), "{what}: value differs from the plain function");
    assert_close(&format!("{what}: checkpointed vs plain"), &g1, &g0, 1e-12, 0.0);
    // Differences allow for their own error estimate (long oscillating runs).
    assert_close_fd(&format!("{what}: vs differences"), &g1, &fd_grad_err(f, p), 1e-6, v1);
}

#[test]
fn pendulum_every_count() {
    for n in COUNTS.into_iter().chain([1000, 4097]) {
        agree(&format!("pendulum n = {n}"), &|p| pendulum::value_and_grad(p, n), &|p| pendulum_ck::value_and_grad(p, n), &|p| pendulum_ck(p, n), &P);
    }
}

#[test]
fn default_snapshots_large() {
    for n in [0, 1, 33, 20_000] {
        agree(&format!("pendulum_default n = {n}"), &|p| pendulum::value_and_grad(p, n), &|p| pendulum_default::value_and_grad(p, n), &|p| pendulum_default(p, n), &P);
    }
}

#[test]
fn while_loop() {
    for n in COUNTS.into_iter().chain([1000]) {
        for p in [[0.7, 1.3], [-0.4, 0.8]] {
            agree(&format!("wobble n = {n}, p = {p:?}"), &|p| wobble::value_and_grad(p, n), &|p| wobble_ck::value_and_grad(p, n), &|p| wobble_ck(p, n), &p);
        }
    }
}

#[test]
fn loop_with_break() {
    for n in [1, 2, 3, 9, 64, 500] {
        agree(&format!("until n = {n}"), &|p| until::value_and_grad(p, n), &|p| until_ck::value_and_grad(p, n), &|p| until_ck(p, n), &[0.5, 0.7]);
    }
    // Left by the value test (x > 50) long before n.
    let p = [45.0, 0.01];
    let (_, g0) = until::value_and_grad(&p, 100_000);
    let (_, g1) = until_ck::value_and_grad(&p, 100_000);
    assert_close("until, early break", &g1, &g0, 1e-12, 0.0);
}

#[test]
fn local_arrays_and_parameter_reads() {
    for n in COUNTS.into_iter().chain([300]) {
        agree(&format!("mixer n = {n}"), &|p| mixer::value_and_grad(p, n), &|p| mixer_ck::value_and_grad(p, n), &|p| mixer_ck(p, n), &P);
    }
}

#[test]
fn nested_loops() {
    let p = [0.4, 0.9];
    for n in [0, 1, 2, 5, 8, 17, 40] {
        for m in [0, 1, 3, 9] {
            let plain = |p: &[f64]| nested::value_and_grad(p, n, m);
            agree(&format!("nested_outer {n}×{m}"), &plain, &|p| nested_outer::value_and_grad(p, n, m), &|p| nested_outer(p, n, m), &p);
            agree(&format!("nested_inner {n}×{m}"), &plain, &|p| nested_inner::value_and_grad(p, n, m), &|p| nested_inner(p, n, m), &p);
            agree(&format!("nested_both {n}×{m}"), &plain, &|p| nested_both::value_and_grad(p, n, m), &|p| nested_both(p, n, m), &p);
        }
    }
}

#[test]
fn hvp_through_a_checkpointed_loop() {
    let t = [0.3, -0.7, 1.1];
    for n in [0, 1, 7, 16, 65, 300] {
        let h0 = pendulum::hvp(&P, n, &t);
        let h1 = pendulum_ck::hvp(&P, n, &t);
        assert_close(&format!("pendulum hvp n = {n}: checkpointed vs plain"), &h1, &h0, 1e-12, 0.0);
        assert_close(&format!("pendulum hvp n = {n}: vs differences"), &h1, &fd_hvp(&|p| pendulum_ck::grad(p, n), &P, &t), 1e-5, 0.0);
        let w0 = wobble::hvp(&P[..2], n, &t[..2]);
        let w1 = wobble_ck::hvp(&P[..2], n, &t[..2]);
        assert_close(&format!("wobble hvp n = {n}"), &w1, &w0, 1e-12, 0.0);
    }
    for (n, m) in [(3, 4), (9, 2)] {
        let h0 = nested::hvp(&P[..2], n, m, &t[..2]);
        let h1 = nested_both::hvp(&P[..2], n, m, &t[..2]);
        assert_close(&format!("nested hvp {n}×{m}"), &h1, &h0, 1e-12, 0.0);
    }
}

#[test]
fn return_from_inside() {
    for n in [0, 1, 2, 9, 16, 17, 40] {
        for p in [[0.5, 0.3], [2.0, 1.0]] {
            agree(&format!("escape n = {n}, p = {p:?}"), &|p| escape::value_and_grad(p, n), &|p| escape_ck::value_and_grad(p, n), &|p| escape_ck(p, n), &p);
        }
    }
}

#[test]
fn inclusive_and_reversed_ranges() {
    for n in COUNTS.into_iter().chain([777]) {
        agree(&format!("ranges n = {n}"), &|p| ranges::value_and_grad(p, n), &|p| ranges_ck::value_and_grad(p, n), &|p| ranges_ck(p, n), &[0.4, 0.8]);
    }
}

#[test]
fn accumulator_loop() {
    for n in COUNTS.into_iter().chain([1000]) {
        agree(&format!("accumulate n = {n}"), &|p| accumulate::value_and_grad(p, n), &|p| accumulate_ck::value_and_grad(p, n), &|p| accumulate_ck(p, n), &[0.3, 1.5]);
    }
}

#[test]
fn hessian_through_a_checkpointed_loop() {
    for n in [0, 1, 9, 64] {
        let (v0, g0, h0) = pendulum::hessian(&P, n);
        let (v1, g1, h1) = pendulum_ck::hessian(&P, n);
        assert_eq!(v0, v1);
        assert_close(&format!("pendulum gradient n = {n}"), &g1, &g0, 1e-12, 0.0);
        assert_close(&format!("pendulum hessian n = {n}"), h1.as_slice(), h0.as_slice(), 1e-12, 0.0);
    }
}

#[test]
fn loops_over_the_differentiated_array() {
    for n in [0, 1, 2, 3, 7, 8, 9, 33] {
        let p: Vec<f64> = (0..n).map(|i| 0.3 + 0.1 * (i as f64).sin()).collect();
        agree(&format!("over_array n = {n}"), &over_array::value_and_grad, &over_array_ck::value_and_grad, &|p| over_array_ck(p), &p);
    }
}

/// A carried matrix-valued state (a vector of nalgebra), the snapshot a clone.
macro_rules! mat_iter_fns {
    ($name:ident { $($a1:tt)* }) => {
        #[differentiable]
        fn $name(a: &gd::nalgebra::DMatrix<f64>, x: &gd::nalgebra::DVector<f64>, n: usize) -> f64 {
            let mut h = x.clone();
            $($a1)*
            for _ in 0..n {
                h = (a * &h).map(|v| v.tanh());
            }
            h.dot(&h)
        }
    };
}
mat_iter_fns!(mat_iter {});
mat_iter_fns!(mat_iter_ck { #[checkpoint(snapshots = 2)] });

#[test]
fn matrix_state() {
    use gd::nalgebra::{DMatrix, DVector};
    let a = DMatrix::from_fn(3, 3, |i, j| 0.4 * (i as f64 + 1.0) - 0.3 * j as f64);
    let x = DVector::from_fn(3, |i, _| 0.2 * i as f64 - 0.1);
    for n in [0, 1, 2, 5, 16, 17] {
        let (v0, (ga0, gx0)) = mat_iter::value_and_grad(&a, &x, n);
        let (v1, (ga1, gx1)) = mat_iter_ck::value_and_grad(&a, &x, n);
        assert_eq!(v0, v1);
        assert_close(&format!("mat_iter n = {n}: d/da"), ga1.as_slice(), ga0.as_slice(), 1e-12, 0.0);
        assert_close(&format!("mat_iter n = {n}: d/dx"), gx1.as_slice(), gx0.as_slice(), 1e-12, 0.0);
    }
}

/// In f32.
macro_rules! spin32_fns {
    ($name:ident { $($a1:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f32], n: usize) -> f32 {
            let mut x = p[0];
            let mut y = p[1];
            $($a1)*
            for _ in 0..n {
                let x2 = x * 0.99 + 0.01 * (y * x).sin();
                y = y * 0.98 + 0.02 * x.cos();
                x = x2;
            }
            x * y
        }
    };
}
spin32_fns!(spin32 {});
spin32_fns!(spin32_ck { #[checkpoint(snapshots = 3)] });

/// A caller of a function with a checkpointed loop: its gradient and hvp
/// run the callee's generated code, schedule included.
#[differentiable]
fn caller(p: &[f64]) -> f64 {
    pendulum_ck(p, 37) * p[0] + wobble_ck(&p[..2], 20)
}

#[differentiable]
fn caller_plain(p: &[f64]) -> f64 {
    pendulum(p, 37) * p[0] + wobble(&p[..2], 20)
}

#[test]
fn f32_and_calls() {
    for n in [0, 1, 9, 100] {
        let (v0, g0) = spin32::value_and_grad(&[0.3, 0.7], n);
        let (v1, g1) = spin32_ck::value_and_grad(&[0.3, 0.7], n);
        assert_eq!(v0, v1);
        assert_eq!(g0, g1, "f32 n = {n}: the same operations in the same order");
    }
    agree("caller", &caller_plain::value_and_grad, &caller::value_and_grad, &|p| caller(p), &P);
    let t = [0.2, 0.1, -0.4];
    assert_close("caller hvp", &caller::hvp(&P, &t), &caller_plain::hvp(&P, &t), 1e-12, 0.0);
}

/// `continue` on some trips.
macro_rules! skipping_fns {
    ($name:ident { $($a1:tt)* }) => {
        #[differentiable]
        fn $name(p: &[f64], n: usize) -> f64 {
            let mut x = p[0];
            $($a1)*
            for i in 0..n {
                if i % 3 == 1 {
                    continue;
                }
                x = x + 0.1 * (x * p[1]).sin();
            }
            x
        }
    };
}
skipping_fns!(skipping {});
skipping_fns!(skipping_ck { #[checkpoint(snapshots = 2)] });

#[test]
fn continue_inside() {
    for n in COUNTS {
        agree(&format!("skipping n = {n}"), &|p| skipping::value_and_grad(p, n), &|p| skipping_ck::value_and_grad(p, n), &|p| skipping_ck(p, n), &[0.6, 1.4]);
    }
}
