//! Vector-valued functions (README): `jacobian`, `vjp`, `vjp_into`, `jvp`
//! against num-dual Jacobians through generic copies (and central
//! differences as the oracles' self-check), on tuples, fixed arrays and
//! `Vec` outputs built with `push`, in-place writes and a max-shift, a tuple
//! chosen by a branch, a trajectory of an Euler integration, and
//! both Jacobian modes (more outputs than inputs and fewer).
// `--cfg gd_oracles_only` builds only the oracle self-checks (see ad_scalar.rs).
#![allow(unexpected_cfgs)]

#[macro_use]
mod common;
use common::*;
use gd::differentiable;

/// Column-major Jacobian and outputs by forward dual numbers.
fn dual_jacobian(f: &dyn Fn(&[Dual64]) -> Vec<Dual64>, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let mut xs: Vec<Dual64> = x.iter().map(|&v| Dual64::from_re(v)).collect();
    let out: Vec<f64> = f(&xs).iter().map(|d| d.re).collect();
    let mut cols = Vec::new();
    for i in 0..x.len() {
        xs[i].eps = 1.0;
        cols.extend(f(&xs).iter().map(|d| d.eps));
        xs[i].eps = 0.0;
    }
    (out, cols)
}

fn fd_jacobian(f: &dyn Fn(&[f64]) -> Vec<f64>, x: &[f64]) -> Vec<f64> {
    let m = f(x).len();
    let mut cols = Vec::new();
    for i in 0..x.len() {
        let h = f64::EPSILON.cbrt() * x[i].abs().max(1.0);
        let (mut a, mut b) = (x.to_vec(), x.to_vec());
        a[i] += h;
        b[i] -= h;
        let (fa, fb) = (f(&a), f(&b));
        cols.extend((0..m).map(|r| (fa[r] - fb[r]) / (a[i] - b[i])));
    }
    cols
}

struct VecApi<'a> {
    jacobian: &'a dyn Fn(&[f64]) -> (Vec<f64>, Vec<f64>),
    vjp: &'a dyn Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>),
    vjp_into: &'a dyn Fn(&[f64], &[f64], &mut [f64]) -> Vec<f64>,
    jvp: &'a dyn Fn(&[f64], &[f64]) -> (Vec<f64>, Vec<f64>),
}

fn check_vector(
    name: &str,
    points: &[Vec<f64>],
    f: &dyn Fn(&[f64]) -> Vec<f64>,
    dual: &dyn Fn(&[Dual64]) -> Vec<Dual64>,
    api: Option<VecApi<'_>>,
) {
    for (k, x) in points.iter().enumerate() {
        let name = format!("{name} at {}", fmt_vec(x));
        let out = f(x);
        let (dout, dj) = dual_jacobian(dual, x);
        let (m, n) = (out.len(), x.len());
        assert_close(&format!("{name}: generic copy outputs vs f"), &dout, &out, 1e-12, 0.0);
        let fj = fd_jacobian(f, x);
        let fscale = out.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        assert_close(&format!("{name}: num-dual vs FD Jacobian (oracle self-check)"), &dj, &fj, 1e-6, fscale);
        let Some(api) = &api else { continue };
        let (o, j) = (api.jacobian)(x);
        assert_eq!(o, out, "{name}: jacobian().0 vs f()");
        assert_eq!(j.len(), m * n, "{name}: Jacobian shape");
        assert_close(&format!("{name}: macro Jacobian vs num-dual"), &j, &dj, 1e-9, 0.0);
        for d in rand_points(500 + k as u64, 2, m + n, -1.0, 1.0) {
            let (u, t) = (&d[..m], &d[m..]);
            let (o, g) = (api.vjp)(x, u);
            assert_eq!(o, out, "{name}: vjp().0 vs f()");
            let want: Vec<f64> = (0..n).map(|c| (0..m).map(|r| u[r] * dj[c * m + r]).sum()).collect();
            assert_close(&format!("{name}: vjp vs u^T J"), &g, &want, 1e-9, 0.0);
            let mut buf = vec![0.0; n];
            (api.vjp_into)(x, u, &mut buf);
            assert_eq!(
                (api.vjp_into)(x, u, &mut buf),
                out,
                "{name}: vjp_into() value vs f()"
            );
            let twice: Vec<f64> = g.iter().map(|a| 2.0 * a).collect();
            assert_close(&format!("{name}: vjp_into twice adds"), &buf, &twice, 1e-13, 0.0);
            let (o, jt) = (api.jvp)(x, t);
            assert_eq!(o, out, "{name}: jvp().0 vs f()");
            let want: Vec<f64> = (0..m).map(|r| (0..n).map(|c| dj[c * m + r] * t[c]).sum()).collect();
            assert_close(&format!("{name}: jvp vs J t"), &jt, &want, 1e-9, 0.0);
        }
    }
}

fn flat(j: &gd::nalgebra::DMatrix<f64>) -> Vec<f64> {
    j.iter().copied().collect()
}

// --- spherical to Cartesian: a 3-tuple ---

#[differentiable]
fn spherical(r: f64, th: f64, ph: f64) -> (f64, f64, f64) {
    let s = th.sin();
    (r * s * ph.cos(), r * s * ph.sin(), r * th.cos())
}
fn spherical_d<D: Dn>(r: D, th: D, ph: D) -> Vec<D> {
    let s = th.sin();
    vec![r * s * ph.cos(), r * s * ph.sin(), r * th.cos()]
}

// --- tuple elements chosen by branches (early `return` of a vector and
// `let (a, b) = if .. { (..) } else { (..) }` are rejected with clear
// messages) ---

#[differentiable]
fn piece(x: f64, y: f64) -> (f64, f64) {
    let z = y * y;
    let a = if x > 0.0 { x * y } else { z + x };
    let b = if x > 0.0 { x.exp() } else { (x * z).sin() };
    (a, b * a)
}
fn piece_d<D: Dn>(x: D, y: D) -> Vec<D> {
    let z = y * y;
    let a = if x > 0.0 { x * y } else { z + x };
    let b = if x > 0.0 { x.exp() } else { (x * z).sin() };
    vec![a, b * a]
}

// --- residuals pushed in a loop with a branch (more outputs than inputs) ---

#[differentiable(wrt(p))]
fn residuals(p: &[f64], ts: &[f64], ys: &[f64]) -> Vec<f64> {
    let mut r = Vec::new();
    for i in 0..ts.len() {
        let e = p[0] * (-p[1] * ts[i]).exp() + p[2] - ys[i];
        r.push(if e.abs() < 0.5 { e } else { 0.5 * e.signum() + 0.1 * (e - 0.5 * e.signum()) });
    }
    r
}
fn residuals_d<D: Dn>(p: &[D], ts: &[f64], ys: &[f64]) -> Vec<D> {
    let mut r = Vec::new();
    for i in 0..ts.len() {
        let e = p[0] * (-p[1] * ts[i]).exp() + p[2] - ys[i];
        r.push(if dabs(e) < 0.5 { e } else { (e - dsignum(e) * 0.5) * 0.1 + dsignum(e) * 0.5 });
    }
    r
}
const TS: [f64; 7] = [0.0, 0.3, 0.7, 1.0, 1.5, 2.0, 3.0];
const YS: [f64; 7] = [1.9, 1.5, 0.6, 1.2, 0.4, 0.9, 0.1];

// --- softmax with max-shift, writes in place (n in = n out) ---

#[differentiable]
fn softmax(xs: &[f64]) -> Vec<f64> {
    let m = xs.iter().fold(xs[0], |m, &x| m.max(x));
    let mut out = vec![0.0; xs.len()];
    let mut s = 0.0;
    for i in 0..xs.len() {
        out[i] = (xs[i] - m).exp();
        s += out[i];
    }
    for i in 0..xs.len() {
        out[i] /= s;
    }
    out
}
fn softmax_d<D: Dn>(xs: &[D]) -> Vec<D> {
    let m = xs.iter().fold(xs[0], |m, &x| dmax(m, x));
    let e: Vec<D> = xs.iter().map(|&x| (x - m).exp()).collect();
    let s = e.iter().copied().sum::<D>();
    e.iter().map(|&v| v / s).collect()
}

// --- fewer outputs than inputs, fixed array output ---

#[differentiable]
fn summary(xs: &[f64]) -> [f64; 3] {
    let mut s = 0.0;
    let mut q = 0.0;
    let mut mx = xs[0];
    for &x in xs {
        s += x;
        q += x * x;
        mx = mx.max(x);
    }
    let n = xs.len() as f64;
    [s / n, (q / n - (s / n) * (s / n)).sqrt(), mx]
}
fn summary_d<D: Dn>(xs: &[D]) -> Vec<D> {
    let mut s = c::<D>(0.0);
    let mut q = c::<D>(0.0);
    let mut mx = xs[0];
    for &x in xs {
        s += x;
        q += x * x;
        mx = dmax(mx, x);
    }
    let n = xs.len() as f64;
    vec![s / n, (q / n - (s / n) * (s / n)).sqrt(), mx]
}

// --- an Euler trajectory: overwrite a state and push it ---

#[differentiable]
fn trajectory(k: f64, y0: f64) -> Vec<f64> {
    let mut y = y0;
    let mut out = vec![y0];
    for _ in 0..6 {
        y = y + 0.1 * (-k * y + (y * k).sin());
        out.push(y);
    }
    out
}
fn trajectory_d<D: Dn>(k: D, y0: D) -> Vec<D> {
    let mut y = y0;
    let mut out = vec![y0];
    for _ in 0..6 {
        y = y + (-k * y + (y * k).sin()) * 0.1;
        out.push(y);
    }
    out
}

// --- rotation of a fixed array by an angle: [f64; 2] in and out ---

#[differentiable]
fn rotate(v: [f64; 2], a: f64) -> [f64; 2] {
    let (c, s) = (a.cos(), a.sin());
    [c * v[0] - s * v[1], s * v[0] + c * v[1]]
}
fn rotate_d<D: Dn>(v: [D; 2], a: D) -> Vec<D> {
    let (c, s) = (a.cos(), a.sin());
    vec![c * v[0] - s * v[1], s * v[0] + c * v[1]]
}

fn pts(seed: u64, dim: usize) -> Vec<Vec<f64>> {
    rand_points(seed, 3, dim, -1.5, 1.5)
}

#[test]
fn oracles_agree() {
    check_vector("spherical", &pts(300, 3), &|v| { let (a, b, c) = spherical(v[0], v[1], v[2]); vec![a, b, c] }, &|v| spherical_d(v[0], v[1], v[2]), None);
    check_vector("piece", &[vec![0.5, 1.2], vec![-0.5, 1.2], vec![-1.3, -0.4]], &|v| { let (a, b) = piece(v[0], v[1]); vec![a, b] }, &|v| piece_d(v[0], v[1]), None);
    check_vector("residuals", &pts(301, 3), &|p| residuals(p, &TS, &YS), &|p| residuals_d(p, &TS, &YS), None);
    check_vector("softmax", &pts(302, 5), &|v| softmax(v), &|v| softmax_d(v), None);
    check_vector("summary", &pts(303, 6), &|v| summary(v).to_vec(), &|v| summary_d(v), None);
    check_vector("trajectory", &pts(304, 2), &|v| trajectory(v[0], v[1]), &|v| trajectory_d(v[0], v[1]), None);
    check_vector("rotate", &pts(305, 3), &|v| rotate([v[0], v[1]], v[2]).to_vec(), &|v| rotate_d([v[0], v[1]], v[2]), None);
}

#[cfg(not(gd_oracles_only))]
mod api {
    use super::*;

    #[test]
    fn tuple3_ad() {
        let tup = |t: (f64, f64, f64)| vec![t.0, t.1, t.2];
        check_vector(
            "spherical",
            &pts(300, 3),
            &|v| tup(spherical(v[0], v[1], v[2])),
            &|v| spherical_d(v[0], v[1], v[2]),
            Some(VecApi {
                jacobian: &|v| {
                    let (o, j) = spherical::jacobian(v[0], v[1], v[2]);
                    (tup(o), flat(&j))
                },
                vjp: &|v, u| {
                    let (o, (a, b, c)) = spherical::vjp(v[0], v[1], v[2], u);
                    (tup(o), vec![a, b, c])
                },
                vjp_into: &|v, u, g| {
                    let (ga, rest) = g.split_at_mut(1);
                    let (gb, gc) = rest.split_at_mut(1);
                    tup(spherical::vjp_into(v[0], v[1], v[2], u, &mut ga[0], &mut gb[0], &mut gc[0]))
                },
                jvp: &|v, t| {
                    let (o, d) = spherical::jvp(v[0], v[1], v[2], t[0], t[1], t[2]);
                    (tup(o), d)
                },
            }),
        );
    }

    #[test]
    fn tuple_from_branch_ad() {
        let tup = |t: (f64, f64)| vec![t.0, t.1];
        check_vector(
            "piece",
            &[vec![0.5, 1.2], vec![-0.5, 1.2], vec![-1.3, -0.4]],
            &|v| tup(piece(v[0], v[1])),
            &|v| piece_d(v[0], v[1]),
            Some(VecApi {
                jacobian: &|v| {
                    let (o, j) = piece::jacobian(v[0], v[1]);
                    (tup(o), flat(&j))
                },
                vjp: &|v, u| {
                    let (o, (a, b)) = piece::vjp(v[0], v[1], u);
                    (tup(o), vec![a, b])
                },
                vjp_into: &|v, u, g| {
                    let (ga, gb) = g.split_at_mut(1);
                    tup(piece::vjp_into(v[0], v[1], u, &mut ga[0], &mut gb[0]))
                },
                jvp: &|v, t| {
                    let (o, d) = piece::jvp(v[0], v[1], t[0], t[1]);
                    (tup(o), d)
                },
            }),
        );
    }

    #[test]
    fn pushed_residuals_wrt_p_ad() {
        check_vector(
            "residuals",
            &pts(301, 3),
            &|p| residuals(p, &TS, &YS),
            &|p| residuals_d(p, &TS, &YS),
            Some(VecApi {
                jacobian: &|p| {
                    let (o, j) = residuals::jacobian(p, &TS, &YS);
                    (o, flat(&j))
                },
                vjp: &|p, u| residuals::vjp(p, &TS, &YS, u),
                vjp_into: &|p, u, g| residuals::vjp_into(p, &TS, &YS, u, g),
                jvp: &|p, t| residuals::jvp(p, &TS, &YS, t),
            }),
        );
    }

    #[test]
    fn softmax_in_place_ad() {
        check_vector(
            "softmax",
            &pts(302, 5),
            &|v| softmax(v),
            &|v| softmax_d(v),
            Some(VecApi {
                jacobian: &|v| {
                    let (o, j) = softmax::jacobian(v);
                    (o, flat(&j))
                },
                vjp: &|v, u| softmax::vjp(v, u),
                vjp_into: &|v, u, g| softmax::vjp_into(v, u, g),
                jvp: &|v, t| softmax::jvp(v, t),
            }),
        );
    }

    #[test]
    fn summary_array_output_ad() {
        check_vector(
            "summary",
            &pts(303, 6),
            &|v| summary(v).to_vec(),
            &|v| summary_d(v),
            Some(VecApi {
                jacobian: &|v| {
                    let (o, j) = summary::jacobian(v);
                    (o.to_vec(), flat(&j))
                },
                vjp: &|v, u| {
                    let (o, g) = summary::vjp(v, u);
                    (o.to_vec(), g)
                },
                vjp_into: &|v, u, g| summary::vjp_into(v, u, g).to_vec(),
                jvp: &|v, t| {
                    let (o, d) = summary::jvp(v, t);
                    (o.to_vec(), d)
                },
            }),
        );
    }

    #[test]
    fn trajectory_push_after_overwrite_ad() {
        check_vector(
            "trajectory",
            &pts(304, 2),
            &|v| trajectory(v[0], v[1]),
            &|v| trajectory_d(v[0], v[1]),
            Some(VecApi {
                jacobian: &|v| {
                    let (o, j) = trajectory::jacobian(v[0], v[1]);
                    (o, flat(&j))
                },
                vjp: &|v, u| {
                    let (o, (a, b)) = trajectory::vjp(v[0], v[1], u);
                    (o, vec![a, b])
                },
                vjp_into: &|v, u, g| {
                    let (ga, gb) = g.split_at_mut(1);
                    trajectory::vjp_into(v[0], v[1], u, &mut ga[0], &mut gb[0])
                },
                jvp: &|v, t| trajectory::jvp(v[0], v[1], t[0], t[1]),
            }),
        );
    }

    #[test]
    fn array_in_array_out_ad() {
        check_vector(
            "rotate",
            &pts(305, 3),
            &|v| rotate([v[0], v[1]], v[2]).to_vec(),
            &|v| rotate_d([v[0], v[1]], v[2]),
            Some(VecApi {
                jacobian: &|v| {
                    let (o, j) = rotate::jacobian([v[0], v[1]], v[2]);
                    (o.to_vec(), flat(&j))
                },
                vjp: &|v, u| {
                    let (o, (gv, ga)) = rotate::vjp([v[0], v[1]], v[2], u);
                    (o.to_vec(), vec![gv[0], gv[1], ga])
                },
                vjp_into: &|v, u, g| {
                    let (gv, ga) = g.split_at_mut(2);
                    rotate::vjp_into([v[0], v[1]], v[2], u, gv, &mut ga[0]).to_vec()
                },
                jvp: &|v, t| {
                    let (o, d) = rotate::jvp([v[0], v[1]], v[2], &t[..2], t[2]);
                    (o.to_vec(), d)
                },
            }),
        );
    }
}
