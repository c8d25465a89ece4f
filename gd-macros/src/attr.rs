//! The attribute's arguments: `#[differentiable(wrt(a, b), crate = "path")]`.

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use syn::{parse::Parser, Error, Result};

pub struct Attr {
    /// `Some` when `wrt(..)` names the differentiated parameters.
    pub wrt: Option<Vec<Ident>>,
    /// Path under which generated code finds the runtime support (`::gd`).
    pub krate: TokenStream,
    /// `check(x = 1.0, ys = [..])`, once per point: emit a test that compares
    /// the generated gradient with central differences there.
    pub checks: Vec<Vec<(Ident, syn::Expr)>>,
    /// `value_and_grad = path`: a hand-written rule used instead of
    /// differentiating the body (JAX's custom_vjp).
    pub rule: Option<syn::Path>,
    /// `hvp = path` beside `value_and_grad`: the rule's second-order part,
    /// `(value, gradient, H·v)` from the parameters and the tangents of the
    /// differentiated ones, which callers' `hvp` and `hessian` go through.
    pub hvp_rule: Option<syn::Path>,
    /// The function is an associated function or a method in an `impl`
    /// (`in_impl`, or found from a `self` receiver or a `Self` in it): its
    /// API is associated functions beside it (see `methods`).
    pub in_impl: bool,
    /// `cuda`: also print CUDA C source of the primal and the reverse sweep
    /// (`emit::cuda`), for `gd::cuda`; the body is held to what a device runs
    /// (`cuda_check`).
    pub cuda: bool,
}

impl Attr {
    pub fn names(&self, id: &Ident) -> bool {
        self.wrt.as_ref().is_some_and(|w| w.iter().any(|n| n == id))
    }
}

pub fn parse(args: TokenStream) -> Result<Attr> {
    let mut attr = Attr { wrt: None, krate: quote!(::gd), checks: Vec::new(), rule: None, hvp_rule: None, in_impl: false, cuda: false };
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("wrt") {
            let content;
            syn::parenthesized!(content in meta.input);
            let names = content.parse_terminated(Ident::parse_any_ident, syn::Token![,])?;
            if names.is_empty() {
                return Err(meta.error("`wrt()` must name at least one parameter"));
            }
            attr.wrt = Some(names.into_iter().collect());
            Ok(())
        } else if meta.path.is_ident("check") {
            let content;
            syn::parenthesized!(content in meta.input);
            let mut point = Vec::new();
            while !content.is_empty() {
                let name: Ident = content.parse()?;
                content.parse::<syn::Token![=]>()?;
                let value: syn::Expr = content.parse()?;
                point.push((name, value));
                if !content.is_empty() {
                    content.parse::<syn::Token![,]>()?;
                }
            }
            attr.checks.push(point);
            Ok(())
        } else if meta.path.is_ident("value_and_grad") {
            attr.rule = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("hvp") {
            attr.hvp_rule = Some(meta.value()?.parse()?);
            Ok(())
        } else if meta.path.is_ident("in_impl") {
            attr.in_impl = true;
            Ok(())
        } else if meta.path.is_ident("cuda") {
            attr.cuda = true;
            Ok(())
        } else if meta.path.is_ident("crate") {
            let s: syn::LitStr = meta.value()?.parse()?;
            let p: syn::Path = s.parse()?;
            attr.krate = quote!(#p);
            Ok(())
        } else {
            Err(meta.error(
                "unknown #[differentiable] argument: expected `wrt(param, ..)`, `check(param = value, ..)`, `value_and_grad = rule`, `hvp = rule`, `in_impl`, `cuda` or `crate = \"path\"`",
            ))
        }
    });
    parser.parse2(args)?;
    if let (Some(h), None) = (&attr.hvp_rule, &attr.rule) {
        return Err(Error::new_spanned(h, "`hvp = ..` is the second-order part of a hand-written rule: give the rule itself with `value_and_grad = ..` too"));
    }
    Ok(attr)
}

trait ParseAnyIdent {
    fn parse_any_ident(input: syn::parse::ParseStream) -> Result<Ident>;
}
impl ParseAnyIdent for Ident {
    fn parse_any_ident(input: syn::parse::ParseStream) -> Result<Ident> {
        // `self` too: a method's receiver may be named in `wrt(self)`.
        syn::ext::IdentExt::parse_any(input).map_err(|e| Error::new(e.span(), "expected a parameter name"))
    }
}

/// The snapshots a `#[checkpoint]` loop keeps when the attribute does not
/// say: with 32 copies of the state, 2·10⁶ trips recompute each trip at most
/// 6 times (`C(32 + 6, 6) ≥ 2·10⁶`), and the copies cost next to nothing
/// for the scalar states loops carry.
pub const DEFAULT_SNAPSHOTS: usize = 32;

/// `#[checkpoint]` or `#[checkpoint(snapshots = K)]` among a loop's attributes.
pub fn checkpoint(attrs: &[syn::Attribute]) -> Result<Option<crate::ir::Checkpoint>> {
    let Some(a) = attrs.iter().find(|a| a.path().is_ident("checkpoint")) else {
        return Ok(None);
    };
    let mut snapshots = DEFAULT_SNAPSHOTS;
    if let syn::Meta::List(_) = &a.meta {
        a.parse_nested_meta(|meta| {
            if meta.path.is_ident("snapshots") {
                let n: syn::LitInt = meta.value()?.parse()?;
                snapshots = n.base10_parse()?;
                if snapshots == 0 {
                    return Err(Error::new(n.span(), "#[checkpoint]: `snapshots` must be at least 1 (the loop's starting state)"));
                }
                Ok(())
            } else {
                Err(meta.error("#[checkpoint] takes `snapshots = K` (the most copies of the loop's state its reverse sweep keeps)"))
            }
        })?;
    }
    Ok(Some(crate::ir::Checkpoint { snapshots, attr: quote!(#a) }))
}

/// Removes `#[checkpoint]` from the loops of the user's function, which is
/// emitted as written (rustc knows no such attribute), and returns the
/// first one removed.
pub fn strip_checkpoints(item: &mut syn::ItemFn) -> Option<syn::Attribute> {
    use syn::visit_mut::VisitMut;
    struct Strip(Option<syn::Attribute>);
    impl VisitMut for Strip {
        fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
            if let syn::Expr::ForLoop(syn::ExprForLoop { attrs, .. }) | syn::Expr::While(syn::ExprWhile { attrs, .. }) | syn::Expr::Loop(syn::ExprLoop { attrs, .. }) = e {
                if let Some(i) = attrs.iter().position(|a| a.path().is_ident("checkpoint")) {
                    let a = attrs.remove(i);
                    self.0.get_or_insert(a);
                }
                attrs.retain(|a| !a.path().is_ident("checkpoint"));
            }
            syn::visit_mut::visit_expr_mut(self, e);
        }
    }
    let mut strip = Strip(None);
    strip.visit_item_fn_mut(item);
    strip.0
}
