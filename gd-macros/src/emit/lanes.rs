//! `__gd_vjp_lanes`: the dual copy of the reverse sweep over `Lanes<F>`
//! (`K` tangents per sweep; see `plan::lanes`), with the dual copy's ABI.
//! `f::hessian` calls it once per chunk of `K` columns, and a caller's lanes
//! copy calls its callees' lanes copies.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::names;
use crate::lower::Lowered;
use crate::sig::{Class, Sig};

/// The lanes copy of a scalar-valued function: its sweep over `Lanes<F>`
/// where the plan allows, else its dual copy run once per lane.
pub fn generate(sig: &Sig, low: &Lowered, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    let fname = names::vjp_lanes_fn(&sig.name);
    if crate::plan::lanes::sweeps_over_lanes(sig, low) {
        super::api::lanes_function(sig, low, &fname, lints, vis)
    } else {
        per_lane(sig, lints, vis)
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
    let (l, d) = (quote!(#k::__private::Lanes<#f>), quote!(#k::__private::Dual::<#f>));
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
    quote! {
        #[doc(hidden)]
        #lints
        #vis fn #fname(#(#params,)* __gd_seed: #l, #(#slots,)* #(#tans),*) -> #l {
            let mut __gd_out = <#l>::ZERO;
            for __gd_l in 0..#k::__private::LANES {
                #per
                let __gd_v = #dual(#(#args,)* #d::new(__gd_seed.re, __gd_seed.eps[__gd_l]), #(#lane_slots,)* #(#lane_tans),*);
                #after
                __gd_out.re = __gd_v.re;
                __gd_out.eps[__gd_l] = __gd_v.eps;
            }
            __gd_out
        }
    }
}
