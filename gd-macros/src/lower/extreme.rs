//! `xs.iter().copied().max_by(|a, b| a.partial_cmp(b).unwrap()).unwrap()`
//! (or `.cloned()`, plain `.iter()`, `min_by`, any comparison closure:
//! `total_cmp`, reversed operands) over a differentiated array parameter:
//! `xs[k]`, where `k` is the position `max_by` returns, found on the primal
//! values by `gd::__private::arg_max_by` with the user's own closure. The
//! derivative then goes to the element returned, with `max_by`'s ties (the
//! last of equal maxima, `min_by` the first) and whatever order the closure
//! gives NaN (`total_cmp` puts it above every number): nothing is
//! re-derived here, so nothing can disagree with the plain function.
//!
//! Over a parameter, the user's iterator itself runs (its name reads the
//! primal values in every sweep: the dual copy shadows it with its primal
//! parts). Over a local array, whose elements are dual numbers in the dual
//! copies, the position is found on its primal values
//! (`gd::__private::primal_values`). A mapped iterator (`x.iter().map(|v|
//! v * v)`) is collected into a new local array first (the loop that
//! `sugar::fill_loop` writes), whose element `k` is then the result.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Expr, Result};

use super::env::BKind;
use super::{strip, Lowerer, Val};
use crate::ir::*;

impl Lowerer<'_> {
    /// `SRC.max_by(cmp).unwrap()` / `SRC.min_by(cmp).unwrap()`; `None` for
    /// any other method call.
    pub(super) fn lower_extreme_by(&mut self, m: &syn::ExprMethodCall) -> Result<Option<Val>> {
        if m.method != "unwrap" || !m.args.is_empty() {
            return Ok(None);
        }
        let Expr::MethodCall(by) = strip(&m.receiver) else { return Ok(None) };
        let helper = match by.method.to_string().as_str() {
            "max_by" => quote!(arg_max_by),
            "min_by" => quote!(arg_min_by),
            _ => return Ok(None),
        };
        if by.args.len() != 1 {
            return Ok(None);
        }
        if self.mentions_active(&by.args[0]) {
            return self.err(&by.args[0], "#[differentiable]: the comparison closure of `max_by`/`min_by` may read its two arguments only, not other differentiated values; compare mapped values instead (`x.iter().map(|v| v * s).max_by(|a, b| a.total_cmp(b))`)").map(Some);
        }
        let (k, cmp) = (crate::krate(), &by.args[0]);
        // `xs.iter()`, `xs.iter().copied()`, `xs.iter().cloned()`.
        let mut src = strip(&by.receiver);
        let mut by_value = false;
        if let Expr::MethodCall(c) = src {
            if (c.method == "copied" || c.method == "cloned") && c.args.is_empty() {
                src = strip(&c.receiver);
                by_value = true;
            }
        }
        let (arr, positions) = match src {
            Expr::MethodCall(i) if i.method == "iter" && i.args.is_empty() => match self.lower_expr(strip(&i.receiver))? {
                // A parameter's name reads its primal values in every sweep.
                Val::Array(Arr::Param(p), _) => {
                    let source = &by.receiver;
                    (Arr::Param(p), quote!(#k::__private::#helper(#source, #cmp)))
                }
                Val::Array(Arr::Local(a), _) => (Arr::Local(a), self.positions_in_local(a, by_value, &helper, cmp)),
                _ => return self.err(&by.method, MSG).map(Some),
            },
            // A mapped iterator (`x.iter().map(|v| v * v)`): its values
            // collected into a new local array first.
            _ if self.mentions_active(&by.receiver) => {
                let arr = self.new_array(super::array::ArrayInit::empty(), &by.receiver)?;
                let name = quote::format_ident!("__gd_mapped{}", arr);
                let Some(fill) = super::sugar::fill_loop(&by.receiver, &name, by.method.span()) else {
                    return self.err(&by.method, MSG).map(Some);
                };
                self.bind(&name, 0, BKind::Array(Arr::Local(arr)), true);
                self.emit(Stmt::AliasArr { name, arr });
                self.lower_stmt(&fill)?;
                // Items by value after a map; by reference after
                // adapters of `.iter()` alone (`x.iter().skip(1)`).
                let by_value = by_value || matches!(src, Expr::MethodCall(m) if m.method == "map");
                (Arr::Local(arr), self.positions_in_local(arr, by_value, &helper, cmp))
            }
            _ => return self.err(&by.method, MSG).map(Some),
        };
        let at = self.capture(Ty::Usize, quote!(::core::option::Option::unwrap(#positions)));
        Ok(Some(Val::Active(self.load(arr, at))))
    }

    /// The position `max_by`/`min_by` picks in local array `a`, found on
    /// its primal values (in the dual copies its elements are dual
    /// numbers), items by value (`.copied()`, a map) or by reference.
    fn positions_in_local(&self, a: usize, by_value: bool, helper: &TokenStream, cmp: &Expr) -> TokenStream {
        let (k, local) = (crate::krate(), crate::names::local(a));
        let copied = by_value.then(|| quote!(.copied()));
        quote!(#k::__private::#helper(#k::__private::primal_values(&#local).iter()#copied, #cmp))
    }
}

const MSG: &str = "#[differentiable]: `max_by`/`min_by` is supported over a differentiated array (a parameter or a local array) as `xs.iter()`, `xs.iter().copied()` or `xs.iter().cloned()`, or over `.map(|x| ..)` steps of such an iterator, followed by `.max_by(|a, b| ..)` / `.min_by(|a, b| ..)` and `.unwrap()`";
