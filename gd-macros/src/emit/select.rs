//! The sweeps of a selection fold (see `plan::select`): the forward sweep
//! saves the carried value and the trip's position only on the trips where
//! the running `max`/`min` does not win strictly; the reverse sweep replays
//! and reverses those trips alone, last first. Its trip count holds the
//! number of trips saved.

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
        quote! {
            #count = 0;
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
