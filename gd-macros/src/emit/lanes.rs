//! `__gd_vjp_lanes`: the dual copy of the reverse sweep over `DualN<F, K>`
//! (`K` tangents per sweep; see `plan::lanes`), with the dual copy's ABI,
//! generic over `K` (`__GD_K`, inferred from the seed's type). `f::hessian`
//! calls it at `K = LANES` once per chunk of columns, and a caller's lanes
//! copy calls its callees' at its own `K`. Where the sweep runs over lanes,
//! the dual copy (`hvp`) is this copy at `K = 1` (`one_lane`): one copy of
//! the second-order sweep to expand and type-check per function, and being
//! generic, it is compiled only for the `K` that something calls.

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::{format_ident, quote};

use crate::names;
use crate::ir::Lowered;
use crate::sig::{Class, Output, Sig};

/// The lanes copy of a scalar- or vector-valued function: its sweep over `DualN<F, K>`
/// where the plan allows, else its dual copy run once per lane.
pub fn generate(sig: &Sig, low: &Lowered, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    let fname = names::vjp_lanes_fn(&sig.name);
    if crate::plan::lanes::sweeps_over_lanes(sig, low) {
        super::api::lanes_function(sig, low, &fname, lints, vis)
    } else {
        per_lane(sig, lints, vis)
    }
}

/// The lanes copy with its scalar type written where lowered expressions
/// and the sweeps name `__gd_S` (which the other copies declare as a local
/// alias): in its body `__gd_S<__GD_K>`, the body's alias being generic over
/// the lane count, since an item in a function cannot name the function's
/// `__GD_K` (see `Sweeps::scalar_alias`, whose declaration is left as it
/// is); in its signature, outside the alias's scope, `full`.
pub(super) fn name_scalar(func: TokenStream, full: &TokenStream) -> TokenStream {
    let tts: Vec<TokenTree> = func.into_iter().collect();
    let body = tts.iter().rposition(|tt| matches!(tt, TokenTree::Group(g) if g.delimiter() == Delimiter::Brace));
    let (sig, body) = tts.split_at(body.unwrap_or(tts.len()));
    let mut out = scalar_as(sig.iter().cloned().collect(), Some(full));
    out.extend(scalar_as(body.iter().cloned().collect(), None));
    out
}

/// `__gd_S` written as `full`, or with `None` as `__gd_S<__GD_K>` (not
/// where it is declared, after `type`).
fn scalar_as(tokens: TokenStream, full: Option<&TokenStream>) -> TokenStream {
    let mut prev_type = false;
    tokens
        .into_iter()
        .flat_map(|tt| -> Vec<TokenTree> {
            let after_type = std::mem::replace(&mut prev_type, matches!(&tt, TokenTree::Ident(i) if i == "type"));
            match tt {
                TokenTree::Ident(i) if i == "__gd_S" && !after_type => match full {
                    Some(full) => full.clone().into_iter().collect(),
                    None => quote!(#i<__GD_K>).into_iter().collect(),
                },
                TokenTree::Group(g) => {
                    let mut n = Group::new(g.delimiter(), scalar_as(g.stream(), full));
                    n.set_span(g.span());
                    vec![TokenTree::Group(n)]
                }
                tt => vec![tt],
            }
        })
        .collect()
}

/// The dual copy `__gd_vjp_dual` of a function whose lanes copy runs the
/// sweep: the lanes copy at one lane (`Dual<F>` and `DualN<F, 1>` have the
/// same layout, so slices are reinterpreted, not copied).
pub fn one_lane(sig: &Sig, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    let (f, k, name) = (&sig.float, crate::krate(), &sig.name);
    let (fname, lanes) = (names::vjp_dual_fn(name), names::vjp_lanes_fn(name));
    let d = quote!(#k::__private::Dual<#f>);
    let (one, no) = (quote!(#k::__private::one_lane), names::no_slot());
    let (mut params, mut slots, mut tans, mut args, mut slot_args, mut tan_args) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, p) in sig.params.iter().enumerate() {
        let (a, ty, slot, ts) = (format_ident!("__gd_a{}", i), &p.ty, names::slot(i), format_ident!("__gd_tslot{}", i));
        let tty = super::api::dual_tangent_slot(p, f);
        tans.push(quote!(#ts: #tty));
        tan_args.push(quote!(#ts));
        match (&p.class, p.wrt) {
            (Class::Scalar, true) => {
                params.push(quote!(#a: #d));
                slots.push(quote!(#slot: ::core::option::Option<&mut #d>));
                args.push(quote!(#one::of(#a)));
                slot_args.push(quote!(#slot.map(#one::of_mut)));
            }
            (Class::Array { .. }, true) => {
                params.push(quote!(#a: &[#d]));
                slots.push(quote!(#slot: ::core::option::Option<&mut [#d]>));
                args.push(quote!(#one::of_slice(#a)));
                slot_args.push(quote!(#slot.map(#one::of_slice_mut)));
            }
            _ => {
                params.push(quote!(#a: #ty));
                slots.push(quote!(#slot: #no));
                args.push(quote!(#a));
                slot_args.push(quote!(#slot));
            }
        }
    }
    quote! {
        #[doc(hidden)]
        #lints
        #[inline]
        #vis fn #fname(#(#params,)* __gd_seed: #d, #(#slots,)* #(#tans),*) -> #d {
            #one::back(#lanes(#(#args,)* #one::of(__gd_seed), #(#slot_args,)* #(#tan_args),*))
        }
    }
}

/// A lanes copy that runs the dual copy `__gd_vjp_dual` once per lane (a
/// function over matrices or structs, or a custom rule): what a column of
/// `hessian` cost before chunks, and what lets a caller's lanes copy call
/// any function. A lanes copy differentiates no matrix, so the matrix and
/// struct slots it is given are empty (asserted).
pub fn per_lane(sig: &Sig, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    let (f, k, name) = (&sig.float, crate::krate(), &sig.name);
    let (fname, dual) = (names::vjp_lanes_fn(name), names::vjp_dual_fn(name));
    let (l, d) = (quote!(#k::__private::DualN<#f, __GD_K>), quote!(#k::__private::Dual::<#f>));
    let none = quote!(::core::option::Option::<()>::None);
    let msg = format!("{name}: the lanes copy of the reverse sweep does not differentiate matrices or structs");
    let (mut params, mut slots, mut tans) = (Vec::new(), Vec::new(), Vec::new());
    let (mut args, mut lane_slots, mut lane_tans) = (Vec::new(), Vec::new(), Vec::new());
    let (mut per, mut after) = (TokenStream::new(), TokenStream::new());
    for (i, p) in sig.params.iter().enumerate() {
        let (pn, ty, slot, ts) = (&p.name, &p.ty, names::slot(i), format_ident!("__gd_tslot{}", i));
        let g = names::grad(i);
        match (&p.class, p.wrt) {
            (Class::Scalar, true) => {
                params.push(quote!(#pn: #l));
                slots.push(quote!(mut #slot: ::core::option::Option<&mut #l>));
                tans.push(quote!(#ts: ::core::option::Option<&#f>));
                per.extend(quote!(::core::assert!(#ts.is_none(), #msg); let mut #g = #d::ZERO;));
                args.push(quote!(#d::new(#pn.re, #pn.eps[__gd_l])));
                lane_slots.push(quote!(#slot.is_some().then_some(&mut #g)));
                after.extend(quote! {
                    if let ::core::option::Option::Some(s) = #slot.as_deref_mut() {
                        if __gd_l == 0 { s.re += #g.re; }
                        s.eps[__gd_l] += #g.eps;
                    }
                });
            }
            (Class::Array { .. }, true) => {
                let (dp, lane) = (names::dual_param(i), format_ident!("__gd_lane{}", i));
                params.push(quote!(#dp: &[#l]));
                slots.push(quote!(mut #slot: ::core::option::Option<&mut [#l]>));
                tans.push(quote!(#ts: impl #k::__private::NotDifferentiated));
                per.extend(quote! {
                    let #lane: ::std::vec::Vec<#d> = #dp.iter().map(|x| #d::new(x.re, x.eps[__gd_l])).collect();
                    let mut #g: ::std::vec::Vec<#d> = if #slot.is_some() { ::std::vec![#d::ZERO; #dp.len()] } else { ::std::vec::Vec::new() };
                });
                args.push(quote!(&#lane[..]));
                lane_slots.push(quote!(#slot.is_some().then_some(&mut #g[..])));
                after.extend(quote! {
                    if let ::core::option::Option::Some(s) = #slot.as_deref_mut() {
                        for (s, g) in s.iter_mut().zip(&#g) {
                            if __gd_l == 0 { s.re += g.re; }
                            s.eps[__gd_l] += g.eps;
                        }
                    }
                });
            }
            (Class::Tensor { owned }, true) => {
                params.push(quote!(#pn: #ty));
                slots.push(quote!(#slot: ::core::option::Option<(&mut #owned, &mut #owned)>));
                tans.push(quote!(#ts: ::core::option::Option<&#owned>));
                per.extend(quote!(::core::assert!(#slot.is_none() && #ts.is_none(), #msg);));
                args.push(quote!(::core::clone::Clone::clone(&#pn)));
                lane_slots.push(quote!(::core::option::Option::None));
                lane_tans.push(quote!(::core::option::Option::None));
                continue;
            }
            _ => {
                params.push(quote!(#pn: #ty));
                slots.push(quote!(#slot: impl #k::__private::NotDifferentiated));
                tans.push(quote!(#ts: impl #k::__private::NotDifferentiated));
                args.push(quote!(::core::clone::Clone::clone(&#pn)));
                lane_slots.push(none.clone());
                lane_tans.push(none.clone());
                continue;
            }
        }
        lane_tans.push(if matches!(p.class, Class::Scalar) { quote!(::core::option::Option::None) } else { none.clone() });
    }
    // A vector-valued function takes and returns its outputs as a slice
    // and a `Vec` (see `Stmt::CallArr`), lane by lane like the rest.
    let (seed_ty, out_ty, out_init, lane_seed, store) = if matches!(sig.out, Output::Scalar) {
        (
            quote!(#l),
            quote!(#l),
            quote!(<#l>::ZERO),
            quote!(#d::new(__gd_seed.re, __gd_seed.eps[__gd_l])),
            quote!(__gd_out.re = __gd_v.re; __gd_out.eps[__gd_l] = __gd_v.eps;),
        )
    } else {
        (
            quote!(&[#l]),
            quote!(::std::vec::Vec<#l>),
            quote!(::std::vec::Vec::new()),
            quote!(&__gd_seed.iter().map(|s| #d::new(s.re, s.eps[__gd_l])).collect::<::std::vec::Vec<_>>()[..]),
            quote! {
                __gd_out.resize(__gd_v.len(), <#l>::ZERO);
                for (o, v) in __gd_out.iter_mut().zip(&__gd_v) {
                    o.re = v.re;
                    o.eps[__gd_l] = v.eps;
                }
            },
        )
    };
    quote! {
        #[doc(hidden)]
        #lints
        #[inline]
        #vis fn #fname<const __GD_K: usize>(#(#params,)* __gd_seed: #seed_ty, #(#slots,)* #(#tans),*) -> #out_ty {
            let mut __gd_out = #out_init;
            for __gd_l in 0..__GD_K {
                #per
                let __gd_v = #dual(#(#args,)* #lane_seed, #(#lane_slots,)* #(#lane_tans),*);
                #after
                #store
            }
            __gd_out
        }
    }
}
