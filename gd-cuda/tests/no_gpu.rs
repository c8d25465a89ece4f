//! Without a GPU the probe says so (a value, not a panic), and training on
//! `Device::Gpu` returns `CudaError::NoGpu`. On a GPU machine these check
//! the opposite.

use gd_cuda::gpu::probe;
use gd_cuda::{Activation, CudaError, Data, Device, Loss, MlpSpec, OptimSpec, Targets, TrainConfig};
use gd_runtime::optim::SgdConfig;

#[test]
fn probe_answers_without_panicking() {
    match probe(0) {
        Ok(info) => {
            eprintln!("GPU present: {info:?}");
            assert!(info.compute_capability.0 >= 3);
        }
        Err(CudaError::NoGpu { reason }) => {
            eprintln!("no GPU: {reason}");
            assert!(!reason.is_empty());
            assert!(std::env::var("GD_REQUIRE_GPU").map_or(true, |v| v != "1"), "GD_REQUIRE_GPU=1 but no GPU: {reason}");
        }
        Err(e) => panic!("the probe must answer NoGpu or Ok, got {e}"),
    }
    assert!(matches!(probe(1 << 20), Err(CudaError::NoGpu { .. })), "ordinal 2^20 cannot exist");
}

#[test]
fn training_on_a_missing_gpu_is_an_error() {
    if probe(0).is_ok() {
        eprintln!("a GPU is present: nothing to check here");
        return;
    }
    let spec = MlpSpec {
        sizes: vec![2, 3, 2],
        activations: vec![Activation::Tanh, Activation::Identity],
        loss: Loss::SoftmaxCrossEntropy,
        optimizer: OptimSpec::Sgd(SgdConfig::default()),
    };
    let p = spec.init(0).unwrap();
    let (x, y) = ([0.0f32, 1.0, 1.0, 0.0], [0u32, 1]);
    let r = spec.train(&p, Data { x: &x, targets: Targets::Classes(&y) }, TrainConfig { epochs: 1, batch: 2, seed: 0 }, Device::Gpu(0));
    assert!(matches!(r, Err(CudaError::NoGpu { .. })), "{r:?}");
}
