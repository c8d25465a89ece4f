//! Fused sweeps for accumulator loops.
//!
//! A loop whose only loop-carried value is an accumulator (`s += e` or
//! `s -= e`, `s` read nowhere else in the body) passes the accumulator's
//! adjoint `s̄` unchanged to every trip: each trip's contribution to the
//! inputs' adjoints is `s̄ · ∂e/∂x`. The forward sweep therefore runs each
//! trip's reverse right after the trip, with `s̄ = 1`, adding `∂e/∂x` into
//! scratch adjoints; the reverse sweep, once `s̄` is known, adds
//! `s̄ · scratch` into the real ones. One pass over the data, nothing saved
//! across trips: the shape of a gradient written by hand.
//!
//! When `s̄` is known before the loop runs, there is no scratch at all: a
//! top-level accumulator loop whose sum reaches the result through copies
//! alone (`let mut s = 0.0; for .. { s += e } s`) has `s̄` = the seed, so
//! each trip's reverse adds `seed · ∂e/∂x` straight into the adjoints and the
//! reverse sweep has nothing left to do for it (a *seeded* loop).

use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::names::{b, t};
use super::sweep::{Mode, Sweeps};
use crate::ir::*;

/// The loops (by trip-count temporary) that run fused. A fused loop's
/// scratch holds one execution's contributions until the reverse sweep
/// reaches it, so it must not sit in a loop that saves its trips (the
/// scratch would be overwritten by later trips): only at the top level, or in
/// fused or recomputed loops, whose trips are reversed right after running.
pub(super) fn plan_fused(block: &Block, temps: &[TempInfo], ok_here: bool, recomputed: &HashSet<Temp>, seeded: &HashSet<Temp>, out: &mut HashSet<Temp>) {
    for s in block {
        match s {
            Stmt::Loop(l) => {
                // A recomputed accumulator loop replays in forward order instead
                // (`reverse_accumulating_replay`): no scratch at all. A seeded
                // one needs neither.
                let fused = seeded.contains(&l.count) || (ok_here && fusable(l, temps) && !recomputed.contains(&l.count));
                if fused {
                    out.insert(l.count);
                }
                plan_fused(&l.body, temps, fused || recomputed.contains(&l.count), recomputed, seeded, out);
            }
            _ => {
                for c in s.children() {
                    plan_fused(c, temps, ok_here, recomputed, seeded, out);
                }
            }
        }
    }
}

/// The top-level accumulator loops whose sum is the function's scalar
/// result (`ret`, the first temporary) through copies alone: after the loop
/// come only copies along the chain from the sum to `ret`, and user
/// `let` aliases. Their `s̄` is the seed.
pub(super) fn plan_seeded(body: &Block, temps: &[TempInfo]) -> HashSet<Temp> {
    let ret = Temp(0);
    let mut out = HashSet::new();
    for (i, s) in body.iter().enumerate() {
        let Stmt::Loop(l) = s else { continue };
        if !fusable(l, temps) || temps[ret.0].ty != Ty::Float {
            continue;
        }
        let mut inside = HashSet::new();
        assigned(&l.body, &mut inside);
        let mut chain: HashSet<Temp> = [l.backedge[0].0].into_iter().collect();
        let rest_copies = body[i + 1..].iter().all(|s| match s {
            Stmt::Alias { .. } => true,
            Stmt::Copy { dst, src: Operand::Temp(x) } if chain.contains(x) && !chain.contains(dst) => {
                chain.insert(*dst);
                true
            }
            _ => false,
        });
        if rest_copies && chain.contains(&ret) && !inside.contains(&ret) {
            out.insert(l.count);
        }
    }
    out
}

/// Is the loop's one carried value an accumulator (`s += e`, `s` read
/// nowhere else), its body free of calls, matrix rules and outside arrays?
pub(super) fn fusable(l: &Loop, temps: &[TempInfo]) -> bool {
    let [(h, end)] = l.backedge[..] else { return false };
    if temps[h.0].ty != Ty::Float {
        return false;
    }
    // The one read of the accumulator: `t = h ± e` at the body's top level.
    let Some(t) = l.body.iter().find_map(|s| match s {
        Stmt::Op { dst, prim, args } if matches!(prim.0.name, "add" | "sub") && matches!(args.first(), Some(Operand::Temp(x)) if *x == h) => Some(*dst),
        _ => None,
    }) else {
        return false;
    };
    let mut reads = HashMap::new();
    count_reads(&l.body, &mut reads);
    let only_end = l.body.iter().all(|s| !matches!(s, Stmt::Copy { dst, src } if *dst == end && !matches!(src, Operand::Temp(x) if *x == t)));
    reads.get(&h).copied().unwrap_or(0) == 1 && reads.get(&t).copied().unwrap_or(0) == 1 && only_end && simple(&l.body, &created(&l.body))
}

/// Reads of each temporary as a value (aliases for user code excluded).
pub(super) fn count_reads(b: &Block, out: &mut HashMap<Temp, usize>) {
    for s in b {
        let mut read = |x: Temp| *out.entry(x).or_insert(0) += 1;
        match s {
            Stmt::Op { args, .. } => args.iter().for_each(|a| if let Operand::Temp(x) = a { read(*x) }),
            Stmt::Copy { src: Operand::Temp(x), .. } => read(*x),
            Stmt::ArrNew { init: Operand::Temp(x), .. } | Stmt::Store { src: Operand::Temp(x), .. } | Stmt::Push { src: Operand::Temp(x), .. } => read(*x),
            Stmt::Call { args, .. } => args.iter().flat_map(|a| a.temps()).for_each(&mut read),
            Stmt::TOp { args, .. } => args.iter().flat_map(|a| a.temps()).for_each(&mut read),
            Stmt::TMap { arg, .. } => arg.temps().into_iter().for_each(&mut read),
            Stmt::Loop(l) => l.backedge.iter().for_each(|&(_, e)| read(e)),
            _ => {}
        }
        for c in s.children() {
            count_reads(c, out);
        }
    }
}

fn created(b: &Block) -> HashSet<usize> {
    let mut out = HashSet::new();
    fn go(b: &Block, out: &mut HashSet<usize>) {
        for s in b {
            if let Stmt::ArrNew { arr, .. } = s {
                out.insert(*arr);
            }
            s.children().into_iter().for_each(|c| go(c, out));
        }
    }
    go(b, &mut out);
    out
}

/// No calls, matrix rules or outputs, and only local arrays made in the body.
fn simple(b: &Block, own: &HashSet<usize>) -> bool {
    b.iter().all(|s| {
        let here = match s {
            Stmt::Call { .. } | Stmt::TOp { .. } | Stmt::TMap { .. } | Stmt::Seed { .. } => false,
            Stmt::Load { array: Arr::Local(a), .. } | Stmt::Store { arr: a, .. } | Stmt::Push { arr: a, .. } => own.contains(a),
            _ => true,
        };
        here && s.children().into_iter().all(|c| simple(c, own))
    })
}

/// What a fused loop's trips add into: the active temporaries from outside
/// the body that it reads (the accumulator's header excepted) and the
/// parameter arrays it loads from.
pub(super) struct Targets {
    pub temps: Vec<Temp>,
    pub params: Vec<usize>,
}

/// Every temporary the block assigns, nested blocks and loop headers included.
pub(super) fn assigned(b: &[Stmt], out: &mut HashSet<Temp>) {
    for s in b {
        out.extend(s.defs());
        if let Stmt::Loop(l) = s {
            out.extend(l.backedge.iter().map(|&(h, _)| h));
        }
        s.children().into_iter().for_each(|c| assigned(c, out));
    }
}

pub(super) fn targets(l: &Loop, temps: &[TempInfo]) -> Targets {
    let mut inside = HashSet::new();
    assigned(&l.body, &mut inside);
    let mut reads = HashMap::new();
    count_reads(&l.body, &mut reads);
    let h = l.backedge[0].0;
    let mut ts: Vec<Temp> = reads.keys().copied().filter(|x| *x != h && !inside.contains(x) && temps[x.0].active).collect();
    ts.sort();
    let mut params = HashSet::new();
    fn loads(b: &Block, out: &mut HashSet<usize>) {
        for s in b {
            if let Stmt::Load { array: Arr::Param(i), .. } = s {
                out.insert(*i);
            }
            s.children().into_iter().for_each(|c| loads(c, out));
        }
    }
    loads(&l.body, &mut params);
    let mut params: Vec<usize> = params.into_iter().collect();
    params.sort();
    Targets { temps: ts, params }
}

fn scratch_t(l: &Loop, x: Temp) -> Ident {
    Ident::new(&format!("__gd_fs{}_{}", l.count.0, x.0), Span::call_site())
}
fn scratch_a(l: &Loop, i: usize) -> Ident {
    Ident::new(&format!("__gd_fg{}_{}", l.count.0, i), Span::call_site())
}

impl<'a> Sweeps<'a> {
    /// A fused loop that adds into scratch adjoints (one that is not seeded).
    fn scratched(&self, l: &Loop) -> bool {
        self.fused.contains(&l.count) && !self.seeded.contains(&l.count)
    }

    /// Declarations of the fused loops' scratch adjoints (arrays from the
    /// per-thread pool, given back by `fused_end`).
    pub(super) fn fused_decls(&self, body: &Block) -> TokenStream {
        let (k, s, z) = (&self.krate, &self.s, &self.zero);
        let mut out = TokenStream::new();
        for l in super::sweep::loops(body).into_iter().filter(|l| self.scratched(l)) {
            let tg = targets(l, self.temps);
            for x in tg.temps {
                let v = scratch_t(l, x);
                out.extend(quote!(let mut #v: #s = #z;));
            }
            for i in tg.params {
                let v = scratch_a(l, i);
                out.extend(if self.dual {
                    quote!(let mut #v: ::std::vec::Vec<#s> = ::std::vec::Vec::new();)
                } else {
                    quote!(let mut #v: ::std::vec::Vec<#s> = #k::__private::take_stack();)
                });
            }
        }
        out
    }

    pub(super) fn fused_end(&self, body: &Block) -> TokenStream {
        let k = &self.krate;
        let mut out = TokenStream::new();
        if self.dual {
            return out;
        }
        for l in super::sweep::loops(body).into_iter().filter(|l| self.scratched(l)) {
            for i in targets(l, self.temps).params {
                let v = scratch_a(l, i);
                out.extend(quote!(#k::__private::give_stack(#v);));
            }
        }
        out
    }

    /// The forward sweep of a fused loop: each trip, then its reverse with a
    /// unit seed on the accumulator, into the scratch adjoints (a seeded
    /// loop: with the seed, into the adjoints themselves).
    pub(super) fn forward_fused(&self, l: &Loop) -> TokenStream {
        let z = &self.zero;
        let seeded = self.seeded.contains(&l.count);
        let tg = if seeded { Targets { temps: Vec::new(), params: Vec::new() } } else { targets(l, self.temps) };
        let mut reset = TokenStream::new();
        let mut map = HashMap::new();
        for &x in &tg.temps {
            let v = scratch_t(l, x);
            reset.extend(quote!(#v = #z;));
            map.insert(x, v);
        }
        let mut amap = HashMap::new();
        for &i in &tg.params {
            let (v, arr) = (scratch_a(l, i), self.arr(Arr::Param(i)));
            reset.extend(quote!(#v.clear(); #v.resize(#arr.len(), #z);));
            amap.insert(i, v);
        }
        let head = match &l.head {
            LoopHead::Loop => quote!(loop),
            LoopHead::For { pat, iter } => quote!(for #pat in #iter),
        };
        let body = self.forward(&l.body, Mode::Record);
        let saved = self.redirect.replace((map, amap));
        let rev = self.reverse(&l.body);
        self.redirect.replace(saved);
        let (h, end) = l.backedge[0];
        let (bh, be, hv, ev, count, brk) = (b(h), b(end), t(h), t(end), t(l.count), t(l.brk));
        let one = if seeded {
            quote!(__gd_seed)
        } else if self.dual {
            let (k, f) = (&self.krate, self.f);
            quote!(#k::__private::Dual::<#f>::cst(1.0))
        } else {
            quote!(1.0)
        };
        quote! {
            #reset
            #count = 0;
            #head {
                #count += 1;
                #body
                #be = #one;
                #rev
                #bh = #z;
                #hv = #ev;
                if #brk { break; }
            }
        }
    }

    /// The reverse of a recomputed accumulator loop over a range: its trips
    /// are independent given `s̄` (the same for every trip), so they replay
    /// in forward order, each with the seed `s̄`, straight into the adjoints.
    /// A recomputed accumulator loop over a range, whose user code does not
    /// read the running sum (the replay sees only the final one).
    pub(super) fn accumulating_replay(&self, l: &Loop) -> bool {
        let reads_sum = || {
            let mut temps: HashSet<Temp> = [l.backedge[0].0].into_iter().collect();
            super::replay::taint(&l.body, &mut temps, &mut HashSet::new(), &mut HashSet::new())
        };
        matches!(&l.head, LoopHead::For { iter, .. } if super::replay::is_range(iter))
            && self.recomputed.contains(&l.count)
            && fusable(l, self.temps)
            && !reads_sum()
    }

    pub(super) fn reverse_accumulating_replay(&self, l: &Loop) -> TokenStream {
        let LoopHead::For { pat, iter } = &l.head else { unreachable!() };
        let (h, end) = l.backedge[0];
        let (bh, be, brk) = (self.adj(h), self.adj(end), t(l.brk));
        let fwd = self.forward(&l.body, Mode::Record);
        let rev = self.reverse(&l.body);
        quote! {{
            let __gd_acc = #bh;
            for #pat in #iter {
                #fwd
                #be = __gd_acc;
                #rev
                #bh = __gd_acc;
                if #brk { break; }
            }
        }}
    }

    /// The reverse sweep of a fused loop: the accumulator's adjoint times
    /// the scratch adjoints (nothing for a seeded loop, whose trips added
    /// theirs; its sum's adjoint stays for the value before the loop).
    pub(super) fn reverse_fused(&self, l: &Loop) -> TokenStream {
        if self.seeded.contains(&l.count) {
            return TokenStream::new();
        }
        let tg = targets(l, self.temps);
        let sb = self.adj(l.backedge[0].0);
        let mut out = TokenStream::new();
        for x in tg.temps {
            let (v, bx) = (scratch_t(l, x), self.adj(x));
            out.extend(quote!(#bx += #sb * #v;));
        }
        for i in tg.params {
            let (v, g) = (scratch_a(l, i), self.arr_adj(Arr::Param(i)));
            out.extend(quote! {
                for (__gd_g, __gd_s) in #g.iter_mut().zip(#v.iter()) {
                    *__gd_g += #sb * *__gd_s;
                }
            });
        }
        out
    }
}
