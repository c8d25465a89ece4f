//! `#[differentiable]` on an associated function or a method in an `impl`.
//!
//! An attribute on an impl item can only add items to that `impl`, so the
//! API cannot be a type named like the function (see `scope`): it is
//! associated functions named after it, `Type::f_value_and_grad(..)`,
//! `Type::f_grad(..)`, .. (with a receiver, methods:
//! `line.loss_value_and_grad(&xs, &ys)`), and the internal functions
//! (`__gd_vjp_f`, ..) sit beside them, `#[doc(hidden)]`.
//!
//! The receiver is a parameter named `self` like any other: it is data
//! unless `wrt(self)` names it, and then `Self` must be a
//! `#[derive(gd::Params)]` struct, its gradient a `Self`. The generated
//! functions declare it `self: &Self` (or `self: Self`), which is a receiver
//! again, so the body's `self.w` reads the same in every sweep.
//!
//! The emitters still write the free function's shape (functions beside the
//! user's, a module `f` of API functions that reach them by `super::`); this
//! pass turns that into associated functions in one place:
//! - the functions beside the user's call each other as `Self::x(..)`
//!   (and the user's function: `rerun_split` writes `Self::f` itself);
//! - a module function `g` becomes `f_g` (`__gd_g` helpers: `__gd_g_f`),
//!   `super::x` becomes `Self::x`, and a call of another module function
//!   `Self::f_g(..)`;
//! - the module's re-exports (`__gd_vjp` for callers) go: a caller in the
//!   same `impl` names `Self::__gd_vjp_f` (see `emit::call::abi`).
//!
//! An associated function without `self` or `Self` in it looks like a free
//! function to the attribute (it cannot see the `impl` around it):
//! `#[differentiable(in_impl)]` says where it is, or `#[differentiable]` on
//! the `impl` itself says it for each function marked inside
//! (`mark_impl`: the outer attribute expands first).

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, ToTokens};
use syn::visit_mut::VisitMut;
use syn::{spanned::Spanned, Error, Result};

use crate::attr::Attr;

/// What a function in an `impl` does not support yet, each refused on its
/// span with what to write instead.
pub fn limits(item: &syn::ItemFn, attr: &Attr) -> Result<()> {
    let name = &item.sig.ident;
    if !attr.checks.is_empty() {
        return Err(Error::new(
            name.span(),
            format!("#[differentiable]: `check(..)` is not supported in an `impl` (the check is a `#[test]`, which cannot be an associated function): check `{name}_grad` against gd::runtime::check_gradient in a test instead"),
        ));
    }
    if attr.rule.is_some() {
        return Err(Error::new(
            name.span(),
            "#[differentiable]: custom rules (`value_and_grad = ..`) are not supported in an `impl`: put the function and its rule outside the `impl` as free functions, and call it from the method",
        ));
    }
    if let Some(c) = item.sig.generics.const_params().next() {
        return Err(Error::new_spanned(
            c,
            "#[differentiable]: const generic parameters are not supported on associated functions and methods: make the function free (`fn f<const N: usize>(..)`), or take a slice",
        ));
    }
    Ok(())
}

/// `&self` / `self` as the parameter `self: &Self` / `self: Self`.
pub fn receiver_param(r: &syn::Receiver) -> Result<syn::PatType> {
    if r.mutability.is_some() {
        let what = if r.reference.is_some() { "`&mut self`" } else { "`mut self`" };
        return Err(Error::new_spanned(
            r,
            format!("#[differentiable]: {what} is not supported: a differentiable method reads `self` (take `&self`, and return what it computes)"),
        ));
    }
    let plain = match &*r.ty {
        syn::Type::Path(p) => p.path.is_ident("Self"),
        syn::Type::Reference(t) => t.mutability.is_none() && matches!(&*t.elem, syn::Type::Path(p) if p.path.is_ident("Self")),
        _ => false,
    };
    if !plain {
        return Err(Error::new(r.ty.span(), "#[differentiable]: a method's receiver must be `&self` or `self` (not `Box<Self>`, `Rc<Self>`, ..)"));
    }
    Ok(syn::PatType {
        attrs: Vec::new(),
        pat: Box::new(syn::Pat::Ident(syn::PatIdent {
            attrs: Vec::new(),
            by_ref: None,
            mutability: None,
            ident: Ident::new("self", r.self_token.span),
            subpat: None,
        })),
        colon_token: Default::default(),
        ty: r.ty.clone(),
    })
}

/// The emitters' items (see the module's documentation) as associated
/// functions; `vis` is the user's function's, given to the API.
pub fn module_to_assoc(generated: TokenStream, name: &Ident, vis: &syn::Visibility) -> Result<TokenStream> {
    let file: syn::File = syn::parse2(generated)?;
    let mut beside: Vec<syn::ItemFn> = Vec::new();
    let mut module = None;
    for item in file.items {
        match item {
            syn::Item::Fn(f) => beside.push(f),
            syn::Item::Mod(m) if m.ident == *name && m.content.is_some() => module = Some(m),
            other => return Err(Error::new(other.span(), "#[differentiable] internal: an unexpected item for a method")),
        }
    }
    let beside_names: Vec<Ident> = beside.iter().map(|f| f.sig.ident.clone()).collect();
    let mut out = TokenStream::new();
    for mut f in beside {
        Beside { names: &beside_names }.visit_block_mut(&mut f.block);
        out.extend(f.into_token_stream());
    }
    let Some(module) = module else { return Ok(out) };
    let lints: Vec<&syn::Attribute> = module.attrs.iter().filter(|a| a.path().is_ident("allow")).collect();
    let fns: Vec<syn::ItemFn> = module
        .content
        .iter()
        .flat_map(|(_, c)| c.iter())
        .filter_map(|i| match i {
            syn::Item::Fn(f) if f.sig.ident != "__gd_uses_primal" => Some(f.clone()),
            _ => None,
        })
        .collect();
    // The module's use of the primal, as an associated function: callers
    // may use only the derivatives (a vector-valued method's jacobian does
    // not call it).
    let marker = format_ident!("__gd_uses_primal_{}", name);
    out.extend(quote!(#[allow(dead_code)] #[doc(hidden)] fn #marker() { let _ = Self::#name; }));
    let renames: Vec<(Ident, Ident)> = fns.iter().map(|f| (f.sig.ident.clone(), api_name(name, &f.sig.ident))).collect();
    for mut f in fns {
        if f.attrs.iter().any(|a| a.path().is_ident("test")) {
            return Err(Error::new(name.span(), "#[differentiable] internal: a test in a method's API"));
        }
        Api { renames: &renames }.visit_block_mut(&mut f.block);
        f.sig.ident = api_name(name, &f.sig.ident);
        // As visible as the function (the `__gd_*` helpers are `#[doc(hidden)]`).
        f.vis = vis.clone();
        out.extend(quote!(#(#lints)* #f));
    }
    Ok(out)
}

/// `value_and_grad` → `f_value_and_grad`; `__gd_hvp_flat` → `__gd_hvp_flat_f`.
fn api_name(name: &Ident, g: &Ident) -> Ident {
    let s = g.to_string();
    if s.starts_with("__gd_") {
        format_ident!("{}_{}", g, name)
    } else {
        Ident::new(&format!("{name}_{g}"), g.span())
    }
}

fn with_self(path: &syn::Path) -> syn::Path {
    let mut p: syn::Path = syn::parse_quote!(Self);
    p.segments.extend(path.segments.iter().cloned());
    p
}

/// In a function beside the user's: a generated function `__gd_x` is an
/// associated function. (The user's own function is not renamed here: the
/// body may call a free function of the same name; the emitters name it
/// `Self::f` themselves.)
struct Beside<'a> {
    names: &'a [Ident],
}

impl VisitMut for Beside<'_> {
    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        if let syn::Expr::Path(p) = e {
            if p.qself.is_none() && p.path.segments.len() == 1 && self.names.contains(&p.path.segments[0].ident) {
                p.path = with_self(&p.path);
            }
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
    // Items nested in the user's body keep their own scope.
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// In an API function: `super::x` → `Self::x`, and a call of another API
/// function `g(..)` → `Self::f_g(..)`.
struct Api<'a> {
    renames: &'a [(Ident, Ident)],
}

impl VisitMut for Api<'_> {
    fn visit_path_mut(&mut self, p: &mut syn::Path) {
        if p.leading_colon.is_none() && p.segments.len() > 1 && p.segments[0].ident == "super" {
            p.segments[0].ident = Ident::new("Self", Span::call_site());
        }
        syn::visit_mut::visit_path_mut(self, p);
    }
    fn visit_expr_call_mut(&mut self, c: &mut syn::ExprCall) {
        if let syn::Expr::Path(fp) = &mut *c.func {
            if fp.qself.is_none() && fp.path.segments.len() == 1 {
                if let Some((_, to)) = self.renames.iter().find(|(from, _)| *from == fp.path.segments[0].ident) {
                    fp.path = syn::parse_quote!(Self::#to);
                }
            }
        }
        syn::visit_mut::visit_expr_call_mut(self, c);
    }
}

/// `#[differentiable]` on an inherent `impl`: adds `in_impl` to the
/// arguments of each `#[differentiable]` inside (which expand after), so
/// that associated functions without `self` or `Self` need not say it.
pub fn mark_impl(args: TokenStream, mut imp: syn::ItemImpl) -> Result<TokenStream> {
    if !args.is_empty() {
        return Err(Error::new_spanned(args, "#[differentiable] on an `impl` takes no arguments: give them to the functions inside"));
    }
    if let Some((_, tr, _)) = &imp.trait_ {
        return Err(Error::new_spanned(
            tr,
            "#[differentiable] cannot add the derivative functions to a trait impl (it may only hold the trait's items): write an inherent method with #[differentiable] and call it from the trait's",
        ));
    }
    for item in &mut imp.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        for a in &mut f.attrs {
            if !a.path().segments.last().is_some_and(|s| s.ident == "differentiable") {
                continue;
            }
            let in_impl = Ident::new("in_impl", Span::call_site());
            match &mut a.meta {
                syn::Meta::Path(p) => a.meta = syn::Meta::List(syn::parse_quote!(#p(#in_impl))),
                syn::Meta::List(l) => {
                    if !crate::syntax::mentions(&l.tokens, &mut |i| i == "in_impl") {
                        let tokens = &l.tokens;
                        l.tokens = quote!(#tokens, #in_impl);
                    }
                }
                syn::Meta::NameValue(_) => {}
            }
        }
    }
    Ok(imp.into_token_stream())
}
