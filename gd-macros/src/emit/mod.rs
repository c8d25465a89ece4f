//! Emitters: IR → tokens. `sweep` writes the forward sweep (primal with
//! tangents for jvp, primal with value saves for vjp) and the reverse sweep;
//! `api` writes the functions and the module users call; `call`, `fused`
//! and `tensor` hold the sweeps' parts for calls, accumulator loops and
//! matrices. What they print is decided beforehand, in `crate::plan`.

pub mod api;
pub mod check;
pub mod custom;
pub mod cuda;
pub mod cuda_expr;
mod second;
pub(crate) mod lanes;
mod call;
mod defer;
mod checkpoint;
mod chunk;
mod fused;
mod select;
mod branchless;
mod sweep;
mod tensor;
mod vector;
