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

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gd_runtime::optim::*;

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

    let cases: Vec<(&str, u64, Box<dyn Optimizer>)> = vec![
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
    ];
    for (name, arrays, mut opt) in cases {
        let mut params = vec![0.5; N];
        // First step allocates the state; not part of the measurement.
        opt.step(&mut params, &grad).unwrap();
        group.throughput(Throughput::Bytes(arrays * 8 * N as u64));
        group.bench_function(name, |b| b.iter(|| opt.step(black_box(&mut params), black_box(&grad)).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench_steps);
criterion_main!(benches);
