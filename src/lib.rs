//! # gd: differentiable programs in plain Rust
//!
//! Put `#[differentiable]` on an ordinary numeric function and the macro writes
//! its derivative code at compile time (source transformation: no tape, no
//! boxed graph). See the README for the supported language and generated API.

pub use gd_macros::differentiable;
pub use gd_runtime as runtime;
// Parameter structs: the trait (`gd::runtime::Params`) and its derive,
// `#[derive(gd::Params)]`, share the name as serde's `Serialize` does.
pub use gd_macros::Params;
pub use gd_runtime::Params;

/// The bound of a function differentiated for `f32` and `f64` at once:
/// `#[differentiable] fn f<F: gd::Float>(x: &[F]) -> F`.
pub use gd_runtime::Float;

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
