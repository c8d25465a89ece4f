//! Planning: the decisions the sweeps take, made on the IR before anything
//! is printed. `lower` builds the IR, a plan annotates it, `emit` prints what
//! the plan says.
//!
//! - `fused`: which accumulator loops reverse each trip in the forward
//!   sweep, and which of those know their sum's adjoint up front (seeded).
//! - `window`: how a seeded loop's reads of an array parameter at indices
//!   affine in the trip (`x[i]`, `x[i + 1]`, `c[0]` of `chunks_exact(2)`)
//!   write their gradient: each element once, the contributions of later
//!   trips carried in registers; and whether `value_and_grad_set` may
//!   assign instead of zeroing and adding.
//! - `user_code`: what the verbatim user code in the IR binds and reads.

pub mod fused;
pub mod user_code;
pub mod window;
