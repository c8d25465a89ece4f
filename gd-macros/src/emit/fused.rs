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

use crate::names::{self, b, t};
use super::sweep::{Mode, Sweeps};
use crate::ir::*;
use crate::plan::fused::{fusable, targets, Coef, Factor, Targets};

fn scratch_t(l: &Loop, x: Temp) -> Ident {
    Ident::new(&format!("__gd_fs{}_{}", l.count.0, x.0), Span::call_site())
}
fn scratch_a(l: &Loop, i: usize) -> Ident {
    Ident::new(&format!("__gd_fg{}_{}", l.count.0, i), Span::call_site())
}

impl<'a> Sweeps<'a> {
    /// A fused loop that adds into scratch adjoints (one that is not seeded).
    fn scratched(&self, l: &Loop) -> bool {
        self.fused.contains(&l.count) && !self.seeded.contains_key(&l.count)
    }

    /// The array parameters whose adjoints a scratched loop adds into a
    /// scratch array: not those it writes in place (`plan::window`'s
    /// `scaled` windows).
    fn scratch_params(&self, l: &Loop) -> Vec<usize> {
        targets(l, self.temps).params.into_iter().filter(|&i| !self.window.in_place(l.count, i)).collect()
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
            for i in self.scratch_params(l) {
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
            for i in self.scratch_params(l) {
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
        let seeded = self.seeded.contains_key(&l.count);
        let tg = if seeded { Targets { temps: Vec::new(), params: Vec::new() } } else { Targets { params: self.scratch_params(l), ..targets(l, self.temps) } };
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
        let (h, end) = l.backedge[0];
        let (bh, be, hv, ev, count, brk) = (b(h), b(end), t(h), t(end), t(l.count), t(l.brk));
        let one = match self.seeded.get(&l.count) {
            Some(c) => {
                reset.extend(self.seed_times(c));
                quote!(__gd_sbar)
            }
            None if self.dual => self.dual_cst(&quote!(1.0)),
            None => quote!(1.0),
        };
        // One trip and its reverse (in a chunk's trip when `chunking` says so).
        let trip = || {
            let body = self.forward(&l.body, Mode::Record);
            let saved = self.redirect.replace((map.clone(), amap.clone()));
            let rev = self.reverse_same_trip(l);
            self.redirect.replace(saved);
            let (_, win_trip, _) = self.windows(l);
            quote! {
                #count += 1;
                #body
                #be = #one;
                #rev
                #win_trip
                #bh = #z;
                #hv = #ev;
            }
        };
        let (win_decls, _, win_end) = self.windows(l);
        let run = if seeded && self.chunked(l) {
            self.chunk_loop(l, &trip, &brk)
        } else {
            let trip = trip();
            quote! {
                #head {
                    #trip
                    if #brk { break; }
                }
            }
        };
        quote! {{
            #reset
            #win_decls
            #count = 0;
            #run
            #win_end
        }}
    }

    /// `let __gd_sbar = seed · coefficient;` for a seeded loop (its factors
    /// are fixed before the loop runs: see `plan::fused::Coef`).
    fn seed_times(&self, c: &Coef) -> TokenStream {
        // A nested seeded loop's `let` shadows its outer loop's `s̄` in its block.
        let mut e = if c.nested { quote!(__gd_sbar) } else { quote!(__gd_seed) };
        for (o, div) in &c.factors {
            let v = match o {
                Factor::Operand(o) => self.operand(o),
                Factor::Expr(e) => e.clone(),
                Factor::Load(p, k) => {
                    let arr = self.arr(Arr::Param(*p));
                    quote!(#arr[#k])
                }
            };
            e = if *div { quote!((#e / #v)) } else { quote!((#e * #v)) };
        }
        if c.negate {
            e = quote!((-#e));
        }
        quote!(let __gd_sbar = #e;)
    }

    /// A seeded loop's windows (see `plan::window`): the registers before
    /// the loop; after each trip's reverse, the final positions written and
    /// the rest moved down by the stride; after the loop, the last trip's
    /// carried positions written (and, where they assign, `hi` recorded).
    fn windows(&self, l: &Loop) -> (TokenStream, TokenStream, TokenStream) {
        let (s, z) = (&self.s, &self.zero);
        let (mut decls, mut trip, mut end) = (TokenStream::new(), TokenStream::new(), TokenStream::new());
        let op = if self.window.assign { quote!(=) } else { quote!(+=) };
        for (id, w) in self.window.of_loop(l.count) {
            let (g, base, first) = (names::grad(w.param), names::window_base(id), t(w.base));
            let acc = |j: usize| names::window_acc(id, j);
            let at = |j: usize| proc_macro2::Literal::usize_unsuffixed(j);
            decls.extend(quote!(let mut #base: usize = 0;));
            trip.extend(quote!(#base = #first;));
            for j in 0..w.width {
                let a = acc(j);
                decls.extend(quote!(let mut #a: #s = #z;));
            }
            for j in 0..w.stride.min(w.width) {
                let (a, k) = (acc(j), at(j));
                // In a chunk's trip, through the chunk's view (`plan::chunk`).
                trip.extend(match self.chunk_grad(w.param, w.stride, j) {
                    Some(gv) => quote!(#gv #op #a;),
                    None => quote!(#g[#base + #k] #op #a;),
                });
            }
            for j in 0..w.width {
                let a = acc(j);
                trip.extend(if j + w.stride < w.width {
                    let next = acc(j + w.stride);
                    quote!(#a = #next;)
                } else {
                    quote!(#a = #z;)
                });
            }
            let mut flush = TokenStream::new();
            for j in 0..w.width.saturating_sub(w.stride) {
                let (a, k) = (acc(j), at(w.stride + j));
                flush.extend(quote!(#g[#base + #k] #op #a;));
            }
            let count = t(l.count);
            if self.window.assign {
                let (hi, width) = (crate::plan::window::hi(w.param), at(w.width));
                flush.extend(quote!(#hi = #base + #width;));
            }
            if !flush.is_empty() {
                end.extend(quote!(if #count > 0 { #flush }));
            }
            if self.window.assign {
                // The trips wrote [lo, hi); zero the rest before any later
                // writer adds.
                let hi = crate::plan::window::hi(w.param);
                let (c, carried) = (at(w.stride), at(w.width - w.stride));
                end.extend(self.zero_outside(&g, quote!(#hi.saturating_sub(#carried + #c * #count)), quote!(#hi)));
            }
        }
        (decls, trip, end)
    }

    /// Zero gradient `g` outside `[lo, hi)`, what an assigning loop wrote.
    /// Usually both ends are empty: test here, zero out of line, so that the
    /// hot path keeps no frame for memset.
    pub(super) fn zero_outside(&self, g: &Ident, lo: TokenStream, hi: TokenStream) -> TokenStream {
        let k = &self.krate;
        quote! {{
            let (__gd_lo, __gd_hi) = (#lo, #hi);
            if __gd_lo > 0 || __gd_hi < #g.len() {
                #k::__private::zero_ends(#g, __gd_lo, __gd_hi);
            }
        }}
    }

    /// The reverse of a recomputed accumulator loop over a range: its trips
    /// are independent given `s̄` (the same for every trip), so they replay
    /// in forward order, each with the seed `s̄`, straight into the adjoints.
    /// A recomputed accumulator loop over a range, whose user code does not
    /// read the running sum (the replay sees only the final one).
    pub(super) fn accumulating_replay(&self, l: &Loop) -> bool {
        let reads_sum = || {
            let mut temps: HashSet<Temp> = [l.backedge[0].0].into_iter().collect();
            crate::plan::recompute::taint(&l.body, &mut temps, &mut HashSet::new(), &mut HashSet::new())
        };
        matches!(&l.head, LoopHead::For { iter, .. } if crate::plan::recompute::is_range(iter))
            && self.recomputed.contains(&l.count)
            && !self.checkpointed.contains_key(&l.count)
            && fusable(l, self.temps)
            && !reads_sum()
    }

    pub(super) fn reverse_accumulating_replay(&self, l: &Loop) -> TokenStream {
        let LoopHead::For { pat, iter } = &l.head else { unreachable!() };
        let (h, end) = l.backedge[0];
        let (bh, be, brk) = (self.adj(h), self.adj(end), t(l.brk));
        let fwd = self.forward(&l.body, Mode::Record);
        let rev = self.reverse_same_trip(l);
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
        if self.seeded.contains_key(&l.count) {
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
            let g = self.arr_adj(Arr::Param(i));
            out.extend(if self.window.in_place(l.count, i) {
                // The trips wrote `∂e/∂x` into the gradient itself.
                quote! {
                    for __gd_g in #g.iter_mut() {
                        *__gd_g *= #sb;
                    }
                }
            } else {
                let v = scratch_a(l, i);
                quote! {
                    for (__gd_g, __gd_s) in #g.iter_mut().zip(#v.iter()) {
                        *__gd_g += #sb * *__gd_s;
                    }
                }
            });
        }
        out
    }
}
