//! Rewrites of the body before lowering, for forms that mean a closure.
//!
//! `.map(f64::exp)` and `.fold(f64::NEG_INFINITY, f64::max)` name a float
//! method where the lowering wants a closure: they become `.map(|v|
//! f64::exp(v))` and `.fold(.., |a, b| f64::max(a, b))`, with the path's
//! span (an error in the method points at it). Only paths through `f64`
//! or `f32` are rewritten: any other name could be a local closure, which a
//! call would not mean the same as.

use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

pub fn closures_for_float_paths(block: &syn::Block) -> syn::Block {
    let mut block = block.clone();
    Rewrite.visit_block_mut(&mut block);
    block
}

struct Rewrite;

impl VisitMut for Rewrite {
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
