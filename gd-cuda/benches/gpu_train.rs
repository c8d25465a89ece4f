//! Training throughput on the GPU: one optimizer step (gather the batch,
//! forward, backward, fused Adam) of an MLP 784 → 1024 → 1024 → 10 (ReLU,
//! softmax cross-entropy) at batch sizes 256, 1 024 and 8 192, in samples/s.
//! Data stay on the device; each sample is timed up to a stream sync.
//! Compare with `python3 gd-cuda/benches/torch_mlp.py` on the same GPU.
//!
//! `cargo bench -p gd-cuda --bench gpu_train`; without a GPU it prints
//! SKIPPED (with `GD_REQUIRE_GPU=1` it fails).

use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use gd_cuda::gpu::optim::GpuOptimizer;
use gd_cuda::gpu::probe::gpu_or_skip;
use gd_cuda::gpu::train::{loss_and_grad, GpuTargets, GpuWorkspace};
use gd_cuda::gpu::{ops, Gpu};
use gd_cuda::{Activation, Loss, MlpSpec, OptimSpec};
use gd_runtime::optim::AdamConfig;
use rand::{Rng, SeedableRng};

const ROWS: usize = 16_384;

fn bench(c: &mut Criterion, gpu: &Gpu) {
    let spec = MlpSpec {
        sizes: vec![784, 1024, 1024, 10],
        activations: vec![Activation::Relu, Activation::Relu, Activation::Identity],
        loss: Loss::SoftmaxCrossEntropy,
        optimizer: OptimSpec::Adam(AdamConfig::default()),
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let x: Vec<f32> = (0..ROWS * 784).map(|_| rng.gen_range(0.0..1.0)).collect();
    let labels: Vec<u32> = (0..ROWS).map(|_| rng.gen_range(0..10)).collect();
    let order: Vec<u32> = (0..ROWS as u32).collect();
    let s = &gpu.stream;
    let (x, labels, order) = (s.clone_htod(&x).unwrap(), s.clone_htod(&labels).unwrap(), s.clone_htod(&order).unwrap());
    gpu.kernels.warm(&gd_cuda::kernels::all()).unwrap();
    let mut g = c.benchmark_group("gpu_train_step_784_1024_1024_10");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for batch in [256usize, 1024, 8192] {
        let mut p = s.clone_htod(&spec.init(0).unwrap()).unwrap();
        let mut grad = s.alloc_zeros::<f32>(spec.n_params()).unwrap();
        let mut loss = s.alloc_zeros::<f32>(1).unwrap();
        let mut xb = s.alloc_zeros::<f32>(batch * 784).unwrap();
        let mut lb = s.alloc_zeros::<u32>(batch).unwrap();
        let mut ws = GpuWorkspace::new(gpu, &spec, batch).unwrap();
        let mut opt = GpuOptimizer::new(gpu, spec.optimizer, spec.n_params()).unwrap();
        let mut start = 0usize;
        let mut step = |gpu: &Gpu| {
            if start + batch > ROWS {
                start = 0;
            }
            let idx = order.slice(start..start + batch);
            start += batch;
            ops::gather_rows(gpu, &x, &idx, 784, &mut xb.as_view_mut()).unwrap();
            ops::gather_labels(gpu, &labels, &idx, &mut lb.as_view_mut()).unwrap();
            let lv = lb.as_view();
            loss_and_grad(gpu, &spec, &p, &xb.as_view(), GpuTargets::Classes(&lv), batch, &mut grad, &mut loss.as_view_mut(), &mut ws).unwrap();
            opt.step(gpu, &mut p, &grad).unwrap();
        };
        for _ in 0..5 {
            step(gpu);
        }
        gpu.sync().unwrap();
        g.throughput(Throughput::Elements(batch as u64));
        g.bench_function(BenchmarkId::from_parameter(batch), |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    step(gpu);
                }
                gpu.sync().unwrap();
                t.elapsed()
            })
        });
    }
    g.finish();
}

fn main() {
    let Some(gpu) = gpu_or_skip("bench gpu_train") else { return };
    eprintln!("device: {:?}", gpu.info);
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &gpu);
    c.final_summary();
}
