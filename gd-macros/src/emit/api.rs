//! The generated items: two internal functions beside the user's function
//! (`__gd_vjp_f`, `__gd_jvp_f`, placed in the same module so that names in the
//! body resolve exactly as in `f`), and the module `f` with the public API.
//!
//! Internal ABI, used by callers in other `#[differentiable]` functions, which
//! cannot know the callee's signature: one slot per parameter, `Some(..)` for
//! an argument the caller differentiates, `None` otherwise.
//! - `__gd_vjp(params.., seed, slots..) -> F` adds `seed · ∂f/∂p` into each
//!   slot (`Option<&mut F>` or `Option<&mut [F]>`; `Option<()>` for
//!   parameters that are not differentiated) and returns `f(params..)`.
//! - `__gd_jvp(params.., tangents..) -> (F, F)` with `Option<F>` /
//!   `Option<&[F]>` tangents (`None` is zero).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Visibility;

use crate::names::{self, b, d, t};
use crate::ir::{ElemFn, Lowered};
use crate::plan::window::WindowPlan;
use super::sweep::{Mode, Sweeps};
use crate::sig::{Class, Output, Param, Sig};

const LINTS: &str = "dead_code, unused_imports, unused_variables, unused_mut, unused_assignments, unused_parens, unused_braces, unreachable_code, non_snake_case, clippy::all";

/// Visibility of the generated functions beside the user's function, and of
/// their re-exports inside the module (as visible as the items themselves).
pub fn visibilities(vis: &Visibility) -> (TokenStream, TokenStream) {
    match vis {
        Visibility::Inherited => (quote!(), quote!(pub(super))),
        Visibility::Public(_) => (quote!(pub), quote!(pub)),
        Visibility::Restricted(_) => (quote!(pub(crate)), quote!(pub(crate))),
    }
}

/// The start of every generated module: the parent's names, the internal ABI
/// re-exported under fixed names for callers, and a use of the primal
/// function (callers may use only its derivatives).
pub fn module_preamble(name: &syn::Ident, reexport_vis: &TokenStream, reexports: &[(&syn::Ident, &str)]) -> TokenStream {
    let uses = reexports.iter().map(|(item, alias)| {
        let alias = syn::Ident::new(alias, proc_macro2::Span::call_site());
        quote! {
            #[doc(hidden)]
            #reexport_vis use super::#item as #alias;
        }
    });
    quote! {
        #[allow(unused_imports)]
        use super::*;
        #(#uses)*
        #[allow(dead_code)]
        fn __gd_uses_primal() {
            let _ = super::#name;
        }
    }
}

pub fn generate(item: &syn::ItemFn, sig: &Sig, low: &Lowered, check: TokenStream) -> TokenStream {
    let f = &sig.float;
    let name = &sig.name;
    let lints: TokenStream = format!("#[allow({LINTS})]").parse().unwrap();
    let (item_vis, reexport_vis) = visibilities(&item.vis);
    let pnames: Vec<_> = sig.params.iter().map(|p| p.name.clone()).collect();
    let ptys: Vec<_> = sig.params.iter().map(|p| p.ty.clone()).collect();
    let params = quote!(#(#pnames: #ptys),*);
    let (vjp, jvp) = (names::vjp_fn(name), names::jvp_fn(name));
    let vjp_dual = names::vjp_dual_fn(name);
    let vjp_fn = vjp_function(sig, low, false, &vjp, &lints, &item_vis);

    let jvp_fn = jvp_function(sig, low, &jvp, &lints, &item_vis);
    if !matches!(sig.out, Output::Scalar) {
        // A matrix-valued function has a dual copy too: the second
        // derivatives of a caller that calls it run through it.
        // And a split (see `sweeps_function`): callers run it once.
        let split = names::split_fn(name);
        let vjp_lanes = names::vjp_lanes_fn(name);
        let mut extra = vec![(vjp_function(sig, low, true, &vjp_dual, &lints, &item_vis), &vjp_dual, "__gd_vjp_dual")];
        if matches!(sig.out, Output::Tensor) {
            extra.push((split_function(sig, low, &split, &lints, &item_vis), &split, "__gd_split"));
        } else {
            // A vector-valued one has a lanes copy too, for its callers'
            // lanes copies (`let (a, b) = f(..)` in a function whose
            // `hessian` runs by chunks).
            extra.push((super::lanes::generate(sig, low, &lints, &item_vis), &vjp_lanes, "__gd_vjp_lanes"));
        }
        return super::vector::generate(sig, &vjp_fn, &jvp_fn, &vjp, &jvp, extra, &lints, &item_vis, &reexport_vis, &check);
    }

    // ---- the public module ----
    let wrt: Vec<(usize, &crate::sig::Param)> = sig.params.iter().enumerate().filter(|(_, p)| p.wrt).collect();
    let mut zeros = TokenStream::new();
    let mut gvals = Vec::new();
    let mut gargs = Vec::new();
    let mut into_names = Vec::new();
    let mut into_params = Vec::new();
    let mut into_slots = Vec::new();
    let mut vag_slots = Vec::new();
    let mut tan_params = Vec::new();
    let mut tan_slots = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        let pn = &p.name;
        let g = format_ident!("__gd_grad{}", i);
        let gi = format_ident!("grad_{}", pn);
        let ti = format_ident!("tangent_{}", pn);
        if !p.wrt {
            into_slots.push(quote!(::core::option::Option::None));
            vag_slots.push(quote!(::core::option::Option::None));
            tan_slots.push(quote!(::core::option::Option::None));
            continue;
        }
        match &p.class {
            Class::Scalar => {
                zeros.extend(quote!(let mut #g: #f = 0.0;));
                gargs.push(quote!(&mut #g));
                into_params.push(quote!(#gi: &mut #f));
                tan_params.push(quote!(#ti: #f));
            }
            Class::Array { len, .. } => {
                match len {
                    Some(n) => zeros.extend(quote!(let mut #g: [#f; #n] = [0.0; #n];)),
                    // Not `vec![0.0; n]`: see `__private::zeros`.
                    None => {
                        let k = crate::krate();
                        zeros.extend(quote!(let mut #g: ::std::vec::Vec<#f> = #k::__private::zeros::<#f>(#pn.len());))
                    }
                }
                gargs.push(quote!(&mut #g[..]));
                into_params.push(quote!(#gi: &mut [#f]));
                tan_params.push(quote!(#ti: &[#f]));
            }
            Class::Tensor { owned } => {
                let k = crate::krate();
                zeros.extend(quote!(let mut #g: #owned = <#owned as #k::Params>::zeros_like(&#pn);));
                gargs.push(quote!(&mut #g));
                into_params.push(quote!(#gi: &mut #owned));
                tan_params.push(quote!(#ti: &#owned));
            }
            Class::Passive => unreachable!(),
        }
        gvals.push(quote!(#g));
        into_names.push(gi.clone());
        into_slots.push(quote!(::core::option::Option::Some(#gi)));
        let ga = gargs.last().unwrap();
        vag_slots.push(quote!(::core::option::Option::Some(#ga)));
        tan_slots.push(quote!(::core::option::Option::Some(#ti)));
    }
    let gty = super::second::shaped(sig, &quote!(_)).0;
    let gval = if wrt.len() == 1 { gvals[0].clone() } else { quote!((#(#gvals),*)) };
    // `value_and_grad_set`: a copy of the reverse sweep that assigns, where
    // some array's gradient is provably written once per element (see
    // `plan::window`); otherwise the buffers are zeroed and added into.
    let plan = WindowPlan::assigning(&sig.wrt_arrays(), &low.body, &low.temps, &crate::plan::Loops::of(&low.body, &low.temps));
    let vjp_set = names::vjp_set_fn(name);
    // One copy of each reverse sweep per function: `value_and_grad_into`
    // inlines `__gd_vjp` (`#[inline]`, so that callers' sweeps can inline
    // it too) and `value_and_grad_set` the assigning copy; the other entry
    // points call those two instead of inlining a sweep each, which made a
    // library build compile the reverse sweep up to three times.
    let (vjp_set_fn, set_body, vag_api) = if plan.windows.is_empty() && plan.backward.is_empty() {
        let zero = zero_buffers(sig);
        (TokenStream::new(), quote!(#zero value_and_grad_into(#(#pnames,)* #(#into_names),*)), quote!(value_and_grad_into(#(#pnames,)* #(#gargs),*)))
    } else {
        let func = sweeps_function(sig, low, false, false, Some(&plan), &vjp_set, &lints, &item_vis);
        // `value_and_grad` calls the assigning sweep itself, not
        // `value_and_grad_set` (f38ebc2 had it call the latter): with two
        // callers in the crate `value_and_grad_set` stopped being inlined
        // into its caller and the sweep was inlined into it instead, and
        // LLVM then kept the windows loop's trip count
        // `(len + 1).saturating_sub(2)` apart from the `len - 1` of the
        // window's bounds check: one instruction more per trip on
        // windows_tv, half on pairs_step_by (half less on pairs_chunks).
        // Still one copy of the sweep.
        (func, quote!(super::#vjp_set(#(#pnames,)* 1.0, #(#into_slots),*)), quote!(super::#vjp_set(#(#pnames,)* 1.0, #(#vag_slots),*)))
    };
    let wrt_names: Vec<String> = wrt.iter().map(|(_, p)| format!("`{}`", p.name)).collect();
    let wrt_doc = wrt_names.join(", ");
    let mod_doc = format!(
        "Derivatives of [`{name}`](fn@{name}), generated by `#[differentiable]` with respect to {wrt_doc}."
    );
    let vg_doc = format!("`({name}(..), ∇{name})`: the value and the gradient with respect to {wrt_doc} (reverse mode).");
    let g_doc = format!("The gradient of `{name}` with respect to {wrt_doc} (reverse mode).");
    let into_doc = format!(
        "Reverse mode without allocation (for loops without recursion or nested calls through slices): returns `{name}(..)` and ADDS its gradient with respect to {wrt_doc} into the `grad_*` buffers (zero them first for a plain gradient). Panics if a buffer's length differs from its parameter's."
    );
    let set_doc = format!(
        "Reverse mode without allocation that OVERWRITES the `grad_*` buffers with the gradient of `{name}` with respect to {wrt_doc} and returns `{name}(..)`: nothing to zero first (an optimizer's objective). Where each element of an array's gradient gets exactly one contribution (a separable sum over a slice), it is assigned once, as a hand-written gradient does; otherwise the buffer is zeroed, then added into. Panics if a buffer's length differs from its parameter's."
    );
    let jvp_doc = format!(
        "Forward mode: `({name}(..), directional derivative)` along the tangents given for {wrt_doc}."
    );
    // The dual copy (second derivatives): every function has one; matrix and
    // struct parameters take their tangents in trailing slots.
    // A function whose lanes copy runs the sweep has it generic over the
    // lane count, and its dual copy is that copy at one lane.
    let vjp_dual_fn = if crate::plan::lanes::sweeps_over_lanes(sig, low) {
        super::lanes::one_lane(sig, &lints, &item_vis)
    } else {
        vjp_function(sig, low, true, &vjp_dual, &lints, &item_vis)
    };
    let vjp_lanes = names::vjp_lanes_fn(name);
    let vjp_lanes_fn = super::lanes::generate(sig, low, &lints, &item_vis);
    let second = super::second::generate(sig, &vjp_dual, &vjp_lanes);
    let mut reexports = vec![(&vjp, "__gd_vjp"), (&jvp, "__gd_jvp"), (&vjp_dual, "__gd_vjp_dual"), (&vjp_lanes, "__gd_vjp_lanes")];
    // A function that differentiates a matrix or struct: callers that pass
    // one run it once, through its split (`sweeps_function`).
    let split = names::split_fn(name);
    // Every other one has a split that runs it again: a caller cannot see
    // whether `sq(p.bias)` passes a float or a matrix, so it may split.
    reexports.push((&split, "__gd_split"));
    let split_fn = if takes_tensors(sig) {
        split_function(sig, low, &split, &lints, &item_vis)
    } else {
        rerun_split(sig, &split, &lints, &item_vis)
    };
    let preamble = module_preamble(name, &reexport_vis, &reexports);
    quote! {
        #vjp_fn
        #vjp_set_fn
        #split_fn
        #vjp_dual_fn
        #vjp_lanes_fn
        #jvp_fn
        #[doc = #mod_doc]
        #lints
        #item_vis mod #name {
            #preamble

            #[doc = #vg_doc]
            pub fn value_and_grad(#params) -> (#f, #gty) {
                #zeros
                let __gd_value = #vag_api;
                (__gd_value, #gval)
            }

            #[doc = #g_doc]
            pub fn grad(#params) -> #gty {
                value_and_grad(#(#pnames),*).1
            }

            #[doc = #into_doc]
            pub fn value_and_grad_into(#params, #(#into_params),*) -> #f {
                super::#vjp(#(#pnames,)* 1.0, #(#into_slots),*)
            }

            #[doc = #set_doc]
            pub fn value_and_grad_set(#params, #(#into_params),*) -> #f {
                #set_body
            }

            #check

            #second

            #[doc = #jvp_doc]
            // Forward mode is `#[inline]` like the second-order API: a
            // library's build does not compile its sweep for every
            // function, the crate that calls `jvp` does.
            #[inline]
            pub fn jvp(#params, #(#tan_params),*) -> (#f, #f) {
                super::#jvp(#(#pnames,)* #(#tan_slots),*)
            }
        }
    }
}

/// `__gd_vjp` (or, with `dual`, `__gd_vjp_dual`: the same reverse sweep over
/// `Dual<F>`, with differentiated parameters passed as duals).
///
/// With `split` (matrix-valued functions, f64 only): `__gd_split`, the same
/// sweeps cut in two: it runs the forward sweep and returns the output with
/// a closure that runs the reverse sweep given the cotangent and the
/// gradient slots, so that a caller runs the callee once (the closure holds
/// what the reverse sweep reads; no loop writes the gradient in the forward
/// sweep, since the seed is not known there).
fn vjp_function(sig: &Sig, low: &Lowered, dual: bool, fname: &syn::Ident, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    sweeps_function(sig, low, dual, false, None, fname, lints, vis)
}

fn split_function(sig: &Sig, low: &Lowered, fname: &syn::Ident, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    if low.split_safe {
        return sweeps_function(sig, low, false, true, None, fname, lints, vis);
    }
    // A body whose passive values borrow its own locals: the closure could
    // not take them along.
    rerun_split(sig, fname, lints, vis)
}

/// A `__gd_split` that computes the value and returns a closure that runs
/// `__gd_vjp` again (the callee runs twice, as for calls that do not split).
pub(super) fn rerun_split(sig: &Sig, fname: &syn::Ident, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    let (name, f, krate) = (&sig.name, &sig.float, crate::krate());
    let vjp = names::vjp_fn(name);
    // A method's is an associated function (see `methods`).
    let primal = if sig.in_impl { quote!(Self::#name) } else { quote!(#name) };
    let pnames: Vec<_> = sig.params.iter().map(|p| &p.name).collect();
    let params = split_params(sig);
    let slots: Vec<syn::Ident> = (0..sig.params.len()).map(names::slot).collect();
    let slot_tys: Vec<TokenStream> = sig.params.iter().map(|p| slot_ty(p, &quote!(#f), false, true)).collect();
    let (ret_ty, seed) = if matches!(sig.out, Output::Tensor) {
        let ty = &sig.ret_ty;
        (quote!(#ty), quote!(&#krate::__private::tensor::entries(&__gd_seed)[..]))
    } else {
        (quote!(#f), quote!(__gd_seed))
    };
    quote! {
        #[doc(hidden)]
        #lints
        #vis fn #fname<'gd>(#(#params),*) -> (#ret_ty, impl ::core::ops::FnOnce(#ret_ty, #(#slot_tys),*) + 'gd) {
            let __gd_out = #primal(#(::core::clone::Clone::clone(&#pnames)),*);
            (__gd_out, move |__gd_seed: #ret_ty, #(#slots: #slot_tys),*| {
                #vjp(#(#pnames,)* #seed, #(#slots),*);
            })
        }
    }
}

///
/// With `set` (f64, scalar-valued): `__gd_vjp_set`, which overwrites the
/// gradient slots instead of adding into them: the arrays of the plan are
/// assigned once per element (see `set`), the other slots are zeroed first.
#[allow(clippy::too_many_arguments)]
fn sweeps_function(sig: &Sig, low: &Lowered, dual: bool, split: bool, set: Option<&WindowPlan>, fname: &syn::Ident, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    sweeps_over(sig, low, dual, false, split, set, fname, lints, vis)
}

/// The lanes copy (`emit::lanes`): the dual copy over `DualN<F, K>`, generic over `K`.
pub(super) fn lanes_function(sig: &Sig, low: &Lowered, fname: &syn::Ident, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    sweeps_over(sig, low, true, true, false, None, fname, lints, vis)
}

#[allow(clippy::too_many_arguments)]
fn sweeps_over(sig: &Sig, low: &Lowered, dual: bool, lanes: bool, split: bool, set: Option<&WindowPlan>, fname: &syn::Ident, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    let f = &sig.float;
    let name = &sig.name;
    let pnames: Vec<_> = sig.params.iter().map(|p| p.name.clone()).collect();
    let mut sw = Sweeps::new(f, dual, &low.temps, &pnames, low.locals, &low.body);
    let arrays: Vec<syn::Ident> = sig.params.iter().filter(|p| matches!(p.class, crate::sig::Class::Array { .. })).map(|p| p.name.clone()).collect();
    sw.rows = crate::plan::rows::plan(&low.body, &arrays);
    sw.scales = crate::plan::pow2::plan(low);
    if lanes {
        sw.into_lanes();
    }
    if split {
        sw.for_split(&low.body);
        sw.copied = low.param_borrows.clone();
    } else if !dual {
        sw.with_keep(&low.body);
    }
    sw.window = match set {
        Some(plan) => plan.clone(),
        // A split's reverse runs later: it has no seeded loops, so no windows.
        None if split => WindowPlan::default(),
        None => WindowPlan::adding(&sig.wrt_arrays(), &low.body, &low.temps, &sw.seeded),
    };
    if !dual && !split {
        let arrays: Vec<(usize, syn::Ident)> = sig.params.iter().enumerate().filter(|(_, p)| matches!(p.class, crate::sig::Class::Array { .. })).map(|(i, p)| (i, p.name.clone())).collect();
        sw.chunks = crate::plan::chunk::plan(&low.body, &low.temps, &sw.seeded, &arrays, &sig.float, &sw.branchless);
    }
    let (s, z, krate) = (&sw.s, &sw.zero, &sw.krate);
    let mut params = Vec::new();
    let mut slots = Vec::new();
    let mut setup = TokenStream::new();
    let mut finish = TokenStream::new();
    let mut init = TokenStream::new();
    let mut shadow = TokenStream::new();
    let mut tangents = Vec::new();
    let mut slot_tys = Vec::new();
    for (i, p) in sig.params.iter().enumerate() {
        let (slot, g, scr, pn) = (names::slot(i), names::grad(i), names::scratch(i), &p.name);
        let ty = &p.ty;
        let ts = format_ident!("__gd_tslot{}", i);
        if dual {
            // The dual copy's ABI: one trailing tangent slot per parameter;
            // only matrix and struct parameters use theirs.
            let tty = dual_tangent_slot(p, f);
            tangents.push(quote!(#ts: #tty));
        }
        let sty = slot_ty(p, s, dual, split);
        slots.push(quote!(#slot: #sty));
        slot_tys.push(sty);
        match (&p.class, p.wrt) {
            (Class::Scalar, true) => {
                params.push(if dual { quote!(#pn: #s) } else { quote!(#pn: #ty) });
                setup.extend(quote! {
                    let mut #scr: #s = #z;
                    let #g: &mut #s = match #slot { ::core::option::Option::Some(r) => r, ::core::option::Option::None => &mut #scr };
                });
                let x = low.param_temps[i].unwrap();
                let (tv, bv) = (t(x), b(x));
                init.extend(quote!(#tv = #pn;));
                if dual {
                    shadow.extend(quote!(let #pn: #f = #pn.re;));
                }
                finish.extend(if set.is_some() { quote!(*#g = #bv;) } else { quote!(*#g += #bv;) });
            }
            (Class::Array { .. }, true) => {
                if dual {
                    // User code reads the primal values under the parameter's name.
                    let dp = names::dual_param(i);
                    params.push(quote!(#dp: &[#s]));
                    let values = quote!(#dp.iter().map(|d| d.re).collect::<::std::vec::Vec<#f>>());
                    // Borrowed as the parameter is (`&[F]`, `&Vec<F>`), so
                    // that user code may pass the name on by value
                    // (`gd::stop_gradient(x)`) more than once.
                    let borrowed = match ty {
                        syn::Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
                            syn::Type::Slice(_) => Some(quote!(&[#f])),
                            syn::Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Vec") => Some(quote!(&::std::vec::Vec<#f>)),
                            _ => None,
                        },
                        _ => None,
                    };
                    shadow.extend(match borrowed {
                        Some(bty) => {
                            let owned = quote::format_ident!("__gd_primal_{}", pn);
                            quote!(let #owned = #values; let #pn: #bty = &#owned;)
                        }
                        None => quote!(let #pn: ::std::vec::Vec<#f> = #values;),
                    });
                } else {
                    params.push(quote!(#pn: #ty));
                }
                let plen = if dual {
                    let dp = names::dual_param(i);
                    quote!(#dp.len())
                } else {
                    quote!(#pn.len())
                };
                let msg = format!("{name}: the gradient buffer for `{pn}` has length {{}} but `{pn}` has length {{}}");
                setup.extend(quote! {
                    let mut #scr: ::std::vec::Vec<#s>;
                    let #g: &mut [#s] = match #slot {
                        ::core::option::Option::Some(r) => {
                            // Not assert_eq!: it borrows both lengths before
                            // comparing, which costs stack stores on every call.
                            if r.len() != #plen {
                                ::core::panic!(#msg, r.len(), #plen);
                            }
                            r
                        }
                        ::core::option::Option::None => {
                            #scr = ::std::vec![#z; #plen];
                            &mut #scr[..]
                        }
                    };
                });
                match set {
                    Some(plan) if plan.assigns(i) => {
                        // The assigning loop zeroes what it does not write
                        // (see `plan::window`).
                        let (hi, last) = (crate::plan::window::hi(i), crate::plan::window::last(i));
                        setup.extend(quote!(let mut #hi: usize = 0; let mut #last: usize = 0;));
                    }
                    Some(_) => setup.extend(quote!(#g.fill(0.0);)),
                    None => {}
                }
            }
            (Class::Tensor { owned }, true) if dual => {
                let (gt, tv, tscr) = (names::grad_tan(i), names::tangent(i), format_ident!("__gd_tscr{}", i));
                params.push(quote!(#pn: #ty));
                setup.extend(tangent_or_zeros(&tv, &ts, &tscr, owned, pn));
                setup.extend(quote! {
                    let mut #scr: ::core::option::Option<(#owned, #owned)> = ::core::option::Option::None;
                    let (#g, #gt): (&mut #owned, &mut #owned) = match #slot {
                        ::core::option::Option::Some((a, b)) => (a, b),
                        ::core::option::Option::None => {
                            let s = #scr.insert((<#owned as #krate::Params>::zeros_like(&#pn), <#owned as #krate::Params>::zeros_like(&#pn)));
                            (&mut s.0, &mut s.1)
                        }
                    };
                });
            }
            (Class::Tensor { owned }, true) => {
                params.push(quote!(#pn: #ty));
                setup.extend(quote! {
                    let mut #scr: ::core::option::Option<#owned> = ::core::option::Option::None;
                    let #g: &mut #owned = match #slot {
                        ::core::option::Option::Some(r) => r,
                        ::core::option::Option::None => #scr.insert(<#owned as #krate::Params>::zeros_like(&#pn)),
                    };
                });
                if set.is_some() {
                    setup.extend(quote!(<#owned as #krate::Params>::set_zero(#g);));
                }
            }
            _ => params.push(quote!(#pn: #ty)),
        }
    }
    let alias = sw.scalar_alias();
    let mut decls = sw.decls(Mode::Record);
    decls.extend(sw.tensor_ties(Mode::Record));
    let stacks = sw.stacks(&low.body, krate, !split);
    let stacks_end = sw.stacks_end(&low.body, krate, !split);
    let fwd = sw.forward(&low.body, Mode::Record);
    let rev = sw.reverse(&low.body);
    let (tr, br) = (t(low.ret), b(low.ret));
    // A scalar function's seed is its output's adjoint; a vector-valued one
    // takes the cotangent as a slice, added where its output array is made.
    let (seed_ty, seed, ret_ty, result) = match low.ret_arr {
        // An nalgebra output: the cotangent is its entries in column-major order.
        None if matches!(sig.out, Output::Tensor) => {
            let ty = &sig.ret_ty;
            let msg = format!("{name}: the cotangent has length {{}} but the output has {{}} entries");
            let set = quote! {
                let __gd_o = #tr.as_ref().unwrap();
                let __gd_n = #krate::__private::tensor::Tensor::count(__gd_o);
                ::core::assert_eq!(__gd_seed.len(), __gd_n, #msg, __gd_seed.len(), __gd_n);
                #br = ::core::option::Option::Some(#krate::__private::tensor::unflat(__gd_o, __gd_seed));
            };
            // The dual copy, called by a caller's dual copy for the value
            // alone (its forward sweep), gets an empty cotangent.
            let seed = if dual { quote!(if !__gd_seed.is_empty() { #set }) } else { quote!({ #set }) };
            // The dual copy returns the output with its tangent.
            let out = if dual { quote!(#krate::__private::tensor::Tan<#ty>) } else { quote!(#ty) };
            (quote!(&[#s]), seed, out, quote!(#tr.unwrap()))
        }
        None => (quote!(#s), quote!(#br = __gd_seed;), quote!(#s), quote!(#tr)),
        // The dual and lanes copies, called by callers' copies, return the
        // output array itself (see `Stmt::CallArr`).
        Some(arr) if dual => {
            let a = names::local(arr);
            (quote!(&[#s]), TokenStream::new(), quote!(::std::vec::Vec<#s>), quote!(::core::mem::take(&mut #a)))
        }
        Some(arr) => {
            let (out, conv) = super::vector::output(sig, arr);
            (quote!(&[#s]), TokenStream::new(), out, conv)
        }
    };
    if split {
        let params = split_params(sig);
        // The cotangent is a value of the output's type (the caller holds
        // the output's adjoint as one); the output is moved out unless the
        // reverse sweep reads it.
        let (out, set_seed) = if !matches!(sig.out, Output::Tensor) {
            (quote!(#tr), quote!(#br = __gd_seed;))
        } else if sw.needed.contains(&low.ret) {
            (quote!(::core::clone::Clone::clone(#tr.as_ref().unwrap())), quote!(#br = ::core::option::Option::Some(__gd_seed);))
        } else {
            (quote!(#tr.take().unwrap()), quote!(#br = ::core::option::Option::Some(__gd_seed);))
        };
        return quote! {
            #[doc(hidden)]
            #lints
            #vis fn #fname<'gd>(#(#params),*) -> (#ret_ty, impl ::core::ops::FnOnce(#ret_ty, #(#slot_tys),*) + 'gd) {
                #alias
                #decls
                #stacks
                #init
                #shadow
                #fwd
                let __gd_out = #out;
                (__gd_out, move |__gd_seed: #ret_ty, #(#slots),*| {
                    #setup
                    #set_seed
                    #rev
                    #finish
                    #stacks_end
                })
            }
        };
    }
    // Declared first, dropped last: split calls' closures borrow it (the
    // plain sweep only; the dual copy reruns its callees).
    // Only where a split call may keep something: dropping one is a call
    // that a short function (Rosenbrock at n = 10) would feel.
    let keep = (!dual && !sw.pullbacks.is_empty()).then(|| quote!(let __gd_keep = #krate::__private::Keep::new();));
    let generics = if lanes { quote!(<const __GD_K: usize>) } else { TokenStream::new() };
    let decls = super::defer::defer_inits(decls, &quote!(#stacks #init #shadow #fwd #seed #rev #finish #stacks_end #result));
    let func = quote! {
        #[doc(hidden)]
        #lints
        #[inline]
        #vis fn #fname #generics(#(#params,)* __gd_seed: #seed_ty, #(#slots,)* #(#tangents),*) -> #ret_ty {
            #alias
            #keep
            #setup
            #decls
            #stacks
            #init
            #shadow
            #fwd
            #seed
            #rev
            #finish
            #stacks_end
            #result
        }
    };
    if lanes {
        super::lanes::name_scalar(func, &quote!(#krate::__private::DualN<#f, __GD_K>))
    } else {
        func
    }
}

/// `__gd_jvp`: forward mode. Returns `(value, tangent)`; for a vector-valued
/// function the tangent is a `Vec<F>`.
fn jvp_function(sig: &Sig, low: &Lowered, fname: &syn::Ident, lints: &TokenStream, vis: &TokenStream) -> TokenStream {
    let f = &sig.float;
    let name = &sig.name;
    let pnames: Vec<_> = sig.params.iter().map(|p| p.name.clone()).collect();
    let ptys: Vec<_> = sig.params.iter().map(|p| p.ty.clone()).collect();
    let sw = Sweeps::new(f, false, &low.temps, &pnames, low.locals, &low.body);
    let mut tslots = Vec::new();
    let mut tsetup = TokenStream::new();
    let mut tinit = TokenStream::new();
    for (i, p) in sig.params.iter().enumerate() {
        let (slot, v, scr, pn) = (names::slot(i), names::tangent(i), names::scratch(i), &p.name);
        match (&p.class, p.wrt) {
            (Class::Scalar, true) => {
                tslots.push(quote!(#slot: ::core::option::Option<#f>));
                let x = low.param_temps[i].unwrap();
                let (tv, dv) = (t(x), d(x));
                tinit.extend(quote!(#tv = #pn; #dv = match #slot { ::core::option::Option::Some(v) => v, ::core::option::Option::None => 0.0 };));
            }
            (Class::Array { .. }, true) => {
                tslots.push(quote!(#slot: ::core::option::Option<&[#f]>));
                let msg = format!("{name}: the tangent for `{pn}` has length {{}} but `{pn}` has length {{}}");
                tsetup.extend(quote! {
                    let #scr: ::std::vec::Vec<#f>;
                    let #v: &[#f] = match #slot {
                        ::core::option::Option::Some(v) => {
                            ::core::assert_eq!(v.len(), #pn.len(), #msg, v.len(), #pn.len());
                            v
                        }
                        ::core::option::Option::None => {
                            #scr = ::std::vec![0.0; #pn.len()];
                            &#scr[..]
                        }
                    };
                });
            }
            (Class::Tensor { owned }, true) => {
                tslots.push(quote!(#slot: ::core::option::Option<&#owned>));
                tsetup.extend(tangent_or_zeros(&v, &slot, &scr, owned, pn));
            }
            _ => {
                let n = names::no_slot();
                tslots.push(quote!(#slot: #n));
            }
        }
    }
    let alias = sw.scalar_alias();
    let mut decls = sw.decls(Mode::Tangent);
    decls.extend(sw.tensor_ties(Mode::Tangent));
    let fwd = sw.forward(&low.body, Mode::Tangent);
    let (ret_ty, result) = match low.ret_arr {
        None if matches!(sig.out, Output::Tensor) => {
            let (ty, k) = (&sig.ret_ty, crate::krate());
            let (tr, dr) = (t(low.ret), d(low.ret));
            (
                quote!((#ty, ::std::vec::Vec<#f>)),
                quote!({
                    let __gd_o = #tr.unwrap();
                    let __gd_t = #k::__private::tensor::flat_tangent(&#dr, &__gd_o);
                    (__gd_o, __gd_t)
                }),
            )
        }
        None => {
            let (tr, dr) = (t(low.ret), d(low.ret));
            (quote!((#f, #f)), quote!((#tr, #dr)))
        }
        Some(arr) => {
            let (out, conv) = super::vector::output(sig, arr);
            let da = names::local_tan(arr);
            (quote!((#out, ::std::vec::Vec<#f>)), quote!((#conv, ::core::mem::take(&mut #da))))
        }
    };
    let decls = super::defer::defer_inits(decls, &quote!(#tinit #fwd #result));
    quote! {
        #[doc(hidden)]
        #lints
        // Compiled only in a crate that runs forward mode (see `jvp` in
        // `generate`).
        #[inline]
        #vis fn #fname(#(#pnames: #ptys,)* #(#tslots),*) -> #ret_ty {
            #alias
            #tsetup
            #decls
            #tinit
            #fwd
            #result
        }
    }
}

/// `|x: F| -> (F, F)`, a closure mapped over a matrix (`Stmt::TMap`): its
/// value and derivative at `x`, by forward mode; over `Dual<F>` in the dual
/// copy (second derivatives).
pub(super) fn elementwise_closure(m: &ElemFn, dual: bool) -> TokenStream {
    let (name, f) = (&m.name, &m.float);
    let inner = elementwise_jvp(&m.sig, &m.low, dual);
    if dual {
        let k = crate::krate();
        let d = quote!(#k::__private::Dual<#f>);
        quote!(|#name: #d| -> (#d, #d) { #inner })
    } else {
        quote!(|#name: #f| -> (#f, #f) { #inner })
    }
}

/// The body of `|x| -> (F, F)` for a closure mapped over a matrix: its value
/// and derivative at `x`, by forward mode (see `lower::tensor`).
fn elementwise_jvp(sig: &Sig, low: &Lowered, dual: bool) -> TokenStream {
    let f = &sig.float;
    let pnames: Vec<_> = sig.params.iter().map(|p| p.name.clone()).collect();
    let sw = Sweeps::new(f, dual, &low.temps, &pnames, low.locals, &low.body);
    let one = if dual {
        let k = crate::krate();
        quote!(#k::__private::Dual::<#f>::cst(1.0))
    } else {
        quote!(1.0)
    };
    let x = low.param_temps[0].unwrap();
    let (tx, dx, pn) = (t(x), d(x), &pnames[0]);
    let alias = sw.scalar_alias();
    let decls = sw.decls(Mode::Tangent);
    let fwd = sw.forward(&low.body, Mode::Tangent);
    let (tr, dr) = (t(low.ret), d(low.ret));
    quote! {
        #alias
        #decls
        #tx = #pn;
        #dx = #one;
        #fwd
        (#tr, #dr)
    }
}

/// `let v: &T = tangent slot, or a zero `T` shaped like the parameter` (a
/// matrix or struct parameter's tangent in `__gd_jvp` and in the dual copy).
fn tangent_or_zeros(v: &syn::Ident, slot: &syn::Ident, scr: &syn::Ident, owned: &syn::Type, pn: &syn::Ident) -> TokenStream {
    let k = crate::krate();
    quote! {
        let #scr: #owned;
        let #v: &#owned = match #slot {
            ::core::option::Option::Some(t) => t,
            ::core::option::Option::None => {
                #scr = <#owned as #k::Params>::zeros_like(&#pn);
                &#scr
            }
        };
    }
}

/// A parameter's gradient slot type in `__gd_vjp` (`s`: the scalar type of
/// the sweep, `Dual<F>` in the dual copy, where a matrix or struct lends its
/// adjoint and that adjoint's tangent) and in `__gd_split`'s closure
/// (`split`: a parameter not differentiated takes `Option<()>`, as a
/// closure's signature has no `impl Trait`).
fn slot_ty(p: &Param, s: &TokenStream, dual: bool, split: bool) -> TokenStream {
    match (&p.class, p.wrt) {
        (Class::Scalar, true) => quote!(::core::option::Option<&mut #s>),
        (Class::Array { .. }, true) => quote!(::core::option::Option<&mut [#s]>),
        (Class::Tensor { owned }, true) if dual => quote!(::core::option::Option<(&mut #owned, &mut #owned)>),
        (Class::Tensor { owned }, true) => quote!(::core::option::Option<&mut #owned>),
        _ if split => quote!(::core::option::Option<()>),
        _ => names::no_slot(),
    }
}

/// The type of a parameter's trailing tangent slot in the dual copy: a
/// matrix or struct takes its tangent there; a float's travels in its dual
/// number, and the slot is there for a caller that holds the float as a
/// field (`sq(p.bias)`) and passes its tangent like a matrix's.
pub(super) fn dual_tangent_slot(p: &Param, f: &syn::Ident) -> TokenStream {
    match (&p.class, p.wrt) {
        (Class::Tensor { owned }, true) => quote!(::core::option::Option<&#owned>),
        (Class::Scalar, true) => quote!(::core::option::Option<&#f>),
        _ => names::no_slot(),
    }
}

/// Zeroes the `grad_*` buffers of `value_and_grad_set` before a sweep that adds.
pub(super) fn zero_buffers(sig: &Sig) -> TokenStream {
    let krate = crate::krate();
    sig.params
        .iter()
        .filter(|p| p.wrt)
        .map(|p| {
            let gi = format_ident!("grad_{}", p.name);
            match &p.class {
                Class::Scalar => quote!(*#gi = 0.0;),
                Class::Array { .. } => quote!(#gi.fill(0.0);),
                Class::Tensor { owned } => quote!(<#owned as #krate::Params>::set_zero(#gi);),
                Class::Passive => TokenStream::new(),
            }
        })
        .collect()
}

/// `__gd_split`'s parameters: the function's, each reference given `'gd`.
fn split_params(sig: &Sig) -> Vec<TokenStream> {
    sig.params
        .iter()
        .map(|p| {
            let (pn, ty) = (&p.name, with_lifetime(&p.ty));
            quote!(#pn: #ty)
        })
        .collect()
}

/// `ty` with every reference that has no lifetime given `'gd` (the
/// parameters of `__gd_split`, whose returned closure borrows them).
fn with_lifetime(ty: &syn::Type) -> syn::Type {
    struct L;
    impl syn::visit_mut::VisitMut for L {
        fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
            if r.lifetime.is_none() {
                r.lifetime = Some(syn::Lifetime::new("'gd", proc_macro2::Span::call_site()));
            }
            syn::visit_mut::visit_type_reference_mut(self, r);
        }
    }
    let mut ty = ty.clone();
    syn::visit_mut::VisitMut::visit_type_mut(&mut L, &mut ty);
    ty
}

/// Does the function differentiate a matrix or a parameter struct? Then it
/// has a `__gd_split`, which a caller that passes it a differentiated matrix
/// or struct calls (see `lower_call`: only such parameters take those).
pub fn takes_tensors(sig: &Sig) -> bool {
    sig.params.iter().any(|p| p.wrt && matches!(p.class, Class::Tensor { .. }))
}
