//! The general kernel layer: a kernel is a CUDA C source, an entry name and
//! a launch shape. [`KernelCache`] compiles a source with NVRTC to CUBIN for
//! the device's compute capability the first time one of its entries is
//! launched, loads it into the context, and keeps the functions by name.
//! Nothing here knows about MLPs: code generated later (e.g. kernels that
//! `#[differentiable]` emits from users' scalar code) goes through the same
//! path with [`Kernel::standalone`].

use std::collections::HashMap;
use std::ffi::{c_char, CString};
use std::sync::{Arc, Mutex};

use cudarc::driver::{CudaContext, CudaFunction, CudaModule, LaunchConfig};
use cudarc::nvrtc::{result as nvrtc, sys as nvrtc_sys, Ptx};

use crate::error::CudaError;

/// How to launch a kernel over `items` items: blocks of `block` threads,
/// at most `max_blocks` blocks (the kernels loop grid-stride beyond that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchShape {
    /// Threads per block (a multiple of 32, at most 1024).
    pub block: u32,
    /// Upper bound on the grid.
    pub max_blocks: u32,
}

impl LaunchShape {
    /// One thread per element, 256 per block.
    pub const ELEMENTWISE: LaunchShape = LaunchShape { block: 256, max_blocks: 1 << 16 };

    /// The launch configuration for `items` items (at least one block).
    pub fn config(&self, items: usize) -> LaunchConfig {
        let blocks = items.div_ceil(self.block as usize).clamp(1, self.max_blocks as usize) as u32;
        LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (self.block, 1, 1), shared_mem_bytes: 0 }
    }
}

/// A kernel: entry `name` (an `extern "C" __global__` function) in the
/// program `prelude + source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kernel {
    /// The entry point; also the cache key, so unique per cache.
    pub name: &'static str,
    /// The program's own text.
    pub source: &'static str,
    /// Text pasted before `source` (the built-ins' shared helpers).
    pub prelude: &'static str,
    /// How to launch it.
    pub shape: LaunchShape,
}

impl Kernel {
    /// A built-in kernel: `source` is compiled after [`crate::kernels::PRELUDE`].
    pub const fn new(name: &'static str, source: &'static str, shape: LaunchShape) -> Kernel {
        Kernel { name, source, prelude: crate::kernels::PRELUDE, shape }
    }
    /// A kernel whose `source` is a whole program by itself.
    pub const fn standalone(name: &'static str, source: &'static str, shape: LaunchShape) -> Kernel {
        Kernel { name, source, prelude: "", shape }
    }
    /// The program NVRTC compiles.
    pub fn program(&self) -> String {
        format!("{}\n{}", self.prelude, self.source)
    }
}

/// NVRTC options for a device of compute capability `(major, minor)`:
/// straight to CUBIN (`sm_XY`), no PTX JIT at load time. The language
/// dialect is NVRTC's default (the sources are C-like and need nothing
/// newer; naming one could be refused by a later NVRTC).
pub fn nvrtc_options(cc: (i32, i32)) -> Vec<String> {
    vec![format!("--gpu-architecture=sm_{}{}", cc.0, cc.1)]
}

/// Whether NVRTC can be loaded (it needs no GPU: a machine with the
/// library but no device can still check that a program compiles).
pub fn nvrtc_present() -> bool {
    // SAFETY: only tries to dlopen the library by its usual names.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// Compile `program` to CUBIN with NVRTC. A rejected source is a
/// [`CudaError::Compile`] carrying NVRTC's log.
pub fn compile_cubin(kernel: &'static str, program: &str, cc: (i32, i32)) -> Result<Vec<u8>, CudaError> {
    let src = CString::new(program).map_err(|_| CudaError::Invalid(format!("kernel `{kernel}`: source holds a NUL byte")))?;
    let options = nvrtc_options(cc);
    let prog = nvrtc::create_program(&src, None).map_err(CudaError::Nvrtc)?;
    let result = (|| unsafe {
        if nvrtc::compile_program(prog, &options).is_err() {
            let log = nvrtc::get_program_log(prog).map_err(CudaError::Nvrtc)?;
            let bytes: Vec<u8> = log.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
            return Err(CudaError::Compile { kernel, options: options.clone(), log: String::from_utf8_lossy(&bytes).into_owned() });
        }
        let mut size = 0usize;
        nvrtc_sys::nvrtcGetCUBINSize(prog, &mut size).result().map_err(CudaError::Nvrtc)?;
        let mut cubin = vec![0u8; size];
        nvrtc_sys::nvrtcGetCUBIN(prog, cubin.as_mut_ptr() as *mut c_char).result().map_err(CudaError::Nvrtc)?;
        Ok(cubin)
    })();
    unsafe { nvrtc::destroy_program(prog) }.map_err(CudaError::Nvrtc)?;
    result
}

/// Compiled modules and their functions, for one context.
#[derive(Debug)]
pub struct KernelCache {
    ctx: Arc<CudaContext>,
    cc: (i32, i32),
    functions: Mutex<HashMap<&'static str, CudaFunction>>,
    modules: Mutex<HashMap<String, Arc<CudaModule>>>,
}

impl KernelCache {
    /// An empty cache for `ctx`, whose device has compute capability `cc`.
    pub fn new(ctx: Arc<CudaContext>, cc: (i32, i32)) -> Self {
        KernelCache { ctx, cc, functions: Mutex::default(), modules: Mutex::default() }
    }

    /// The function of `k`, compiling and loading its program on first use.
    pub fn function(&self, k: &Kernel) -> Result<CudaFunction, CudaError> {
        if let Some(f) = self.functions.lock().expect("kernel cache poisoned").get(k.name) {
            return Ok(f.clone());
        }
        let program = k.program();
        let mut modules = self.modules.lock().expect("kernel cache poisoned");
        let module = match modules.get(&program) {
            Some(m) => m.clone(),
            None => {
                let cubin = compile_cubin(k.name, &program, self.cc)?;
                let m = self.ctx.load_module(Ptx::from_binary(cubin))?;
                modules.insert(program, m.clone());
                m
            }
        };
        let f = module.load_function(k.name)?;
        self.functions.lock().expect("kernel cache poisoned").insert(k.name, f.clone());
        Ok(f)
    }

    /// Compile every kernel in `ks` now (so that timings exclude NVRTC).
    pub fn warm(&self, ks: &[&Kernel]) -> Result<(), CudaError> {
        for k in ks {
            self.function(k)?;
        }
        Ok(())
    }
}

/// CUDA's built-ins as host C++ stubs, so that a host compiler can build a
/// kernel program without a GPU (the tests' syntax and type checks, and the
/// kernels run block by block on the host). `__shfl_down_sync` is the
/// caller's: what the other lanes hold depends on how the program is run.
pub const HOST_STUBS: &str = r#"
#include <math.h>
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
struct gd_dim3 { unsigned x, y, z; };
struct float4 { float x, y, z, w; };
static gd_dim3 blockIdx, threadIdx, blockDim, gridDim;
static inline void __syncthreads() {}
static inline float atomicAdd(float* a, float v) { float o = *a; *a += v; return o; }
"#;
