//! Reverse mode can recompute a loop's trips instead of saving their values:
//! it saves only each trip's inputs (the loop-carried values and the
//! iterator's item), then replays the trip forward before its adjoint. That is
//! faster for the short bodies numeric loops have. The replay runs at the end
//! of the function (or of the enclosing replayed trip), so it is allowed when
//! it sees the same world as the first run:
//! - the loop sits at the top level of the function, or of a replayed loop's
//!   body (names bound in a branch or block are out of scope by then);
//! - its body runs no user statement other than `let` (no assignment to an
//!   outer variable, no macro) and touches no local array created outside it;
//! - no name its body reads is bound again later in the enclosing block.

use std::collections::{HashMap, HashSet};

use proc_macro2::TokenStream;

use crate::ir::*;
use crate::plan::user_code::{assigned_name, idents, is_let, let_names, pure};
use crate::rules;

/// Where a loop sits, for `plan_recompute`.
pub(crate) enum Ctx {
    /// At the top level of the function or of a replayed trip: every name in
    /// scope there is in scope for the replay.
    Free,
    /// At the top level of saving loops' bodies (`outers`, innermost last),
    /// which bind their patterns again in the reverse sweep but not the other
    /// names their bodies bind (`bound`).
    Saved { outers: Vec<Temp>, bound: HashSet<String> },
    /// Inside a branch or block: the replay would not see its names.
    Closed,
}

/// What `plan_recompute` decides, by loop (trip-count temporary).
#[derive(Default)]
pub(crate) struct Replays {
    /// Loops the reverse sweep replays.
    pub recomputed: HashSet<Temp>,
    /// Saving loops whose pattern a replay inside binds again.
    pub rebinding: HashSet<Temp>,
    /// Saving loops that take their items again (see `retake`), with the
    /// positions of the body's statements they run again.
    pub retaken: HashMap<Temp, Vec<usize>>,
    /// For each `#[checkpoint]` loop that cannot be replayed, the reason
    /// (a checkpointed loop is a replayed loop that keeps only some trips' inputs).
    pub why: Vec<syn::Error>,
}

impl Ctx {
    /// Whether a replay emitted where the reverse sweep reaches a loop here
    /// sees these names as the loop's trips saw them (those bound in the
    /// bodies of saving loops around it are gone).
    pub(crate) fn sees(&self, names: &HashSet<String>) -> bool {
        match self {
            Ctx::Free => true,
            Ctx::Saved { bound, .. } => names.is_disjoint(bound),
            Ctx::Closed => false,
        }
    }
}

pub(crate) fn plan_recompute(block: &Block, ctx: &Ctx, temps: &[TempInfo], out: &mut Replays) {
    for (i, s) in block.iter().enumerate() {
        match s {
            Stmt::Loop(l) => {
                let mut free = free_names(&l.body);
                // A checkpointed loop snapshots the plain variables it
                // assigns (`i += 1`): their later values do not matter.
                let ck = l.checkpoint.is_some();
                if ck {
                    for n in passive_carried(&l.body) {
                        free.remove(&n.to_string());
                    }
                }
                // The replay also takes a range's items again.
                if let LoopHead::For { iter, .. } = &l.head {
                    idents(iter, &mut free);
                }
                let placed = ctx.sees(&free);
                let obstacle = replay_obstacle(&l.body, ck);
                let (replays, later) = (obstacle.is_none(), block[i + 1..].iter().any(|later| binds_any(later, &free)));
                // A checkpointed loop is replayed whatever its body costs.
                let ok = placed && replays && (l.checkpoint.is_some() || cheap(&l.body)) && !later;
                if let (Some(c), false) = (&l.checkpoint, ok) {
                    let reason = if !placed {
                        "it sits inside a branch or a block, or reads a name bound in the body of a loop around it; the reverse sweep replays its trips where those names are gone (move it to the top level of the function or of a loop body)"
                    } else if let Some(why) = obstacle {
                        why
                    } else {
                        "a name it reads is bound again or changed after it, so its trips could not be replayed with the values they first saw"
                    };
                    out.why.push(syn::Error::new_spanned(&c.attr, format!("#[checkpoint]: this loop cannot be checkpointed: {reason}")));
                }
                // A saving loop may still take its items again.
                let retaken = if ok { None } else { super::retake::replayed(l, ctx, temps, &block[i + 1..]) };
                if ok || retaken.is_some() {
                    if ok {
                        out.recomputed.insert(l.count);
                    }
                    if let Some(again) = retaken {
                        out.retaken.insert(l.count, again);
                    }
                    if let Ctx::Saved { outers, .. } = ctx {
                        out.rebinding.extend(outers.iter().copied());
                    }
                }
                let inner = if ok {
                    Ctx::Free
                } else {
                    let (mut outers, mut bound) = match ctx {
                        Ctx::Free => (Vec::new(), HashSet::new()),
                        Ctx::Saved { outers, bound } => (outers.clone(), bound.clone()),
                        Ctx::Closed => (Vec::new(), HashSet::new()),
                    };
                    let mut names = bound_names(&l.body);
                    if let LoopHead::For { pat, .. } = &l.head {
                        let mut own = HashSet::new();
                        idents(pat, &mut own);
                        names.retain(|n| !own.contains(n));
                        outers.push(l.count);
                    }
                    bound.extend(names);
                    if matches!(ctx, Ctx::Closed) {
                        Ctx::Closed
                    } else {
                        Ctx::Saved { outers, bound }
                    }
                };
                plan_recompute(&l.body, &inner, temps, out);
            }
            _ => {
                for c in s.children() {
                    plan_recompute(c, &Ctx::Closed, temps, out);
                }
            }
        }
    }
}

/// Names a block binds at its top level (`let`s and aliases).
fn bound_names(b: &Block) -> HashSet<String> {
    b.iter().flat_map(binds).collect()
}

/// Names a statement binds for the ones after it in its block (a `let`, an
/// alias), or assigns as a whole (`o = i`).
pub(crate) fn binds(s: &Stmt) -> HashSet<String> {
    let mut out = HashSet::new();
    match s {
        Stmt::Alias { name, .. } | Stmt::AliasArr { name, .. } => {
            out.insert(name.to_string());
        }
        Stmt::Verbatim(ts) => let_names(ts, &mut out),
        _ => {}
    }
    out
}

/// A body worth replaying rather than saving: arithmetic and cheap float
/// functions only. Transcendental functions and calls cost more to run again
/// than their results cost to save.
fn cheap(b: &Block) -> bool {
    const CHEAP: &[&str] = &["abs", "max", "min", "mul_add", "clamp", "recip", "fract", "powi", "hypot", "sqrt"];
    b.iter().all(|s| {
        let here = match s {
            Stmt::Op { prim, .. } => matches!(prim.0.kind, rules::Kind::Operator(_)) || CHEAP.contains(&prim.0.name),
            Stmt::Call { .. } | Stmt::CallArr { .. } | Stmt::TOp { .. } | Stmt::TMap { .. } => false,
            _ => true,
        };
        here && s.children().into_iter().all(cheap)
    })
}

/// Why the reverse sweep cannot replay a loop body, if it cannot.
/// `assigns`: user assignments to plain variables are allowed too (a
/// checkpointed loop snapshots them, see `passive_carried`).
fn replay_obstacle(body: &Block, assigns: bool) -> Option<&'static str> {
    fn created(b: &Block, out: &mut HashSet<usize>) {
        for s in b {
            if let Stmt::ArrNew { arr, .. } = s {
                out.insert(*arr);
            }
            for c in s.children() {
                created(c, out);
            }
        }
    }
    fn obstacle(b: &Block, own: &HashSet<usize>, assigns: bool) -> Option<&'static str> {
        b.iter().find_map(|s| {
            let here = match s {
                Stmt::Verbatim(ts) => (is_let(ts) || assigns && assigned_name(ts).is_some()) && pure(ts),
                Stmt::Set { expr, .. } => pure(expr),
                Stmt::Load { array: Arr::Local(a), .. } | Stmt::Store { arr: a, .. } | Stmt::Push { arr: a, .. } | Stmt::CallArr { arr: a, .. } => {
                    if !own.contains(a) {
                        return Some(OUTER_ARRAY);
                    }
                    true
                }
                _ => true,
            };
            if !here {
                return Some(USER_CODE);
            }
            s.children().into_iter().find_map(|c| obstacle(c, own, assigns))
        })
    }
    let mut own = HashSet::new();
    created(body, &mut own);
    obstacle(body, &own, assigns)
}

const OUTER_ARRAY: &str = "its body reads or writes a local array created before it: state outside the loop's variables, which its snapshots do not hold";
const USER_CODE: &str = "its body runs user code other than `let` and assignments to plain variables (a call to a plain function, a macro, a field or index assignment), which replaying its trips would run again";

/// The plain variables (passive, declared before the loop) that user code
/// in a loop body assigns (`i += 1`): state the loop carries outside the
/// IR's back edges. Names a `let` in the body binds are the body's own.
pub(crate) fn passive_carried(body: &Block) -> Vec<proc_macro2::Ident> {
    fn go(b: &Block, lets: &mut HashSet<String>, out: &mut Vec<proc_macro2::Ident>) {
        for s in b {
            if let Stmt::Verbatim(ts) = s {
                if is_let(ts) {
                    let_names(ts, lets);
                } else if let Some(n) = assigned_name(ts) {
                    out.push(n);
                }
            }
            // Nested loops' bodies too: their assignments persist.
            for c in s.children() {
                go(c, lets, out);
            }
        }
    }
    let (mut lets, mut out) = (HashSet::new(), Vec::new());
    go(body, &mut lets, &mut out);
    let mut seen = HashSet::new();
    out.retain(|n| !lets.contains(&n.to_string()) && seen.insert(n.to_string()));
    out
}

/// Names user code in a loop body reads (over-approximated: every identifier
/// in its verbatim code and captured expressions), less the loop-carried
/// aliases the body binds first.
fn free_names(body: &Block) -> HashSet<String> {
    let mut out = HashSet::new();
    super::user_code::block_idents(body, &mut out);
    for s in body {
        match s {
            Stmt::Alias { name, .. } | Stmt::AliasArr { name, .. } => {
                out.remove(&name.to_string());
            }
            Stmt::Set { .. } => {}
            _ => break,
        }
    }
    out
}

/// Does this statement, which runs after a replayed loop at the same scope
/// level, bind one of these names again (`let`, an alias) or possibly change
/// it (any other user statement that names it, at any depth)?
pub(crate) fn binds_any(s: &Stmt, names: &HashSet<String>) -> bool {
    fn changes(s: &Stmt, names: &HashSet<String>) -> bool {
        let here = match s {
            Stmt::Verbatim(ts) if !is_let(ts) => {
                let mut ids = HashSet::new();
                idents(ts, &mut ids);
                ids.iter().any(|n| names.contains(n))
            }
            _ => false,
        };
        here || s.children().into_iter().flatten().any(|c| changes(c, names))
    }
    let rebinds = match s {
        Stmt::Alias { name, .. } | Stmt::AliasArr { name, .. } => names.contains(&name.to_string()),
        Stmt::Verbatim(ts) => {
            let mut bound = HashSet::new();
            let_names(ts, &mut bound);
            bound.iter().any(|n| names.contains(n))
        }
        _ => false,
    };
    rebinds || changes(s, names)
}

/// A range expression (`a..b`, `a..=b`), possibly parenthesised.
pub(crate) fn is_range(iter: &TokenStream) -> bool {
    matches!(syn::parse2::<syn::Expr>(iter.clone()).as_ref().map(crate::syntax::strip), Ok(syn::Expr::Range(r)) if r.start.is_some() && r.end.is_some())
}

/// A range, or a range reversed (`(a..b).rev()`): iterators the reverse
/// sweep can run backwards with `.rev()`.
pub(crate) fn is_reversible_range(iter: &TokenStream) -> bool {
    match syn::parse2::<syn::Expr>(iter.clone()).as_ref().map(crate::syntax::strip) {
        Ok(syn::Expr::MethodCall(m)) if m.method == "rev" && m.args.is_empty() => is_range(&quote::ToTokens::to_token_stream(&*m.receiver)),
        Ok(_) => is_range(iter),
        Err(_) => false,
    }
}

/// Whether a loop runs every trip its iterator gives: nothing in its body
/// sets its break flag (`break`, `return`, a labelled exit from an inner
/// loop all do).
pub(crate) fn never_breaks(l: &Loop) -> bool {
    fn sets(b: &[Stmt], flag: Temp) -> bool {
        b.iter().any(|s| matches!(s, Stmt::Set { dst, .. } if *dst == flag) || s.children().into_iter().any(|c| sets(c, flag)))
    }
    // The trip's own reset (`brk = false`) is the first statement.
    let body = match l.body.first() {
        Some(Stmt::Set { dst, .. }) if *dst == l.brk => &l.body[1..],
        _ => &l.body[..],
    };
    !sets(body, l.brk)
}

/// Spreads a taint forward through a block: temporaries computed from
/// tainted ones, names aliased to them, arrays written with them. Returns
/// true when user code or a control decision reads a tainted value.
pub(crate) fn taint(b: &Block, temps: &mut HashSet<Temp>, names: &mut HashSet<String>, arrays: &mut HashSet<usize>) -> bool {
    let op_t = |o: &Operand, temps: &HashSet<Temp>| matches!(o, Operand::Temp(x) if temps.contains(x));
    let reads = |ts: &TokenStream, names: &HashSet<String>| {
        let mut ids = HashSet::new();
        idents(ts, &mut ids);
        ids.iter().any(|i| names.contains(i))
    };
    for s in b {
        match s {
            Stmt::Op { dst, args, .. } => {
                if args.iter().any(|a| op_t(a, temps)) {
                    temps.insert(*dst);
                }
            }
            Stmt::Copy { dst, src } => {
                if op_t(src, temps) {
                    temps.insert(*dst);
                }
            }
            Stmt::Load { dst, array, .. } => {
                if matches!(array, Arr::Local(a) if arrays.contains(a)) {
                    temps.insert(*dst);
                }
            }
            Stmt::ArrNew { arr, init, .. } => {
                if op_t(init, temps) {
                    arrays.insert(*arr);
                }
            }
            Stmt::Store { arr, src, .. } | Stmt::Push { arr, src } => {
                if op_t(src, temps) {
                    arrays.insert(*arr);
                }
            }
            Stmt::Alias { name, src, .. } => {
                if temps.contains(src) {
                    names.insert(name.to_string());
                } else {
                    names.remove(&name.to_string());
                }
            }
            Stmt::AliasArr { name, arr } => {
                if arrays.contains(arr) {
                    names.insert(name.to_string());
                }
            }
            Stmt::Set { expr, .. } | Stmt::Verbatim(expr) => {
                if reads(expr, names) {
                    return true;
                }
            }
            Stmt::Call { args, .. } | Stmt::CallArr { args, .. } => {
                if args.iter().any(|a| a.temps().iter().any(|x| temps.contains(x))) {
                    return true;
                }
            }
            Stmt::Loop(l) => {
                if let LoopHead::For { iter, .. } = &l.head {
                    if reads(iter, names) {
                        return true;
                    }
                }
                for &(h, end) in &l.backedge {
                    if temps.contains(&end) {
                        temps.insert(h);
                    }
                }
            }
            Stmt::TOp { dst, args, .. } => {
                if args.iter().any(|a| targ_tainted(a, temps)) {
                    temps.insert(*dst);
                }
            }
            Stmt::TMap { dst, deriv, arg, .. } => {
                if targ_tainted(arg, temps) {
                    temps.insert(*dst);
                    temps.insert(*deriv);
                }
            }
            Stmt::If { .. } | Stmt::Scope(_) | Stmt::Seed { .. } => {}
        }
        for c in s.children() {
            if taint(c, temps, names, arrays) {
                return true;
            }
        }
    }
    false
}


/// Does a matrix rule's argument read a tainted temporary (its value, or an
/// index on its path)?
fn targ_tainted(a: &TArg, temps: &HashSet<Temp>) -> bool {
    a.temps().iter().any(|x| temps.contains(x))
}
