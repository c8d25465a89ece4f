//! `tanh` over a slice of 32768 f32 (issue 17: the MLP-784's hidden layer
//! at batch 128 is 256 × 128 = 32768 activations per step): glibc's scalar
//! `tanhf` (std's `f32::tanh`, what the generated code called before)
//! against the crate's kernel (`gd::__private::math::tanh_f32`, what it
//! calls now), alone, as a matrix `map(|v| v.tanh())` runs it in the
//! generated code (value and derivative `1 − y²` into two slices), and
//! that map's `value_and_grad` itself.
//!
//! - Time (on an idle machine): `cargo bench --bench tanh` (ns per
//!   element = the reported time / 32768).
//! - Instructions (any load): `TANH_LOOP=glibc|kernel|kernel_pair|generated
//!   TANH_REPS=1000 valgrind --tool=cachegrind --cache-sim=no
//!   target/release/deps/tanh-*` runs one loop `TANH_REPS` times; the
//!   difference of two counts over the difference of reps is per loop.
//! - Vectorised? `objdump -d --no-show-raw-insn target/release/deps/tanh-*`
//!   at `tanh_kernel`: packed f64 arithmetic (`mulpd`, `divpd`, `minpd`).

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use gd::__private::math::tanh_f32;
use gd::nalgebra::DMatrix;

const N: usize = 32768;

#[inline(never)]
#[no_mangle]
pub fn tanh_glibc(v: &[f32], o: &mut [f32]) {
    for (o, v) in o.iter_mut().zip(v) {
        *o = v.tanh();
    }
}

#[inline(never)]
#[no_mangle]
pub fn tanh_kernel(v: &[f32], o: &mut [f32]) {
    for (o, v) in o.iter_mut().zip(v) {
        *o = tanh_f32(*v);
    }
}

/// As `Tensor::map_pair` runs the generated `map(|v| v.tanh())`.
#[inline(never)]
#[no_mangle]
pub fn tanh_kernel_pair(v: &[f32], z: &mut [f32], d: &mut [f32]) {
    for ((z, d), v) in z.iter_mut().zip(d.iter_mut()).zip(v) {
        let y = tanh_f32(*v);
        (*z, *d) = (y, 1.0 - y * y);
    }
}

/// The generated code's own loop: `map(|v| v.tanh())` of a 256 × 128
/// matrix (value and gradient: `Tensor::map_pair`, then `1 − y²` times the
/// adjoint).
#[gd::differentiable]
fn map_tanh_sum(z: &DMatrix<f32>) -> f32 {
    z.map(|v| v.tanh()).sum()
}

/// Pre-activations as a trained MLP's: spread over (−4, 4), denser near 0.
fn inputs() -> Vec<f32> {
    (0..N).map(|k| {
        let u = (k as f32 * 0.618_034).fract() * 2.0 - 1.0;
        4.0 * u * u * u.signum()
    }).collect()
}

fn main() {
    let v = inputs();
    let (mut o, mut d) = (vec![0.0f32; N], vec![0.0f32; N]);
    let z = DMatrix::from_column_slice(256, 128, &v);
    if let Ok(which) = std::env::var("TANH_LOOP") {
        let reps: usize = std::env::var("TANH_REPS").ok().and_then(|r| r.parse().ok()).unwrap_or(1000);
        for _ in 0..reps {
            match which.as_str() {
                "glibc" => tanh_glibc(black_box(&v), black_box(&mut o)),
                "kernel" => tanh_kernel(black_box(&v), black_box(&mut o)),
                "kernel_pair" => tanh_kernel_pair(black_box(&v), black_box(&mut o), black_box(&mut d)),
                "generated" => {
                    black_box(map_tanh_sum::value_and_grad(black_box(&z)));
                }
                _ => panic!("TANH_LOOP: glibc, kernel, kernel_pair or generated"),
            }
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut g = c.benchmark_group("tanh_f32_32768");
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("glibc_tanhf", |b| b.iter(|| tanh_glibc(black_box(&v), black_box(&mut o))));
    g.bench_function("kernel", |b| b.iter(|| tanh_kernel(black_box(&v), black_box(&mut o))));
    g.bench_function("kernel_value_and_derivative", |b| b.iter(|| tanh_kernel_pair(black_box(&v), black_box(&mut o), black_box(&mut d))));
    g.bench_function("generated_map_value_and_grad", |b| b.iter(|| map_tanh_sum::value_and_grad(black_box(&z))));
    g.finish();
    c.final_summary();
}
