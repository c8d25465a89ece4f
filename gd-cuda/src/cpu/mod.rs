//! The CPU path: a reference implementation in plain Rust loops, generic
//! over f32/f64 ([`real::Real`]).

pub mod mlp;
pub mod ops;
pub mod optim;
pub mod real;
pub mod train;
