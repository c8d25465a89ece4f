//! Rewrites of the body before lowering, into forms the lowering knows.
//!
//! `.map(f64::exp)` and `.fold(f64::NEG_INFINITY, f64::max)` name a float
//! method where the lowering wants a closure: they become `.map(|v|
//! f64::exp(v))` and `.fold(.., |a, b| f64::max(a, b))`, with the path's
//! span (an error in the method points at it). Only paths through `f64`
//! or `f32` are rewritten: any other name could be a local closure, which a
//! call would not mean the same as.
//!
//! `let v: Vec<f64> = CHAIN.map(|x| e).collect();` (or `collect::<Vec<f64>>()`)
//! becomes a local array filled by a loop, `let mut v: Vec<f64> =
//! Vec::new(); for x in CHAIN { v.push(e); }`, which the lowering
//! differentiates like any other (`.map` steps in order; a closure that
//! could `return` is left alone).

use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

/// The body with every rewrite of this module and `inline` done.
pub fn rewrite(block: &syn::Block) -> syn::Block {
    let mut block = block.clone();
    super::inline::local_closures(&mut block);
    Rewrite.visit_block_mut(&mut block);
    block
}

struct Rewrite;

impl VisitMut for Rewrite {
    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        syn::visit_mut::visit_block_mut(self, b);
        let mut out = Vec::with_capacity(b.stmts.len());
        for st in b.stmts.drain(..) {
            match collect_loop(&st) {
                Some(new) => out.extend(new),
                None => out.push(st),
            }
        }
        b.stmts = out;
    }

    fn visit_expr_method_call_mut(&mut self, m: &mut syn::ExprMethodCall) {
        syn::visit_mut::visit_expr_method_call_mut(self, m);
        let arity = match (m.method.to_string().as_str(), m.args.len()) {
            ("map", 1) => 1,
            ("fold", 2) => 2,
            _ => return,
        };
        let Some(last) = m.args.last_mut() else { return };
        let syn::Expr::Path(p) = &*last else { return };
        let float_path = p.qself.is_none()
            && p.path.segments.len() == 2
            && ["f64", "f32"].iter().any(|f| p.path.segments[0].ident == f);
        if !float_path {
            return;
        }
        let sp = p.span();
        let path = &p.path;
        let closure = if arity == 1 {
            quote_spanned!(sp=> |__gd_v| #path(__gd_v))
        } else {
            quote_spanned!(sp=> |__gd_a, __gd_b| #path(__gd_a, __gd_b))
        };
        if let Ok(c) = syn::parse2(closure) {
            *last = c;
        }
    }
}

/// `Vec<f64>` or `Vec<f32>` (`Vec<_>` when `ok_infer`).
fn float_vec(ty: &syn::Type, ok_infer: bool) -> bool {
    let syn::Type::Path(t) = ty else { return false };
    let Some(last) = t.path.segments.last() else { return false };
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else { return false };
    last.ident == "Vec"
        && a.args.len() == 1
        && match &a.args[0] {
            syn::GenericArgument::Type(syn::Type::Path(e)) => e.path.is_ident("f64") || e.path.is_ident("f32"),
            syn::GenericArgument::Type(syn::Type::Infer(_)) => ok_infer,
            _ => false,
        }
}

/// The statements a `let v: Vec<F> = CHAIN.map(..).collect();` stands for.
fn collect_loop(st: &syn::Stmt) -> Option<Vec<syn::Stmt>> {
    let syn::Stmt::Local(local) = st else { return None };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let syn::Expr::MethodCall(collect) = &*init.expr else { return None };
    if collect.method != "collect" || !collect.args.is_empty() {
        return None;
    }
    let (name, typed) = match &local.pat {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => (&pi.ident, false),
        syn::Pat::Type(pt) => match &*pt.pat {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() && float_vec(&pt.ty, false) => (&pi.ident, true),
            _ => return None,
        },
        _ => return None,
    };
    let turbofish = collect.turbofish.as_ref().and_then(|t| match t.args.first() {
        Some(syn::GenericArgument::Type(ty)) if t.args.len() == 1 => Some(float_vec(ty, typed)),
        _ => None,
    });
    match (typed, turbofish) {
        (true, None | Some(true)) | (false, Some(true)) => {}
        _ => return None,
    }
    let sp = collect.method.span();
    // The vector's type: the `let`'s, else the turbofish's.
    let ty = match (&local.pat, &collect.turbofish) {
        (syn::Pat::Type(pt), _) => {
            let ty = &pt.ty;
            quote_spanned!(sp=> : #ty)
        }
        (_, Some(t)) => {
            let ty = &t.args[0];
            quote_spanned!(sp=> : #ty)
        }
        _ => return None,
    };
    let attrs = &local.attrs;
    let decl: syn::Stmt = syn::parse2(quote_spanned!(sp=> #(#attrs)* let mut #name #ty = ::std::vec::Vec::new();)).ok()?;
    Some(vec![decl, fill_loop(&collect.receiver, name, sp)?])
}

/// `for x in CHAIN { v.push(e); }` for `CHAIN.map(|x| e)` (its trailing
/// `.map(..)` steps in order, a closure that could `return` left as a
/// step of the chain).
pub(super) fn fill_loop(chain: &syn::Expr, name: &syn::Ident, sp: proc_macro2::Span) -> Option<syn::Stmt> {
    // Peel the trailing `.map(|x| ..)` steps.
    let mut maps = Vec::new();
    let mut base = chain;
    while let syn::Expr::MethodCall(m) = base {
        match (m.method == "map", m.args.first()) {
            (true, Some(syn::Expr::Closure(c))) if m.args.len() == 1 && c.inputs.len() == 1 && !returns(&c.body) => {
                maps.push(c);
                base = &m.receiver;
            }
            _ => break,
        }
    }
    maps.reverse();
    let mut body = proc_macro2::TokenStream::new();
    let (pat, last) = match maps.split_first() {
        None => {
            let item = syn::Ident::new("__gd_item", sp);
            (quote_spanned!(sp=> #item), quote_spanned!(sp=> #item))
        }
        Some((first, rest)) => {
            let mut value = &first.body;
            for c in rest {
                let p = &c.inputs[0];
                body.extend(quote_spanned!(sp=> let #p = #value;));
                value = &c.body;
            }
            let p = &first.inputs[0];
            (quote_spanned!(sp=> #p), quote_spanned!(sp=> #value))
        }
    };
    syn::parse2(quote_spanned!(sp=> for #pat in #base { #body #name.push(#last); })).ok()
}

/// Whether a closure body contains `return` (which would leave the function
/// once the body is a loop's).
pub(super) fn returns(e: &syn::Expr) -> bool {
    struct V(bool);
    impl<'ast> syn::visit::Visit<'ast> for V {
        fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
            self.0 = true;
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut v = V(false);
    syn::visit::Visit::visit_expr(&mut v, e);
    v.0
}
