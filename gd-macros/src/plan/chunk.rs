//! Seeded accumulator loops run in chunks of `K` trips, so that the
//! compiler vectorizes them.
//!
//! A seeded loop (see `fused`) reverses each trip right after it, so its
//! trips are independent but for the running sum `s = s + term`: an
//! in-order chain of float adds, which stops the loop vectorizer (it may
//! not reorder the sum), so the rest of each trip (the term, its reverse,
//! the gradient writes) stays scalar too. Written by hand, the gradient of
//! `rosen_chain` in chunks of 8 trips whose terms go to a local array,
//! added to the sum in order after the chunk, runs at the primal's speed
//! (1.52x before); each value and each gradient element bit-identical,
//! since every operation is the one the loop does, in the same order.
//!
//! Two more things are needed for the compiler to vectorize the chunk
//! (measured: without either, 1.63x): the chunk's reads of array
//! parameters at `arr[i + c]` go through fixed-size views
//! (`&[F; N]`, taken once per chunk with `get`), and so do the gradient
//! writes of the loop's windows (`plan::window`), so that no access in the
//! chunk is bounds-checked on its own.
//!
//! A loop qualifies when it is seeded, runs over a range `a..b` of a simple
//! name with no `break`, `return` or nested loop in its body, its running
//! sum changes in one place, `s = s + term` (or `term + s`, `s - term`) at
//! the top level of the body, read by no user code (which would see the
//! sum before the chunk), and at least one array parameter is read only at
//! indices `slope · i + c` (`slope ≥ 1`, one per array) on every trip,
//! through no integer cast (the loop variable then is a `usize`: the
//! lowering's `to_usize` takes nothing else). The emitted loop (see
//! `emit::fused`) runs chunks while `K` trips are left and every view is
//! in bounds, then the loop as written over the trips left: the same
//! trips in the same order, panicking where the user's code does.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, TokenStream};
use quote::ToTokens;

use super::fused::Coef;
use super::retake::bound_or_changed;
use super::user_code::idents;
use super::window::{affine_accesses, range_step};
use crate::ir::*;

/// Trips per chunk. 8 f32s fill an AVX register, 8 f64s two.
pub const K: usize = 8;

/// How the running sum takes the term (the chain operand's position).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Form {
    /// `s + term`
    Left,
    /// `term + s`
    Right,
    /// `s - term`
    Sub,
}

/// The reads of one array parameter in one trip: `slope · i + lo + j` for
/// `j < width`.
#[derive(Clone, Debug)]
pub struct View {
    pub param: usize,
    pub slope: usize,
    pub lo: i64,
    pub width: usize,
}

impl View {
    /// The view's length for a chunk: the reads of `K` trips.
    pub fn len(&self) -> usize {
        self.slope * (K - 1) + self.width
    }
}

/// A chunked loop.
#[derive(Clone)]
pub struct Chunk {
    pub var: Ident,
    /// The range's bounds, as written.
    pub lo: TokenStream,
    pub hi: TokenStream,
    /// The running sum's header (its value before the trip), its one
    /// operation in the body (`acc = prim(h, term)` in `form`'s order), and
    /// that operation's term.
    pub head: Temp,
    pub acc: Temp,
    pub prim: crate::rules::Prim,
    pub term: Operand,
    pub form: Form,
    pub views: Vec<View>,
    /// The loads that read through a view: the view and the position
    /// trip 0 reads (trip `k` reads `slope · k` further).
    pub loads: HashMap<Temp, (usize, usize)>,
}

impl Chunk {
    /// The view of parameter `p`.
    pub fn view_of(&self, p: usize) -> Option<usize> {
        self.views.iter().position(|v| v.param == p)
    }
}

/// The chunked loops (by trip count). `arrays`: the positions of the
/// function's array parameters (slices, `Vec`s, arrays: `get` takes a range).
pub fn plan(body: &Block, temps: &[TempInfo], seeded: &HashMap<Temp, Coef>, arrays: &[(usize, Ident)]) -> HashMap<Temp, Chunk> {
    let rebound = bound_or_changed(body);
    let arrays: Vec<usize> = arrays.iter().filter(|(_, n)| !rebound.contains(&n.to_string())).map(|(p, _)| *p).collect();
    let mut out = HashMap::new();
    for l in super::loops(body) {
        if seeded.contains_key(&l.count) {
            if let Some(c) = of_loop(l, temps, &arrays) {
                out.insert(l.count, c);
            }
        }
    }
    out
}

fn of_loop(l: &Loop, temps: &[TempInfo], arrays: &[usize]) -> Option<Chunk> {
    let LoopHead::For { pat, iter } = &l.head else { return None };
    let var = syn::parse2::<Ident>(pat.clone()).ok()?;
    let range = syn::parse2::<syn::Expr>(iter.clone()).ok()?;
    let syn::Expr::Range(r) = crate::syntax::strip(&range).clone() else { return None };
    let (Some(lo), Some(hi), syn::RangeLimits::HalfOpen(_)) = (r.start, r.end, r.limits) else { return None };
    if range_step(&range) != Some(1) || !super::loops(&l.body).is_empty() || breaks(&l.body, l.brk) || int_cast(&l.body) {
        return None;
    }
    let (acc, prim, term, form) = accumulation(l, temps)?;
    let mut views = Vec::new();
    let mut loads = HashMap::new();
    for &p in arrays {
        let Some(acc) = affine_accesses(Arr::Param(p), l, temps) else { continue };
        let reads: Vec<(Temp, (i64, i64))> = acc.iter().filter_map(|a| Some((a.dst?, a.at))).collect();
        let Some(&(_, (slope, _))) = reads.first() else { continue };
        if slope < 1 || reads.iter().any(|(_, (s, _))| *s != slope) {
            continue;
        }
        let lo = reads.iter().map(|(_, (_, o))| *o).min()?;
        let hi = reads.iter().map(|(_, (_, o))| *o).max()?;
        let id = views.len();
        views.push(View { param: p, slope: slope as usize, lo, width: (hi - lo + 1) as usize });
        loads.extend(reads.iter().map(|&(dst, (_, o))| (dst, (id, (o - lo) as usize))));
    }
    if views.is_empty() {
        return None;
    }
    Some(Chunk { var, lo: lo.to_token_stream(), hi: hi.to_token_stream(), head: l.backedge[0].0, acc, prim, term, form, views, loads })
}

/// The running sum's one operation `acc = h ± term`, at the top level of
/// the body, when no user code reads the sum (through the aliases that
/// bind it) and every other write of it is a copy.
fn accumulation(l: &Loop, temps: &[TempInfo]) -> Option<(Temp, crate::rules::Prim, Operand, Form)> {
    let [(h, _)] = l.backedge[..] else { return None };
    let mut chain: HashSet<Temp> = [h].into_iter().collect();
    let mut ops = Vec::new();
    let mut aliases = HashSet::new();
    let on = |o: &Operand, chain: &HashSet<Temp>| matches!(o, Operand::Temp(x) if chain.contains(x));
    let is_h = |o: &Operand| matches!(o, Operand::Temp(x) if *x == h);
    for s in &l.body {
        match s {
            Stmt::Op { dst, prim, args } if args.iter().any(|a| on(a, &chain)) => {
                let form = match (prim.0.name, &args[..]) {
                    ("add", [a, t]) if is_h(a) && !on(t, &chain) => (Form::Left, t),
                    ("add", [t, a]) if is_h(a) && !on(t, &chain) => (Form::Right, t),
                    ("sub", [a, t]) if is_h(a) && !on(t, &chain) => (Form::Sub, t),
                    _ => return None,
                };
                ops.push((*dst, *prim, form.1.clone(), form.0));
                chain.insert(*dst);
            }
            Stmt::Copy { dst, src } if on(src, &chain) => {
                chain.insert(*dst);
            }
            Stmt::Alias { name, src, .. } if chain.contains(src) => {
                aliases.insert(name.to_string());
            }
            _ => {}
        }
    }
    // Anything else touching the chain (in a branch, say) or reading the
    // aliases leaves the loop as it is.
    let [(acc, prim, ref term, form)] = ops[..] else { return None };
    let mut named = HashSet::new();
    user_idents(&l.body, &mut named);
    if named.iter().any(|n| aliases.contains(n)) || temps[acc.0].ty != Ty::Float {
        return None;
    }
    let mut reads = HashMap::new();
    super::fused::count_reads(&l.body, &mut reads);
    // `h` read by the operation alone, the others by the copies above
    // (the back edge's read is not the body's).
    let copies = l.body.iter().filter(|s| matches!(s, Stmt::Copy { src: Operand::Temp(x), .. } if chain.contains(x))).count();
    let chain_reads: usize = chain.iter().map(|x| reads.get(x).copied().unwrap_or(0)).sum();
    (chain_reads == 1 + copies).then(|| (acc, prim, term.clone(), form))
}

/// The identifiers user code in the block mentions.
fn user_idents(b: &[Stmt], out: &mut HashSet<String>) {
    for s in b {
        match s {
            Stmt::Verbatim(ts) | Stmt::Set { expr: ts, .. } => idents(ts, out),
            Stmt::Loop(l) => {
                if let LoopHead::For { iter, .. } = &l.head {
                    idents(iter, out);
                }
            }
            _ => {}
        }
        s.children().into_iter().for_each(|c| user_idents(c, out));
    }
}

/// Whether the body may leave the loop (`break`, `return`, a labelled
/// `continue` or `break` of a loop around it): it sets its break flag.
fn breaks(b: &[Stmt], brk: Temp) -> bool {
    b.iter().any(|s| matches!(s, Stmt::Set { dst, expr } if *dst == brk && expr.to_string() != "false") || s.children().into_iter().any(|c| breaks(c, brk)))
}

/// Whether user code casts to a 64-bit integer type (`i as usize`), which
/// the affine forms of `plan::window` follow: the loop variable could then
/// be of another integer type than `usize`.
fn int_cast(b: &[Stmt]) -> bool {
    fn casts(ts: &TokenStream) -> bool {
        let toks: Vec<proc_macro2::TokenTree> = ts.clone().into_iter().collect();
        toks.windows(2).any(|w| matches!(w, [proc_macro2::TokenTree::Ident(a), proc_macro2::TokenTree::Ident(t)] if a == "as" && ["usize", "isize", "u64", "i64"].iter().any(|n| t == n)))
            || toks.iter().any(|t| matches!(t, proc_macro2::TokenTree::Group(g) if casts(&g.stream())))
    }
    b.iter().any(|s| match s {
        Stmt::Verbatim(ts) | Stmt::Set { expr: ts, .. } => casts(ts),
        _ => s.children().into_iter().any(|c| int_cast(c)),
    })
}
