//! Which functions run their second derivatives `K` tangents at a time.
//!
//! `f::hessian` runs the dual copy of the reverse sweep over `Lanes<F>`
//! (`K` tangent lanes, `gd::__private::LANES`) once per chunk of `K`
//! columns, so the primal and the sweep's bookkeeping are shared by the
//! chunk's columns. The lanes copy is the dual copy's code over another
//! scalar type, so it exists where that code is scalar code: no matrix or
//! parameter-struct values (their dual pairs carry one tangent matrix), no
//! split calls, a scalar output. Every other scalar- or vector-valued
//! function gets a lanes copy that runs its dual copy once per lane
//! (`emit::lanes::per_lane`), so that any caller's lanes copy can call it.
//! Both are generic over the lane count; where the copy runs the sweep, the
//! dual copy is it at one lane.

use crate::ir::{Lowered, Ty};
use crate::sig::{Class, Output, Sig};

/// Does the lanes copy run the sweep itself over `Lanes<F>`?
/// A vector-valued function's lanes copy, which only its callers' lanes
/// copies run (`let (a, b) = f(..)`), runs its dual copy per lane: a sweep
/// over lanes would be a third copy of the sweep in every vector-valued
/// function, used or not (`residuals` in tests/vector_outputs.rs expands
/// to 36.1 kB with it, 29.3 kB with the per-lane wrapper, 15.6 kB before
/// vector-valued functions had a dual copy).
pub fn sweeps_over_lanes(sig: &Sig, low: &Lowered) -> bool {
    matches!(sig.out, Output::Scalar)
        && !sig.params.iter().any(|p| matches!(p.class, Class::Tensor { .. }))
        && !low.temps.iter().any(|t| matches!(t.ty, Ty::Tensor | Ty::Pullback))
}

/// Does `hessian` take its columns `K` at a time? Not over a matrix or
/// struct parameter, whose tangent the lanes copy's ABI cannot carry `K`
/// of: those take one `hvp` per column.
pub fn chunked_hessian(sig: &Sig) -> bool {
    !sig.params.iter().any(|p| p.wrt && matches!(p.class, Class::Tensor { .. }))
}
