//! The sweeps of a selection fold (see `plan::select`): the forward sweep
//! saves the carried value and the trip's position only on the trips where
//! the running `max`/`min` does not win strictly (usually one, found after
//! the fold: see `forward_select`); the reverse sweep replays and reverses
//! those trips alone, last first. Its trip count holds the number of trips
//! saved.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::names::t;
use super::sweep::{Mode, Sweeps};
use crate::ir::*;

impl Sweeps<'_> {
    /// Whether the running value wins this trip strictly (the trip's
    /// reverse is the identity); the `max`/`min` rule's first case.
    fn wins(&self, l: &Loop) -> TokenStream {
        let sel = &self.selects[&l.count];
        let (c, o) = (t(sel.carried), self.operand(&sel.other));
        if sel.max {
            quote!(#c > #o)
        } else {
            quote!(#c < #o)
        }
    }

    /// The forward sweep of a selection fold (`body`: its trip as plain
    /// primal code, `back`: the back edge).
    ///
    /// The fold runs plain first: with nothing saved, LLVM vectorises a
    /// running `max` of loads as it does a hand-written fold. A count then
    /// finds the trips whose operand equals the result. Where there is one
    /// (and the result is not NaN), its trip is the only one the reverse
    /// needs: every later trip was won strictly by the result (or had a NaN
    /// operand), and an earlier trip gets an adjoint only through a tie of
    /// the start value with the result, in which case the running value was
    /// the start value all along. So that trip is saved with the start value
    /// as its input, which takes the rule's case the real input took (a
    /// value it beats strictly, a NaN, or the tied start itself). Otherwise (ties, a NaN
    /// result, rare) the fold runs again from the start, saving as it goes.
    pub(super) fn forward_select(&self, l: &Loop, body: &TokenStream, back: &[TokenStream]) -> TokenStream {
        let LoopHead::For { pat, iter } = &l.head else { unreachable!("a selection fold runs a range") };
        let (count, trips, wins, k) = (t(l.count), self.stack_of(l.count), self.wins(l), &self.krate);
        // The trip's inputs, unchanged by the trip (only the back edge sets
        // them), copied first: the out-of-line save (see below) takes its
        // values by reference, which would keep the loop's own on the stack.
        let inputs = self.trip_inputs(l);
        let copies: Vec<Ident> = (0..inputs.len()).map(|i| quote::format_ident!("__gd_in{i}")).collect();
        let pushes = inputs.iter().zip(&copies).map(|(x, c)| {
            let s = self.stack_of(*x);
            quote!(#s.push(#c);)
        });
        let values = inputs.iter().map(|x| t(*x));
        let saving = quote! {
            for (__gd_trip, __gd_item) in ::core::iter::Iterator::enumerate(#iter) {
                let #pat = __gd_item;
                #body
                // Rare (a new maximum): out of line (see `__private::cold`).
                if !(#wins) {
                    let __gd_at = __gd_trip;
                    #(let #copies = #values;)*
                    #k::__private::cold(|| {
                        #trips.push(__gd_at);
                        #(#pushes)*
                    });
                    #count += 1;
                }
                #(#back)*
            }
        };
        let sel = &self.selects[&l.count];
        if inputs != [sel.carried] {
            return quote!(#count = 0; #saving);
        }
        let (c, o, stack) = (t(sel.carried), self.operand(&sel.other), self.stack_of(sel.carried));
        quote! {
            #count = 0;
            let __gd_start = #c;
            for __gd_item in #iter {
                let #pat = __gd_item;
                #body
                #(#back)*
            }
            // The carried value is the result now; the body only reads it.
            // The count, and the sum of the equal trips' positions plus one
            // (the position when there is one), in one pass of adds without
            // branches, which LLVM vectorises (a search stopping at the trip
            // is scalar and runs as far as the trip is).
            let (mut __gd_equal, mut __gd_at) = (0usize, 0usize);
            for (__gd_trip, __gd_item) in ::core::iter::Iterator::enumerate(#iter) {
                let #pat = __gd_item;
                #body
                let __gd_eq = usize::from(#o == #c);
                __gd_equal += __gd_eq;
                __gd_at = __gd_at.wrapping_add((__gd_trip + 1) & __gd_eq.wrapping_neg());
            }
            if __gd_equal == 1 {
                #trips.push(__gd_at - 1);
                #stack.push(__gd_start);
                #count = 1;
            } else {
                #c = __gd_start;
                #saving
            }
        }
    }

    /// The reverse sweep of a selection fold: the saved trips, each taking
    /// its item again from the range.
    pub(super) fn reverse_select(&self, l: &Loop) -> TokenStream {
        let LoopHead::For { pat, iter } = &l.head else { unreachable!("a selection fold runs a range") };
        let (count, trips) = (t(l.count), self.stack_of(l.count));
        let back = l.backedge.iter().rev().map(|&(h, end)| self.backedge_adjoint(h, end));
        let pops = self.trip_inputs(l).into_iter().rev().map(|x| {
            let (s, v) = (self.stack_of(x), t(x));
            quote!(#v = #s.pop().unwrap();)
        });
        let replay = self.forward(&l.body, Mode::Record);
        let body = self.reverse_same_trip(l);
        quote! {
            for _ in 0..#count {
                #(#back)*
                #(#pops)*
                let __gd_item = ::core::iter::Iterator::nth(&mut (#iter), #trips.pop().unwrap()).unwrap();
                {
                    let #pat = __gd_item;
                    #replay
                    #body
                }
            }
        }
    }
}
