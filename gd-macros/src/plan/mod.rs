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
//! - `recompute`: which loops the reverse sweep replays instead of saving
//!   each trip's values.
//! - `checkpoint`: which loops keep only some trips' states (`#[checkpoint]`),
//!   and why a marked loop cannot.
//! - `user_code`: what the verbatim user code in the IR binds and reads.

pub mod checkpoint;
pub mod fused;
pub mod lanes;
pub mod recompute;
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
    /// Fused loops whose sum's adjoint is known before they run, with it.
    pub seeded: HashMap<Temp, fused::Coef>,
    /// Loops reversed trip by trip in the forward sweep (seeded ones included).
    pub fused: HashSet<Temp>,
    /// `#[checkpoint]` loops, with their number of snapshots; replayed
    /// loops too (in `recomputed`).
    pub checkpointed: HashMap<Temp, checkpoint::Plan>,
}

impl Loops {
    pub fn of(body: &Block, temps: &[TempInfo]) -> Loops {
        let (mut recomputed, mut rebinding) = (HashSet::new(), HashSet::new());
        recompute::plan_recompute(body, &recompute::Ctx::Free, &mut recomputed, &mut rebinding, &mut Vec::new());
        let checkpointed = checkpoint::plan(body);
        let mut seeded = fused::plan_seeded(body, temps);
        // A checkpointed loop runs its own schedule, not a seeded reverse.
        seeded.retain(|c, _| !checkpointed.contains_key(c));
        let mut fused = HashSet::new();
        fused::plan_fused(body, temps, true, &recomputed, &seeded, &mut fused);
        Loops { recomputed, rebinding, seeded, fused, checkpointed }
    }
}
