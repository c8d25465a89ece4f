//! gd-cuda: the CUDA backend of gd (`gd` with the feature `cuda`).
//!
//! An MLP is described once ([`MlpSpec`]: layer sizes, activations, loss,
//! optimizer) and trained on the CPU or the GPU, chosen by a [`Device`]:
//!
//! ```no_run
//! use gd_cuda::{Activation, Data, Device, Loss, MlpSpec, OptimSpec, Targets, TrainConfig};
//! use gd_runtime::optim::AdamConfig;
//! let spec = MlpSpec {
//!     sizes: vec![64, 64, 10],
//!     activations: vec![Activation::Tanh, Activation::Identity],
//!     loss: Loss::SoftmaxCrossEntropy,
//!     optimizer: OptimSpec::Adam(AdamConfig { lr: 3e-3, ..AdamConfig::default() }),
//! };
//! # let (x, labels) = (vec![0.0f32; 64 * 4], vec![0u32, 1, 2, 3]);
//! let p0 = spec.init(0)?;
//! let data = Data { x: &x, targets: Targets::Classes(&labels) };
//! let cfg = TrainConfig { epochs: 30, batch: 32, seed: 0 };
//! let on_cpu = spec.train(&p0, data, cfg, Device::Cpu)?;
//! let on_gpu = spec.train(&p0, data, cfg, Device::Gpu(0))?; // CudaError::NoGpu without one
//! # Ok::<(), gd_cuda::CudaError>(())
//! ```
//!
//! Building needs no CUDA installation: cudarc loads the driver, NVRTC and
//! cuBLAS at run time, and [`gpu::probe`] turns their absence into
//! [`CudaError::NoGpu`]. The layers:
//! - [`kernel`]: the general kernel layer (source + entry + launch shape,
//!   NVRTC → CUBIN on first use, cached per context);
//! - [`kernels`]: the CUDA C sources (layers, losses, fused optimizers);
//! - [`cpu`]: the reference path in plain Rust loops (f32 and f64);
//! - [`gpu`]: device buffers, cuBLAS GEMMs, kernel launches, the GPU loop;
//! - [`batch`]: a user's own `#[differentiable(cuda)]` per-sample loss
//!   summed with its gradient over a device-resident batch ([`BatchObjective`]).

pub mod batch;
pub mod cpu;
pub mod error;
pub mod gpu;
pub mod kernel;
pub mod kernels;
pub mod model;
pub mod nccl;
pub mod optim;
pub mod train;

pub use batch::{BatchConfig, BatchObjective, DeviceLoss};
pub use error::CudaError;
pub use model::{Activation, LayerLayout, Loss, MlpSpec};
pub use nccl::NcclComm;
pub use optim::{OptimSpec, Update};
pub use train::{train, Data, Device, Targets, TrainConfig, Trained};
