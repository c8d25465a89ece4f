//! # gd: differentiable programs in plain Rust
//!
//! Put `#[differentiable]` on an ordinary numeric function and the macro writes
//! its derivative code at compile time (source transformation: no tape, no
//! boxed graph). See the README for the supported language and generated API.

pub use gd_macros::differentiable;
pub use gd_runtime as runtime;

/// Identity whose derivative is zero: `stop_gradient(x)` is `x` as a constant.
#[inline(always)]
pub fn stop_gradient<T>(x: T) -> T {
    x
}

#[doc(hidden)]
pub mod __private;

/// nalgebra, as `f::hessian` returns its matrices.
pub use nalgebra;

/// The CUDA backend (feature `cuda`): MLP training and optimizer updates on
/// an NVIDIA GPU, with the same model description on the CPU.
#[cfg(feature = "cuda")]
pub use gd_cuda as cuda;
