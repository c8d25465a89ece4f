//! The GPU path: a context with its stream, cuBLAS handle and kernel cache.

pub mod blas;
pub mod ops;
pub mod optim;
pub mod probe;
pub mod train;

use std::sync::Arc;

use cudarc::cublas::CudaBlas;
use cudarc::driver::{CudaContext, CudaFunction, CudaStream};

use crate::error::CudaError;
use crate::kernel::{Kernel, KernelCache};

pub use probe::{probe, GpuInfo};

/// One device, ready to run: context, stream, cuBLAS, compiled kernels.
#[derive(Debug)]
pub struct Gpu {
    /// The device's description.
    pub info: GpuInfo,
    /// The context.
    pub ctx: Arc<CudaContext>,
    /// The stream everything runs on (in order, so no events are needed).
    pub stream: Arc<CudaStream>,
    /// cuBLAS on that stream.
    pub blas: CudaBlas,
    /// NVRTC-compiled kernels of this context.
    pub kernels: KernelCache,
}

impl Gpu {
    /// Open device `ordinal` (after [`probe`]: a missing library or device is
    /// [`CudaError::NoGpu`], never a panic).
    pub fn new(ordinal: usize) -> Result<Gpu, CudaError> {
        let info = probe(ordinal)?;
        let ctx = CudaContext::new(ordinal)?;
        // One stream, used in order: cudarc's per-buffer event tracking
        // only adds work per launch.
        unsafe { ctx.disable_event_tracking() };
        let stream = ctx.default_stream();
        let blas = CudaBlas::new(stream.clone())?;
        let kernels = KernelCache::new(ctx.clone(), info.compute_capability);
        Ok(Gpu { info, ctx, stream, blas, kernels })
    }

    /// The compiled function of `k`.
    pub fn function(&self, k: &Kernel) -> Result<CudaFunction, CudaError> {
        self.kernels.function(k)
    }

    /// Wait for the stream.
    pub fn sync(&self) -> Result<(), CudaError> {
        Ok(self.stream.synchronize()?)
    }
}
