//! Emitters: IR → tokens. `sweep` writes the forward sweep (primal with
//! tangents for jvp, primal with value saves for vjp) and the reverse sweep;
//! `api` writes the functions and the module users call; `call`, `fused`,
//! `replay` and `tensor` hold the sweeps' parts for calls, accumulator
//! loops, recomputed loops and matrices.

pub mod api;
pub mod check;
pub mod custom;
pub mod names;
mod replay;
mod second;
mod call;
mod fused;
mod sweep;
mod tensor;
mod vector;
