//! `f::hvp` and `f::hessian` (forward over reverse) against num-dual's
//! Hessian and against central differences of the generated gradient.
use gd::differentiable;
use num_dual::{hessian, DualNum};

#[differentiable]
fn rosen(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]).powi(2);
    }
    s
}
fn rosen_d<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> D {
    let mut s = D::from(0.0);
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        s += a * a * D::from(100.0) + (-x[i] + D::from(1.0)).powi(2);
    }
    s
}

#[differentiable]
fn helper(a: f64, b: f64) -> f64 {
    (a * b).sin() + a.exp() / b
}

/// Branches, a loop with a local array, a call, and scalar + array parameters.
#[differentiable(wrt(x, w))]
fn mixed(x: f64, w: &[f64], data: &[f64]) -> f64 {
    let mut h = vec![0.0; w.len()];
    for i in 0..w.len() {
        let z = w[i] * data[i] + x;
        h[i] = if z > 0.0 { z.tanh() } else { 0.1 * z * z };
    }
    let mut s = helper(x, 1.5 + w[0] * w[0]);
    for v in h.iter() {
        s += v * v * x;
    }
    s.ln_1p()
}
fn helper_d<D: DualNum<Primitive = f64> + Copy>(a: D, b: D) -> D {
    (a * b).sin() + a.exp() / b
}
fn mixed_d<D: DualNum<Primitive = f64> + Copy>(p: &[D], data: &[f64]) -> D {
    let x = p[0];
    let w = &p[1..];
    let mut h = vec![D::from(0.0); w.len()];
    for i in 0..w.len() {
        let z = w[i] * data[i] + x;
        h[i] = if z.re() > 0.0 { z.tanh() } else { z * z * D::from(0.1) };
    }
    let mut s = helper_d(x, w[0] * w[0] + D::from(1.5));
    for v in h.iter() {
        s += *v * *v * x;
    }
    s.ln_1p()
}

fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!((a - b).abs() <= tol * (1.0 + b.abs()), "{what}: {a} vs {b}");
}

#[test]
fn rosenbrock_hessian_matches_num_dual() {
    let x = [-1.2, 1.0, 0.3, 0.8];
    let (v, g, h) = rosen::hessian(&x);
    let (v2, g2, h2) = hessian(|p| rosen_d(p.as_slice()), &nalgebra_vec(&x));
    assert_close(v, v2, 1e-14, "value");
    for i in 0..4 {
        assert_close(g[i], g2[i], 1e-12, "gradient");
        for j in 0..4 {
            assert_close(h[(i, j)], h2[(i, j)], 1e-12, "hessian");
        }
    }
    let dir = [0.3, -0.2, 0.5, 1.0];
    let hv = rosen::hvp(&x, &dir);
    for i in 0..4 {
        let want: f64 = (0..4).map(|j| h2[(i, j)] * dir[j]).sum();
        assert_close(hv[i], want, 1e-12, "hvp");
    }
}

fn nalgebra_vec(x: &[f64]) -> gd::nalgebra::SVector<f64, 4> {
    gd::nalgebra::SVector::<f64, 4>::from_column_slice(x)
}

#[test]
fn mixed_hessian_matches_num_dual_and_gradient_differences() {
    let data = [0.5, -1.0, 2.0];
    for (x, w) in [(0.4, [0.3, -0.2, 0.6]), (-0.7, [1.1, 0.4, -0.3])] {
        let (_, (gx, gw), h) = mixed::hessian(x, &w, &data);
        let p = [x, w[0], w[1], w[2]];
        let (_, g2, h2) = hessian(|q| mixed_d(q.as_slice(), &data), &nalgebra_vec(&p));
        assert_close(gx, g2[0], 1e-12, "gx");
        for i in 0..3 {
            assert_close(gw[i], g2[i + 1], 1e-12, "gw");
        }
        for i in 0..4 {
            for j in 0..4 {
                assert_close(h[(i, j)], h2[(i, j)], 1e-10, "hessian");
            }
        }
        // Central differences of the generated gradient: an oracle independent of duals.
        for j in 0..4 {
            let e = 1e-5;
            let mut a = p;
            let mut b = p;
            a[j] += e;
            b[j] -= e;
            let (ga_x, ga_w) = mixed::grad(a[0], &a[1..], &data);
            let (gb_x, gb_w) = mixed::grad(b[0], &b[1..], &data);
            let col: Vec<f64> = std::iter::once((ga_x - gb_x) / (2.0 * e))
                .chain((0..3).map(|i| (ga_w[i] - gb_w[i]) / (2.0 * e)))
                .collect();
            for i in 0..4 {
                assert_close(h[(i, j)], col[i], 1e-6, "fd of gradient");
            }
        }
        let (hx, hw) = mixed::hvp(x, &w, &data, 1.0, &[0.0, 0.0, 0.0]);
        assert_close(hx, h[(0, 0)], 1e-14, "hvp x");
        assert_close(hw[1], h[(2, 0)], 1e-14, "hvp w");
    }
}

#[differentiable]
fn quadratic(x: &[f64; 3]) -> f64 {
    x[0] * x[0] + 3.0 * x[1] * x[1] + x[0] * x[2] + 2.0 * x[2] * x[2]
}

#[test]
fn hessian_of_a_quadratic_is_its_matrix() {
    let (_, g, h) = quadratic::hessian(&[1.0, 2.0, 3.0]);
    let want = [[2.0, 0.0, 1.0], [0.0, 6.0, 0.0], [1.0, 0.0, 4.0]];
    for i in 0..3 {
        for j in 0..3 {
            assert_eq!(h[(i, j)], want[i][j]);
        }
    }
    assert_eq!(g, [2.0 + 3.0, 12.0, 1.0 + 12.0]);
}

#[test]
fn hessian_into_writes_the_same_matrix() {
    let x = [-1.2, 1.0, 0.3, 0.8];
    let (v, _, h) = rosen::hessian(&x);
    let mut buf = gd::nalgebra::DMatrix::<f64>::from_element(4, 4, 7.0);
    assert_eq!(rosen::hessian_into(&x, &mut buf), v);
    assert_eq!(buf, h);
}
