//! `#[differentiable(value_and_grad = rule)]`: a hand-written derivative for
//! a function the macro should not (or cannot) look into — JAX's custom_vjp.
//! `rule(params..)` returns `(value, gradient)` shaped as `f::value_and_grad`
//! would (one gradient, or a tuple in parameter order). The body is not
//! differentiated; callers in other `#[differentiable]` functions use the rule
//! through the same internal ABI, in both modes.
//!
//! Second order (a caller's `hvp`, `hessian`) needs more than a gradient:
//! `hvp = rule2` gives it, `rule2(params.., tangents..)` returning `(value,
//! gradient, H·tangent)`, and the dual copy is then exact. Without it, as a
//! JAX custom_vjp function refuses forward mode, the dual copy is a
//! compile-time error that names the function and the rule, raised only in
//! a build that uses such an `hvp` or `hessian` (see `vjp_dual_fn`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{spanned::Spanned, Error, Result};

use crate::names;
use crate::sig::{Class, Output, Sig};

pub fn generate(item: &syn::ItemFn, sig: &Sig, rule: &syn::Path, hvp_rule: Option<&syn::Path>, check: TokenStream) -> Result<TokenStream> {
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
    let mut tan_tys = Vec::new();
    let mut tan_slots = Vec::new();
    // The dual copy from an `hvp` rule: its arguments (primal values, then
    // the tangents of the differentiated parameters), and its updates.
    let (mut re_args, mut eps_args, mut splits) = (Vec::new(), Vec::new(), TokenStream::new());
    let (mut dual_dots, mut dual_adds, mut tan_names) = (TokenStream::new(), TokenStream::new(), Vec::new());
    let mut k = 0usize;
    for (i, p) in sig.params.iter().enumerate() {
        let (slot, pn, ty) = (names::slot(i), &p.name, &p.ty);
        let (gi, ti) = (format_ident!("grad_{}", pn), format_ident!("tangent_{}", pn));
        if !p.wrt {
            let n = crate::names::no_slot();
            vslots.push(quote!(#slot: #n));
            tslots.push(quote!(#slot: #n));
            dparams.push(quote!(#pn: #ty));
            dslots.push(quote!(#slot: #n));
            for v in [&mut into_slots, &mut tan_slots] {
                v.push(quote!(::core::option::Option::None));
            }
            re_args.push(quote!(#pn));
            continue;
        }
        let (gk, hk) = if nwrt == 1 {
            (quote!(__gd_g), quote!(__gd_h))
        } else {
            let idx = syn::Index::from(k);
            (quote!(__gd_g.#idx), quote!(__gd_h.#idx))
        };
        tan_names.push(ti.clone());
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
                tan_tys.push(quote!(#f));
                re_args.push(quote!(#pn.re));
                eps_args.push(quote!(#pn.eps));
                dual_dots.extend(quote!(__gd_d += #gk * #pn.eps;));
                dual_adds.extend(quote! {
                    if let ::core::option::Option::Some(s) = #slot {
                        s.re += __gd_seed.re * #gk;
                        s.eps += __gd_seed.eps * #gk + __gd_seed.re * #hk;
                    }
                });
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
                tan_tys.push(quote!(&[#f]));
                let (re, eps) = (format_ident!("__gd_re_{}", pn), format_ident!("__gd_eps_{}", pn));
                splits.extend(quote! {
                    let #re: ::std::vec::Vec<#f> = #pn.iter().map(|d| d.re).collect();
                    let #eps: ::std::vec::Vec<#f> = #pn.iter().map(|d| d.eps).collect();
                });
                re_args.push(quote!(&#re[..]));
                eps_args.push(quote!(&#eps[..]));
                dual_dots.extend(quote! {
                    for (a, b) in #gk.iter().zip(#eps.iter()) {
                        __gd_d += *a * *b;
                    }
                });
                let hmsg = format!("{name}: the rules' gradient and H·v for `{pn}` have lengths {{}} and {{}} but the buffer has {{}}");
                dual_adds.extend(quote! {
                    if let ::core::option::Option::Some(s) = #slot {
                        ::core::assert!(#gk.len() == s.len() && #hk.len() == s.len(), #hmsg, #gk.len(), #hk.len(), s.len());
                        for ((a, b), c) in s.iter_mut().zip(#gk.iter()).zip(#hk.iter()) {
                            a.re += __gd_seed.re * *b;
                            a.eps += __gd_seed.eps * *b + __gd_seed.re * *c;
                        }
                    }
                });
            }
            Class::Passive | Class::Tensor { .. } => unreachable!(),
        }
        into_slots.push(quote!(::core::option::Option::Some(#gi)));
        tan_slots.push(quote!(::core::option::Option::Some(#ti)));
    }
    let gty = super::second::shaped(sig, &quote!(_)).0;
    let zero = super::api::zero_buffers(sig);
    // Each call of a rule goes through a binding of the type the macro
    // expects, spanned at the rule's name: a rule of another signature is
    // one error there ("expected fn pointer `fn(f64) -> (f64, f64)`, found
    // fn item `fn(f64) -> (f64, f32) {rule}`"), not mismatches inside the
    // generated code pointing at the whole attribute. A call through a
    // local bound to a function item inlines as a direct call.
    let typed = |path: &syn::Path, ty: TokenStream, args: TokenStream| {
        quote::quote_spanned! {path.span()=> {
            let __gd_rule: #ty = #path;
            __gd_rule(#args)
        }}
    };
    let rule_ty = quote!(fn(#(#ptys),*) -> (#f, #gty));
    let call_rule = typed(rule, rule_ty, quote!(#(#pnames),*));
    let lints = quote!(#[allow(dead_code, unused_variables, unused_mut, non_snake_case, clippy::all)]);
    let no_second_msg = format!(
        "gd: `hvp`/`hessian` through `{name}` need its second derivatives, but its derivative is the hand-written rule `{rule}`, which gives first derivatives only (as a JAX custom_vjp function cannot be differentiated in forward mode). Give the rule's second-order part too, `#[differentiable(value_and_grad = {rule}, hvp = {rule}_hvp)]` with `fn {rule}_hvp(params.., tangents..) -> (value, gradient, H·tangent)`, or do not take `hvp`/`hessian` through `{name}`",
        rule = quote!(#rule).to_string().replace(' ', "")
    );
    // The dual copy's trailing tangent slots (used by matrix parameters only).
    let dtans: Vec<TokenStream> = (sig.params.iter().enumerate())
        .map(|(i, p)| {
            let (ts, ty) = (quote::format_ident!("__gd_tslot{}", i), super::api::dual_tangent_slot(p, f));
            quote!(#ts: #ty)
        })
        .collect();
    let hvp_ty = quote!(fn(#(#ptys,)* #(#tan_tys),*) -> (#f, #gty, #gty));
    let hvp_call = hvp_rule.map(|h| typed(h, hvp_ty.clone(), quote!(#(#re_args,)* #(#eps_args),*)));
    let vjp_dual_fn = match hvp_rule {
        // Forward over reverse through the rules: the adjoint `seed · g`
        // over duals is `seed.re · g` plus the tangent `seed.eps · g +
        // seed.re · H·v`, and the value's tangent is `g · v`.
        Some(_) => quote! {
            #item_vis fn #vjp_dual(#(#dparams,)* __gd_seed: #dual, #(#dslots,)* #(#dtans),*) -> #dual {
                #splits
                let (__gd_v, __gd_g, __gd_h): (#f, #gty, #gty) = #hvp_call;
                let mut __gd_d: #f = 0.0;
                #dual_dots
                #dual_adds
                <#dual>::new(__gd_v, __gd_d)
            }
        },
        // A compile-time error, raised only where something instantiates
        // this copy (a caller's `hvp` or `hessian` that is used): rustc
        // evaluates a constant that depends on a generic parameter (the
        // seed's type, which callers never name) when it compiles an
        // instance to code, and `cargo check` does not.
        None => {
            let error = quote::quote_spanned! {rule.span()=>
                struct __GdNoSecondOrder<T>(T);
                impl<T> __GdNoSecondOrder<T> {
                    const ERROR: () = ::core::panic!(#no_second_msg);
                }
                let () = __GdNoSecondOrder::<__GdSeed>::ERROR;
                ::core::unreachable!()
            };
            quote! {
                #item_vis fn #vjp_dual<__GdSeed>(#(#dparams,)* __gd_seed: __GdSeed, #(#dslots,)* #(#dtans),*) -> #dual {
                    #error
                }
            }
        }
    };
    let hvp_api = hvp_rule.map(|h| {
        let hvp_api_call = typed(h, hvp_ty.clone(), quote!(#(#pnames,)* #(#tan_names),*));
        quote! {
            /// `H·tangent` from the rule's second-order part.
            pub fn hvp(#params, #(#tan_params),*) -> #gty {
                #hvp_api_call.2
            }
        }
    });
    let mod_doc = format!("Derivatives of [`{name}`](fn@{name}) from the hand-written rule `{}`.", quote!(#rule));
    let split = names::split_fn(name);
    let split_fn = super::api::rerun_split(sig, &split, &lints, &item_vis);
    // Callers' lanes copies (`f::hessian`) reach the dual copy's panic through it.
    let (vjp_lanes, lanes_fn) = (names::vjp_lanes_fn(name), super::lanes::per_lane(sig, &lints, &item_vis));
    let preamble = super::api::module_preamble(name, &reexport_vis, &[(&vjp, "__gd_vjp"), (&jvp, "__gd_jvp"), (&vjp_dual, "__gd_vjp_dual"), (&vjp_lanes, "__gd_vjp_lanes"), (&split, "__gd_split")]);
    Ok(quote! {
        #[doc(hidden)]
        #lints
        #item_vis fn #vjp(#params, __gd_seed: #f, #(#vslots),*) -> #f {
            let (__gd_v, __gd_g): (#f, #gty) = #call_rule;
            #adds
            __gd_v
        }
        #[doc(hidden)]
        #lints
        #item_vis fn #jvp(#params, #(#tslots),*) -> (#f, #f) {
            let (__gd_v, __gd_g): (#f, #gty) = #call_rule;
            let mut __gd_d: #f = 0.0;
            #dots
            (__gd_v, __gd_d)
        }
        #[doc(hidden)]
        #lints
        #[inline]
        #vjp_dual_fn
        #lanes_fn
        #split_fn
        #[doc = #mod_doc]
        #lints
        #item_vis mod #name {
            #preamble

            /// `(value, gradient)` from the rule.
            pub fn value_and_grad(#params) -> (#f, #gty) {
                #call_rule
            }

            /// The gradient from the rule.
            pub fn grad(#params) -> #gty {
                #call_rule.1
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

            #hvp_api

            #check
        }
    })
}
