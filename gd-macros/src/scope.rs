//! The generated API as associated functions of a type named like the
//! function (`enum f {}` + `impl f { fn grad(..) }`), not as a module.
//!
//! Why: a `#[differentiable]` fn may sit in a block (inside a `#[test]` fn or
//! `main`). A module there cannot see the block's items — not the generated
//! functions beside it, not the user's types, not other functions of the
//! block — because `super::` names the enclosing *module*, past the block.
//! An `impl` resolves names lexically, in a block as at module level, and
//! `f::grad(..)` reads the same as a module's function: the type lives in
//! the type namespace, beside the function `f` in the value namespace.
//!
//! The emitters still write a module (`mod f { use super::*; .. }`); this
//! pass turns it into the type and its `impl` in one place:
//! - `use super::*;` goes (the impl sees the scope it is in);
//! - `use super::__gd_vjp_f as __gd_vjp;` (the names callers use) becomes a
//!   forwarding associated fn;
//! - `super::x` becomes `x`, a call of another function of the module
//!   `Self::x(..)`;
//! - a `#[test]` (from `check(..)`) cannot be an associated fn: it moves
//!   beside the function as `f_gradient_check`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

pub fn module_to_impl(generated: TokenStream, name: &syn::Ident) -> syn::Result<TokenStream> {
    let mut file = syn::parse::Parser::parse2(top_items, generated)?;
    let Some(at) = file.iter().position(|i| matches!(i, Top::Item(syn::Item::Mod(m)) if m.ident == *name && m.content.is_some())) else {
        return Ok(quote!(#(#file)*));
    };
    let Top::Item(syn::Item::Mod(module)) = file.remove(at) else { unreachable!() };
    let items = module.content.map(|(_, c)| c).unwrap_or_default();
    let siblings: Vec<&syn::Signature> = file.iter().filter_map(|i| if let Top::Fn { sig, .. } = i { Some(sig) } else { None }).collect();
    let inner: Vec<syn::Ident> = items.iter().filter_map(|i| if let syn::Item::Fn(f) = i { Some(f.sig.ident.clone()) } else { None }).collect();

    let mut assoc: Vec<TokenStream> = Vec::new();
    let mut outside: Vec<syn::Item> = Vec::new();
    for item in items {
        match item {
            syn::Item::Use(u) => {
                if let Some((target, alias)) = reexport(&u.tree) {
                    let f = siblings.iter().find(|f| f.ident == target).ok_or_else(|| {
                        syn::Error::new(target.span(), "#[differentiable] internal: a re-export names no generated function")
                    })?;
                    assoc.push(forward(f, &alias));
                }
            }
            syn::Item::Fn(mut f) => {
                let test = f.attrs.iter().any(|a| a.path().is_ident("test"));
                let prefix = if test { quote!(#name) } else { quote!(Self) };
                Paths { inner: &inner, prefix }.visit_block_mut(&mut f.block);
                if test {
                    f.sig.ident = format_ident!("{}_{}", name, f.sig.ident);
                    outside.push(syn::Item::Fn(f));
                } else {
                    if matches!(&f.vis, syn::Visibility::Restricted(r) if r.path.is_ident("super")) {
                        // `pub(super)` in the module was the enclosing scope:
                        // private in the impl.
                        f.vis = syn::Visibility::Inherited;
                    }
                    assoc.push(quote!(#f));
                }
            }
            other => outside.push(other),
        }
    }
    let (attrs, vis) = (&module.attrs, &module.vis);
    let ty = quote! {
        #(#attrs)*
        #[allow(non_camel_case_types, dead_code)]
        #vis enum #name {}
        #(#attrs)*
        impl #name {
            #(#assoc)*
        }
    };
    Ok(quote!(#(#file)* #ty #(#outside)*))
}

/// An item of the expansion: a generated function beside the user's, read
/// down to its signature (its body, most of the expansion's tokens, is not
/// parsed: parsing and writing back every sweep had cost about a tenth of a
/// library's build), or any other item.
enum Top {
    Fn { head: TokenStream, sig: syn::Signature, body: proc_macro2::Group },
    Item(syn::Item),
}

fn top_items(input: syn::parse::ParseStream) -> syn::Result<Vec<Top>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let fork = input.fork();
        match shallow_fn(&fork) {
            Ok(f) => {
                syn::parse::discouraged::Speculative::advance_to(input, &fork);
                out.push(f);
            }
            Err(_) => out.push(Top::Item(input.parse()?)),
        }
    }
    Ok(out)
}

fn shallow_fn(input: syn::parse::ParseStream) -> syn::Result<Top> {
    let attrs = input.call(syn::Attribute::parse_outer)?;
    let vis: syn::Visibility = input.parse()?;
    let sig: syn::Signature = input.parse()?;
    let body: proc_macro2::Group = input.parse()?;
    if body.delimiter() != proc_macro2::Delimiter::Brace {
        return Err(input.error("not a function body"));
    }
    Ok(Top::Fn { head: quote!(#(#attrs)* #vis), sig, body })
}

impl quote::ToTokens for Top {
    fn to_tokens(&self, out: &mut TokenStream) {
        match self {
            Top::Fn { head, sig, body } => quote!(#head #sig #body).to_tokens(out),
            Top::Item(i) => i.to_tokens(out),
        }
    }
}

/// `use super::x as alias;` → `(x, alias)`; `None` for `use super::*`.
fn reexport(tree: &syn::UseTree) -> Option<(syn::Ident, syn::Ident)> {
    let syn::UseTree::Path(p) = tree else { return None };
    match (&*p.tree, p.ident == "super") {
        (syn::UseTree::Rename(r), true) => Some((r.ident.clone(), r.rename.clone())),
        _ => None,
    }
}

/// `#[doc(hidden)] pub fn alias(..) { x(..) }`: the name callers use for a
/// generated function beside the user's (`g::__gd_vjp(..)`).
fn forward(f: &syn::Signature, alias: &syn::Ident) -> TokenStream {
    let mut sig = f.clone();
    sig.ident = alias.clone();
    let args = f.inputs.iter().map(|a| match a {
        syn::FnArg::Typed(t) => match &*t.pat {
            syn::Pat::Ident(p) => {
                let id = &p.ident;
                quote!(#id)
            }
            other => quote!(#other),
        },
        syn::FnArg::Receiver(r) => quote!(#r),
    });
    // Strip `mut` from the forwarder's own parameters: it only passes them on.
    for a in sig.inputs.iter_mut() {
        if let syn::FnArg::Typed(t) = a {
            if let syn::Pat::Ident(p) = &mut *t.pat {
                p.mutability = None;
            }
        }
    }
    let consts: Vec<&syn::Ident> = f.generics.const_params().map(|c| &c.ident).collect();
    let target = &f.ident;
    let turbofish = (!consts.is_empty()).then(|| quote!(::<#(#consts),*>));
    quote! {
        #[doc(hidden)]
        #[inline(always)]
        #[allow(clippy::all, clippy::too_many_arguments)]
        pub #sig {
            #target #turbofish(#(#args),*)
        }
    }
}

/// In a function moved out of the module: `super::x` → `x`, and a call of
/// another function of the module `x(..)` → `Self::x(..)` (or `f::x(..)`
/// from outside the impl).
struct Paths<'a> {
    inner: &'a [syn::Ident],
    prefix: TokenStream,
}

impl VisitMut for Paths<'_> {
    fn visit_path_mut(&mut self, p: &mut syn::Path) {
        if p.segments.len() > 1 && p.segments[0].ident == "super" && p.leading_colon.is_none() {
            p.segments = p.segments.iter().skip(1).cloned().collect();
        }
        syn::visit_mut::visit_path_mut(self, p);
    }
    fn visit_expr_call_mut(&mut self, c: &mut syn::ExprCall) {
        if let syn::Expr::Path(fp) = &mut *c.func {
            if fp.qself.is_none() && fp.path.segments.len() == 1 && self.inner.contains(&fp.path.segments[0].ident) {
                let (prefix, path) = (&self.prefix, &fp.path);
                fp.path = syn::parse_quote!(#prefix::#path);
            }
        }
        syn::visit_mut::visit_expr_call_mut(self, c);
    }
}
