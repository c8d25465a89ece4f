//! Second derivatives: the cost of `f::hvp` relative to `f::grad` (the aim:
//! a Hessian–vector product costs a small constant times one gradient), and
//! of `f::hessian` against num-dual's `hessian` on a generic copy of the same
//! function.
//!
//! Cases (one criterion group each), at n = 10 and n = 100:
//!
//! * `rosenbrock_n{10,100}`: extended Rosenbrock (Moré, Garbow & Hillstrom
//!   #21) at the standard start `(-1.2, 1, ...)`; its Hessian is block
//!   diagonal (2×2 blocks);
//! * `logreg_200x{10,100}`: mean over 200 points × n features of
//!   `softplus(-y w·x)` (numerically stable form), `wrt(w)`, data from a
//!   seeded `StdRng`; its Hessian `Xᵀ diag(σ(1-σ)) X / 200` is dense.
//!
//! Variants:
//!
//! * `grad`: `f::grad` (allocates the returned gradient);
//! * `hvp`: `f::hvp(x.., v)` along a fixed direction (allocates its result,
//!   like `grad`);
//! * `hessian`: `f::hessian` (value, gradient and the n×n `DMatrix`; one hvp
//!   per column);
//! * `num_dual_hessian`: `num_dual::hessian` on a `DVector<Dual2DVec64>`
//!   (one forward sweep carrying the gradient vector and the Hessian matrix,
//!   heap-allocated per operation where non-zero).
//!
//! Before timing, each case asserts that the generated Hessian and gradient
//! agree with num-dual's to 1e-8 relative, and `hvp` with the Hessian times
//! the direction, so the variants compute the same thing.
//!
//! Run: `cargo bench --bench second_order`, then
//! `python3 benches/second_order_ratios.py` for the Markdown table.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use gd::differentiable;
use nalgebra::{DMatrix, DVector};
use num_dual::{hessian, Dual2DVec64, DualNum};
use rand::{Rng, SeedableRng};

// ---------------------------------------------------------------------------
// Extended Rosenbrock (MGH #21)
// ---------------------------------------------------------------------------

#[path = "fixtures/rosenbrock.rs"]
mod fixture;
use fixture::rosenbrock;

/// Generic copy for num-dual. `Dual2DVec64` is not `Copy` (its derivatives
/// live on the heap), so the copy clones and operates on references.
fn rosenbrock_dual<D: DualNum<Primitive = f64>>(x: &[D]) -> D {
    let mut s = D::from(0.0);
    for k in 0..x.len() / 2 {
        let i = 2 * k;
        let a = x[i + 1].clone() - x[i].clone() * &x[i];
        let b = -x[i].clone() + 1.0;
        s += a.clone() * &a * 100.0 + b.clone() * &b;
    }
    s
}

fn rosenbrock_start(n: usize) -> Vec<f64> {
    (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect()
}

// ---------------------------------------------------------------------------
// Logistic regression over 200 points, wrt(w): a dense Hessian
// ---------------------------------------------------------------------------

const LR_POINTS: usize = 200;

/// Mean of softplus(-y w·x) over the rows of `xs` (row-major, `w.len()` columns).
#[differentiable(wrt(w))]
fn logreg(w: &[f64], xs: &[f64], ys: &[f64]) -> f64 {
    let d = w.len();
    let n = ys.len();
    let mut loss = 0.0;
    for i in 0..n {
        let z = (0..d).map(|j| w[j] * xs[i * d + j]).sum::<f64>();
        let m = -ys[i] * z;
        loss += if m > 0.0 { m + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
    }
    loss / n as f64
}

/// Generic copy for num-dual (clones: see `rosenbrock_dual`).
fn logreg_dual<D: DualNum<Primitive = f64>>(w: &[D], xs: &[f64], ys: &[f64]) -> D {
    let d = w.len();
    let n = ys.len();
    let mut loss = D::from(0.0);
    for i in 0..n {
        let mut z = D::from(0.0);
        for j in 0..d {
            z += w[j].clone() * xs[i * d + j];
        }
        let m = z * (-ys[i]);
        loss += if m.re() > 0.0 { m.clone() + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
    }
    loss / n as f64
}

fn logreg_data(d: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5ec0_d0de + d as u64);
    let w_true: Vec<f64> = (0..d).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let mut xs = Vec::with_capacity(LR_POINTS * d);
    let mut ys = Vec::with_capacity(LR_POINTS);
    for _ in 0..LR_POINTS {
        let row: Vec<f64> = (0..d).map(|_| rng.gen_range(-1.0..1.0)).collect();
        let z: f64 = row.iter().zip(&w_true).map(|(a, b)| a * b).sum();
        let noise: f64 = rng.gen_range(-0.5..0.5);
        ys.push(if z + noise > 0.0 { 1.0 } else { -1.0 });
        xs.extend(row);
    }
    // Evaluate away from w_true (and from 0) so that σ(1-σ) varies over points.
    let w: Vec<f64> = (0..d).map(|_| rng.gen_range(-0.5..0.5)).collect();
    (w, xs, ys)
}

// ---------------------------------------------------------------------------
// Agreement check (outside the timing loops)
// ---------------------------------------------------------------------------

fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-8 * scale.max(f64::MIN_POSITIVE)
}

/// Generated value, gradient and Hessian against num-dual's; `hvp` against
/// `H v`. Relative to the largest entry of each object (1e-8).
fn assert_agree(what: &str, (v, g, h): (f64, &[f64], &DMatrix<f64>), (v2, g2, h2): (f64, &DVector<f64>, &DMatrix<f64>), dir: &[f64], hv: &[f64]) {
    let n = g.len();
    assert_eq!(h.shape(), (n, n), "{what}: Hessian shape");
    assert_eq!(h2.shape(), (n, n), "{what}: num-dual Hessian shape");
    assert!(close(v, v2, v2.abs()), "{what}: value {v} vs num-dual {v2}");
    let gs = g2.amax();
    for i in 0..n {
        assert!(close(g[i], g2[i], gs), "{what}: gradient[{i}] {} vs num-dual {}", g[i], g2[i]);
    }
    let hs = h2.amax();
    for i in 0..n {
        for j in 0..n {
            assert!(close(h[(i, j)], h2[(i, j)], hs), "{what}: hessian[({i}, {j})] {} vs num-dual {}", h[(i, j)], h2[(i, j)]);
        }
    }
    let want = h2 * DVector::from_column_slice(dir);
    let ws = want.amax();
    for i in 0..n {
        assert!(close(hv[i], want[i], ws), "{what}: hvp[{i}] {} vs (H v)[{i}] {}", hv[i], want[i]);
    }
}

fn direction(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i as f64) * 0.7).sin() + 0.1).collect()
}

// ---------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------

fn bench_rosenbrock(c: &mut Criterion, n: usize) {
    let x = rosenbrock_start(n);
    let v = direction(n);
    let xd = DVector::from_column_slice(&x);
    let nd = |p: DVector<Dual2DVec64>| rosenbrock_dual(p.as_slice());

    let (val, g, h) = rosenbrock::hessian(&x);
    let (val2, g2, h2) = hessian(nd, &xd);
    let hv = rosenbrock::hvp(&x, &v);
    assert_agree(&format!("rosenbrock n = {n}"), (val, &g, &h), (val2, &g2, &h2), &v, &hv);
    assert_eq!(rosenbrock_dual::<f64>(&x), rosenbrock(&x), "generic copy's primal");

    let mut group = c.benchmark_group(format!("rosenbrock_n{n}"));
    group.bench_function("grad", |b| b.iter(|| rosenbrock::grad(black_box(&x))));
    group.bench_function("hvp", |b| b.iter(|| rosenbrock::hvp(black_box(&x), black_box(&v))));
    group.bench_function("hessian", |b| b.iter(|| rosenbrock::hessian(black_box(&x))));
    group.bench_function("num_dual_hessian", |b| b.iter(|| hessian(nd, black_box(&xd))));
    group.finish();
}

fn bench_logreg(c: &mut Criterion, n: usize) {
    let (w, xs, ys) = logreg_data(n);
    let v = direction(n);
    let wd = DVector::from_column_slice(&w);
    let nd = |p: DVector<Dual2DVec64>| logreg_dual(p.as_slice(), &xs, &ys);

    let (val, g, h) = logreg::hessian(&w, &xs, &ys);
    let (val2, g2, h2) = hessian(nd, &wd);
    let hv = logreg::hvp(&w, &xs, &ys, &v);
    assert_agree(&format!("logreg 200 x {n}"), (val, &g, &h), (val2, &g2, &h2), &v, &hv);
    let p = logreg(&w, &xs, &ys);
    assert!((logreg_dual::<f64>(&w, &xs, &ys) - p).abs() <= 1e-14 * p.abs(), "generic copy's primal");
    // The Hessian really is dense (no structural zeros), unlike Rosenbrock's.
    assert!(h.iter().all(|&e| e != 0.0), "logreg Hessian has zero entries");

    let mut group = c.benchmark_group(format!("logreg_{LR_POINTS}x{n}"));
    group.bench_function("grad", |b| b.iter(|| logreg::grad(black_box(&w), black_box(&xs), black_box(&ys))));
    group.bench_function("hvp", |b| b.iter(|| logreg::hvp(black_box(&w), black_box(&xs), black_box(&ys), black_box(&v))));
    group.bench_function("hessian", |b| b.iter(|| logreg::hessian(black_box(&w), black_box(&xs), black_box(&ys))));
    group.bench_function("num_dual_hessian", |b| b.iter(|| hessian(nd, black_box(&wd))));
    group.finish();
}

fn second_order(c: &mut Criterion) {
    for n in [10, 100] {
        bench_rosenbrock(c, n);
        bench_logreg(c, n);
    }
}

criterion_group! {
    name = benches;
    // Short runs: 16 timings, the whole bench in well under 3 minutes on 2 cores.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = second_order
}
criterion_main!(benches);
