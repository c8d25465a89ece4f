//! Vector-valued functions (`-> Vec<F>`, `[F; N]`, `(F, F, ..)`): the module
//! offers `vjp`, `vjp_into`, `jvp` and `jacobian` instead of a gradient.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::names;
use super::second::shaped;
use crate::sig::{Class, Output, Sig};

/// The output type and the expression that builds it from local array `arr`.
pub fn output(sig: &Sig, arr: usize) -> (TokenStream, TokenStream) {
    let a = names::local(arr);
    let ty = &sig.ret_ty;
    let name = sig.name.to_string();
    let conv = match &sig.out {
        Output::Vec => quote!(::core::mem::take(&mut #a)),
        Output::Array(n) => {
            let msg = format!("{name}: the output array has {{}} elements, not {{}}");
            quote!(match <_>::try_from(&#a[..]) {
                ::core::result::Result::Ok(o) => o,
                ::core::result::Result::Err(_) => panic!(#msg, #a.len(), #n),
            })
        }
        Output::Tuple(k) => {
            let idx = 0..*k;
            quote!((#(#a[#idx]),*))
        }
        Output::Scalar | Output::Tensor => unreachable!(),
    };
    (quote!(#ty), conv)
}

#[allow(clippy::too_many_arguments)]
pub fn generate(
    sig: &Sig,
    vjp_fn: &TokenStream,
    jvp_fn: &TokenStream,
    vjp: &syn::Ident,
    jvp: &syn::Ident,
    extra: Vec<(TokenStream, &syn::Ident, &'static str)>,
    lints: &TokenStream,
    item_vis: &TokenStream,
    reexport_vis: &TokenStream,
    check: &TokenStream,
) -> TokenStream {
    let f = &sig.float;
    let name = &sig.name;
    let out = &sig.ret_ty;
    let krate = crate::krate();
    let na = quote!(#krate::__private::nalgebra);
    let pnames: Vec<_> = sig.params.iter().map(|p| p.name.clone()).collect();
    let ptys: Vec<_> = sig.params.iter().map(|p| p.ty.clone()).collect();
    let params = quote!(#(#pnames: #ptys),*);
    let ref_params = quote!(#(#pnames: &#ptys),*);
    // `#p: &Ty` in the flat helpers; the callees take a `Ty`.
    let owned: Vec<_> = sig.params.iter().map(|p| {
        let (pn, ty) = (&p.name, &p.ty);
        quote!(<#ty as ::core::clone::Clone>::clone(#pn))
    }).collect();
    let mut jvp_setup = TokenStream::new();
    let refs: Vec<_> = pnames.iter().map(|p| quote!(&#p)).collect();

    let mut len = quote!(0usize);
    let mut jvp_slots = Vec::new();
    let mut vjp_zeros = TokenStream::new();
    let mut vjp_slots = Vec::new();
    let mut vjp_collect = TokenStream::new();
    let mut into_params = Vec::new();
    let mut into_slots = Vec::new();
    let mut tan_params = Vec::new();
    let mut tan_slots = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        let pn = &p.name;
        let g = format_ident!("__gd_g{}", i);
        let (gi, ti) = (format_ident!("grad_{}", pn), format_ident!("tangent_{}", pn));
        if !p.wrt {
            for v in [&mut jvp_slots, &mut vjp_slots, &mut into_slots, &mut tan_slots] {
                v.push(quote!(::core::option::Option::None));
            }
            continue;
        }
        match &p.class {
            Class::Scalar => {
                jvp_slots.push(quote!(::core::option::Option::Some(__gd_v[#len])));
                vjp_zeros.extend(quote!(let mut #g: #f = 0.0;));
                vjp_slots.push(quote!(::core::option::Option::Some(&mut #g)));
                vjp_collect.extend(quote!(__gd_flat.push(#g);));
                into_params.push(quote!(#gi: &mut #f));
                tan_params.push(quote!(#ti: #f));
                len = quote!(#len + 1);
            }
            Class::Array { .. } => {
                jvp_slots.push(quote!(::core::option::Option::Some(&__gd_v[#len..#len + #pn.len()])));
                vjp_zeros.extend(quote!(let mut #g: ::std::vec::Vec<#f> = ::std::vec![0.0; #pn.len()];));
                vjp_slots.push(quote!(::core::option::Option::Some(&mut #g[..])));
                vjp_collect.extend(quote!(__gd_flat.extend_from_slice(&#g);));
                into_params.push(quote!(#gi: &mut [#f]));
                tan_params.push(quote!(#ti: &[#f]));
                len = quote!(#len + #pn.len());
            }
            Class::Tensor { owned } => {
                let pr = quote!(#krate::Params);
                let tp = format_ident!("__gd_tp{}", i);
                jvp_setup.extend(quote! {
                    let mut #tp = <#owned as #pr>::zeros_like(#pn);
                    {
                        let __gd_src: ::std::vec::Vec<f64> = __gd_v[#len..].iter().map(|x| *x as f64).collect();
                        <#owned as #pr>::read_from(&mut #tp, &__gd_src);
                    }
                });
                jvp_slots.push(quote!(::core::option::Option::Some(&#tp)));
                vjp_zeros.extend(quote!(let mut #g: #owned = <#owned as #pr>::zeros_like(#pn);));
                vjp_slots.push(quote!(::core::option::Option::Some(&mut #g)));
                vjp_collect.extend(quote! {{
                    let mut __gd_t = ::std::vec::Vec::new();
                    <#owned as #pr>::flatten_into(&#g, &mut __gd_t);
                    __gd_flat.extend(__gd_t.iter().map(|x| *x as #f));
                }});
                into_params.push(quote!(#gi: &mut #owned));
                tan_params.push(quote!(#ti: &#owned));
                len = quote!(#len + <#owned as #pr>::num_params(&#pn));
            }
            Class::Passive => unreachable!(),
        }
        into_slots.push(quote!(::core::option::Option::Some(#gi)));
        tan_slots.push(quote!(::core::option::Option::Some(#ti)));
    }
    let (gty, g_shaped) = shaped(sig, &quote!(__gd_flat));
    let mut reexports = vec![(vjp, "__gd_vjp"), (jvp, "__gd_jvp")];
    let mut dual_fn = TokenStream::new();
    for (f, id, alias) in extra {
        reexports.push((id, alias));
        dual_fn.extend(f);
    }
    let preamble = super::api::module_preamble(name, reexport_vis, &reexports);
    let mod_doc = format!("Derivatives of the vector-valued [`{name}`](fn@{name}), generated by `#[differentiable]`.");
    let vjp_doc = format!("Reverse mode: `({name}(..), cotangentᵀ·J)`, the vector–Jacobian product shaped like the differentiated parameters.");
    let into_doc = format!("Reverse mode without allocating the result: returns `{name}(..)` and ADDS `cotangentᵀ·J` into the `grad_*` buffers.");
    let jvp_doc = format!("Forward mode: `({name}(..), J·tangent)`.");
    let jac_doc = format!(
        "`({name}(..), J)`: the Jacobian, one row per output, one column per differentiated parameter entry (flattened in order); built with forward mode when there are fewer inputs than outputs, else with reverse mode."
    );
    quote! {
        #vjp_fn
        #dual_fn
        #jvp_fn
        #[doc = #mod_doc]
        #lints
        #item_vis mod #name {
            #preamble

            #check

            #[doc(hidden)]
            pub fn __gd_jvp_flat(#ref_params, __gd_v: &[#f]) -> (#out, ::std::vec::Vec<#f>) {
                #jvp_setup
                super::#jvp(#(#owned,)* #(#jvp_slots),*)
            }

            #[doc(hidden)]
            pub fn __gd_vjp_flat(#ref_params, __gd_w: &[#f]) -> (#out, ::std::vec::Vec<#f>) {
                #vjp_zeros
                let __gd_out = super::#vjp(#(#owned,)* __gd_w, #(#vjp_slots),*);
                let mut __gd_flat = ::std::vec::Vec::new();
                #vjp_collect
                (__gd_out, __gd_flat)
            }

            #[doc = #vjp_doc]
            pub fn vjp(#params, cotangent: &[#f]) -> (#out, #gty) {
                let (__gd_out, __gd_flat) = __gd_vjp_flat(#(#refs,)* cotangent);
                (__gd_out, #g_shaped)
            }

            #[doc = #into_doc]
            pub fn vjp_into(#params, cotangent: &[#f], #(#into_params),*) -> #out {
                super::#vjp(#(#pnames,)* cotangent, #(#into_slots),*)
            }

            #[doc = #jvp_doc]
            #[inline]
            pub fn jvp(#params, #(#tan_params),*) -> (#out, ::std::vec::Vec<#f>) {
                super::#jvp(#(#pnames,)* #(#tan_slots),*)
            }

            #[doc = #jac_doc]
            pub fn jacobian(#params) -> (#out, #na::DMatrix<#f>) {
                let __gd_n = #len;
                let mut __gd_e = ::std::vec![0.0; __gd_n];
                let (__gd_out, __gd_t0) = __gd_jvp_flat(#(#refs,)* &__gd_e);
                let __gd_m = __gd_t0.len();
                let mut __gd_j = #na::DMatrix::<#f>::zeros(__gd_m, __gd_n);
                if __gd_n <= __gd_m {
                    for __gd_c in 0..__gd_n {
                        __gd_e[__gd_c] = 1.0;
                        let (_, col) = __gd_jvp_flat(#(#refs,)* &__gd_e);
                        __gd_e[__gd_c] = 0.0;
                        for __gd_r in 0..__gd_m {
                            __gd_j[(__gd_r, __gd_c)] = col[__gd_r];
                        }
                    }
                } else {
                    let mut __gd_w = ::std::vec![0.0; __gd_m];
                    for __gd_r in 0..__gd_m {
                        __gd_w[__gd_r] = 1.0;
                        let (_, row) = __gd_vjp_flat(#(#refs,)* &__gd_w);
                        __gd_w[__gd_r] = 0.0;
                        for __gd_c in 0..__gd_n {
                            __gd_j[(__gd_r, __gd_c)] = row[__gd_c];
                        }
                    }
                }
                (__gd_out, __gd_j)
            }
        }
    }
}
