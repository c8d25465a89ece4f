//! Selection folds: replayed loops whose reverse is the identity on most
//! trips, and that save and reverse only the others.
//!
//! A running maximum (`m = m.max(x[i])`, `.fold(f64::NEG_INFINITY,
//! f64::max)`, `min`, an operand computed from the trip: `m.max(x[i] *
//! x[i])`) takes, on every trip where the running value strictly wins, the
//! `max` rule's first case: partials 1 for the running value and 0 for the
//! other operand. The reverse of such a trip passes the running value's
//! adjoint back unchanged and nothing to anything else, so it can be left
//! out. A replayed loop (see `recompute`) saves its carried value at every
//! trip and reverses every trip; a selection fold instead saves the carried
//! value and the trip's position only on the trips where the running value
//! does not win strictly (a new maximum, a tie, a NaN: a few trips on most
//! data), and its reverse replays and reverses those trips alone, last
//! first, each exactly as before: ties and NaN keep their conventions.
//!
//! A loop qualifies when it is replayed, runs a range to its end, carries
//! one float, and every derivative in its body goes through one `max` or
//! `min` of the carried value: the carried value is read by that operation
//! only, its result reaches the back edge through copies only, nothing
//! after the loop reads a value computed in the body (it would send an
//! adjoint to the last trip, which may be left out), and the body has no
//! branch, nested loop, store or push, nor calls but of floats and data. Everything else the body
//! computes feeds the other operand, whose adjoint on a left-out trip is 0.
//!
//! The one difference from reversing every trip: a left-out trip adds no
//! `0 × ȳ` into the other operand's adjoint, which matters only when the
//! carried value's adjoint `ȳ` is infinite or NaN (`0 × ∞` is NaN).
//!
//! Where one trip alone produced the result (no tie, not NaN), the forward
//! sweep finds it after running the fold plain, which LLVM vectorises, and
//! saves it alone: a trip won by a NaN operand or a new maximum that a later
//! trip overtook gets no adjoint, so it is left out too (`emit::select`).

use std::collections::{HashMap, HashSet};

use super::fused::count_reads;
use super::recompute::{is_reversible_range, never_breaks};
use super::user_code::idents;
use crate::ir::*;

/// A selection fold's running value and the operation that updates it.
pub struct Select {
    /// The carried value (the loop header) as the operation reads it.
    pub carried: Temp,
    /// The operation's other operand.
    pub other: Operand,
    /// `max` (the carried value wins when greater) or `min` (when less).
    pub max: bool,
}

/// The selection folds among the replayed loops of a function's body, by
/// trip-count temporary.
pub fn plan(body: &Block, temps: &[TempInfo], recomputed: &HashSet<Temp>) -> HashMap<Temp, Select> {
    let mut all = HashMap::new();
    count_reads(body, &mut all);
    super::loops(body)
        .into_iter()
        .filter(|l| recomputed.contains(&l.count))
        .filter_map(|l| select(l, temps, &all).map(|s| (l.count, s)))
        .collect()
}

fn select(l: &Loop, temps: &[TempInfo], all: &HashMap<Temp, usize>) -> Option<Select> {
    let LoopHead::For { iter, .. } = &l.head else { return None };
    let [(h, end)] = l.backedge[..] else { return None };
    if l.checkpoint.is_some() || !is_reversible_range(iter) || !never_breaks(l) || !temps[h.0].active || temps[h.0].ty != Ty::Float {
        return None;
    }
    // Straight-line code of floats and data only, and calls of scalars (a
    // call's reverse, given a zero adjoint, adds zeros like an operation's).
    let plain = l.body.iter().all(|s| match s {
        Stmt::Op { .. } | Stmt::Copy { .. } | Stmt::Load { .. } | Stmt::Alias { .. } | Stmt::Verbatim(_) => true,
        Stmt::Call { args, pullback: None, .. } => args.iter().all(|a| matches!(a, CallArg::Scalar(_) | CallArg::Passive(_) | CallArg::Literal(_))),
        Stmt::Set { dst, .. } => !temps[dst.0].active,
        _ => false,
    });
    if !plain {
        return None;
    }
    let mut inner = HashMap::new();
    count_reads(&l.body, &mut inner);
    let reads = |x: Temp| inner.get(&x).copied().unwrap_or(0);
    // The one operation that reads the carried value: max or min of it and
    // something else.
    if reads(h) != 1 {
        return None;
    }
    let (op, sel) = l.body.iter().find_map(|s| match s {
        Stmt::Op { dst, prim, args } if args.iter().any(|a| matches!(a, Operand::Temp(x) if *x == h)) => {
            let max = match prim.0.name {
                "max" => true,
                "min" => false,
                _ => return None,
            };
            let other = args.iter().find(|a| !matches!(a, Operand::Temp(x) if *x == h))?.clone();
            Some((*dst, Select { carried: h, other, max }))
        }
        _ => None,
    })?;
    // Its result reaches the back edge through a line of copies, each read
    // once, by the next.
    let mut chain = vec![op];
    while *chain.last()? != end {
        let at = *chain.last()?;
        if reads(at) != 1 {
            return None;
        }
        let next = l.body.iter().find_map(|s| match s {
            Stmt::Copy { dst, src: Operand::Temp(x) } if *x == at => Some(*dst),
            _ => None,
        })?;
        chain.push(next);
    }
    if reads(end) != 0 || chain.contains(&Temp(0)) {
        return None;
    }
    // Nothing after the loop reads a value of the body (the back edge reads `end`).
    let mut defs = Vec::new();
    l.body.iter().for_each(|s| defs.extend(s.defs()));
    let escapes = |x: &Temp| all.get(x).copied().unwrap_or(0) != reads(*x) + usize::from(*x == end);
    if defs.iter().any(escapes) {
        return None;
    }
    // User code reads neither the carried value nor the chain by name.
    let mut named = HashSet::new();
    for s in &l.body {
        match s {
            Stmt::Set { expr: ts, .. } | Stmt::Verbatim(ts) => idents(ts, &mut named),
            _ => {}
        }
    }
    let seen = l.body.iter().any(|s| matches!(s, Stmt::Alias { name, src, .. } if (*src == h || chain.contains(src)) && named.contains(&name.to_string())));
    (!seen).then_some(sel)
}
