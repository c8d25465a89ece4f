//! The crate's error type.

use gd_runtime::GdError;

/// What can go wrong in gd-cuda.
#[derive(Debug, thiserror::Error)]
pub enum CudaError {
    /// No usable GPU: a CUDA library is missing, the driver reports no
    /// device, or the context cannot be created. `reason` says which.
    #[error("no GPU: {reason}")]
    NoGpu {
        /// What the probe found missing.
        reason: String,
    },
    /// NVRTC rejected a kernel source; `log` is NVRTC's program log.
    #[error("NVRTC could not compile kernel `{kernel}` (options {options:?}):\n{log}")]
    Compile {
        /// The kernel's name.
        kernel: &'static str,
        /// The options it was compiled with.
        options: Vec<String>,
        /// NVRTC's program log.
        log: String,
    },
    /// Two sizes that must agree do not.
    #[error("dimension mismatch in {what}: expected {expected}, got {got}")]
    DimensionMismatch {
        /// Where the mismatch was found.
        what: &'static str,
        /// The size that was expected.
        expected: usize,
        /// The size that was given.
        got: usize,
    },
    /// A description that cannot be trained (no layers, zero batch, a label
    /// out of range, …).
    #[error("invalid model or training setting: {0}")]
    Invalid(String),
    /// A CUDA driver call failed.
    #[error("CUDA driver: {0}")]
    Driver(#[from] cudarc::driver::DriverError),
    /// A cuBLAS call failed.
    #[error("cuBLAS: {0}")]
    Blas(#[from] cudarc::cublas::result::CublasError),
    /// An NVRTC call other than compilation failed.
    #[error("NVRTC: {0:?}")]
    Nvrtc(cudarc::nvrtc::result::NvrtcError),
    /// An NCCL call failed (data parallelism across GPUs, [`crate::nccl`]).
    #[error("NCCL: {0}")]
    Nccl(String),
    /// A hyperparameter rejected by gd-runtime's checks.
    #[error(transparent)]
    Runtime(#[from] GdError),
    /// Training produced a non-finite loss.
    #[error("loss is not finite at epoch {epoch}")]
    Diverged {
        /// The epoch (from 0) whose mean loss was NaN or infinite.
        epoch: usize,
    },
}

/// `Err(DimensionMismatch)` unless `expected == got`.
pub fn same(what: &'static str, expected: usize, got: usize) -> Result<(), CudaError> {
    if expected == got {
        Ok(())
    } else {
        Err(CudaError::DimensionMismatch { what, expected, got })
    }
}
