//! Which functions run their second derivatives `K` tangents at a time.
//!
//! `f::hessian` runs the dual copy of the reverse sweep over `Lanes<F>`
//! (`K` tangent lanes, `gd::__private::LANES`) once per chunk of `K`
//! columns, so the primal and the sweep's bookkeeping are shared by the
//! chunk's columns. The lanes copy is the dual copy's code over another
//! scalar type, so it exists where that code is scalar code: no matrix or
//! parameter-struct values (their dual pairs carry one tangent matrix), no
//! split calls. Every other scalar-valued function gets a lanes copy that
//! runs its dual copy once per lane (`emit::lanes::per_lane`), so that any
//! caller's lanes copy can call it. Both are generic over the lane count;
//! where the copy runs the sweep, the dual copy is it at one lane.

use crate::ir::Ty;
use crate::lower::Lowered;
use crate::sig::{Class, Output, Sig};

/// Does the lanes copy run the sweep itself over `Lanes<F>`?
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
