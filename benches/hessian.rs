//! Dense Hessians (issue 17): `f::hessian`, which seeds `LANES` columns per
//! sweep of the lanes copy, against the same Hessian as one `hvp` per column
//! (what `hessian` did before: `__gd_hvp_flat` per unit vector, written into
//! the matrix) and against the primal, in one run.
//!
//! Cases (one criterion group each):
//!
//! * `rosen_chain_n{10,100,1000}`: the chained extended Rosenbrock
//!   (`a = x[i+1] - x[i]²; s += 100 a² + (1 - x[i])²` for i < n-1), the
//!   function the JAX numbers in the README were measured on;
//! * `quad_data_n100`: `½ xᵀAx + Σ ln(1 + xᵢ²)` with a dense 100×100 data
//!   matrix `A` read by index in a double loop, `wrt(x)`;
//! * `loop_call_n100`: a loop that calls another `#[differentiable]`
//!   function per trip (the caller's lanes copy calls the callee's);
//! * `nalgebra_n50`: `Σ tanh(A x) + ½|x|²` over a `DVector` parameter: a
//!   matrix parameter keeps one `hvp` per column (the lanes copy carries no
//!   matrix tangents), so its two Hessian variants are the same code.
//!
//! Variants: `primal` (the function itself), `hvp` (one Hessian–vector
//! product), `hessian` (the generated one), `hessian_by_hvp` (n × hvp).
//! Before timing, each case asserts that the two Hessians agree to 1e-12
//! relative to the largest entry.
//!
//! Run: `cargo bench --bench hessian`, then
//! `python3 benches/hessian_ratios.py` for the Markdown table.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use gd::differentiable;
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};

#[differentiable]
fn rosen_chain(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        s += 100.0 * a * a + (1.0 - x[i]).powi(2);
    }
    s
}

/// `½ xᵀAx + Σ ln(1 + xᵢ²)`, `a` row-major n×n.
#[differentiable(wrt(x))]
fn quad_data(x: &[f64], a: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    for i in 0..n {
        let mut r = 0.0;
        for j in 0..n {
            r += a[i * n + j] * x[j];
        }
        s += 0.5 * x[i] * r + (1.0 + x[i] * x[i]).ln();
    }
    s
}

#[differentiable]
fn bond(a: f64, b: f64) -> f64 {
    let d = a - b;
    (d * d + 0.1).sqrt() + 0.5 * (a * b).sin()
}

#[differentiable]
fn loop_call(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += bond(x[i], x[i + 1]);
    }
    s
}

#[differentiable(wrt(x))]
fn nalgebra_tanh(x: &DVector<f64>, a: &DMatrix<f64>) -> f64 {
    let y = a * x;
    y.map(|v| v.tanh()).sum() + 0.5 * x.dot(x)
}

/// The Hessian as n separate `hvp`s along unit vectors: the code `hessian`
/// ran before the lanes copy (and still runs over matrix parameters).
macro_rules! hessian_by_hvp {
    ($f:ident, $n:expr, $h:expr, $($arg:expr),*) => {{
        let n = $n;
        let mut e = vec![0.0; n];
        let mut value = 0.0;
        for j in 0..n {
            e[j] = 1.0;
            let (v, _, hv) = $f::__gd_hvp_flat($($arg,)* &e, false);
            e[j] = 0.0;
            $h.column_mut(j).copy_from_slice(&hv);
            value = v;
        }
        value
    }};
}

fn agree(what: &str, a: &DMatrix<f64>, b: &DMatrix<f64>) {
    let scale = b.amax().max(f64::MIN_POSITIVE);
    let worst = (a - b).amax();
    assert!(worst <= 1e-12 * scale, "{what}: chunked and per-column Hessians differ by {worst:e} (scale {scale:e})");
}

fn bench_rosen(c: &mut Criterion, n: usize) {
    let x: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { -1.2 } else { 1.0 }).collect();
    let v: Vec<f64> = (0..n).map(|i| ((i as f64) * 0.7).sin() + 0.1).collect();
    let mut h1 = DMatrix::zeros(n, n);
    let mut h2 = DMatrix::zeros(n, n);
    rosen_chain::hessian_into(&x, &mut h1);
    hessian_by_hvp!(rosen_chain, n, h2, &&x[..]);
    agree(&format!("rosen_chain n={n}"), &h1, &h2);
    let mut g = c.benchmark_group(&format!("rosen_chain_n{n}"));
    g.bench_function("primal", |b| b.iter(|| rosen_chain(black_box(&x))));
    g.bench_function("hvp", |b| b.iter(|| rosen_chain::hvp(black_box(&x), black_box(&v))));
    g.bench_function("hessian", |b| b.iter(|| rosen_chain::hessian_into(black_box(&x), &mut h1)));
    g.bench_function("hessian_by_hvp", |b| b.iter(|| hessian_by_hvp!(rosen_chain, n, h2, &black_box(&x[..]))));
    g.finish();
}

fn bench_quad(c: &mut Criterion, n: usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let a: Vec<f64> = (0..n * n).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let x: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let v: Vec<f64> = (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let mut h1 = DMatrix::zeros(n, n);
    let mut h2 = DMatrix::zeros(n, n);
    quad_data::hessian_into(&x, &a, &mut h1);
    hessian_by_hvp!(quad_data, n, h2, &&x[..], &&a[..]);
    agree("quad_data", &h1, &h2);
    let mut g = c.benchmark_group(&format!("quad_data_n{n}"));
    g.bench_function("primal", |b| b.iter(|| quad_data(black_box(&x), black_box(&a))));
    g.bench_function("hvp", |b| b.iter(|| quad_data::hvp(black_box(&x), &a, black_box(&v))));
    g.bench_function("hessian", |b| b.iter(|| quad_data::hessian_into(black_box(&x), &a, &mut h1)));
    g.bench_function("hessian_by_hvp", |b| b.iter(|| hessian_by_hvp!(quad_data, n, h2, &black_box(&x[..]), &&a[..])));
    g.finish();
}

fn bench_loop_call(c: &mut Criterion, n: usize) {
    let x: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).cos()).collect();
    let v: Vec<f64> = (0..n).map(|i| ((i as f64) * 0.7).sin() + 0.1).collect();
    let mut h1 = DMatrix::zeros(n, n);
    let mut h2 = DMatrix::zeros(n, n);
    loop_call::hessian_into(&x, &mut h1);
    hessian_by_hvp!(loop_call, n, h2, &&x[..]);
    agree("loop_call", &h1, &h2);
    let mut g = c.benchmark_group(&format!("loop_call_n{n}"));
    g.bench_function("primal", |b| b.iter(|| loop_call(black_box(&x))));
    g.bench_function("hvp", |b| b.iter(|| loop_call::hvp(black_box(&x), black_box(&v))));
    g.bench_function("hessian", |b| b.iter(|| loop_call::hessian_into(black_box(&x), &mut h1)));
    g.bench_function("hessian_by_hvp", |b| b.iter(|| hessian_by_hvp!(loop_call, n, h2, &black_box(&x[..]))));
    g.finish();
}

fn bench_nalgebra(c: &mut Criterion, n: usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let a = DMatrix::from_fn(n, n, |_, _| rng.gen_range(-0.3..0.3));
    let x = DVector::from_fn(n, |_, _| rng.gen_range(-1.0..1.0));
    let v = DVector::from_fn(n, |_, _| rng.gen_range(-1.0..1.0));
    let mut h1 = DMatrix::zeros(n, n);
    let mut h2 = DMatrix::zeros(n, n);
    nalgebra_tanh::hessian_into(&x, &a, &mut h1);
    hessian_by_hvp!(nalgebra_tanh, n, h2, &&x, &&a);
    agree("nalgebra_tanh", &h1, &h2);
    let mut g = c.benchmark_group(&format!("nalgebra_n{n}"));
    g.bench_function("primal", |b| b.iter(|| nalgebra_tanh(black_box(&x), &a)));
    g.bench_function("hvp", |b| b.iter(|| nalgebra_tanh::hvp(black_box(&x), &a, black_box(&v))));
    g.bench_function("hessian", |b| b.iter(|| nalgebra_tanh::hessian_into(black_box(&x), &a, &mut h1)));
    g.bench_function("hessian_by_hvp", |b| b.iter(|| hessian_by_hvp!(nalgebra_tanh, n, h2, &black_box(&x), &&a)));
    g.finish();
}

fn hessians(c: &mut Criterion) {
    for n in [10, 100, 1000] {
        bench_rosen(c, n);
    }
    bench_quad(c, 100);
    bench_loop_call(c, 100);
    bench_nalgebra(c, 50);
}

criterion_group! {
    name = benches;
    // Short runs: the whole bench in about two minutes on 2 cores.
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(15);
    targets = hessians
}
criterion_main!(benches);
