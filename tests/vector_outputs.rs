//! Vector-valued functions: `jacobian` against central differences, and
//! `vjp`/`jvp` against the Jacobian.
use gd::differentiable;

/// Polar to Cartesian, as a tuple.
#[differentiable]
fn polar(r: f64, theta: f64) -> (f64, f64) {
    (r * theta.cos(), r * theta.sin())
}

/// A residual vector built in a loop (more outputs than inputs: forward mode).
#[differentiable(wrt(p))]
fn residuals(p: &[f64], ts: &[f64], ys: &[f64]) -> Vec<f64> {
    let mut r = Vec::new();
    for i in 0..ts.len() {
        r.push(p[0] * (-p[1] * ts[i]).exp() - ys[i]);
    }
    r
}

/// Fewer outputs than inputs (reverse mode), fixed-size output.
#[differentiable]
fn summary(xs: &[f64]) -> [f64; 2] {
    let mut s = 0.0;
    let mut q = 0.0;
    for &x in xs {
        s += x;
        q += x * x;
    }
    [s / xs.len() as f64, q.sqrt()]
}

fn fd_jacobian(f: impl Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> Vec<Vec<f64>> {
    let m = f(x).len();
    let mut j = vec![vec![0.0; x.len()]; m];
    for c in 0..x.len() {
        let h = 1e-6 * x[c].abs().max(1.0);
        let (mut a, mut b) = (x.to_vec(), x.to_vec());
        a[c] += h;
        b[c] -= h;
        let (fa, fb) = (f(&a), f(&b));
        for r in 0..m {
            j[r][c] = (fa[r] - fb[r]) / (2.0 * h);
        }
    }
    j
}

fn check(j: &gd::nalgebra::DMatrix<f64>, want: &[Vec<f64>]) {
    assert_eq!(j.nrows(), want.len());
    for (r, row) in want.iter().enumerate() {
        for (c, w) in row.iter().enumerate() {
            assert!((j[(r, c)] - w).abs() < 1e-6 * (1.0 + w.abs()), "J[{r},{c}] = {} vs {w}", j[(r, c)]);
        }
    }
}

#[test]
fn polar_jacobian_and_products() {
    let (out, j) = polar::jacobian(2.0, 0.7);
    assert_eq!(out, polar(2.0, 0.7));
    check(&j, &fd_jacobian(|v| { let (a, b) = polar(v[0], v[1]); vec![a, b] }, &[2.0, 0.7]));
    let (_, (gr, gt)) = polar::vjp(2.0, 0.7, &[0.3, -1.2]);
    assert!((gr - (0.3 * j[(0, 0)] - 1.2 * j[(1, 0)])).abs() < 1e-12);
    assert!((gt - (0.3 * j[(0, 1)] - 1.2 * j[(1, 1)])).abs() < 1e-12);
    let (_, d) = polar::jvp(2.0, 0.7, 1.0, 0.5);
    assert!((d[0] - (j[(0, 0)] + 0.5 * j[(0, 1)])).abs() < 1e-12);
}

#[test]
fn residual_and_summary_jacobians() {
    let ts = [0.0, 0.5, 1.0, 2.0];
    let ys = [1.0, 0.7, 0.5, 0.2];
    let p = [1.2, 0.8];
    let (out, j) = residuals::jacobian(&p, &ts, &ys);
    assert_eq!(out, residuals(&p, &ts, &ys));
    check(&j, &fd_jacobian(|q| residuals(q, &ts, &ys), &p));
    let xs = [0.5, -1.0, 2.0, 0.25, 1.5];
    let (out, j) = summary::jacobian(&xs);
    assert_eq!(out, summary(&xs));
    check(&j, &fd_jacobian(|v| summary(v).to_vec(), &xs));
    let mut g = vec![0.0; 5];
    summary::vjp_into(&xs, &[1.0, 0.0], &mut g);
    summary::vjp_into(&xs, &[1.0, 0.0], &mut g);
    for c in 0..5 {
        assert!((g[c] - 2.0 * j[(0, c)]).abs() < 1e-12, "vjp_into adds");
    }
}
