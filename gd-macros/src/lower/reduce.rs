//! `SRC.reduce(|a, b| ..).unwrap()` (or `.expect(..)`) over differentiated
//! values, `SRC` a by-value iterator (`xs.iter().copied()`, `.cloned()`,
//! `.map(|x| ..)` steps): the items are collected into a new local array
//! `A` (the loop `sugar::fill_loop` writes, as `max_by` does), and the
//! result is `A.iter().copied().skip(1).fold(A[0], |a, b| ..)`, which the
//! lowering differentiates like any fold. An empty `SRC` panics as
//! `unwrap` would.

use quote::{format_ident, quote_spanned};
use syn::{Expr, Result};

use super::env::BKind;
use super::{strip, Lowerer, Val};
use crate::ir::*;

impl Lowerer<'_> {
    /// `None` for any other method call.
    pub(super) fn lower_reduce(&mut self, m: &syn::ExprMethodCall) -> Result<Option<Val>> {
        let msg = match (m.method.to_string().as_str(), m.args.len()) {
            ("unwrap", 0) => quote_spanned!(m.method.span()=> "called `Option::unwrap()` on a `None` value"),
            ("expect", 1) => {
                let e = &m.args[0];
                quote_spanned!(m.method.span()=> "{}", #e)
            }
            _ => return Ok(None),
        };
        let Expr::MethodCall(r) = strip(&m.receiver) else { return Ok(None) };
        if r.method != "reduce" || r.args.len() != 1 || !self.mentions_active(&m.receiver) {
            return Ok(None);
        }
        let by_value = matches!(strip(&r.receiver), Expr::MethodCall(s) if ["copied", "cloned", "map"].iter().any(|n| s.method == n));
        let sp = r.method.span();
        let arr = self.new_array(super::array::ArrayInit::empty(), &r.receiver)?;
        let name = format_ident!("__gd_reduced{}", arr, span = sp);
        let fill = super::sugar::fill_loop(&r.receiver, &name, sp).filter(|_| by_value);
        let Some(fill) = fill else {
            return self.err(&r.method, "#[differentiable]: `reduce` is supported over items by value (`xs.iter().copied()`, `.cloned()`, `.map(|x| ..)`) followed by `.unwrap()` or `.expect(..)`; otherwise write `xs.iter().copied().skip(1).fold(xs[0], |a, b| ..)`").map(Some);
        };
        self.bind(&name, 0, BKind::Array(Arr::Local(arr)), true);
        self.emit(Stmt::AliasArr { name: name.clone(), arr });
        self.lower_stmt(&fill)?;
        let f = &r.args[0];
        let folded: Expr = syn::parse_quote_spanned!(sp=> {
            ::core::assert!(!#name.is_empty(), #msg);
            #name.iter().copied().skip(1).fold(#name[0], #f)
        });
        self.lower_expr(&folded).map(Some)
    }
}
