//! Saving loops that take each trip's item again instead of saving what is
//! computed from it.
//!
//! A loop the reverse sweep cannot replay (it writes a local array made
//! before it, `c[i] = c[i - 1] + x[i]`; or its body is dear) saves, at the
//! end of each trip, every value its reverse reads: among them the indices
//! of its loads and stores (`to_usize(i)`, `to_usize(i - 1)`), two stack
//! pushes and pops per trip for values that cost one add to compute. When
//! the loop runs over a range (or a reversed range) and runs all its trips,
//! the reverse sweep can run the range backwards for each trip's item
//! instead (as a replayed loop does, see `recompute::runs_backwards`), bind
//! the pattern to it, and recompute the passive values the body computes
//! from the item alone. Only those values are recomputed; everything else
//! is still saved.
//!
//! A value qualifies when it is a passive `Set` at the top level of the body
//! (so it runs on every trip), assigned once there, by pure user code
//! (`user_code::pure`: running it again gives the same result) that reads
//! only the pattern's names, names bound by a pure `let` at the top level
//! before it that qualifies the same way (`let i = 2 * k;`, run again too),
//! and names that stay put: none that the body binds or changes, nor that
//! code after the loop binds again, nor, inside saving loops, names their
//! bodies bind (`Ctx::sees`). The range's own names must stay put the same
//! way, so that it gives the same items when evaluated again.

use std::collections::HashSet;

use super::fused::defs_of;
use super::recompute::{binds, binds_any, is_reversible_range, never_breaks, Ctx};
use super::user_code::{idents, is_let, let_names, pure};
use crate::ir::*;

/// The statements of a saving loop's body (by position) that its reverse
/// runs again from each item, if it takes its items again (`rest`: the
/// statements after it in its block).
pub(crate) fn replayed(l: &Loop, ctx: &Ctx, temps: &[TempInfo], rest: &[Stmt]) -> Option<Vec<usize>> {
    let LoopHead::For { pat, iter } = &l.head else { return None };
    if l.checkpoint.is_some() || !is_reversible_range(iter) || !never_breaks(l) {
        return None;
    }
    // Names bound by the pattern or by a `let` run again: the same values.
    let mut local = HashSet::new();
    idents(pat, &mut local);
    let body_names = bound_or_changed(&l.body);
    let mut outside: HashSet<String> = HashSet::new();
    idents(iter, &mut outside);
    let mut out = Vec::new();
    let mut sets = 0;
    for (k, s) in l.body.iter().enumerate() {
        let (expr, binds) = match s {
            Stmt::Set { dst, expr } => {
                let ty = temps[dst.0].ty;
                let plain = !temps[dst.0].active && matches!(ty, Ty::Usize | Ty::I32 | Ty::Bool | Ty::Float) && defs_of(*dst, &l.body) == 1;
                (plain.then_some(expr), HashSet::new())
            }
            // `let i = 2 * k;`: a pure `let` without `mut` binds the same value again.
            Stmt::Verbatim(ts) if is_let(ts) && !ts.to_string().contains("mut") => {
                let mut b = HashSet::new();
                let_names(ts, &mut b);
                (Some(ts), b)
            }
            _ => (None, binds(s)),
        };
        let mut names = HashSet::new();
        if let Some(e) = expr {
            idents(e, &mut names);
            names.retain(|n| !binds.contains(n));
        }
        // Generated names other than the pattern's are temporaries, which
        // the reverse sweep may have changed; `__gd_S` is the scalar type.
        let stays = |n: &String| local.contains(n) || !body_names.contains(n) && (!n.starts_with("__gd_") || n == "__gd_S");
        let again = expr.is_some_and(|e| pure(e)) && names.iter().all(stays);
        if again {
            outside.extend(names.into_iter().filter(|n| !local.contains(n)));
            sets += matches!(s, Stmt::Set { .. }) as usize;
            out.push(k);
            local.extend(binds);
        } else {
            // A name bound again by what is not run again is not local any more.
            local.retain(|n| !binds.contains(n));
        }
    }
    let placed = ctx.sees(&outside) && outside.is_disjoint(&body_names) && !rest.iter().any(|s| binds_any(s, &outside));
    (placed && sets > 0).then_some(out)
}


/// Names the block binds (`let`s, aliases) or may change (any name that
/// user code other than a `let`, or impure captured code, mentions), at any
/// depth.
pub(crate) fn bound_or_changed(b: &Block) -> HashSet<String> {
    let mut out = HashSet::new();
    for s in b {
        match s {
            Stmt::Alias { name, .. } | Stmt::AliasArr { name, .. } => {
                out.insert(name.to_string());
            }
            Stmt::Verbatim(ts) if is_let(ts) => {
                let_names(ts, &mut out);
                // `let r = &mut n;` lets later code change `n`.
                if !pure(ts) || ts.to_string().contains("mut") {
                    idents(ts, &mut out);
                }
            }
            Stmt::Verbatim(ts) => idents(ts, &mut out),
            Stmt::Set { expr, .. } if !pure(expr) => idents(expr, &mut out),
            Stmt::Loop(l) => {
                if let LoopHead::For { pat, .. } = &l.head {
                    idents(pat, &mut out);
                }
            }
            _ => {}
        }
        for c in s.children() {
            out.extend(bound_or_changed(c));
        }
    }
    out
}
