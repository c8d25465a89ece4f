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
//! - `chunk`: which seeded loops run in chunks of trips whose terms are
//!   summed after the chunk, in order, and whose reads go through
//!   fixed-size views, so that the compiler vectorizes them.
//! - `carry`: which loads of a local array in a recurrence (`c[i - 1]`
//!   before `c[i] = ..`) pass their adjoint in a register to the store of
//!   an earlier trip, instead of through the array's adjoint in memory.
//! - `recompute`: which loops the reverse sweep replays instead of saving
//!   each trip's values.
//! - `retake`: which saving loops take each trip's item again (a range
//!   run backwards) and recompute the indices computed from it, instead of
//!   saving them.
//! - `rows`: which reads of data at `base + j` in loops over `lo..hi` take
//!   the row as a slice once (the loop versioned on its bounds), so that
//!   their trips do not bounds-check.
//! - `select`: which replayed loops are selection folds (a running `max`
//!   or `min`) that save and reverse only the trips where the running value
//!   does not win.
//! - `branchless`: which `if`s in loops both sweeps run without a branch,
//!   computing both (speculatable) arms and selecting their results;
//!   `float_cmp`: which of their conditions are float comparisons, whose
//!   masks the sweeps make with the SSE compare itself.
//! - `checkpoint`: which loops keep only some trips' states (`#[checkpoint]`),
//!   and why a marked loop cannot.
//! - `pow2`: which adjoints are kept scaled by a power of two, so that the
//!   rules' constant factors (`sqrt`'s 0.5, `powi(2)`'s 2) cancel when the
//!   macro runs instead of being multiplied in on every trip.
//! - `room`: which local arrays, made once per call and only indexed, the
//!   sweep keeps (with their adjoints) in room in its own frame instead of
//!   on the heap.
//! - `user_code`: what the verbatim user code in the IR binds and reads.

pub mod branchless;
pub mod carry;
pub mod chunk;
pub mod checkpoint;
pub mod float_cmp;
pub mod fused;
pub mod lanes;
pub mod pow2;
pub mod recompute;
pub mod retake;
pub mod room;
pub mod rows;
pub mod select;
pub mod user_code;
pub mod window;

use std::collections::{HashMap, HashSet};

use crate::ir::{Block, Temp, TempInfo};

/// How each loop of a function's body runs in the sweeps (by trip-count
/// temporary).
pub struct Loops {
    /// Replayed in the reverse sweep (see `recompute`).
    pub recomputed: HashSet<Temp>,
    /// Saving loops whose pattern a replay inside binds again.
    pub rebinding: HashSet<Temp>,
    /// Saving loops over ranges whose reverse runs the range backwards and
    /// runs these statements of the body (by position) again from each
    /// item, instead of saving the values they compute (see `retake`).
    pub retaken: HashMap<Temp, Vec<usize>>,
    /// Fused loops whose sum's adjoint is known before they run, with it.
    pub seeded: HashMap<Temp, fused::Coef>,
    /// Loops reversed trip by trip in the forward sweep (seeded ones included).
    pub fused: HashSet<Temp>,
    /// `#[checkpoint]` loops, with their number of snapshots; replayed
    /// loops too (in `recomputed`).
    pub checkpointed: HashMap<Temp, checkpoint::Plan>,
    /// Replayed loops that reverse only the trips where their running
    /// `max`/`min` does not win (see `select`).
    pub selects: HashMap<Temp, select::Select>,
}

impl Loops {
    pub fn of(body: &Block, temps: &[TempInfo]) -> Loops {
        let mut replays = recompute::Replays::default();
        recompute::plan_recompute(body, &recompute::Ctx::Free, temps, &mut replays);
        let recompute::Replays { recomputed, rebinding, retaken, .. } = replays;
        let checkpointed = checkpoint::plan(body);
        // Checkpointed loops are not seeded (see `fused::seeded_in`).
        let seeded = fused::plan_seeded(body, temps);
        let mut fused = HashSet::new();
        fused::plan_fused(body, temps, true, &recomputed, &seeded, &mut fused);
        let selects = select::plan(body, temps, &recomputed);
        Loops { recomputed, rebinding, retaken, seeded, fused, checkpointed, selects }
    }
}

/// Every loop in a block, nested ones included.
pub fn loops(b: &Block) -> Vec<&crate::ir::Loop> {
    let mut out = Vec::new();
    for s in b {
        if let crate::ir::Stmt::Loop(l) = s {
            out.push(&**l);
        }
        for c in s.children() {
            out.extend(loops(c));
        }
    }
    out
}
