//! Is there a usable GPU? Library probes first (cudarc's
//! `is_culib_present`), then the driver's device count, then a context.
//! Every "no" is a [`CudaError::NoGpu`] with the reason, never a panic.

use cudarc::driver::CudaContext;

use crate::error::CudaError;

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuInfo {
    /// Device ordinal.
    pub ordinal: usize,
    /// The device's name.
    pub name: String,
    /// `(major, minor)`.
    pub compute_capability: (i32, i32),
    /// Bytes of device memory.
    pub total_mem: usize,
}

fn no(reason: impl Into<String>) -> CudaError {
    CudaError::NoGpu { reason: reason.into() }
}

/// Probe device `ordinal`.
pub fn probe(ordinal: usize) -> Result<GpuInfo, CudaError> {
    // SAFETY: these only try to dlopen the libraries by their usual names.
    let libs = unsafe {
        [
            ("the CUDA driver (libcuda)", cudarc::driver::sys::is_culib_present()),
            ("NVRTC (libnvrtc)", cudarc::nvrtc::sys::is_culib_present()),
            ("cuBLAS (libcublas)", cudarc::cublas::sys::is_culib_present()),
        ]
    };
    let missing: Vec<&str> = libs.iter().filter(|(_, ok)| !ok).map(|(name, _)| *name).collect();
    if !missing.is_empty() {
        return Err(no(format!("cannot load {}", missing.join(", "))));
    }
    // The libraries are there; a panic below would be a cudarc bug (e.g. a
    // symbol missing from an old driver): report it as "no GPU" too.
    let found = std::panic::catch_unwind(|| -> Result<GpuInfo, String> {
        let count = CudaContext::device_count().map_err(|e| format!("the driver reports no device ({e})"))?;
        if count <= 0 || ordinal >= count as usize {
            return Err(format!("{count} CUDA device(s), asked for ordinal {ordinal}"));
        }
        let ctx = CudaContext::new(ordinal).map_err(|e| format!("cannot create a context on device {ordinal}: {e}"))?;
        Ok(GpuInfo {
            ordinal,
            name: ctx.name().unwrap_or_else(|_| "unknown".into()),
            compute_capability: ctx.compute_capability().map_err(|e| e.to_string())?,
            total_mem: ctx.total_mem().map_err(|e| e.to_string())?,
        })
    });
    match found {
        Ok(Ok(info)) => Ok(info),
        Ok(Err(reason)) => Err(no(reason)),
        Err(_) => Err(no("the CUDA libraries panicked while probing (incompatible driver?)")),
    }
}

/// The GPU for a test or bench, or `None` after printing why it is skipped.
/// With `GD_REQUIRE_GPU=1` in the environment a missing GPU panics instead,
/// so that a GPU machine cannot pass by skipping.
pub fn gpu_or_skip(what: &str) -> Option<super::Gpu> {
    match super::Gpu::new(0) {
        Ok(gpu) => Some(gpu),
        Err(e) => {
            if std::env::var("GD_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("{what}: GD_REQUIRE_GPU=1 but {e}");
            }
            eprintln!("SKIPPED {what}: {e} (set GD_REQUIRE_GPU=1 to fail instead)");
            None
        }
    }
}
