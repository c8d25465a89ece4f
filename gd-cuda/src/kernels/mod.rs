//! The CUDA C sources of the built-in kernels, one module per topic, and
//! the [`Kernel`](crate::kernel::Kernel) values that name their entry points.
//!
//! Each source is a whole NVRTC program (the shared [`PRELUDE`] pasted in
//! front), so one compile per module gives all its entry points. Every
//! entry point is `extern "C"` (no name mangling) and loops grid-stride, so
//! any grid size is correct and [`LaunchShape`](crate::kernel::LaunchShape)
//! only tunes speed.

pub mod layers;
pub mod loss;
pub mod optim;

use crate::kernel::Kernel;

/// Helpers shared by every module: the activations by code (0 identity,
/// 1 ReLU, 2 tanh, 3 sigmoid; `Activation::code`) and a block sum added
/// atomically to one float.
pub const PRELUDE: &str = r#"
#define GD_GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
         i += (long long)blockDim.x * gridDim.x)

__device__ __forceinline__ float gd_act(int act, float z) {
    switch (act) {
        case 1: return fmaxf(z, 0.0f);
        case 2: return tanhf(z);
        case 3: return 1.0f / (1.0f + expf(-z));
        default: return z;
    }
}

/* The derivative from the activation's output y. */
__device__ __forceinline__ float gd_act_grad(int act, float y) {
    switch (act) {
        case 1: return y > 0.0f ? 1.0f : 0.0f;
        case 2: return 1.0f - y * y;
        case 3: return y * (1.0f - y);
        default: return 1.0f;
    }
}

/* Sum v over the block and add it to *acc (every thread must call this). */
__device__ __forceinline__ void gd_block_add(float* acc, float v) {
    __shared__ float part[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) part[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (int)((blockDim.x + 31) / 32) ? part[lane] : 0.0f;
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
        if (lane == 0) atomicAdd(acc, v);
    }
}
"#;

/// Every built-in kernel (names are unique: the cache is keyed by name).
pub fn all() -> Vec<&'static Kernel> {
    let mut v: Vec<&'static Kernel> = Vec::new();
    v.extend(layers::ALL);
    v.extend(loss::ALL);
    v.extend(optim::ALL);
    v
}
