//! [`BatchObjective`]: `Σᵢ loss(params, sampleᵢ, targetᵢ)` and its gradient
//! over a device-resident batch, for a user's own per-sample loss written
//! as `#[differentiable(cuda)] fn loss(params: &[f32], sample: &[f32],
//! target: f32) -> f32` (the macro prints its reverse sweep as CUDA C,
//! `loss::cuda_source()`).
//!
//! The kernel ([`kernel_source`]): a thread per sample (grid-stride), each
//! calling the printed `_vjp` with seed `scale` into a per-thread gradient
//! of `P` registers/local memory; then per parameter a block sum (warp
//! shuffles, one shared slot per warp) added atomically to the global
//! gradient. Compiled by NVRTC through [`crate::kernel`], once per source
//! and context. Usable as an [`Objective`] (full batch: L-BFGS,
//! `Trainer::minimize`) and, through [`BatchObjective::minibatch`], as
//! `Trainer::fit`'s loss (mini-batches drawn by index from the device
//! copy of the data); the data never leaves the device, the parameters
//! (a few floats) cross once per evaluation.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use cudarc::driver::{CudaSlice, PushKernelArg};
use gd_runtime::Objective;

use crate::error::CudaError;
use crate::gpu::Gpu;
use crate::kernel::{Kernel, LaunchShape};

/// The per-sample loss: what `#[differentiable(cuda)]` generated for it.
#[derive(Debug, Clone)]
pub struct DeviceLoss {
    /// `loss::cuda_source()`: the prelude and the `__device__` functions.
    pub source: String,
    /// `loss::cuda_name()`: the C name (`gd_loss`; the sweep is `gd_loss_vjp`).
    pub name: &'static str,
}

/// Launch and stack settings.
#[derive(Debug, Clone, Copy)]
pub struct BatchConfig {
    /// Entries of each value stack per thread (`GD_STACK`): at least the
    /// values the loss's loops save for one sample (a loop of `k` trips
    /// saving `m` floats needs `k·m`); too few is reported as an error.
    pub stack: usize,
    /// Threads per block and the most blocks.
    pub shape: LaunchShape,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig { stack: 256, shape: LaunchShape { block: 256, max_blocks: 4096 } }
    }
}

/// The kernel's entry point for the loss `name` with `n_params` parameters
/// and `stack` entries per value stack: the kernel cache is keyed by entry
/// name, so each program has its own.
pub fn entry(name: &str, n_params: usize, stack: usize) -> String {
    format!("gd_batch_{name}_p{n_params}_s{stack}")
}

/// The batch kernel's program: the loss's source, then an `extern "C"`
/// entry ([`entry`]) `(params, samples, targets, idx, use_idx, n, dim,
/// scale, grad, loss, overflow)` that adds `scale · Σ` over its samples
/// (`idx[i]` when `use_idx`, else `i`, for `i < n`) of the loss into
/// `*loss` and of its gradient into `grad[0..n_params]`.
pub fn kernel_source(loss: &DeviceLoss, n_params: usize, stack: usize) -> String {
    let (src, name, entry) = (&loss.source, loss.name, entry(loss.name, n_params, stack));
    format!(
        r#"#define GD_STACK {stack}
{src}
#define GD_BATCH_P {n_params}
/* Sum v over the block and add it to *acc (every thread calls it). The
 * first barrier frees `part` from the previous call's readers. */
__device__ __forceinline__ void gd_batch_add(float* acc, float v) {{
    __shared__ float part[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) part[warp] = v;
    __syncthreads();
    if (warp == 0) {{
        v = lane < (int)((blockDim.x + 31) / 32) ? part[lane] : 0.0f;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
        if (lane == 0) atomicAdd(acc, v);
    }}
}}
extern "C" __global__ void {entry}(const float* params, const float* samples, const float* targets,
                                   const unsigned* idx, int use_idx, long long n, int dim, float scale,
                                   float* grad, float* loss, int* overflow) {{
    float g[GD_BATCH_P];
    for (int j = 0; j < GD_BATCH_P; ++j) g[j] = 0.0f;
    float l = 0.0f;
    gd_slice<float> p(params, GD_BATCH_P);
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {{
        long long s = use_idx ? (long long)idx[i] : i;
        l += {name}_vjp(p, gd_slice<float>(samples + s * dim, (gd_usize)dim), targets[s], scale, g, 0, 0, overflow);
    }}
    gd_batch_add(loss, l * scale);
    for (int j = 0; j < GD_BATCH_P; ++j) gd_batch_add(&grad[j], g[j]);
}}
"#
    )
}

/// Interned kernels: [`Kernel`] holds `&'static str`s (its name is the
/// cache key), so each distinct program is leaked once per process.
fn intern(entry: String, program: String, shape: LaunchShape) -> &'static Kernel {
    static KERNELS: OnceLock<Mutex<HashMap<(String, String), &'static Kernel>>> = OnceLock::new();
    let mut map = KERNELS.get_or_init(Default::default).lock().expect("kernel registry poisoned");
    map.entry((entry.clone(), program.clone()))
        .or_insert_with(|| {
            let (name, source): (&'static str, &'static str) = (Box::leak(entry.into_boxed_str()), Box::leak(program.into_boxed_str()));
            Box::leak(Box::new(Kernel::standalone(name, source, shape)))
        })
}

/// The batch, its loss and the device buffers.
pub struct BatchObjective<'g> {
    gpu: &'g Gpu,
    kernel: &'static Kernel,
    n_params: usize,
    dim: usize,
    n_samples: usize,
    samples: CudaSlice<f32>,
    targets: CudaSlice<f32>,
    params: CudaSlice<f32>,
    grad: CudaSlice<f32>,
    loss: CudaSlice<f32>,
    overflow: CudaSlice<i32>,
    idx: CudaSlice<u32>,
    stack: usize,
    host_p: Vec<f32>,
}

impl<'g> BatchObjective<'g> {
    /// Copies `samples` (`n × dim`, row-major) and `targets` (`n`) to the
    /// device and compiles the kernel (NVRTC, cached per context).
    pub fn new(gpu: &'g Gpu, loss: &DeviceLoss, n_params: usize, samples: &[f32], dim: usize, targets: &[f32], config: BatchConfig) -> Result<Self, CudaError> {
        if n_params == 0 || dim == 0 {
            return Err(CudaError::Invalid("a batch objective needs parameters and samples of at least one value".into()));
        }
        let n_samples = targets.len();
        crate::error::same("samples (n × dim)", n_samples * dim, samples.len())?;
        let program = kernel_source(loss, n_params, config.stack);
        let kernel = intern(entry(loss.name, n_params, config.stack), program, config.shape);
        gpu.function(kernel)?;
        let s = &gpu.stream;
        Ok(BatchObjective {
            gpu,
            kernel,
            n_params,
            dim,
            n_samples,
            samples: s.clone_htod(samples)?,
            targets: s.clone_htod(targets)?,
            params: s.alloc_zeros(n_params)?,
            grad: s.alloc_zeros(n_params)?,
            loss: s.alloc_zeros(1)?,
            overflow: s.alloc_zeros(1)?,
            idx: s.alloc_zeros(1)?,
            stack: config.stack,
            host_p: vec![0.0; n_params],
        })
    }

    /// Number of samples on the device.
    pub fn len(&self) -> usize {
        self.n_samples
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.n_samples == 0
    }

    /// The mean loss over the samples `batch` (all of them when `None`)
    /// at `params`, its gradient written into `grad`.
    pub fn mean_value_and_grad(&mut self, params: &[f32], batch: Option<&[usize]>, grad: &mut [f32]) -> Result<f32, CudaError> {
        crate::error::same("parameters", self.n_params, params.len())?;
        crate::error::same("gradient", self.n_params, grad.len())?;
        let s = self.gpu.stream.clone();
        let n = match batch {
            Some(b) => {
                let idx: Vec<u32> = b
                    .iter()
                    .map(|&i| if i < self.n_samples { Ok(i as u32) } else { Err(CudaError::Invalid(format!("sample {i} of {}", self.n_samples))) })
                    .collect::<Result<_, _>>()?;
                if self.idx.len() < idx.len() {
                    self.idx = s.alloc_zeros(idx.len())?;
                }
                s.memcpy_htod(&idx, &mut self.idx)?;
                idx.len()
            }
            None => self.n_samples,
        };
        if n == 0 {
            return Err(CudaError::Invalid("an empty batch".into()));
        }
        s.memcpy_htod(params, &mut self.params)?;
        s.memset_zeros(&mut self.grad)?;
        s.memset_zeros(&mut self.loss)?;
        let f = self.gpu.function(self.kernel)?;
        let (use_idx, nn, dim, scale) = (batch.is_some() as i32, n as i64, crate::gpu::ops::int(self.dim)?, 1.0f32 / n as f32);
        let mut l = s.launch_builder(&f);
        l.arg(&self.params).arg(&self.samples).arg(&self.targets).arg(&self.idx).arg(&use_idx).arg(&nn).arg(&dim).arg(&scale);
        l.arg(&mut self.grad).arg(&mut self.loss).arg(&mut self.overflow);
        unsafe { l.launch(self.kernel.shape.config(n)) }?;
        s.memcpy_dtoh(&self.grad, grad)?;
        let loss = s.clone_dtoh(&self.loss)?[0];
        if s.clone_dtoh(&self.overflow)?[0] != 0 {
            return Err(CudaError::Invalid(format!("the loss's value stacks overflowed ({} entries per thread): raise BatchConfig::stack", self.stack)));
        }
        Ok(loss)
    }

    /// For `Trainer::fit`: `|p, batch, g| obj.minibatch(p, batch, g)`, the
    /// mean over `batch` in f64 at the optimizer's side.
    pub fn minibatch(&mut self, params: &[f64], batch: &[usize], grad: &mut [f64]) -> f64 {
        self.eval64(params, Some(batch), grad)
    }

    fn eval64(&mut self, params: &[f64], batch: Option<&[usize]>, grad: &mut [f64]) -> f64 {
        let mut p = std::mem::take(&mut self.host_p);
        p.iter_mut().zip(params).for_each(|(d, s)| *d = *s as f32);
        let mut g = vec![0.0f32; self.n_params];
        let r = self.mean_value_and_grad(&p, batch, &mut g);
        self.host_p = p;
        match r {
            Ok(v) => {
                grad.iter_mut().zip(&g).for_each(|(d, s)| *d = *s as f64);
                v as f64
            }
            // The objective traits have no error channel: a device failure
            // mid-optimisation is not recoverable there.
            Err(e) => panic!("gd::cuda::BatchObjective: {e}"),
        }
    }
}

/// The full batch's mean loss: for L-BFGS, `Trainer::minimize`, `minimize`.
impl Objective for BatchObjective<'_> {
    fn dim(&self) -> Option<usize> {
        Some(self.n_params)
    }
    fn value_and_grad(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        self.eval64(x, None, g)
    }
}
