//! `#[differentiable(value_and_grad = rule)]`: a hand-written derivative for
//! a function the macro should not (or cannot) look into — JAX's custom_vjp.
//! `rule(params..)` returns `(value, gradient)` shaped as `f::value_and_grad`
//! would (one gradient, or a tuple in parameter order). The body is not
//! differentiated; callers in other `#[differentiable]` functions use the rule
//! through the same internal ABI, in both modes. Second derivatives through a
//! rule are not available (its dual copy panics and says so).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{Error, Result};

use super::names;
use crate::sig::{Class, Output, Sig};

pub fn generate(item: &syn::ItemFn, sig: &Sig, rule: &syn::Path, check: TokenStream) -> Result<TokenStream> {
    if !matches!(sig.out, Output::Scalar) {
        return Err(Error::new_spanned(rule, "`value_and_grad = ..` rules are for scalar-valued functions"));
    }
    let f = &sig.float;
    let name = &sig.name;
    let krate = crate::krate();
    let dual = quote!(#krate::__private::Dual<#f>);
    let (item_vis, reexport_vis) = super::api::visibilities(&item.vis);
    let (vjp, jvp, vjp_dual) = (names::vjp_fn(name), names::jvp_fn(name), names::vjp_dual_fn(name));
    let pnames: Vec<_> = sig.params.iter().map(|p| p.name.clone()).collect();
    let ptys: Vec<_> = sig.params.iter().map(|p| p.ty.clone()).collect();
    let params = quote!(#(#pnames: #ptys),*);
    let nwrt = sig.params.iter().filter(|p| p.wrt).count();

    let mut vslots = Vec::new();
    let mut tslots = Vec::new();
    let mut dparams = Vec::new();
    let mut dslots = Vec::new();
    let mut adds = TokenStream::new();
    let mut dots = TokenStream::new();
    let mut into_params = Vec::new();
    let mut into_slots = Vec::new();
    let mut tan_params = Vec::new();
    let mut tan_slots = Vec::new();
    let mut k = 0usize;
    for (i, p) in sig.params.iter().enumerate() {
        let (slot, pn, ty) = (names::slot(i), &p.name, &p.ty);
        let (gi, ti) = (format_ident!("grad_{}", pn), format_ident!("tangent_{}", pn));
        if !p.wrt {
            let n = super::names::no_slot();
            vslots.push(quote!(#slot: #n));
            tslots.push(quote!(#slot: #n));
            dparams.push(quote!(#pn: #ty));
            dslots.push(quote!(#slot: #n));
            for v in [&mut into_slots, &mut tan_slots] {
                v.push(quote!(::core::option::Option::None));
            }
            continue;
        }
        let gk = if nwrt == 1 {
            quote!(__gd_g)
        } else {
            let idx = syn::Index::from(k);
            quote!(__gd_g.#idx)
        };
        k += 1;
        match &p.class {
            Class::Scalar => {
                vslots.push(quote!(#slot: ::core::option::Option<&mut #f>));
                tslots.push(quote!(#slot: ::core::option::Option<#f>));
                dparams.push(quote!(#pn: #dual));
                dslots.push(quote!(#slot: ::core::option::Option<&mut #dual>));
                adds.extend(quote!(if let ::core::option::Option::Some(s) = #slot { *s += __gd_seed * #gk; }));
                dots.extend(quote!(if let ::core::option::Option::Some(t) = #slot { __gd_d += #gk * t; }));
                into_params.push(quote!(#gi: &mut #f));
                tan_params.push(quote!(#ti: #f));
            }
            Class::Array { .. } => {
                vslots.push(quote!(#slot: ::core::option::Option<&mut [#f]>));
                tslots.push(quote!(#slot: ::core::option::Option<&[#f]>));
                dparams.push(quote!(#pn: &[#dual]));
                dslots.push(quote!(#slot: ::core::option::Option<&mut [#dual]>));
                let msg = format!("{name}: the rule's gradient for `{pn}` has length {{}} but the buffer has {{}}");
                adds.extend(quote! {
                    if let ::core::option::Option::Some(s) = #slot {
                        ::core::assert_eq!(#gk.len(), s.len(), #msg, #gk.len(), s.len());
                        for (a, b) in s.iter_mut().zip(#gk.iter()) {
                            *a += __gd_seed * *b;
                        }
                    }
                });
                dots.extend(quote! {
                    if let ::core::option::Option::Some(t) = #slot {
                        for (a, b) in #gk.iter().zip(t.iter()) {
                            __gd_d += *a * *b;
                        }
                    }
                });

                into_params.push(quote!(#gi: &mut [#f]));
                tan_params.push(quote!(#ti: &[#f]));
            }
            Class::Passive | Class::Tensor { .. } => unreachable!(),
        }
        into_slots.push(quote!(::core::option::Option::Some(#gi)));
        tan_slots.push(quote!(::core::option::Option::Some(#ti)));
    }
    let gty = super::second::shaped(sig, &quote!(_)).0;
    let zero = super::api::zero_buffers(sig);
    let lints = quote!(#[allow(dead_code, unused_variables, unused_mut, non_snake_case, clippy::all)]);
    let panic_msg = format!(
        "gd: second derivatives (hvp, hessian) through `{name}` are not available: its derivative is the hand-written rule `{}`, which has no second-order part",
        quote!(#rule)
    );
    let mod_doc = format!("Derivatives of [`{name}`](fn@{name}) from the hand-written rule `{}`.", quote!(#rule));
    // The dual copy's trailing tangent slots (used by matrix parameters only).
    let dtans: Vec<TokenStream> = (sig.params.iter().enumerate())
        .map(|(i, p)| {
            let (ts, ty) = (quote::format_ident!("__gd_tslot{}", i), super::api::dual_tangent_slot(p, f));
            quote!(#ts: #ty)
        })
        .collect();
    let split = names::split_fn(name);
    let split_fn = super::api::rerun_split(sig, &split, &lints, &item_vis);
    // Callers' lanes copies (`f::hessian`) reach the dual copy's panic through it.
    let (vjp_lanes, lanes_fn) = (names::vjp_lanes_fn(name), super::lanes::per_lane(sig, &lints, &item_vis));
    let preamble = super::api::module_preamble(name, &reexport_vis, &[(&vjp, "__gd_vjp"), (&jvp, "__gd_jvp"), (&vjp_dual, "__gd_vjp_dual"), (&vjp_lanes, "__gd_vjp_lanes"), (&split, "__gd_split")]);
    Ok(quote! {
        #[doc(hidden)]
        #lints
        #item_vis fn #vjp(#params, __gd_seed: #f, #(#vslots),*) -> #f {
            let (__gd_v, __gd_g): (#f, #gty) = #rule(#(#pnames),*);
            #adds
            __gd_v
        }
        #[doc(hidden)]
        #lints
        #item_vis fn #jvp(#params, #(#tslots),*) -> (#f, #f) {
            let (__gd_v, __gd_g): (#f, #gty) = #rule(#(#pnames),*);
            let mut __gd_d: #f = 0.0;
            #dots
            (__gd_v, __gd_d)
        }
        #[doc(hidden)]
        #lints
        #[inline]
        #item_vis fn #vjp_dual(#(#dparams,)* __gd_seed: #dual, #(#dslots,)* #(#dtans),*) -> #dual {
            panic!(#panic_msg)
        }
        #lanes_fn
        #split_fn
        #[doc = #mod_doc]
        #lints
        #item_vis mod #name {
            #preamble

            /// `(value, gradient)` from the rule.
            pub fn value_and_grad(#params) -> (#f, #gty) {
                #rule(#(#pnames),*)
            }

            /// The gradient from the rule.
            pub fn grad(#params) -> #gty {
                #rule(#(#pnames),*).1
            }

            /// Returns the value and ADDS the rule's gradient into the buffers.
            pub fn value_and_grad_into(#params, #(#into_params),*) -> #f {
                super::#vjp(#(#pnames,)* 1.0, #(#into_slots),*)
            }

            /// Returns the value and OVERWRITES the buffers with the rule's gradient.
            pub fn value_and_grad_set(#params, #(#into_params),*) -> #f {
                #zero
                super::#vjp(#(#pnames,)* 1.0, #(#into_slots),*)
            }

            /// Forward mode from the rule: `(value, gradient · tangent)`.
            pub fn jvp(#params, #(#tan_params),*) -> (#f, #f) {
                super::#jvp(#(#pnames,)* #(#tan_slots),*)
            }

            #check
        }
    })
}
