//! Rewrites of the body before lowering, into forms the lowering knows:
//! `loops` (collected chains, `to_vec()`, tuple folds, `for` over `filter`),
//! `access` (`sin_cos()`, `first`/`last`/`get` through `Option`,
//! `split_at`), and, here, float methods named as paths.
//!
//! `.map(f64::exp)` and `.fold(f64::NEG_INFINITY, f64::max)` name a float
//! method where the lowering wants a closure: they become `.map(|v|
//! f64::exp(v))` and `.fold(.., |a, b| f64::max(a, b))`, with the path's
//! span (an error in the method points at it). Only paths through `f64`
//! or `f32` are rewritten: any other name could be a local closure, which a
//! call would not mean the same as.

mod access;
mod loops;

pub(super) use loops::fill_loop;

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
            match loops::collect_loop(&st).or_else(|| loops::to_vec_loop(&st)).or_else(|| access::split_at(&st)).or_else(|| loops::tuple_fold(&st)) {
                Some(new) => out.extend(new),
                None => out.push(st),
            }
        }
        b.stmts = out;
    }

    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        // `x.sin_cos().0` before its receiver becomes a pair.
        if let Some(new) = access::sin_cos(e).filter(|_| matches!(e, syn::Expr::Field(_))) {
            *e = new;
        }
        syn::visit_mut::visit_expr_mut(self, e);
        if let Some(new) = access::sin_cos(e).or_else(|| access::element_access(e)) {
            *e = new;
        }
    }

    fn visit_expr_for_loop_mut(&mut self, f: &mut syn::ExprForLoop) {
        syn::visit_mut::visit_expr_for_loop_mut(self, f);
        loops::filtered_loop(f);
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
