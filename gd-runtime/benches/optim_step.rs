//! Optimizer step cost at 10⁶ parameters, reported as memory throughput.
//!
//! An optimizer step is a memory-bound streaming update, so each benchmark
//! declares the bytes it must move: (arrays read + arrays written) × 8 B ×
//! n, counting params, grad and every state array once (e.g. Adam reads
//! p, g, m, v and writes p, m, v: 7 × 8 B per parameter). The baseline in the
//! same run is a plain copy `params.copy_from_slice(grad)` (16 B per
//! parameter): an optimizer at the baseline's GB/s is as fast as the memory
//! system allows. AdamW is counted at 7 arrays although it makes a separate
//! decay pass over p (9 in fact), so its shortfall shows that pass's cost.
//!
//! At 10⁶ parameters each array is 8 MB: on a machine with a large L3 (32 MB
//! on the EPYC this was written on) the copy runs from cache, so the
//! baseline is cache bandwidth, not DRAM bandwidth. The adaptive methods
//! (Adagrad, RMSprop, Adam) are bound by one square root and one division
//! per coordinate on the default x86-64 target (SSE2, two lanes), not by
//! memory.
//!
//! Two more groups, same 10⁶ parameters:
//! - `optim_step_f32_1e6`: the same optimizers on `f32` parameters (state in
//!   `f32`, 4 B per value), through `step_params`: half the bytes, and four
//!   SSE lanes instead of two.
//! - `optim_step_struct_1e6`: a parameter struct stepped in place
//!   (`step_params` on a `Vec` of four matrices: 500×1000, 400×1000,
//!   100×999, 100×1, and on a `Vec` of 1000 vectors of 1000 to show a
//!   per-leaf cost), against the flat step of the same values and against
//!   what a struct model had to do before: flatten, step, write back.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gd_runtime::leaves::WithGrad;
use gd_runtime::optim::*;
use gd_runtime::Params;
use nalgebra::{DMatrix, DVector};

const N: usize = 1_000_000;

fn bench_steps(c: &mut Criterion) {
    let grad: Vec<f64> = (0..N).map(|i| ((i % 1000) as f64 - 500.0) * 1e-3).collect();
    let mut group = c.benchmark_group("optim_step_1e6");
    group.sample_size(20);
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(2));

    let mut params = vec![0.5; N];
    group.throughput(Throughput::Bytes(2 * 8 * N as u64));
    group.bench_function("copy (baseline, 2 arrays)", |b| {
        b.iter(|| {
            params.copy_from_slice(black_box(&grad));
            black_box(&mut params);
        })
    });

    for (name, arrays, mut opt) in cases() {
        let mut params = vec![0.5; N];
        // First step allocates the state; not part of the measurement.
        opt.step(&mut params, &grad).unwrap();
        group.throughput(Throughput::Bytes(arrays * 8 * N as u64));
        group.bench_function(name, |b| b.iter(|| opt.step(black_box(&mut params), black_box(&grad)).unwrap()));
    }
    group.finish();
}

/// (name, arrays read + written per step, optimizer).
fn cases() -> Vec<(&'static str, u64, Box<dyn Optimizer>)> {
    vec![
        ("sgd (3 arrays)", 3, Box::new(Sgd::new(1e-9).unwrap())),
        ("sgd momentum (5)", 5, Box::new(Sgd::momentum(1e-9, 0.9).unwrap())),
        ("sgd nesterov (5)", 5, Box::new(Sgd::nesterov(1e-9, 0.9).unwrap())),
        ("adagrad (5)", 5, Box::new(Adagrad::new(1e-9).unwrap())),
        ("rmsprop (5)", 5, Box::new(RmsProp::new(1e-9).unwrap())),
        (
            "rmsprop centered+momentum (9)",
            9,
            Box::new(RmsPropConfig { lr: 1e-9, centered: true, momentum: 0.9, ..Default::default() }.build().unwrap()),
        ),
        ("adam (7)", 7, Box::new(Adam::new(1e-9).unwrap())),
        ("adam amsgrad (9)", 9, Box::new(AdamConfig { lr: 1e-9, amsgrad: true, ..Default::default() }.build().unwrap())),
        ("adamw (7)", 7, Box::new(AdamW::new(1e-9).unwrap())),
        ("lion (5)", 5, Box::new(Lion::new(1e-9).unwrap())),
    ]
}

fn bench_f32(c: &mut Criterion) {
    let grad: Vec<f32> = (0..N).map(|i| ((i % 1000) as f32 - 500.0) * 1e-3).collect();
    let mut group = c.benchmark_group("optim_step_f32_1e6");
    group.sample_size(20);
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(2));
    let mut params = vec![0.5f32; N];
    group.throughput(Throughput::Bytes(2 * 4 * N as u64));
    group.bench_function("copy (baseline, 2 arrays)", |b| {
        b.iter(|| {
            params.copy_from_slice(black_box(&grad));
            black_box(&mut params);
        })
    });
    for (name, arrays, mut opt) in cases() {
        let mut params = vec![0.5f32; N];
        let mut step = |p: &mut [f32], g: &[f32]| opt.update(&mut WithGrad { params: p, grad: g }, &GradMap::IDENTITY).unwrap();
        step(&mut params, &grad);
        group.throughput(Throughput::Bytes(arrays * 4 * N as u64));
        group.bench_function(name, |b| b.iter(|| step(black_box(&mut params), black_box(&grad))));
    }
    group.finish();
}

/// 10⁶ parameters as four matrices (two layers' weights and biases).
fn mlp_like(v: f64) -> Vec<DMatrix<f64>> {
    vec![
        DMatrix::from_element(500, 1000, v),
        DMatrix::from_element(400, 1000, v),
        DMatrix::from_element(100, 999, v),
        DMatrix::from_element(100, 1, v),
    ]
}

fn bench_struct(c: &mut Criterion) {
    let mut group = c.benchmark_group("optim_step_struct_1e6");
    group.sample_size(20);
    group.warm_up_time(std::time::Duration::from_millis(500));
    group.measurement_time(std::time::Duration::from_secs(2));
    let grad = mlp_like(1e-3);
    let flat_grad = grad.to_vec();
    let many_grad: Vec<DVector<f64>> = (0..1000).map(|_| DVector::from_element(1000, 1e-3)).collect();
    assert_eq!(flat_grad.len(), N);
    type Make = fn() -> Box<dyn Optimizer>;
    let opts: Vec<(&str, Make)> = vec![
        ("sgd", || Box::new(Sgd::new(1e-9).unwrap())),
        ("adam", || Box::new(Adam::new(1e-9).unwrap())),
        ("adam + clip_by_global_norm", || Box::new(Adam::new(1e-9).unwrap().clip_by_global_norm(1e-6).unwrap())),
    ];
    for (name, make) in opts {
        // In place, leaf by leaf.
        let (mut opt, mut p) = (make(), mlp_like(0.5));
        let mut step = |p: &mut Vec<DMatrix<f64>>, g: &Vec<DMatrix<f64>>| {
            opt.update(&mut WithGrad { params: p, grad: g }, &GradMap::IDENTITY).unwrap()
        };
        step(&mut p, &grad);
        group.bench_function(format!("{name}: struct, 4 leaves"), |b| b.iter(|| step(black_box(&mut p), black_box(&grad))));
        // The same values as one flat vector.
        let (mut opt, mut flat) = (make(), vec![0.5; N]);
        opt.step(&mut flat, &flat_grad).unwrap();
        group.bench_function(format!("{name}: flat"), |b| b.iter(|| opt.step(black_box(&mut flat), black_box(&flat_grad)).unwrap()));
        // Before step_params: flatten parameters and gradient, step, write back.
        let (mut opt, mut p) = (make(), mlp_like(0.5));
        let mut old_way = |p: &mut Vec<DMatrix<f64>>, g: &Vec<DMatrix<f64>>| {
            let mut theta = p.to_vec();
            opt.step(&mut theta, &g.to_vec()).unwrap();
            p.set_from_slice(&theta).unwrap();
        };
        old_way(&mut p, &grad);
        group.bench_function(format!("{name}: flatten + flat step + write back"), |b| {
            b.iter(|| old_way(black_box(&mut p), black_box(&grad)))
        });
        // Many small leaves.
        let (mut opt, mut p) = (make(), many_grad.iter().map(|v| v.map(|_| 0.5)).collect::<Vec<_>>());
        let mut step = |p: &mut Vec<DVector<f64>>, g: &Vec<DVector<f64>>| {
            opt.update(&mut WithGrad { params: p, grad: g }, &GradMap::IDENTITY).unwrap()
        };
        step(&mut p, &many_grad);
        group.bench_function(format!("{name}: struct, 1000 leaves"), |b| {
            b.iter(|| step(black_box(&mut p), black_box(&many_grad)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_steps, bench_f32, bench_struct);
criterion_main!(benches);
