//! The sweeps of a branch-free `if` (see `plan::branchless`): both arms
//! run, their outputs and their inputs' adjoints chosen by
//! `__private::select` on the condition: its `bool`, or, for a float
//! comparison (`plan::float_cmp`), the mask its `Set` makes beside the
//! `bool` (in a hoisted `__gd_m` register, read by the forward select and
//! by a reverse in the same trip; a reverse in another sweep reads the
//! `bool` it saved).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::sweep::{Mode, Sweeps};
use crate::ir::*;
use crate::plan::fused::{assigned, count_reads};
use crate::names::t;

/// The mask register of a float comparison's condition.
fn mask(cond: Temp) -> Ident {
    format_ident!("__gd_m{}", cond.0)
}

impl Sweeps<'_> {
    /// Whether `cond` is a condition whose mask the sweeps over `F` make.
    pub(super) fn masked(&self, cond: Temp) -> bool {
        !self.dual && self.branchless.get(&cond).is_some_and(|p| p.cmp.is_some())
    }

    /// The hoisted mask registers; in a chunk's trip (`lanes`), its own,
    /// over `__private::lanes::Lane` (see `masks`).
    pub(super) fn mask_decls(&self, lanes: bool) -> TokenStream {
        let k = &self.krate;
        let sc = &self.s;
        let ty = if lanes { quote!(#k::__private::lanes::Lane<#sc>) } else { quote!(#sc) };
        let mut conds: Vec<Temp> = self.branchless.keys().copied().filter(|c| self.masked(*c)).collect();
        conds.sort();
        conds.into_iter().map(|c| {
            let m = mask(c);
            quote!(let mut #m: #k::__private::Mask<#ty> = #k::__private::Mask::none();)
        }).collect()
    }

    /// Where the masks and the masked rules (`select`, `cmp_le`,
    /// `abs_adj`, ..) come from: `__private`, whose SSE masks keep a
    /// trip's selects from becoming a branch, or in a chunk's trip
    /// `__private::lanes`, whose integer masks vectorize across the trips
    /// (`plan::chunk::trips`).
    pub(super) fn masks(&self) -> TokenStream {
        let k = &self.krate;
        if self.chunk_trip().is_some() {
            quote!(#k::__private::lanes)
        } else {
            quote!(#k::__private)
        }
    }

    /// A float comparison's `Set`: the mask by the SSE compare (in a
    /// chunk's trip, the integer compare: `masks`), the `bool` from it
    /// (dead, so gone, where nothing saves or branches on it).
    pub(super) fn set_mask(&self, cond: Temp) -> TokenStream {
        use crate::plan::float_cmp::Op;
        let c = self.branchless[&cond].cmp.as_ref().expect("a masked condition");
        let f = match c.op {
            Op::Lt => "cmp_lt",
            Op::Le => "cmp_le",
            Op::Gt => "cmp_gt",
            Op::Ge => "cmp_ge",
            Op::Eq => "cmp_eq",
            Op::Ne => "cmp_ne",
        };
        let (f, p, sc, m, v, a, b) = (format_ident!("{}", f), self.masks(), &self.s, mask(cond), t(cond), &c.lhs, &c.rhs);
        quote! {
            #m = #p::#f::<#sc>(#a, #b);
            #v = #m.test();
        }
    }

    /// What the `if`'s selects choose by: its mask in the forward sweep and
    /// in a reverse in the trip that made it, else its `bool`.
    fn chooser(&self, cond: Temp, reverse: bool) -> TokenStream {
        let here = self.branchless[&cond].cmp.as_ref().is_some_and(|c| !reverse || self.trip.get() == Some(c.lp));
        if self.masked(cond) && here {
            let m = mask(cond);
            quote!(#m)
        } else {
            let c = t(cond);
            quote!(#c)
        }
    }

    /// Whether `s` is the copy into one of the `if`'s outputs.
    fn output_copy(&self, cond: Temp, s: &Stmt) -> bool {
        matches!(s, Stmt::Copy { dst, .. } if self.branchless[&cond].outputs.iter().any(|(o, ..)| o == dst))
    }

    /// Both arms but their output copies, then each output selected.
    pub(super) fn forward_branchless(&self, cond: Temp, then: &Block, els: &Block, mode: Mode) -> TokenStream {
        let arm = |b: &Block| {
            let body: TokenStream = b.iter().filter(|s| !self.output_copy(cond, s)).map(|s| self.forward(std::slice::from_ref(s), mode)).collect();
            quote!({ #body })
        };
        let (a, e) = (arm(then), arm(els));
        let (c, p) = (self.chooser(cond, false), self.masks());
        let sel = self.branchless[&cond].outputs.iter().map(|(o, st, se)| {
            let v = t(*o);
            let pick = |src: &Option<Operand>| src.as_ref().map_or_else(|| quote!(#v), |s| self.operand(s));
            let (x, y) = (pick(st), pick(se));
            quote!(#v = #p::select(#c, #x, #y);)
        });
        quote!(#a #e #(#sel)*)
    }

    /// Each output's adjoint to its sources (to one computed before the
    /// `if`, only that of the arm taken); both arms'
    /// reverses with their inputs' adjoints in scratch registers; each
    /// input's adjoint the scratch of the arm taken added.
    pub(super) fn reverse_branchless(&self, cond: Temp, then: &Block, els: &Block) -> TokenStream {
        let (c, p, z, sc) = (self.chooser(cond, true), self.masks(), &self.zero, &self.s);
        let select = |a: &dyn quote::ToTokens, b: &dyn quote::ToTokens| quote!(#p::select(#c, #a, #b));
        let mut out = TokenStream::new();
        // What each arm assigns (but its output copies).
        let defs = [then, els].map(|arm| {
            let mut defs = HashSet::new();
            for s in arm.iter().filter(|s| !self.output_copy(cond, s)) {
                assigned(std::slice::from_ref(s), &mut defs);
            }
            defs
        });
        for (o, st, se) in &self.branchless[&cond].outputs {
            if !self.live(*o) {
                continue;
            }
            let bo = self.adj(*o);
            for (src, arm) in [(st, 0), (se, 1)] {
                let Some(x) = src.as_ref().and_then(|s| self.active(s)) else { continue };
                let bx = self.adj(x);
                // A source the arm computes passes its adjoint only to the
                // arm's inputs, whose scratch the select below discards when
                // the arm is not taken: no select needed. One computed
                // before the `if` (`t` kept by an arm) takes it only when
                // its arm is taken.
                let v = if defs[arm].contains(&x) {
                    quote!(#bo)
                } else if arm == 0 {
                    select(&bo, z)
                } else {
                    select(z, &bo)
                };
                out.extend(quote!(#bx += #v;));
            }
            out.extend(match (st.is_some(), se.is_some()) {
                (true, true) => quote!(#bo = #z;),
                (true, false) => {
                    let v = select(z, &bo);
                    quote!(#bo = #v;)
                }
                _ => {
                    let v = select(&bo, z);
                    quote!(#bo = #v;)
                }
            });
        }
        // Per arm: the scratch register of each input.
        let mut scratch: [BTreeMap<Temp, Ident>; 2] = Default::default();
        for ((arm, regs), assigned) in [then, els].into_iter().zip(scratch.iter_mut()).zip(&defs) {
            let mut reads = HashMap::new();
            for s in arm.iter().filter(|s| !self.output_copy(cond, s)) {
                count_reads(std::slice::from_ref(s), &mut reads);
            }
            let read: BTreeSet<Temp> = reads.into_keys().collect();
            for x in read {
                if assigned.contains(&x) || !self.live(x) || self.temps[x.0].ty != Ty::Float {
                    continue;
                }
                let n = self.scratch.get();
                self.scratch.set(n + 1);
                let r = format_ident!("__gd_bf{}", n);
                out.extend(quote!(let mut #r: #sc = #z;));
                regs.insert(x, r);
            }
            let saved = self.redirect.borrow().0.clone();
            self.redirect.borrow_mut().0.extend(regs.iter().map(|(x, r)| (*x, r.clone())));
            let body: TokenStream = arm.iter().rev().filter(|s| !self.output_copy(cond, s)).map(|s| self.reverse(std::slice::from_ref(s))).collect();
            self.redirect.borrow_mut().0 = saved;
            out.extend(quote!({ #body }));
        }
        let inputs: BTreeSet<Temp> = scratch.iter().flat_map(|m| m.keys().copied()).collect();
        for x in inputs {
            let bx = self.adj(x);
            let pick = |m: &BTreeMap<Temp, Ident>| m.get(&x).map_or_else(|| z.clone(), |r| quote!(#r));
            let v = select(&pick(&scratch[0]), &pick(&scratch[1]));
            out.extend(quote!(#bx += #v;));
        }
        quote!({ #out })
    }
}
