//! The sweeps of a `#[checkpoint]` loop (see `plan::checkpoint`). The
//! forward sweep runs its trips primal-only, keeping only the carried state
//! before the first trip and the trip count, and, where it knows the trip
//! count before the loop (a range; `size_hint`), the states the schedule's
//! opening would store, which saves the reverse sweep recomputing about
//! every trip once (`Revolve::opening`). Those go on a stack, as an
//! enclosing loop may run the loop many times. The reverse sweep follows
//! `__private::Revolve`'s actions: store or restore the carried state in at
//! most K slots, advance trips primal-only, or tape one trip (the forward
//! sweep's code for one trip, pushes included) and reverse it at once, as a
//! replayed loop does (`Sweeps::reverse_loop`).
//!
//! The dual copy of the reverse sweep (second derivatives) is printed by the
//! same code over `Dual<F>`, so it follows the same schedule. `__gd_split`
//! (matrix-valued callees, whose reverse sweep runs later in a closure) tapes
//! every trip instead: `Sweeps::for_split` drops the checkpoints.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::names::{self, t};
use super::sweep::{Mode, Sweeps};
use crate::ir::*;

/// The stack of a checkpointed loop's stored states (with the trip count
/// the forward sweep expected).
pub(super) fn starts(l: &Loop) -> Ident {
    names::stack(&format!("ck{}", l.count.0))
}

/// A local of this loop's checkpointing code, named apart from those of the
/// checkpointed loops nested in it.
fn local(l: &Loop, what: &str) -> Ident {
    quote::format_ident!("__gd_ck_{}{}", what, l.count.0)
}

impl Sweeps<'_> {
    /// The carried state's parts: every back-edge header (all of them, not
    /// only those a trip's reverse reads: a header that no derivative reads
    /// may still feed one on a later trip), then the user's plain variables
    /// that the body assigns (`i += 1`).
    fn state_parts(&self, l: &Loop) -> Vec<TokenStream> {
        let heads = l.backedge.iter().map(|&(h, _)| {
            let v = t(h);
            quote!(#v)
        });
        let names = self.checkpointed[&l.count].names.iter().map(|n| quote!(#n));
        heads.chain(names).collect()
    }

    /// The carried state as a tuple of copies (types left to rustc).
    fn state(&self, l: &Loop) -> TokenStream {
        let parts = self.state_parts(l);
        quote!((#(::core::clone::Clone::clone(&#parts),)*))
    }

    /// The user's pattern bound to `__gd_item`.
    fn bind_item(l: &Loop) -> TokenStream {
        match &l.head {
            LoopHead::For { pat, .. } => quote!(let #pat = __gd_item;),
            LoopHead::Loop => TokenStream::new(),
        }
    }

    /// The forward sweep: `head`, `body` (primal) and `back` as
    /// `forward_loop` built them.
    pub(super) fn forward_checkpointed(&self, l: &Loop, head: &TokenStream, body: &TokenStream, back: &[TokenStream]) -> TokenStream {
        let (count, brk, starts, state, bind) = (t(l.count), t(l.brk), starts(l), self.state(l), Self::bind_item(l));
        let (k, snapshots) = (&self.krate, self.checkpointed[&l.count].snapshots);
        let (hint, open, slots, o) = (local(l, "hint"), local(l, "open"), local(l, "slots"), local(l, "o"));
        let expect = match &l.head {
            LoopHead::For { iter, .. } => quote!(::core::iter::Iterator::size_hint(&(#iter)).1),
            LoopHead::Loop => quote!(::core::option::Option::None),
        };
        quote! {
            #count = 0;
            let #hint: ::core::option::Option<usize> = #expect;
            let #open = match #hint {
                ::core::option::Option::Some(__gd_n) => #k::__private::Revolve::opening(__gd_n, #snapshots),
                ::core::option::Option::None => ::std::vec::Vec::new(),
            };
            let mut #slots = ::std::vec::Vec::with_capacity(#open.len() + 1);
            #slots.push(#state);
            let mut #o = 0usize;
            #head {
                if #o < #open.len() && #count == #open[#o] {
                    #slots.push(#state);
                    #o += 1;
                }
                #count += 1;
                #bind
                #body
                #(#back)*
                if #brk { break; }
            }
            #starts.push((#slots, #hint));
        }
    }

    pub(super) fn reverse_checkpointed(&self, l: &Loop) -> TokenStream {
        let (k, count, starts, state, bind) = (&self.krate, t(l.count), starts(l), self.state(l), Self::bind_item(l));
        let snapshots = self.checkpointed[&l.count].snapshots;
        let restore: Vec<TokenStream> = self
            .state_parts(l)
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let i = syn::Index::from(i);
                quote!(#v = ::core::clone::Clone::clone(&__gd_s.#i);)
            })
            .collect();
        // Trip k's item, taken again (O(1) on the ranges `plan::checkpoint` allows).
        let item = match &l.head {
            LoopHead::For { iter, .. } => quote!(let __gd_item = ::core::iter::Iterator::nth(&mut (#iter), __gd_trip).unwrap();),
            LoopHead::Loop => TokenStream::new(),
        };
        let advance = self.forward(&l.body, Mode::Primal);
        let back = l.backedge.iter().map(|&(h, end)| {
            let (hv, ev) = (t(h), t(end));
            let take = (self.temps[h.0].ty == Ty::Tensor).then(|| quote!(.take()));
            quote!(#hv = #ev #take;)
        });
        let back_adjoint = l.backedge.iter().rev().map(|&(h, end)| self.backedge_adjoint(h, end));
        let tape = self.forward(&l.body, Mode::Record);
        let reverse = self.reverse(&l.body);
        let restore_tail = restore.clone();
        quote! {{
            let (mut __gd_slots, __gd_hint) = #starts.pop().unwrap();
            // The forward sweep stored the schedule's opening, the state
            // before the last trip last, if it ran the trips it expected
            // (not when a `break` left early): skip the opening's actions.
            let mut __gd_skip = __gd_hint == ::core::option::Option::Some(#count) && #count > 0;
            let __gd_tail = if __gd_skip {
                __gd_slots.pop()
            } else {
                __gd_slots.truncate(1);
                ::core::option::Option::None
            };
            let mut __gd_sched = #k::__private::Revolve::new(#count, #snapshots);
            while let ::core::option::Option::Some(__gd_act) = __gd_sched.next() {
                match __gd_act {
                    _ if __gd_skip && !::core::matches!(__gd_act, #k::__private::Act::Reverse(_)) => {}
                    #k::__private::Act::Store(__gd_i) => {
                        let __gd_s = #state;
                        if __gd_i < __gd_slots.len() {
                            __gd_slots[__gd_i] = __gd_s;
                        } else {
                            __gd_slots.push(__gd_s);
                        }
                    }
                    #k::__private::Act::Restore(__gd_i) => {
                        let __gd_s = &__gd_slots[__gd_i];
                        #(#restore)*
                    }
                    #k::__private::Act::Advance(__gd_from, __gd_to) => {
                        for __gd_trip in __gd_from..__gd_to {
                            #item
                            {
                                #bind
                                #advance
                                #(#back)*
                            }
                        }
                    }
                    #k::__private::Act::Reverse(__gd_trip) => {
                        if __gd_skip {
                            __gd_skip = false;
                            let __gd_s = __gd_tail.as_ref().unwrap();
                            #(#restore_tail)*
                        }
                        #(#back_adjoint)*
                        #item
                        {
                            #bind
                            #tape
                            #reverse
                        }
                    }
                }
            }
        }}
    }
}
