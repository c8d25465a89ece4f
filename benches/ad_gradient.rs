//! Cost of a `#[differentiable]` gradient against the primal function, a
//! hand-written analytic gradient, num-dual and central finite differences
//! (spec, section "Benchmark"; aim: `value_and_grad` ≤ 3× the primal and
//! ≤ 1.2× the hand-written gradient at every size).
//!
//! Cases (one criterion group each, so the variants of a case are measured in
//! the same run and their reports sit side by side):
//!
//! * `rosenbrock_n{10,1000,100000}`: extended Rosenbrock (Moré, Garbow &
//!   Hillstrom #21), `sum over i = 0, 2, 4, ..: 100 (x[i+1] - x[i]²)² + (1 - x[i])²`,
//!   at the standard start `(-1.2, 1, -1.2, 1, ...)`;
//! * `logreg_10000x10`: mean over 10 000 points × 10 features of
//!   `softplus(-y w·x)` written in the numerically stable way, labels in
//!   {-1, 1}, data from a seeded `StdRng`, differentiated with respect to `w`
//!   only (`#[differentiable(wrt(w))]`).
//!
//! Variants:
//!
//! * `primal`: the plain function the macro keeps;
//! * `value_and_grad_into`: the allocation-free entry point into a buffer
//!   allocated and zeroed once outside the timing loop. It *adds* the gradient
//!   into the buffer, so the buffer accumulates over iterations (harmless:
//!   finite values, no denormals); it is not re-zeroed per call, so this
//!   variant times the generated code only;
//! * `value_and_grad_set`: the allocation-free entry point that overwrites
//!   the buffer (Rosenbrock: assigns each element once, see
//!   gd-macros/src/plan/window.rs; logistic regression: zeroes, then adds);
//! * `value_and_grad`: the allocating entry point (returns a fresh `Vec`);
//! * `hand`: a hand-written analytic value-and-gradient in one pass that
//!   writes (assigns) into a pre-allocated buffer: the target to match;
//! * `num_dual_gradient`: `num_dual::gradient` on a `DVector<DualDVec64>`
//!   copy of the function (one sweep carrying an n-vector of derivatives,
//!   heap-allocated per operation: O(n²), so n ≤ 1000 only);
//! * `num_dual`: forward mode with `num_dual::Dual64` (no allocation) on a
//!   generic copy of the function, one pass per coordinate (O(n²) too);
//! * `central_fd`: central finite differences, 2n primal calls (n ≤ 1000 only
//!   for Rosenbrock; logreg has n = 10 parameters);
//! * `diag_hand_add` (Rosenbrock): a diagnostic, not part of the aim: `hand`
//!   adding into `g` as `value_and_grad_into` does, to show what the adding
//!   contract costs by itself;
//! * `diag_hand_vec` (Rosenbrock): a diagnostic, `hand` returning a fresh
//!   `Vec` as `value_and_grad` does, to show what that allocation costs.
//!
//! Run: `cargo bench --bench ad_gradient -- --warm-up-time 1 --measurement-time 3`,
//! then `python3 benches/ratios.py` for the Markdown table of ratios.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use gd::differentiable;
use nalgebra::DVector;
use num_dual::{Dual64, DualDVec64, DualNum};
use rand::{Rng, SeedableRng};

// ---------------------------------------------------------------------------
// Extended Rosenbrock (MGH #21)
// ---------------------------------------------------------------------------

#[path = "fixtures/rosenbrock.rs"]
mod fixture;
use fixture::{rosenbrock, rosenbrock_hand};

fn rosenbrock_dual<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> D {
    let mut s = D::from(0.0);
    for k in 0..x.len() / 2 {
        let i = 2 * k;
        let a = x[i + 1] - x[i] * x[i];
        let b = -x[i] + 1.0;
        s += a * a * 100.0 + b * b;
    }
    s
}

/// Copy over num-dual's dynamic gradient type for `num_dual::gradient`
/// (`DualDVec64` is not `Copy`: its derivative is a heap vector).
fn rosenbrock_dvec(x: &[DualDVec64]) -> DualDVec64 {
    let mut s = DualDVec64::from(0.0);
    for k in 0..x.len() / 2 {
        let i = 2 * k;
        let x0 = x[i].clone();
        let a = x[i + 1].clone() - x0.clone() * &x0;
        let b = -x0 + 1.0;
        s += a.clone() * &a * 100.0 + b.clone() * &b;
    }
    s
}

fn rosenbrock_start(n: usize) -> Vec<f64> {
    (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect()
}

// ---------------------------------------------------------------------------
// Logistic regression, wrt(w)
// ---------------------------------------------------------------------------

const LR_N: usize = 10_000;
const LR_D: usize = 10;

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

/// Hand-written value and gradient in one pass: one `exp` and one `ln_1p` per
/// point, d(loss)/dm = sigmoid(m) from the same `exp`.
fn logreg_hand(w: &[f64], xs: &[f64], ys: &[f64], g: &mut [f64]) -> f64 {
    let d = w.len();
    let n = ys.len();
    let inv_n = 1.0 / n as f64;
    g.fill(0.0);
    let mut loss = 0.0;
    for (row, &y) in xs.chunks_exact(d).zip(ys) {
        let z: f64 = row.iter().zip(w).map(|(a, b)| a * b).sum();
        let m = -y * z;
        let e = (-m.abs()).exp();
        loss += m.max(0.0) + e.ln_1p();
        let sig = if m > 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) };
        let dz = -y * sig * inv_n;
        for (gj, xj) in g.iter_mut().zip(row) {
            *gj += dz * xj;
        }
    }
    loss * inv_n
}

/// Generic copy for num-dual.
fn logreg_dual<D: DualNum<Primitive = f64> + Copy>(w: &[D], xs: &[f64], ys: &[f64]) -> D {
    let d = w.len();
    let n = ys.len();
    let mut loss = D::from(0.0);
    for i in 0..n {
        let z = (0..d).map(|j| w[j] * xs[i * d + j]).fold(D::from(0.0), |a, b| a + b);
        let m = z * -ys[i];
        loss += if m > 0.0 { m + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
    }
    loss / n as f64
}

/// Copy over num-dual's dynamic gradient type for `num_dual::gradient`.
fn logreg_dvec(w: &[DualDVec64], xs: &[f64], ys: &[f64]) -> DualDVec64 {
    let d = w.len();
    let n = ys.len();
    let mut loss = DualDVec64::from(0.0);
    for i in 0..n {
        let mut z = DualDVec64::from(0.0);
        for j in 0..d {
            z += w[j].clone() * xs[i * d + j];
        }
        let m = z * -ys[i];
        loss += if m.re > 0.0 { m.clone() + (-m).exp().ln_1p() } else { m.exp().ln_1p() };
    }
    loss / n as f64
}

struct LrData {
    w: Vec<f64>,
    xs: Vec<f64>,
    ys: Vec<f64>,
}

fn logreg_data() -> LrData {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20_260_521);
    let w_true: Vec<f64> = (0..LR_D).map(|_| rng.gen_range(-2.0..2.0)).collect();
    let xs: Vec<f64> = (0..LR_N * LR_D).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let ys: Vec<f64> = xs
        .chunks_exact(LR_D)
        .map(|row| {
            let z: f64 = row.iter().zip(&w_true).map(|(a, b)| a * b).sum::<f64>() + rng.gen_range(-0.5..0.5);
            if z > 0.0 { 1.0 } else { -1.0 }
        })
        .collect();
    // A point away from the optimum, where both branches of the loss are taken.
    let w: Vec<f64> = (0..LR_D).map(|_| rng.gen_range(-1.0..1.0)).collect();
    LrData { w, xs, ys }
}

// ---------------------------------------------------------------------------
// Diagnostics (not part of the aim)
// ---------------------------------------------------------------------------

/// `hand_add`: `hand` with `+=` into `g`, the contract of
/// `value_and_grad_into` (it adds); the difference from `hand` is the cost
/// of reading `g` back on every write.
/// `hand` with `value_and_grad`'s signature: the gradient in a new `Vec`.
/// Not inlined, as `value_and_grad` is not into the bench loop: inlined,
/// the compiler saw the `Vec` dropped unread in the same loop (the zoo's
/// `hand_vec` had that bias, session 11: benches/shapes.rs).
#[inline(never)]
fn rosenbrock_hand_vec(x: &[f64]) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; x.len()];
    let v = rosenbrock_hand(x, &mut g);
    (v, g)
}

fn rosenbrock_hand_add(x: &[f64], g: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for (xp, gp) in x.chunks_exact(2).zip(g.chunks_exact_mut(2)) {
        let (x0, x1) = (xp[0], xp[1]);
        let a = x1 - x0 * x0;
        let b = 1.0 - x0;
        s += 100.0 * a * a + b * b;
        gp[0] += -400.0 * a * x0 - 2.0 * b;
        gp[1] += 200.0 * a;
    }
    s
}

// ---------------------------------------------------------------------------
// Generic oracles
// ---------------------------------------------------------------------------

/// Gradient by forward mode with `Dual64`, one pass per coordinate.
fn num_dual_grad(x: &[f64], f: impl Fn(&[Dual64]) -> Dual64) -> (f64, Vec<f64>) {
    let mut xd: Vec<Dual64> = x.iter().map(|&v| Dual64::new(v, 0.0)).collect();
    let mut g = vec![0.0; x.len()];
    let mut value = 0.0;
    for i in 0..x.len() {
        xd[i].eps = 1.0;
        let r = f(&xd);
        xd[i].eps = 0.0;
        value = r.re;
        g[i] = r.eps;
    }
    (value, g)
}

/// `num_dual::gradient`: one forward sweep with `DualDVec64`.
fn num_dual_gradient(x: &[f64], f: impl Fn(&[DualDVec64]) -> DualDVec64) -> (f64, Vec<f64>) {
    let (v, g) = num_dual::gradient(|v: DVector<DualDVec64>| f(v.as_slice()), &DVector::from_column_slice(x));
    (v, g.as_slice().to_vec())
}

/// Central finite differences, step cbrt(eps)·max(1, |x_i|).
fn central_fd(x: &[f64], f: impl Fn(&[f64]) -> f64) -> (f64, Vec<f64>) {
    let mut xp = x.to_vec();
    let mut g = vec![0.0; x.len()];
    let h0 = f64::EPSILON.cbrt();
    for i in 0..x.len() {
        let xi = x[i];
        let h = h0 * xi.abs().max(1.0);
        xp[i] = xi + h;
        let fp = f(&xp);
        xp[i] = xi - h;
        let fm = f(&xp);
        xp[i] = xi;
        g[i] = (fp - fm) / (2.0 * h);
    }
    (f(x), g)
}

// ---------------------------------------------------------------------------
// Sanity: every variant computes the same thing before anything is timed.
// ---------------------------------------------------------------------------

fn assert_close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{what}[{i}]: {x} vs {y}");
    }
}

fn check_rosenbrock(x: &[f64]) {
    let n = x.len();
    let mut gh = vec![0.0; n];
    let vh = rosenbrock_hand(x, &mut gh);
    let (v, g) = rosenbrock::value_and_grad(x);
    assert_eq!(v, rosenbrock(x));
    assert!((v - vh).abs() <= 1e-12 * vh.abs());
    assert_close("rosenbrock value_and_grad", &g, &gh, 1e-12);
    let mut gi = vec![0.0; n];
    let vi = rosenbrock::value_and_grad_into(x, &mut gi);
    assert_eq!(vi, v);
    assert_close("rosenbrock value_and_grad_into", &gi, &gh, 1e-12);
    let mut gs = vec![f64::NAN; n];
    assert_eq!(rosenbrock::value_and_grad_set(x, &mut gs), v);
    assert_close("rosenbrock value_and_grad_set", &gs, &gh, 1e-12);
    let mut gv = vec![0.0; n];
    let v = rosenbrock_hand_add(x, &mut gv);
    assert!((v - vh).abs() <= 1e-12 * vh.abs(), "hand_add");
    assert_close("hand_add", &gv, &gh, 1e-12);
    if n <= 1000 {
        let (vd, gd) = num_dual_gradient(x, rosenbrock_dvec);
        assert!((vd - vh).abs() <= 1e-12 * vh.abs());
        assert_close("rosenbrock num_dual_gradient", &gd, &gh, 1e-12);
        let (vd, gd) = num_dual_grad(x, rosenbrock_dual);
        assert!((vd - vh).abs() <= 1e-12 * vh.abs());
        assert_close("rosenbrock num_dual", &gd, &gh, 1e-12);
        let (_, gf) = central_fd(x, rosenbrock);
        assert_close("rosenbrock central_fd", &gf, &gh, 1e-6);
    }
}

fn check_logreg(lr: &LrData) {
    let mut gh = vec![0.0; LR_D];
    let vh = logreg_hand(&lr.w, &lr.xs, &lr.ys, &mut gh);
    let (v, g) = logreg::value_and_grad(&lr.w, &lr.xs, &lr.ys);
    assert_eq!(v, logreg(&lr.w, &lr.xs, &lr.ys));
    assert!((v - vh).abs() <= 1e-12 * vh.abs(), "{v} vs {vh}");
    assert_close("logreg value_and_grad", &g, &gh, 1e-12);
    let mut gi = vec![0.0; LR_D];
    let vi = logreg::value_and_grad_into(&lr.w, &lr.xs, &lr.ys, &mut gi);
    assert_eq!(vi, v);
    assert_close("logreg value_and_grad_into", &gi, &gh, 1e-12);
    let mut gs = vec![f64::NAN; LR_D];
    assert_eq!(logreg::value_and_grad_set(&lr.w, &lr.xs, &lr.ys, &mut gs), v);
    assert_close("logreg value_and_grad_set", &gs, &gh, 1e-12);
    let (_, gd) = num_dual_gradient(&lr.w, |w| logreg_dvec(w, &lr.xs, &lr.ys));
    assert_close("logreg num_dual_gradient", &gd, &gh, 1e-12);
    let (_, gd) = num_dual_grad(&lr.w, |w| logreg_dual(w, &lr.xs, &lr.ys));
    assert_close("logreg num_dual", &gd, &gh, 1e-12);
    let (_, gf) = central_fd(&lr.w, |w| logreg(w, &lr.xs, &lr.ys));
    assert_close("logreg central_fd", &gf, &gh, 1e-7);
}

// ---------------------------------------------------------------------------
// Benchmarks
// ---------------------------------------------------------------------------

fn bench_rosenbrock(c: &mut Criterion) {
    for n in [10usize, 1000, 100_000] {
        let x = rosenbrock_start(n);
        check_rosenbrock(&x);
        let mut group = c.benchmark_group(format!("rosenbrock_n{n}"));
        if n >= 100_000 {
            group.sample_size(10);
        }
        group.bench_function("primal", |b| b.iter(|| rosenbrock(black_box(&x))));
        let mut g = vec![0.0; n];
        group.bench_function("value_and_grad_into", |b| {
            b.iter(|| rosenbrock::value_and_grad_into(black_box(&x), black_box(&mut g)))
        });
        group.bench_function("value_and_grad_set", |b| {
            b.iter(|| rosenbrock::value_and_grad_set(black_box(&x), black_box(&mut g)))
        });
        group.bench_function("value_and_grad", |b| b.iter(|| rosenbrock::value_and_grad(black_box(&x))));
        let mut g = vec![0.0; n];
        group.bench_function("hand", |b| b.iter(|| rosenbrock_hand(black_box(&x), black_box(&mut g))));
        group.bench_function("diag_hand_vec", |b| b.iter(|| rosenbrock_hand_vec(black_box(&x))));
        let mut g = vec![0.0; n];
        group.bench_function("diag_hand_add", |b| b.iter(|| rosenbrock_hand_add(black_box(&x), black_box(&mut g))));
        if n <= 1000 {
            group.bench_function("num_dual_gradient", |b| {
                b.iter(|| num_dual_gradient(black_box(&x), rosenbrock_dvec))
            });
            group.bench_function("num_dual", |b| b.iter(|| num_dual_grad(black_box(&x), rosenbrock_dual)));
            group.bench_function("central_fd", |b| b.iter(|| central_fd(black_box(&x), rosenbrock)));
        }
        group.finish();
    }
}

fn bench_logreg(c: &mut Criterion) {
    let lr = logreg_data();
    check_logreg(&lr);
    let (w, xs, ys) = (&lr.w, &lr.xs, &lr.ys);
    let mut group = c.benchmark_group(format!("logreg_{LR_N}x{LR_D}"));
    group.bench_function("primal", |b| b.iter(|| logreg(black_box(w), black_box(xs), black_box(ys))));
    let mut g = vec![0.0; LR_D];
    group.bench_function("value_and_grad_into", |b| {
        b.iter(|| logreg::value_and_grad_into(black_box(w), black_box(xs), black_box(ys), black_box(&mut g)))
    });
    group.bench_function("value_and_grad_set", |b| {
        b.iter(|| logreg::value_and_grad_set(black_box(w), black_box(xs), black_box(ys), black_box(&mut g)))
    });
    group.bench_function("value_and_grad", |b| {
        b.iter(|| logreg::value_and_grad(black_box(w), black_box(xs), black_box(ys)))
    });
    let mut g = vec![0.0; LR_D];
    group.bench_function("hand", |b| {
        b.iter(|| logreg_hand(black_box(w), black_box(xs), black_box(ys), black_box(&mut g)))
    });
    group.bench_function("num_dual_gradient", |b| {
        b.iter(|| num_dual_gradient(black_box(w), |w| logreg_dvec(w, xs, ys)))
    });
    group.bench_function("num_dual", |b| {
        b.iter(|| num_dual_grad(black_box(w), |w| logreg_dual(w, xs, ys)))
    });
    group.bench_function("central_fd", |b| b.iter(|| central_fd(black_box(w), |w| logreg(w, xs, ys))));
    group.finish();
}

fn config() -> Criterion {
    Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_rosenbrock, bench_logreg
}
criterion_main!(benches);
