//! The digits MLP of the tour (64 → 64 tanh → 10, Adam 3e-3, batches of 32,
//! 30 epochs), one description trained on the CPU and on the GPU: the GPU
//! run must reach the CPU run's held-out accuracy (within one image in a
//! hundred: float sums in another order can flip a borderline prediction).

mod common;

use gd_cuda::gpu::probe::gpu_or_skip;
use gd_cuda::{Activation, Data, Device, Loss, MlpSpec, OptimSpec, Targets, TrainConfig};
use gd_runtime::optim::AdamConfig;

#[test]
fn digits_mlp_reaches_the_cpu_accuracy_on_the_gpu() {
    let Some(gpu) = gpu_or_skip("digits_mlp_reaches_the_cpu_accuracy_on_the_gpu") else { return };
    eprintln!("device: {:?}", gpu.info);
    drop(gpu);
    let (xtr, ytr, xte, yte) = common::digits();
    let spec = MlpSpec {
        sizes: vec![64, 64, 10],
        activations: vec![Activation::Tanh, Activation::Identity],
        loss: Loss::SoftmaxCrossEntropy,
        optimizer: OptimSpec::Adam(AdamConfig { lr: 3e-3, ..AdamConfig::default() }),
    };
    let p0 = spec.init(0).unwrap();
    let data = Data { x: &xtr, targets: Targets::Classes(&ytr) };
    let cfg = TrainConfig { epochs: 30, batch: 32, seed: 0 };
    let t = std::time::Instant::now();
    let cpu = spec.train(&p0, data, cfg, Device::Cpu).unwrap();
    let t_cpu = t.elapsed();
    let t = std::time::Instant::now();
    let gpu = spec.train(&p0, data, cfg, Device::Gpu(0)).unwrap();
    let t_gpu = t.elapsed();
    let acc_cpu = spec.accuracy(&cpu.params, &xte, &yte).unwrap();
    let acc_gpu = spec.accuracy(&gpu.params, &xte, &yte).unwrap();
    eprintln!(
        "held-out accuracy: CPU {:.2} % ({t_cpu:?}), GPU {:.2} % ({t_gpu:?}); last epoch loss CPU {:.5}, GPU {:.5}",
        100.0 * acc_cpu,
        100.0 * acc_gpu,
        cpu.epoch_loss[29],
        gpu.epoch_loss[29]
    );
    assert_eq!(cpu.steps, gpu.steps);
    assert!(acc_cpu > 0.95, "the CPU run itself must learn the digits ({acc_cpu})");
    assert!(acc_gpu >= acc_cpu - 0.01, "GPU {acc_gpu} below CPU {acc_cpu}");
    let first = (cpu.epoch_loss[0] - gpu.epoch_loss[0]).abs() / cpu.epoch_loss[0];
    assert!(first < 1e-4, "first epoch's loss differs by {first:.1e} (same batches, same arithmetic)");
}
