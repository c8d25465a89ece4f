//! Second order: `f::hvp` and `f::hessian`, by forward over reverse. The
//! reverse sweep is emitted a second time over dual numbers (`__gd_vjp_dual`
//! over `Dual<F>`); seeding the inputs' tangents with `v` makes the
//! gradient's tangent parts `H·v`, at the cost of a few gradients.
//! `hessian` seeds `K` columns per sweep through the lanes copy over
//! `Lanes<F>` (`__gd_vjp_lanes`, see `plan::lanes`), or, over matrix or
//! struct parameters, takes one `hvp` per column. Where the lanes copy runs
//! the sweep, it is generic over the lane count and the dual copy is it at
//! one lane (`emit::lanes::one_lane`): one second-order sweep per function.
//!
//! Everything here is `#[inline]` and the copies are `#[inline]` or
//! generic: a crate compiles a function's second-order code only if
//! something calls its `hvp` or `hessian` (issue 16: they were exported
//! roots, so every library build compiled both copies of every function).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::sig::{Class, Sig};

/// The gradient's type and the expression that builds it from a flat vector
/// `flat` (differentiated parameters in order, arrays flattened).
pub fn shaped(sig: &Sig, flat: &TokenStream) -> (TokenStream, TokenStream) {
    let f = &sig.float;
    let mut tys = Vec::new();
    let mut vals = Vec::new();
    let mut off = quote!(0usize);
    for p in sig.params.iter().filter(|p| p.wrt) {
        let pn = &p.name;
        match &p.class {
            Class::Scalar => {
                tys.push(quote!(#f));
                vals.push(quote!(#flat[#off]));
                off = quote!(#off + 1);
            }
            Class::Array { len, .. } => {
                let slice = quote!(&#flat[#off..#off + #pn.len()]);
                match len {
                    Some(n) => {
                        tys.push(quote!([#f; #n]));
                        vals.push(quote!(<[#f; #n]>::try_from(#slice).unwrap()));
                    }
                    None => {
                        tys.push(quote!(::std::vec::Vec<#f>));
                        vals.push(quote!((#slice).to_vec()));
                    }
                }
                off = quote!(#off + #pn.len());
            }
            // A matrix or struct: read back through its `Params` flat view.
            Class::Tensor { owned } => {
                let k = crate::krate();
                tys.push(quote!(#owned));
                vals.push(quote!({
                    let mut __gd_o = <#owned as #k::Params>::zeros_like(&#pn);
                    let __gd_src: ::std::vec::Vec<f64> = #flat[#off..].iter().map(|x| *x as f64).collect();
                    <#owned as #k::Params>::read_from(&mut __gd_o, &__gd_src);
                    __gd_o
                }));
                off = quote!(#off + <#owned as #k::Params>::num_params(&#pn));
            }
            Class::Passive => {}
        }
    }
    let one_vec = matches!(sig.params.iter().filter(|p| p.wrt).collect::<Vec<_>>()[..], [p] if matches!(p.class, Class::Array { len: None, .. }));
    if one_vec {
        // One `Vec` parameter: the flat vector is the result itself.
        (tys.remove(0), quote!(#flat))
    } else if tys.len() == 1 {
        (tys.remove(0), vals.remove(0))
    } else {
        (quote!((#(#tys),*)), quote!((#(#vals),*)))
    }
}

pub fn generate(sig: &Sig, vjp_dual: &syn::Ident, vjp_lanes: &syn::Ident) -> TokenStream {
    let f = &sig.float;
    let name = &sig.name;
    let krate = crate::krate();
    let d = quote!(#krate::__private::Dual::<#f>);
    let pnames: Vec<_> = sig.params.iter().map(|p| p.name.clone()).collect();
    let ptys: Vec<_> = sig.params.iter().map(|p| p.ty.clone()).collect();
    let params = quote!(#(#pnames: #ptys),*);
    let ref_params = quote!(#(#pnames: &#ptys),*);

    let mut setup = TokenStream::new();
    let mut args = Vec::new();
    let mut slots = Vec::new();
    let mut collect = TokenStream::new();
    let mut tan_params = Vec::new();
    let mut tan_push = TokenStream::new();
    let mut extra = Vec::new();
    let mut len = quote!(0usize);
    for (i, p) in sig.params.iter().enumerate() {
        let pn = &p.name;
        let (dp, gb) = (format_ident!("__gd_dp{}", i), format_ident!("__gd_gb{}", i));
        let tn = format_ident!("tangent_{}", pn);
        if !p.wrt {
            // `#pn: &Ty` here; the callee takes a `Ty` (a `&Vec<usize>` stays a reference).
            let ty = &p.ty;
            args.push(quote!(<#ty as ::core::clone::Clone>::clone(#pn)));
            slots.push(quote!(::core::option::Option::None));
            extra.push(quote!(::core::option::Option::None));
            continue;
        }
        if !matches!(p.class, Class::Tensor { .. }) {
            extra.push(quote!(::core::option::Option::None));
        }
        match &p.class {
            Class::Scalar => {
                setup.extend(quote! {
                    let #dp = #d::new(*#pn, __gd_v[__gd_off]);
                    __gd_off += 1;
                    let mut #gb = #d::ZERO;
                });
                args.push(quote!(#dp));
                slots.push(quote!(::core::option::Option::Some(&mut #gb)));
                collect.extend(quote!(if __gd_want_g { __gd_g.push(#gb.re); } __gd_hv.push(#gb.eps);));
                tan_params.push(quote!(#tn: #f));
                tan_push.extend(quote!(__gd_v.push(#tn);));
                len = quote!(#len + 1);
            }
            Class::Array { .. } => {
                let msg = format!("{name}::hvp: the tangent for `{pn}` has length {{}} but `{pn}` has length {{}}");
                setup.extend(quote! {
                    let __gd_n = #pn.len();
                    let #dp: ::std::vec::Vec<#d> = #pn.iter().zip(&__gd_v[__gd_off..__gd_off + __gd_n]).map(|(a, b)| #d::new(*a, *b)).collect();
                    __gd_off += __gd_n;
                    let mut #gb = ::std::vec![#d::ZERO; __gd_n];
                });
                args.push(quote!(&#dp[..]));
                slots.push(quote!(::core::option::Option::Some(&mut #gb[..])));
                collect.extend(quote! {
                    if __gd_want_g {
                        __gd_g.extend(#gb.iter().map(|x| x.re));
                    }
                    __gd_hv.extend(#gb.iter().map(|x| x.eps));
                });
                tan_params.push(quote!(#tn: &[#f]));
                tan_push.extend(quote! {
                    ::core::assert_eq!(#tn.len(), #pn.len(), #msg, #tn.len(), #pn.len());
                    __gd_v.extend_from_slice(#tn);
                });
                len = quote!(#len + #pn.len());
            }
            Class::Tensor { owned } => {
                let ty = &p.ty;
                let (tp, gt) = (format_ident!("__gd_tp{}", i), format_ident!("__gd_gt{}", i));
                let pr = quote!(#krate::Params);
                let msg = format!("{name}::hvp: the tangent for `{pn}` has {{}} parameters but `{pn}` has {{}}");
                setup.extend(quote! {
                    let mut #tp = <#owned as #pr>::zeros_like(#pn);
                    {
                        let __gd_src: ::std::vec::Vec<f64> = __gd_v[__gd_off.min(__gd_v.len())..].iter().map(|x| *x as f64).collect();
                        let __gd_n = <#owned as #pr>::num_params(&#tp);
                        ::core::assert!(__gd_src.len() >= __gd_n, "{}: the direction is shorter than the parameters", stringify!(#name));
                        __gd_off += <#owned as #pr>::read_from(&mut #tp, &__gd_src);
                    }
                    let mut #gb = <#owned as #pr>::zeros_like(#pn);
                    let mut #gt = <#owned as #pr>::zeros_like(#pn);
                });
                args.push(quote!(<#ty as ::core::clone::Clone>::clone(#pn)));
                slots.push(quote!(::core::option::Option::Some((&mut #gb, &mut #gt))));
                extra.push(quote!(::core::option::Option::Some(&#tp)));
                collect.extend(quote! {{
                    let mut __gd_t = ::std::vec::Vec::new();
                    if __gd_want_g {
                        <#owned as #pr>::flatten_into(&#gb, &mut __gd_t);
                        __gd_g.extend(__gd_t.iter().map(|x| *x as #f));
                        __gd_t.clear();
                    }
                    <#owned as #pr>::flatten_into(&#gt, &mut __gd_t);
                    __gd_hv.extend(__gd_t.iter().map(|x| *x as #f));
                }});
                tan_params.push(quote!(#tn: &#owned));
                tan_push.extend(quote! {{
                    let mut __gd_t = ::std::vec::Vec::new();
                    <#owned as #pr>::flatten_into(#tn, &mut __gd_t);
                    let __gd_n = <#owned as #pr>::num_params(&#pn);
                    ::core::assert_eq!(__gd_t.len(), __gd_n, #msg, __gd_t.len(), __gd_n);
                    __gd_v.extend(__gd_t.iter().map(|x| *x as #f));
                }});
                len = quote!(#len + <#owned as #pr>::num_params(&#pn));
            }
            Class::Passive => unreachable!(),
        }
    }
    let (gty, hv_shaped) = shaped(sig, &quote!(__gd_hv));
    let (_, g_shaped) = shaped(sig, &quote!(__gd_g));
    let refs: Vec<_> = pnames.iter().map(|p| quote!(&#p)).collect();
    let hvp_doc = format!(
        "Hessian–vector product of `{name}`: `H·v` with `v` given per differentiated parameter, shaped like the gradient (forward over reverse: a few gradients' cost)."
    );
    let hess_doc = format!(
        "`({name}(..), gradient, Hessian)`: the Hessian over the differentiated parameters flattened in order (one Hessian–vector product per column)."
    );
    let na = quote!(#krate::__private::nalgebra);
    let hess_into_doc = format!(
        "Writes the Hessian of `{name}` into an n×n matrix (no allocation of the matrix; for Newton's method) and returns the value."
    );
    let hessians = if crate::plan::lanes::chunked_hessian(sig) {
        chunked(sig, vjp_lanes, &hess_into_doc, &hess_doc)
    } else {
        quote! {
            #[doc = #hess_into_doc]
            #[inline]
            pub fn hessian_into(#params, __gd_hessian: &mut #na::DMatrix<#f>) -> #f {
                let __gd_n = #len;
                ::core::assert_eq!(__gd_hessian.shape(), (__gd_n, __gd_n), "{}: the Hessian buffer is {:?}, not {}x{}", stringify!(#name), __gd_hessian.shape(), __gd_n, __gd_n);
                let mut __gd_e = ::std::vec![0.0; __gd_n];
                let mut __gd_value = 0.0;
                for __gd_j in 0..__gd_n {
                    __gd_e[__gd_j] = 1.0;
                    let (v, _, hv) = __gd_hvp_flat(#(#refs,)* &__gd_e, false);
                    __gd_e[__gd_j] = 0.0;
                    __gd_hessian.column_mut(__gd_j).copy_from_slice(&hv);
                    __gd_value = v;
                }
                if __gd_n == 0 {
                    __gd_value = __gd_hvp_flat(#(#refs,)* &__gd_e, false).0;
                }
                __gd_value
            }

            #[doc = #hess_doc]
            #[inline]
            pub fn hessian(#params) -> (#f, #gty, #na::DMatrix<#f>) {
                let __gd_n = #len;
                let mut __gd_h = #na::DMatrix::<#f>::zeros(__gd_n, __gd_n);
                let mut __gd_e = ::std::vec![0.0; __gd_n];
                let mut __gd_value = 0.0;
                let mut __gd_g = ::std::vec![0.0; __gd_n];
                for __gd_j in 0..__gd_n {
                    __gd_e[__gd_j] = 1.0;
                    let (v, g, hv) = __gd_hvp_flat(#(#refs,)* &__gd_e, __gd_j + 1 == __gd_n);
                    __gd_e[__gd_j] = 0.0;
                    for __gd_i in 0..__gd_n {
                        __gd_h[(__gd_i, __gd_j)] = hv[__gd_i];
                    }
                    __gd_value = v;
                    __gd_g = g;
                }
                if __gd_n == 0 {
                    let (v, g, _) = __gd_hvp_flat(#(#refs,)* &__gd_e, true);
                    __gd_value = v;
                    __gd_g = g;
                }
                (__gd_value, #g_shaped, __gd_h)
            }
        }
    };
    quote! {
        /// Value, gradient and `H·v` over the flattened differentiated parameters.
        #[doc(hidden)]
        /// With `want_g` false the gradient comes back empty (`hvp` and
        /// all but one column of a Hessian do not need it).
        #[inline]
        pub fn __gd_hvp_flat(#ref_params, __gd_v: &[#f], __gd_want_g: bool) -> (#f, ::std::vec::Vec<#f>, ::std::vec::Vec<#f>) {
            let mut __gd_off = 0usize;
            #setup
            ::core::assert_eq!(__gd_v.len(), __gd_off, "{}: the direction has length {} but the parameters have {}", stringify!(#name), __gd_v.len(), __gd_off);
            let __gd_value = super::#vjp_dual(#(#args,)* #d::new(1.0, 0.0), #(#slots,)* #(#extra),*);
            let mut __gd_g = ::std::vec::Vec::with_capacity(if __gd_want_g { __gd_off } else { 0 });
            let mut __gd_hv = ::std::vec::Vec::with_capacity(__gd_off);
            #collect
            (__gd_value.re, __gd_g, __gd_hv)
        }

        #[doc = #hvp_doc]
        #[inline]
        pub fn hvp(#params, #(#tan_params),*) -> #gty {
            let mut __gd_v = ::std::vec::Vec::new();
            #tan_push
            let (_, _, __gd_hv) = __gd_hvp_flat(#(#refs,)* &__gd_v, false);
            #hv_shaped
        }

        #hessians
    }
}

/// `hessian` and `hessian_into` by chunks of `K` columns: each chunk runs the
/// lanes copy once with lane `l` seeded on column `c + l`; the gradients'
/// tangent lanes are those columns. A last chunk that `n` does not fill
/// leaves its spare lanes zero.
fn chunked(sig: &Sig, vjp_lanes: &syn::Ident, hess_into_doc: &str, hess_doc: &str) -> TokenStream {
    let (f, name, krate) = (&sig.float, &sig.name, crate::krate());
    let l = quote!(#krate::__private::Lanes<#f>);
    let na = quote!(#krate::__private::nalgebra);
    let pnames: Vec<_> = sig.params.iter().map(|p| p.name.clone()).collect();
    let ptys: Vec<_> = sig.params.iter().map(|p| p.ty.clone()).collect();
    let params = quote!(#(#pnames: #ptys),*);
    let ref_params = quote!(#(#pnames: &#ptys),*);
    let refs: Vec<_> = pnames.iter().map(|p| quote!(&#p)).collect();
    let (mut setup, mut seed, mut args, mut slots, mut extra, mut reset, mut store, mut grad) =
        (TokenStream::new(), TokenStream::new(), Vec::new(), Vec::new(), Vec::new(), TokenStream::new(), TokenStream::new(), TokenStream::new());
    let mut len = quote!(0usize);
    for (i, p) in sig.params.iter().enumerate() {
        let (pn, ty) = (&p.name, &p.ty);
        let (dp, gb) = (format_ident!("__gd_dp{}", i), format_ident!("__gd_gb{}", i));
        extra.push(quote!(::core::option::Option::None));
        let n = match (&p.class, p.wrt) {
            (Class::Scalar, true) => {
                setup.extend(quote!(let mut #dp = <#l>::cst(*#pn); let mut #gb = <#l>::ZERO;));
                args.push(quote!(#dp));
                slots.push(quote!(::core::option::Option::Some(&mut #gb)));
                reset.extend(quote!(#gb = <#l>::ZERO;));
                quote!(1usize)
            }
            (Class::Array { .. }, true) => {
                setup.extend(quote! {
                    let mut #dp: ::std::vec::Vec<#l> = #pn.iter().map(|a| <#l>::cst(*a)).collect();
                    let mut #gb = ::std::vec![<#l>::ZERO; #dp.len()];
                });
                args.push(quote!(&#dp[..]));
                slots.push(quote!(::core::option::Option::Some(&mut #gb[..])));
                reset.extend(quote!(#gb.fill(<#l>::ZERO);));
                quote!(#pn.len())
            }
            _ => {
                args.push(quote!(<#ty as ::core::clone::Clone>::clone(#pn)));
                slots.push(quote!(::core::option::Option::None));
                continue;
            }
        };
        // This parameter's entries are columns `off..off + n`.
        let at = |k: TokenStream| match p.class {
            Class::Scalar => quote!(#dp.eps[#k]),
            _ => quote!(#dp[__gd_j - __gd_off].eps[#k]),
        };
        // Lane `k` of the previous chunk's column is cleared, this chunk's set.
        let lane = at(quote!(__gd_k));
        seed.extend(quote! {
            for __gd_k in 0..#krate::__private::LANES {
                if __gd_prev != usize::MAX {
                    let __gd_j = __gd_prev + __gd_k;
                    if __gd_j >= __gd_off && __gd_j < __gd_off + #n { #lane = 0.0; }
                }
                let __gd_j = __gd_c + __gd_k;
                if __gd_j >= __gd_off && __gd_j < __gd_off + #n { #lane = 1.0; }
            }
            __gd_off += #n;
        });
        let (gget, hget) = match p.class {
            Class::Scalar => (quote!(::core::iter::once(&#gb)), quote!(::core::iter::once(&#gb))),
            _ => (quote!(#gb.iter()), quote!(#gb.iter())),
        };
        grad.extend(quote!(__gd_g.extend(#gget.map(|x| x.re));));
        store.extend(quote! {
            for __gd_x in #hget {
                __gd_col[__gd_i] = __gd_x.eps[__gd_k];
                __gd_i += 1;
            }
        });
        len = quote!(#len + #n);
    }
    let (gty, g_shaped) = shaped(sig, &quote!(__gd_g));
    quote! {
        /// The Hessian into `__gd_h` (n×n) by chunks of `LANES` columns;
        /// returns the value and, with `want_g`, the flat gradient.
        #[doc(hidden)]
        #[inline]
        pub fn __gd_hessian_lanes(#ref_params, __gd_h: &mut #na::DMatrix<#f>, __gd_want_g: bool) -> (#f, ::std::vec::Vec<#f>) {
            let __gd_n = #len;
            ::core::assert_eq!(__gd_h.shape(), (__gd_n, __gd_n), "{}: the Hessian buffer is {:?}, not {}x{}", stringify!(#name), __gd_h.shape(), __gd_n, __gd_n);
            #setup
            let mut __gd_g = ::std::vec::Vec::new();
            let mut __gd_value = 0.0;
            let mut __gd_prev = usize::MAX;
            let mut __gd_c = 0usize;
            loop {
                let mut __gd_off = 0usize;
                #seed
                #reset
                let __gd_v = super::#vjp_lanes(#(#args,)* <#l>::cst(1.0), #(#slots,)* #(#extra),*);
                __gd_value = __gd_v.re;
                if __gd_c == 0 && __gd_want_g {
                    #grad
                }
                for __gd_k in 0..#krate::__private::LANES.min(__gd_n.saturating_sub(__gd_c)) {
                    let mut __gd_col = __gd_h.column_mut(__gd_c + __gd_k);
                    let mut __gd_i = 0usize;
                    #store
                }
                __gd_prev = __gd_c;
                __gd_c += #krate::__private::LANES;
                if __gd_c >= __gd_n {
                    break;
                }
            }
            (__gd_value, __gd_g)
        }

        #[doc = #hess_into_doc]
        #[inline]
        pub fn hessian_into(#params, __gd_hessian: &mut #na::DMatrix<#f>) -> #f {
            __gd_hessian_lanes(#(#refs,)* __gd_hessian, false).0
        }

        #[doc = #hess_doc]
        #[inline]
        pub fn hessian(#params) -> (#f, #gty, #na::DMatrix<#f>) {
            let __gd_n = #len;
            let mut __gd_h = #na::DMatrix::<#f>::zeros(__gd_n, __gd_n);
            let (__gd_value, __gd_g) = __gd_hessian_lanes(#(#refs,)* &mut __gd_h, true);
            (__gd_value, #g_shaped, __gd_h)
        }
    }
}
