//! `#[checkpoint]` loops: the forward sweep keeps only the loop's starting
//! state and trip count; the reverse sweep replays trips from at most K
//! stored states on a binomial schedule (`gd::__private::Revolve`), taping and
//! reversing one trip at a time. Such a loop is a replayed loop (see
//! `recompute`) that keeps K states instead of every trip's inputs, so it
//! must meet the same conditions; `check` says which one failed.

use std::collections::HashMap;

use crate::ir::*;
use crate::plan::recompute::{is_reversible_range, passive_carried, plan_recompute, Ctx, Replays};

/// How a checkpointed loop's reverse sweep runs.
#[derive(Clone)]
pub struct Plan {
    /// The most copies of the state it keeps.
    pub snapshots: usize,
    /// Plain variables of the user's that the body assigns (`i += 1`):
    /// part of the state, beside the back edges' headers.
    pub names: Vec<proc_macro2::Ident>,
}

/// The checkpointed loops (by trip-count temporary) and their plans.
/// Call after `check` passed.
pub fn plan(body: &Block) -> HashMap<Temp, Plan> {
    let mut out = HashMap::new();
    fn go(b: &Block, out: &mut HashMap<Temp, Plan>) {
        for s in b {
            if let Stmt::Loop(l) = s {
                if let Some(c) = &l.checkpoint {
                    out.insert(l.count, Plan { snapshots: c.snapshots, names: passive_carried(&l.body) });
                }
            }
            for c in s.children() {
                go(c, out);
            }
        }
    }
    go(body, &mut out);
    out
}

/// A spanned error for each `#[checkpoint]` loop that cannot be checkpointed.
pub fn check(body: &Block, temps: &[TempInfo]) -> syn::Result<()> {
    let mut replays = Replays::default();
    plan_recompute(body, &Ctx::Free, temps, &mut replays);
    let mut why = replays.why;
    fn go(b: &Block, temps: &[TempInfo], why: &mut Vec<syn::Error>) {
        for s in b {
            if let Stmt::Loop(l) = s {
                if let Some(c) = &l.checkpoint {
                    let reason = match &l.head {
                        // Trip k's item is taken again with `nth(k)`, O(1) on ranges.
                        LoopHead::For { iter, .. } if !is_reversible_range(iter) => Some(
                            "a checkpointed `for` loop must run over a range (`a..b`, `(a..b).rev()`), whose k-th item the reverse sweep takes again; loop over indices instead",
                        ),
                        _ if l.backedge.iter().any(|(h, _)| temps[h.0].ty == Ty::Pullback) => {
                            Some("it carries the reverse sweep of a matrix-valued call, which cannot be copied into a snapshot")
                        }
                        _ => None,
                    };
                    if let Some(r) = reason {
                        why.push(syn::Error::new_spanned(&c.attr, format!("#[checkpoint]: this loop cannot be checkpointed: {r}")));
                    }
                }
            }
            for c in s.children() {
                go(c, temps, why);
            }
        }
    }
    go(body, temps, &mut why);
    let mut errs = why.into_iter();
    let Some(mut first) = errs.next() else { return Ok(()) };
    errs.for_each(|e| first.combine(e));
    Err(first)
}
