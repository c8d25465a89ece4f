//! Emitters: IR → tokens. `sweep` writes the forward sweep (primal with
//! tangents for jvp, primal with value saves for vjp) and the reverse sweep;
//! `api` writes the functions and the module users call.

pub mod api;
pub mod check;
pub mod custom;
pub mod names;
mod replay;
mod second;
mod vector;
mod sweep;
mod fused;
mod tensor;
