//! Each fused optimizer update on 2²⁴ parameters, in GB/s of memory traffic
//! (bytes each launch must read and write), beside a device-to-device copy
//! of the same vector (its read + write) as the bandwidth reference. The
//! issue's aim: every update above 70 % of the copy's GB/s.
//!
//! `cargo bench -p gd-cuda --bench gpu_optim`; without a GPU it prints
//! SKIPPED (with `GD_REQUIRE_GPU=1` it fails).

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use gd_cuda::gpu::optim::GpuOptimizer;
use gd_cuda::gpu::probe::gpu_or_skip;
use gd_cuda::gpu::Gpu;
use gd_cuda::OptimSpec;
use gd_runtime::optim::{AdamConfig, AdamWConfig, LionConfig, RmsPropConfig, SgdConfig};
use rand::{Rng, SeedableRng};

const N: usize = 1 << 24;

fn bench(c: &mut Criterion, gpu: &Gpu) {
    let s = &gpu.stream;
    let mut g = c.benchmark_group("gpu_optim_update_16M");
    g.sample_size(30).measurement_time(Duration::from_secs(3));
    // Random data, not zeros: zeros can hide unwritten outputs and run
    // faster than real values on some hardware paths.
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let mut random = |lo: f32, hi: f32| -> Vec<f32> { (0..N).map(|_| rng.gen_range(lo..hi)).collect() };
    let (p0, g0) = (random(-1.0, 1.0), random(-1e-2, 1e-2));
    let src = s.clone_htod(&p0).unwrap();
    let mut dst = s.alloc_zeros::<f32>(N).unwrap();
    g.throughput(Throughput::Bytes((2 * N * 4) as u64));
    g.bench_function("copy_dtod", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                s.memcpy_dtod(&src, &mut dst).unwrap();
            }
            gpu.sync().unwrap();
            t.elapsed()
        })
    });
    // (name, spec, f32 vectors read + written per element)
    let cases = [
        ("sgd", OptimSpec::Sgd(SgdConfig::default()), 3),
        ("sgd_momentum", OptimSpec::Sgd(SgdConfig { momentum: 0.9, ..SgdConfig::default() }), 5),
        ("sgd_nesterov", OptimSpec::Sgd(SgdConfig { momentum: 0.9, nesterov: true, ..SgdConfig::default() }), 5),
        ("rmsprop", OptimSpec::RmsProp(RmsPropConfig::default()), 5),
        ("adam", OptimSpec::Adam(AdamConfig::default()), 7),
        ("adamw", OptimSpec::AdamW(AdamWConfig::default()), 7),
        ("lion", OptimSpec::Lion(LionConfig::default()), 5),
    ];
    let grad = s.clone_htod(&g0).unwrap();
    for (name, spec, vectors) in cases {
        let mut p = s.clone_htod(&p0).unwrap();
        let mut opt = GpuOptimizer::new(gpu, spec, N).unwrap();
        opt.step(gpu, &mut p, &grad).unwrap(); // compile, and leave the first-step path
        gpu.sync().unwrap();
        g.throughput(Throughput::Bytes((vectors * N * 4) as u64));
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    opt.step(gpu, &mut p, &grad).unwrap();
                }
                gpu.sync().unwrap();
                t.elapsed()
            })
        });
    }
    g.finish();
}

fn main() {
    let Some(gpu) = gpu_or_skip("bench gpu_optim") else { return };
    eprintln!("device: {:?}", gpu.info);
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &gpu);
    c.final_summary();
}
