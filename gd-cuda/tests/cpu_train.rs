//! The CPU path trains, and descriptions or data that do not fit are typed
//! errors.

mod common;

use gd_cuda::{Activation, CudaError, Data, Device, Loss, MlpSpec, OptimSpec, Targets, TrainConfig};
use gd_runtime::optim::{AdamConfig, LionConfig, SgdConfig};

fn spec(opt: OptimSpec) -> MlpSpec {
    MlpSpec { sizes: vec![64, 32, 10], activations: vec![Activation::Relu, Activation::Identity], loss: Loss::SoftmaxCrossEntropy, optimizer: opt }
}

#[test]
fn digits_train_on_the_cpu() {
    let (xtr, ytr, xte, yte) = common::digits();
    let s = spec(OptimSpec::Adam(AdamConfig { lr: 3e-3, ..AdamConfig::default() }));
    let p0 = s.init(0).unwrap();
    let cfg = TrainConfig { epochs: 5, batch: 32, seed: 0 };
    let run = s.train(&p0, Data { x: &xtr, targets: Targets::Classes(&ytr) }, cfg, Device::Cpu).unwrap();
    assert_eq!(run.epoch_loss.len(), 5);
    assert_eq!(run.steps, 5 * ytr.len().div_ceil(32) as u64);
    assert!(run.epoch_loss[4] < 0.5 * run.epoch_loss[0], "{:?}", run.epoch_loss);
    let acc = s.accuracy(&run.params, &xte, &yte).unwrap();
    assert!(acc > 0.9, "held-out accuracy {acc}");
}

#[test]
fn regression_with_mse_and_lion_decreases_the_loss() {
    let s = MlpSpec {
        sizes: vec![3, 16, 2],
        activations: vec![Activation::Sigmoid, Activation::Identity],
        loss: Loss::Mse,
        optimizer: OptimSpec::Lion(LionConfig { lr: 3e-3, ..LionConfig::default() }),
    };
    let n = 200;
    let x = common::uniform32(n * 3, -1.0, 1.0, 1);
    let t: Vec<f32> = x.chunks(3).flat_map(|r| [r[0] - 0.5 * r[1], r[2] * r[0]]).collect();
    let run = s.train(&s.init(1).unwrap(), Data { x: &x, targets: Targets::Values(&t) }, TrainConfig { epochs: 40, batch: 20, seed: 3 }, Device::Cpu).unwrap();
    assert!(run.epoch_loss[39] < 0.3 * run.epoch_loss[0], "{:?}", run.epoch_loss);
}

#[test]
fn mismatches_are_typed_errors() {
    let s = spec(OptimSpec::Sgd(SgdConfig::default()));
    let p = s.init(0).unwrap();
    let x = vec![0.0f32; 64 * 3];
    let y = [1u32, 2, 3];
    let cfg = TrainConfig { epochs: 1, batch: 2, seed: 0 };
    let ok = Data { x: &x, targets: Targets::Classes(&y) };
    assert!(matches!(s.train(&p[1..], ok, cfg, Device::Cpu), Err(CudaError::DimensionMismatch { what: "parameters", .. })));
    let short = Data { x: &x, targets: Targets::Classes(&y[..2]) };
    assert!(matches!(s.train(&p, short, cfg, Device::Cpu), Err(CudaError::DimensionMismatch { .. })));
    let ragged = Data { x: &x[1..], targets: Targets::Classes(&y) };
    assert!(matches!(s.train(&p, ragged, cfg, Device::Cpu), Err(CudaError::DimensionMismatch { .. })));
    let big = [1u32, 2, 10];
    assert!(matches!(s.train(&p, Data { x: &x, targets: Targets::Classes(&big) }, cfg, Device::Cpu), Err(CudaError::Invalid(_))));
    let values = [0.0f32; 30];
    assert!(matches!(s.train(&p, Data { x: &x, targets: Targets::Values(&values) }, cfg, Device::Cpu), Err(CudaError::Invalid(_))));
    let mut wrong = s.clone();
    wrong.activations.pop();
    assert!(matches!(wrong.validate(), Err(CudaError::DimensionMismatch { .. })));
    let mut relu_out = s.clone();
    relu_out.activations[1] = Activation::Relu;
    assert!(matches!(relu_out.validate(), Err(CudaError::Invalid(_))));
    assert!(matches!(s.train(&p, ok, TrainConfig { batch: 0, ..cfg }, Device::Cpu), Err(CudaError::Invalid(_))));
}

#[test]
fn divergence_is_reported_with_its_epoch() {
    let s = MlpSpec {
        sizes: vec![1, 1],
        activations: vec![Activation::Identity],
        loss: Loss::Mse,
        optimizer: OptimSpec::Sgd(SgdConfig { lr: 10.0, ..SgdConfig::default() }),
    };
    let x = [1.0f32, 2.0, 3.0];
    let t = [1.0f32, 2.0, 3.0];
    let r = s.train(&[0.5, 0.0], Data { x: &x, targets: Targets::Values(&t) }, TrainConfig { epochs: 200, batch: 3, seed: 0 }, Device::Cpu);
    assert!(matches!(r, Err(CudaError::Diverged { .. })), "{r:?}");
}
