//! `#[differentiable] fn f<F: gd::Float>(x: &[F]) -> F`: one function for
//! both precisions.
//!
//! The lowering and the emitters work on one concrete float type, so the
//! function is differentiated twice, as `__gd_f64_f` (every `F` read as
//! `f64`) and `__gd_f32_f`, each expanded as any other function. The user's
//! generic `f` stays as written, and `f::grad(..)`, `f::hvp(..)`, … (and
//! the internal functions other differentiable functions call) are generic
//! over `F`: each forwards, through a hidden trait implemented for `f64`
//! and `f32`, to the copy of that precision. So `f::grad(&[1.0f32])` runs
//! the `f32` copy, and a caller of either precision calls `f` as it calls
//! any differentiable function.
//!
//! In the copies, `F::max` and `F::EPSILON` become `f64::max` and
//! `f64::EPSILON`; `F::from_f64(0.5)` and `F::ZERO`, which only the trait
//! has, `<f64 as gd::Float>::from_f64(0.5)` and `<f64 as gd::Float>::ZERO`:
//! named through the trait so that it need not be imported where the copies
//! are.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::visit_mut::VisitMut;
use syn::{Error, Ident, Result};

/// The function's float type parameter, when it has one bounded by a trait
/// named `Float` (and no other type parameter).
pub fn float_param(item: &syn::ItemFn) -> Option<Ident> {
    let is_float = |b: &syn::TypeParamBound| matches!(b, syn::TypeParamBound::Trait(tb) if tb.path.segments.last().is_some_and(|s| s.ident == "Float"));
    let mut types = item.sig.generics.type_params();
    let t = types.next()?;
    let in_where = item.sig.generics.where_clause.iter().flat_map(|w| &w.predicates).any(|p| {
        matches!(p, syn::WherePredicate::Type(pt) if matches!(&pt.bounded_ty, syn::Type::Path(tp) if tp.path.is_ident(&t.ident)) && pt.bounds.iter().any(is_float))
    });
    let floaty = t.bounds.iter().any(is_float) || in_where;
    (floaty && types.next().is_none()).then(|| t.ident.clone())
}

/// The expansion of a generic float function: its two copies, expanded by
/// `expand`, and the generic API forwarding to them.
pub fn expand(
    args: TokenStream,
    item: syn::ItemFn,
    param: Ident,
    krate: &TokenStream,
    in_impl: bool,
    expand: impl Fn(TokenStream, TokenStream) -> Result<TokenStream>,
) -> Result<TokenStream> {
    if in_impl || item.sig.receiver().is_some() {
        return Err(Error::new_spanned(&item.sig.generics, "#[differentiable]: a function generic over its float type must be a free function (in a module or a block), not a method or associated function"));
    }
    let name = &item.sig.ident;
    let mut copies = TokenStream::new();
    let mut f64_api: Option<syn::ItemImpl> = None;
    for float in ["f64", "f32"] {
        let copy_name = format_ident!("__gd_{}_{}", float, name, span = name.span());
        let copy = monomorphic(&item, &param, float, &copy_name, krate);
        let expanded = expand(args.clone(), copy.into_token_stream())?;
        if float == "f64" {
            let file: syn::File = syn::parse2(expanded.clone())?;
            f64_api = file.items.into_iter().find_map(|i| match i {
                syn::Item::Impl(imp) if imp.trait_.is_none() && matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident(&copy_name)) => Some(imp),
                _ => None,
            });
        }
        copies.extend(expanded);
    }
    let api = f64_api.ok_or_else(|| Error::new(name.span(), "#[differentiable] internal: the f64 copy has no API"))?;
    let dispatch = dispatch(name, &item.vis, &api, krate);
    // The generic function itself is called by nobody here: mark it used,
    // as `__gd_uses_primal` does for the others (not with const parameters,
    // which would need values).
    let uses = if item.sig.generics.const_params().next().is_none() {
        let marker = format_ident!("__gd_uses_primal_{}", name);
        quote!(#[allow(dead_code, non_snake_case)] fn #marker() { let _ = #name::<f64>; })
    } else {
        quote!()
    };
    let mut primal = item;
    crate::attr::strip_checkpoints(&mut primal);
    Ok(quote!(#primal #copies #dispatch #uses))
}

/// The function with `F` read as `float`, renamed, its type parameter gone.
fn monomorphic(item: &syn::ItemFn, param: &Ident, float: &str, name: &Ident, krate: &TokenStream) -> syn::ItemFn {
    let mut copy = item.clone();
    copy.sig.ident = name.clone();
    copy.sig.generics.params = copy.sig.generics.params.into_iter().filter(|g| !matches!(g, syn::GenericParam::Type(_))).collect();
    if let Some(w) = copy.sig.generics.where_clause.as_mut() {
        w.predicates = w
            .predicates
            .clone()
            .into_iter()
            .filter(|p| !matches!(p, syn::WherePredicate::Type(t) if matches!(&t.bounded_ty, syn::Type::Path(tp) if tp.path.is_ident(param))))
            .collect();
    }
    // The copy is a plain function: no doc or visibility of its own.
    copy.attrs.retain(|a| !a.path().is_ident("doc"));
    copy.vis = syn::Visibility::Inherited;
    let float = Ident::new(float, param.span());
    Substitute { param, float: &float, krate }.visit_item_fn_mut(&mut copy);
    copy
}

/// Items of `gd::Float` that `f32` and `f64` do not have themselves.
const TRAIT_ONLY: [&str; 4] = ["ZERO", "ONE", "from_f64", "to_f64"];

struct Substitute<'a> {
    param: &'a Ident,
    float: &'a Ident,
    krate: &'a TokenStream,
}

impl VisitMut for Substitute<'_> {
    fn visit_type_mut(&mut self, t: &mut syn::Type) {
        if let syn::Type::Path(tp) = t {
            if tp.qself.is_none() && tp.path.is_ident(self.param) {
                let f = self.float;
                *t = syn::parse_quote!(#f);
                return;
            }
        }
        syn::visit_mut::visit_type_mut(self, t);
    }

    fn visit_expr_path_mut(&mut self, e: &mut syn::ExprPath) {
        // `F::max`, `F::sin(x)`, `F::EPSILON`: the inherent items of the
        // float type (which the rule table and `.fold(.., f64::max)` know);
        // `F::from_f64(..)`, `F::ZERO`, `F::ONE`, `F::to_f64`, which only
        // the trait has: through it, by its full path.
        if e.qself.is_none() && e.path.segments.len() == 2 && e.path.segments[0].ident == *self.param {
            let (f, k, item) = (self.float, self.krate, &e.path.segments[1]);
            *e = if TRAIT_ONLY.iter().any(|t| item.ident == t) {
                syn::parse_quote!(<#f as #k::Float>::#item)
            } else {
                syn::parse_quote!(#f::#item)
            };
            return;
        }
        syn::visit_mut::visit_expr_path_mut(self, e);
    }
}

/// `enum f {}` with the API of the `f64` copy made generic: a hidden trait
/// with one method per associated function (the signature with `f64` read
/// as `Self`), implemented for `f64` and `f32` by calling the copy of that
/// precision, and `impl f { fn grad<F: Trait>(..) }` calling the trait.
fn dispatch(name: &Ident, vis: &syn::Visibility, api: &syn::ItemImpl, krate: &TokenStream) -> TokenStream {
    let trait_name = format_ident!("__GdFloat_{}", name);
    let generic = Ident::new("__GdF", Span::call_site());
    let mut methods = Vec::new();
    let mut impls: Vec<TokenStream> = vec![TokenStream::new(), TokenStream::new()];
    let mut forwards = Vec::new();
    for item in &api.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        let sig = &f.sig;
        let method = &sig.ident;
        let args: Vec<&syn::Pat> = sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(t) => Some(&*t.pat),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        // Type and const arguments pass on by name; lifetimes are inferred.
        let turbofish: Vec<TokenStream> = sig
            .generics
            .params
            .iter()
            .filter_map(|g| match g {
                syn::GenericParam::Type(t) => Some(t.ident.to_token_stream()),
                syn::GenericParam::Const(c) => Some(c.ident.to_token_stream()),
                syn::GenericParam::Lifetime(_) => None,
            })
            .collect();
        let turbofish = if turbofish.is_empty() { quote!() } else { quote!(::<#(#turbofish),*>) };
        let as_self = retyped(sig, &Ident::new("Self", Span::call_site()));
        methods.push(quote!(#as_self;));
        for (k, float) in ["f64", "f32"].into_iter().enumerate() {
            let copy = format_ident!("__gd_{}_{}", float, name);
            impls[k].extend(quote! {
                #[inline(always)]
                #as_self { #copy::#method #turbofish(#(#args),*) }
            });
        }
        let mut as_generic = retyped(sig, &generic);
        as_generic.generics.params.insert(0, syn::parse_quote!(#generic: #trait_name));
        let attrs = f.attrs.iter().filter(|a| a.path().is_ident("doc"));
        forwards.push(quote! {
            #(#attrs)*
            #[inline(always)]
            #vis #as_generic { <#generic as #trait_name>::#method #turbofish(#(#args),*) }
        });
    }
    let (impl64, impl32) = (&impls[0], &impls[1]);
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis trait #trait_name: #krate::Float {
            #(#methods)*
        }
        impl #trait_name for f64 { #impl64 }
        impl #trait_name for f32 { #impl32 }
        #[allow(non_camel_case_types)]
        #vis enum #name {}
        #[allow(dead_code)]
        impl #name {
            #(#forwards)*
        }
    }
}

/// The signature with every `f64` read as `to`, its parameters plain names
/// (a trait method without a body takes no `mut` patterns).
fn retyped(sig: &syn::Signature, to: &Ident) -> syn::Signature {
    struct Retype<'a>(&'a Ident);
    impl VisitMut for Retype<'_> {
        fn visit_ident_mut(&mut self, i: &mut Ident) {
            if i == "f64" {
                *i = self.0.clone();
            }
        }
    }
    let mut s = sig.clone();
    Retype(to).visit_signature_mut(&mut s);
    for a in s.inputs.iter_mut() {
        if let syn::FnArg::Typed(t) = a {
            if let syn::Pat::Ident(pi) = &mut *t.pat {
                pi.mutability = None;
                pi.by_ref = None;
            }
        }
    }
    s
}
