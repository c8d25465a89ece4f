//! Calls to other `#[differentiable]` functions: each sweep calls the
//! callee's own generated code (`f`, `__gd_vjp`, `__gd_jvp`, the dual copy
//! `__gd_vjp_dual`). A call that the lowering gave a pullback (a
//! matrix-valued callee, or one given matrices or structs; see
//! `lower_call`) goes through the callee's `__gd_split` instead where this
//! sweep allows it (`live_pullbacks`): the forward sweep keeps the returned
//! closure, the reverse sweep calls it with the output's adjoint, and the
//! callee runs once. Elsewhere the reverse sweep runs the callee's
//! `__gd_vjp` again.

use std::collections::HashSet;

use proc_macro2::TokenStream;
use quote::quote;

use crate::names::{self, d, t};
use super::sweep::{Mode, Sweeps};
use crate::ir::*;

/// Arguments a split call borrows that the caller may change or drop before
/// its reverse sweep runs the closure: its own matrices and arrays, and
/// references to its local data (`&ones`). They are copied into the
/// caller's `Keep` (`split_args`).
fn kept(a: &CallArg, temps: &[TempInfo]) -> bool {
    match a {
        CallArg::Tensor(TArg::Temp(_)) | CallArg::Array(Arr::Local(_), ..) => true,
        CallArg::Passive(x) => temps[x.0].local_ref,
        _ => false,
    }
}

/// The pullback temporaries a sweep fills: calls that split (not in the dual
/// copy, which reruns callees; not when an argument must be kept and the
/// sweep has no `Keep`).
pub(super) fn live_pullbacks(b: &Block, temps: &[TempInfo], dual: bool, keep: bool) -> HashSet<Temp> {
    let mut out = HashSet::new();
    for s in b {
        if let Stmt::Call { args, pullback: Some(pb), .. } = s {
            if !dual && (keep || !args.iter().any(|a| kept(a, temps))) {
                out.insert(*pb);
            }
        }
        for c in s.children() {
            out.extend(live_pullbacks(c, temps, dual, keep));
        }
    }
    out
}

/// Where a callee's internal function is: `g::__gd_vjp` for a free
/// function `g` (forwarding functions of its type, see `scope`), and
/// `Self::__gd_vjp_g` for an associated function or method `Self::g`,
/// whose internal functions sit beside it in the `impl` (see `methods`).
fn abi(path: &syn::Path, item: &str) -> TokenStream {
    let segs = &path.segments;
    if path.leading_colon.is_none() && segs.len() == 2 && segs[0].ident == "Self" {
        let f = quote::format_ident!("{}_{}", item, segs[1].ident, span = segs[1].ident.span());
        return quote!(Self::#f);
    }
    let item = syn::Ident::new(item, proc_macro2::Span::call_site());
    quote!(#path::#item)
}

/// A sub-slice's range (`lo..hi`, `lo..`; `..` for a whole array), from
/// its captured bounds.
fn range(r: &Option<SubRange>) -> TokenStream {
    match r {
        None => quote!(..),
        Some(SubRange { lo, hi: Some(hi) }) => {
            let (lo, hi) = (t(*lo), t(*hi));
            quote!(#lo..#hi)
        }
        Some(SubRange { lo, hi: None }) => {
            let lo = t(*lo);
            quote!(#lo..)
        }
    }
}

impl<'a> Sweeps<'a> {
    /// The dual copy's trailing tangent slots, one per argument: a matrix
    /// or struct argument's tangent, `None` for the others (whose tangents
    /// travel inside their dual values).
    fn call_tangents_dual(&self, args: &[CallArg]) -> Vec<TokenStream> {
        args.iter()
            .map(|a| match a {
                CallArg::Tensor(t) => self.call_tangent_dual(t),
                _ => quote!(::core::option::Option::None),
            })
            .collect()
    }

    fn call_args(&self, args: &[CallArg]) -> Vec<TokenStream> {
        args.iter()
            .map(|a| match a {
                CallArg::Scalar(x) => {
                    let v = t(*x);
                    quote!(#v)
                }
                CallArg::Array(_, ts, None) if !self.dual => ts.clone(),
                CallArg::Array(a, _, r) => {
                    let (v, r) = (self.arr(*a), range(r));
                    quote!(&#v[#r])
                }
                // The callee's dual copy takes duals for the parameters it
                // differentiates: a constant argument converts (`DualArg`,
                // which also makes `&Vec<F>` and `&[F; N]` slices, as the
                // plain call's coercion does).
                CallArg::Passive(x) if self.dual => {
                    let (v, k) = (t(*x), &self.krate);
                    quote!(#k::__private::DualArg::dual_arg(#v.clone().unwrap()))
                }
                CallArg::Passive(x) => {
                    let v = t(*x);
                    quote!(#v.clone().unwrap())
                }
                CallArg::Literal(ts) => ts.clone(),
                // Converted to the callee's parameter type, which the macro
                // cannot see: `&T`, or a float by value (`sq(p.bias)`).
                CallArg::Tensor(a) if self.dual => {
                    let tan = self.dual_tangent(a).unwrap_or_else(|| quote!(::core::option::Option::None::<&()>));
                    let (v, k) = (self.call_val(a), &self.krate);
                    quote!(#k::__private::tensor::dual_arg(#v, #tan))
                }
                CallArg::Tensor(a) => {
                    let (v, k) = (self.call_val(a), &self.krate);
                    quote!(#k::__private::tensor::arg(#v))
                }
            })
            .collect()
    }

    /// The call's pullback, when this sweep splits the call (see
    /// `live_pullbacks`).
    fn live_pullback(&self, pullback: Option<Temp>) -> Option<Temp> {
        pullback.filter(|pb| self.pullbacks.contains(pb))
    }

    /// A split call's arguments: the caller's own matrices and arrays
    /// copied into its `Keep` (see `kept`), the rest as for any call.
    fn split_args(&self, args: &[CallArg]) -> Vec<TokenStream> {
        args.iter()
            .zip(self.call_args(args))
            .map(|(arg, tokens)| match arg {
                CallArg::Tensor(TArg::Temp(x)) => {
                    let (v, k) = (t(*x), &self.krate);
                    quote!(#k::__private::tensor::arg(__gd_keep.keep(::core::clone::Clone::clone(#v.as_ref().unwrap()))))
                }
                CallArg::Array(a @ Arr::Local(_), _, r) => {
                    let (v, r) = (self.arr(*a), range(r));
                    quote!(&__gd_keep.keep(#v[#r].to_vec())[..])
                }
                CallArg::Passive(x) if self.temps[x.0].local_ref => {
                    let v = t(*x);
                    quote!(&*__gd_keep.keep(::std::borrow::ToOwned::to_owned(#v.clone().unwrap())))
                }
                _ => tokens,
            })
            .collect()
    }

    /// The callee's copy that this dual copy calls: its lanes copy from a lanes copy.
    fn dual_abi(&self) -> &'static str {
        if self.lanes {
            "__gd_vjp_lanes"
        } else {
            "__gd_vjp_dual"
        }
    }

    pub(super) fn forward_call(&self, dst: Temp, path: &syn::Path, args: &[CallArg], pullback: Option<Temp>, mode: Mode) -> TokenStream {
        let a = self.call_args(args);
        let v = t(dst);
        // A matrix-valued callee (`let h: DMatrix<f64> = f(..)`):
        // its value is held as `Some(..)`; its dual copy takes an
        // empty cotangent for "value only".
        let tensor = self.is_tensor(dst);
        let some = |call: TokenStream| if tensor { quote!(#v = ::core::option::Option::Some(#call);) } else { quote!(#v = #call;) };
        match mode {
            Mode::Record | Mode::Primal if self.dual => {
                let (z, nones) = (&self.zero, args.iter().map(|_| quote!(::core::option::Option::None)));
                let tans = self.call_tangents_dual(args);
                let seed = if tensor { quote!(&[]) } else { quote!(#z) };
                let callee = abi(path, self.dual_abi());
                some(quote!(#callee(#(#a,)* #seed, #(#nones,)* #(#tans),*)))
            }
            // A matrix-valued callee, or one given matrices, runs once: its
            // split returns the output and its reverse sweep as a closure.
            Mode::Record if self.live_pullback(pullback).is_some() => {
                let k = t(pullback.unwrap());
                let set = some(quote!(__gd_o));
                let a = self.split_args(args);
                let split = abi(path, "__gd_split");
                quote! {{
                    let (__gd_o, __gd_k) = #split(#(#a),*);
                    #set
                    #k = ::core::option::Option::Some(__gd_k);
                }}
            }
            Mode::Record | Mode::Primal => some(quote!(#path(#(#a),*))),
            Mode::Tangent => {
                let dv = d(dst);
                let slots = self.tangent_slots(args);
                let jvp = abi(path, "__gd_jvp");
                if tensor {
                    let k = &self.krate;
                    quote! {{
                        let (__gd_o, __gd_t) = #jvp(#(#a,)* #(#slots),*);
                        #dv = ::core::option::Option::Some(#k::__private::tensor::unflat(&__gd_o, &__gd_t));
                        #v = ::core::option::Option::Some(__gd_o);
                    }}
                } else {
                    quote!((#v, #dv) = #jvp(#(#a,)* #(#slots),*);)
                }
            }
        }
    }

    /// `__gd_jvp`'s tangent slots, one per argument.
    fn tangent_slots(&self, args: &[CallArg]) -> Vec<TokenStream> {
        args.iter()
            .map(|a| match a {
                CallArg::Scalar(x) => {
                    let dx = d(*x);
                    quote!(::core::option::Option::Some(#dx))
                }
                CallArg::Array(a, _, r) => {
                    let (ta, r) = (self.arr_tan(*a), range(r));
                    quote!(::core::option::Option::Some(&#ta[#r]))
                }
                CallArg::Passive(_) | CallArg::Literal(_) => quote!(::core::option::Option::None),
                CallArg::Tensor(a) if self.targ_active(a) => {
                    let (tan, k) = (self.call_tan(a), &self.krate);
                    quote!(#k::__private::tensor::tan_arg(#tan))
                }
                CallArg::Tensor(a) => self.call_tan(a),
            })
            .collect()
    }

    /// A vector-valued callee's outputs appended to local array `arr`
    /// (`Stmt::CallArr`): the primal call, its output checked against the
    /// type the caller states; `__gd_jvp`'s flat tangent; in the dual and
    /// lanes copies, the callee's copy with an empty cotangent (value only),
    /// whose output is already flat.
    pub(super) fn forward_call_outputs(&self, arr: usize, path: &syn::Path, args: &[CallArg], ty: &TokenStream, mode: Mode) -> TokenStream {
        let (a, la, k) = (self.call_args(args), names::local(arr), &self.krate);
        match mode {
            Mode::Record | Mode::Primal if self.dual => {
                let nones = args.iter().map(|_| quote!(::core::option::Option::None));
                let tans = self.call_tangents_dual(args);
                let callee = abi(path, self.dual_abi());
                quote!(#la.extend(#callee(#(#a,)* &[], #(#nones,)* #(#tans),*));)
            }
            Mode::Record | Mode::Primal => quote! {{
                let __gd_o: #ty = #path(#(#a),*);
                #k::__private::flat_into(__gd_o, &mut #la);
            }},
            Mode::Tangent => {
                let (slots, jvp, da) = (self.tangent_slots(args), abi(path, "__gd_jvp"), names::local_tan(arr));
                quote! {{
                    let (__gd_o, __gd_t): (#ty, ::std::vec::Vec<_>) = #jvp(#(#a,)* #(#slots),*);
                    #k::__private::flat_into(__gd_o, &mut #la);
                    #da.extend(__gd_t);
                }}
            }
        }
    }

    /// The reverse of `forward_call_outputs`: the callee's `__gd_vjp` (its
    /// dual or lanes copy in those copies) with the whole adjoint of `arr`
    /// as its cotangent (`arr` was empty before it; pushes after it have
    /// popped their entries; the block's reverse sizes it afresh).
    pub(super) fn reverse_call_outputs(&self, arr: usize, path: &syn::Path, args: &[CallArg]) -> TokenStream {
        let (a, g) = (self.call_args(args), names::local_adj(arr));
        let (slots, pre, post) = self.adjoint_slots(args);
        let callee = abi(path, if self.dual { self.dual_abi() } else { "__gd_vjp" });
        let tans = if self.dual { self.call_tangents_dual(args) } else { Vec::new() };
        quote! {{
            #pre
            #callee(#(#a,)* &#g[..], #(#slots,)* #(#tans),*);
            #post
        }}
    }

    /// `__gd_vjp`'s adjoint slots, one per argument, with the code to run
    /// before and after the call for arguments passed twice.
    fn adjoint_slots(&self, args: &[CallArg]) -> (Vec<TokenStream>, TokenStream, TokenStream) {
        let z = &self.zero;
        // The same variable passed twice (`h(x, x)`) cannot lend its
        // adjoint twice: the second slot gets a scratch, added after.
        let mut lent: HashSet<String> = HashSet::new();
        let (mut pre, mut post) = (TokenStream::new(), TokenStream::new());
        let slots: Vec<TokenStream> = args
            .iter()
            .enumerate()
            .map(|(k, a)| {
                let dup = quote::format_ident!("__gd_dup{}", k);
                match a {
                    CallArg::Scalar(x) => {
                        let bx = self.adj(*x);
                        if lent.insert(bx.to_string()) {
                            return quote!(::core::option::Option::Some(&mut #bx));
                        }
                        pre.extend(quote!(let mut #dup = #z;));
                        post.extend(quote!(#bx += #dup;));
                        quote!(::core::option::Option::Some(&mut #dup))
                    }
                    CallArg::Array(a, _, r) => {
                        let (g, r) = (self.arr_adj(*a), range(r));
                        if lent.insert(g.to_string()) {
                            return quote!(::core::option::Option::Some(&mut #g[#r]));
                        }
                        // Lent already (`f(&x[..2], &x[1..])`): a scratch of
                        // the range's length, added into the range after.
                        pre.extend(quote!(let mut #dup = ::std::vec![#z; #g[#r].len()];));
                        post.extend(quote!(for (g, d) in #g[#r].iter_mut().zip(#dup.iter()) { *g += *d; }));
                        quote!(::core::option::Option::Some(&mut #dup[..]))
                    }
                    CallArg::Passive(_) | CallArg::Literal(_) => quote!(::core::option::Option::None),
                    CallArg::Tensor(a) if self.dual && self.targ_active(a) => self.tslot_dual(a, k, &mut lent, &mut pre, &mut post),
                    CallArg::Tensor(a) if self.dual => self.call_slot_dual(a),
                    CallArg::Tensor(a) => self.tslot(a, k, &mut lent, &mut pre, &mut post),
                }
            })
            .collect();
        (slots, pre, post)
    }

    pub(super) fn reverse_call(&self, dst: Temp, path: &syn::Path, args: &[CallArg], pullback: Option<Temp>) -> TokenStream {
        let z = &self.zero;
        let a = self.call_args(args);
        let bd = self.adj(dst);
        let (slots, pre, post) = self.adjoint_slots(args);
        let callee = abi(path, if self.dual { self.dual_abi() } else { "__gd_vjp" });
        let tans = if self.dual { self.call_tangents_dual(args) } else { Vec::new() };
        if let Some(pb) = self.live_pullback(pullback) {
            // The closure saved by the forward sweep, with the
            // output's adjoint as its cotangent.
            let pv = t(pb);
            if self.is_tensor(dst) {
                quote! {{
                    let __gd_pb = #pv.take().unwrap();
                    if let ::core::option::Option::Some(__gd_zb) = #bd.take() {
                        #pre
                        __gd_pb(__gd_zb, #(#slots),*);
                        #post
                    }
                }}
            } else {
                quote! {{
                    let __gd_pb = #pv.take().unwrap();
                    #pre
                    __gd_pb(#bd, #(#slots),*);
                    #post
                    #bd = #z;
                }}
            }
        } else if self.is_tensor(dst) {
            // The output's adjoint, flat, is the callee's cotangent.
            let k = &self.krate;
            quote! {
                if let ::core::option::Option::Some(__gd_zb) = #bd.take() {
                    let __gd_cot = #k::__private::tensor::entries(&__gd_zb);
                    #pre
                    #callee(#(#a,)* &__gd_cot[..], #(#slots,)* #(#tans),*);
                    #post
                }
            }
        } else {
            quote! {{
                #pre
                #callee(#(#a,)* #bd, #(#slots,)* #(#tans),*);
                #post
                #bd = #z;
            }}
        }
    }
}
