//! Adjoints of a local array carried in registers across the reversed trips
//! of a recurrence over it.
//!
//! `c[i] = c[i - 1] + x[i]` stores one element per trip and reads the one
//! the trip before stored. The reverse sweep reverses trip `i`, then trip
//! `i - 1`: the read's adjoint, added into `c̄[i - 1]` in memory (a load, an
//! add and a store), is what trip `i - 1`'s store reads back right after. A
//! hand-written gradient keeps it in a register; so does this plan.
//!
//! For a loop over a range (`a..b`, `(a..b).step_by(st)` with `st` a
//! literal, `(a..b).rev()`) whose trips the reverse sweep reverses one by
//! one, last first (not fused, checkpointed or a selection fold), and a
//! local array `a` created outside it: when the body stores into `a` once,
//! on every trip (at its top level), at an index affine in the loop
//! variable, and writes `a` nowhere else, the index moves by `Δ ≠ 0` per
//! trip and each trip stores a distinct element. A load of `a` on every
//! trip, before the store, at the store's index minus `δ·Δ` (`1 ≤ δ ≤
//! MAX_DEPTH`) reads what the store `δ` trips earlier wrote, which nothing
//! overwrote since. Its adjoint goes to register `r_δ`, the pending adjoint
//! of the element stored `δ` trips before the current one. The store's
//! reverse takes `c̄[k] + r_1` (memory holds what every other read added)
//! and moves the registers down (`r_δ ← r_{δ+1}`); the loads' reverse,
//! after it in the same trip, adds into them. After the loop's reverse,
//! `r_δ` holds the adjoint of the element `δ` trips before the first one
//! (written before the loop, or the initial value): it is added into `c̄`
//! there, at the first trip's store index minus `δ·Δ`. All other accesses
//! of `a` keep the memory path, which stays right beside the registers:
//! other loads add into `c̄[k]`, which the store still reads and zeroes.
//!
//! `first_writes` plans the other end of such an adjoint: the seeded loop
//! that reads the array after it was written (`s += (c[i] - y[i])²`) adds
//! each trip's adjoint into `c̄[i]` in the forward sweep, which is the first
//! write to the adjoint (zeroed when the array is created) when nothing
//! wrote it before: then, reading one element per trip, each once, it
//! assigns instead of loading and adding.

use std::collections::{HashMap, HashSet};

use super::window::{affine_accesses, range_step};
use crate::ir::*;

/// The most trips back a carried load may read.
const MAX_DEPTH: usize = 8;

/// A loop's store into a local array whose earlier trips' reads are carried.
#[derive(Clone, Debug)]
pub struct Carry {
    pub arr: usize,
    /// The loop's trip counter.
    pub count: Temp,
    /// The store's index temporary.
    pub index: Temp,
    /// `Δ`: how far the store's index moves per trip.
    pub delta: i64,
    /// The most trips back a carried load reads (registers `r_1..=r_depth`).
    pub depth: usize,
}

/// The carries of a function's loops, and by store index and by load the
/// carry (and the load's `δ`) they belong to.
#[derive(Clone, Default)]
pub struct CarryPlan {
    pub carries: Vec<Carry>,
    pub stores: HashMap<Temp, usize>,
    pub loads: HashMap<Temp, (usize, usize)>,
}

impl CarryPlan {
    /// Every loop of the body (nested ones included) but those in `excluded`
    /// (reversed otherwise than one trip at a time, last first).
    pub fn of(body: &Block, temps: &[TempInfo], excluded: &HashSet<Temp>) -> CarryPlan {
        let mut plan = CarryPlan::default();
        for l in super::loops(body).into_iter().filter(|l| !excluded.contains(&l.count)) {
            for arr in stored_arrays(&l.body) {
                if let Some((c, loads)) = carry(arr, l, temps) {
                    let id = plan.carries.len();
                    plan.stores.insert(c.index, id);
                    plan.loads.extend(loads.into_iter().map(|(dst, depth)| (dst, (id, depth))));
                    plan.carries.push(c);
                }
            }
        }
        plan
    }

    /// The carries of loop `count`, with their ids.
    pub fn of_loop(&self, count: Temp) -> Vec<(usize, &Carry)> {
        self.carries.iter().enumerate().filter(|(_, c)| c.count == count).collect()
    }
}

/// The loads of local arrays in seeded loops whose adjoint is the first
/// write to its element, which the trip assigns instead of adding (see the
/// module's comment). For each local array whose adjoint is sized at
/// creation (`early`, see `fused::seeded_local_reads`), the seeded loops at
/// the top level write it in the forward sweep, in order, and everything
/// else after them in the reverse sweep: the first top-level seeded loop
/// that reads the array writes first. It qualifies when it runs a range
/// (`a..b`, `(a..b).step_by(st)`) and its one read of the array is on every
/// trip at an index affine in the loop variable with a slope other than 0
/// (a distinct element each trip).
pub fn first_writes(body: &Block, temps: &[TempInfo], seeded: &HashMap<Temp, super::fused::Coef>, early: &HashSet<usize>) -> HashSet<Temp> {
    let mut out = HashSet::new();
    for &arr in early {
        let a = Arr::Local(arr);
        let first = body.iter().find_map(|s| match s {
            Stmt::Loop(l) if seeded.contains_key(&l.count) && loads_of(&l.body, a) > 0 => Some(l),
            _ => None,
        });
        let Some(l) = first else { continue };
        let LoopHead::For { iter, .. } = &l.head else { continue };
        let Some(step) = syn::parse2::<syn::Expr>(iter.clone()).ok().and_then(|e| range_step(&e)) else { continue };
        match affine_accesses(a, l, temps).as_deref() {
            Some([load]) if loads_of(&l.body, a) == 1 && load.at.0.checked_mul(step).is_some_and(|d| d != 0) => out.extend(load.dst),
            _ => {}
        }
    }
    out
}

/// How many loads of array `a` a block holds (nested blocks included).
fn loads_of(b: &[Stmt], a: Arr) -> usize {
    b.iter().map(|s| usize::from(matches!(s, Stmt::Load { array, .. } if *array == a)) + s.children().into_iter().map(|c| loads_of(c, a)).sum::<usize>()).sum()
}

/// The local arrays stored into at the top level of a loop body (its scopes included).
fn stored_arrays(b: &Block) -> Vec<usize> {
    let mut out = Vec::new();
    for s in b {
        match s {
            Stmt::Store { arr, .. } if !out.contains(arr) => out.push(*arr),
            Stmt::Scope(inner) => out.extend(stored_arrays(inner).into_iter().filter(|a| !out.contains(a)).collect::<Vec<_>>()),
            _ => {}
        }
    }
    out
}

/// How far the loop variable moves per trip: a range's step (see
/// `range_step`), or -1 for a range reversed.
fn trip_step(iter: &proc_macro2::TokenStream) -> Option<i64> {
    let e = syn::parse2::<syn::Expr>(iter.clone()).ok()?;
    match crate::syntax::strip(&e) {
        syn::Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() && range_step(&m.receiver) == Some(1) => Some(-1),
        e => range_step(e),
    }
}

/// Array `arr`'s carry in loop `l`, with its carried loads and their `δ`.
fn carry(arr: usize, l: &Loop, temps: &[TempInfo]) -> Option<(Carry, Vec<(Temp, usize)>)> {
    let LoopHead::For { iter, .. } = &l.head else { return None };
    let step = trip_step(iter)?;
    // `None` also when `a` is written off the top level or created in the body.
    let accesses = affine_accesses(Arr::Local(arr), l, temps)?;
    let at = accesses.iter().position(|a| a.dst.is_none())?;
    if accesses[at + 1..].iter().any(|a| a.dst.is_none()) {
        return None;
    }
    let store = accesses[at];
    let delta = store.at.0.checked_mul(step).filter(|d| *d != 0)?;
    let loads: Vec<(Temp, usize)> = accesses[..at]
        .iter()
        .filter(|a| a.at.0 == store.at.0)
        .filter_map(|a| {
            // `store − load = δ·Δ`, in index units.
            let back = store.at.1.checked_sub(a.at.1)?;
            let depth = usize::try_from(back / delta).ok().filter(|d| back % delta == 0 && (1..=MAX_DEPTH).contains(d))?;
            Some((a.dst?, depth))
        })
        .collect();
    let depth = loads.iter().map(|(_, d)| *d).max()?;
    Some((Carry { arr, count: l.count, index: store.index, delta, depth }, loads))
}

/// Register `r_δ` of carry `id`.
pub fn reg(id: usize, depth: usize) -> proc_macro2::Ident {
    proc_macro2::Ident::new(&format!("__gd_cy{id}_{depth}"), proc_macro2::Span::call_site())
}

/// The index the carry's store took on the last trip reversed (the first trip).
pub fn first(id: usize) -> proc_macro2::Ident {
    proc_macro2::Ident::new(&format!("__gd_cyk{id}"), proc_macro2::Span::call_site())
}
