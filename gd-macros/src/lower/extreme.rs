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
//! Only over parameters: their names read the primal values in every sweep
//! (the dual copy shadows them with their primal parts); a local array's
//! name does not exist in the generated code.

use quote::quote;
use syn::{Expr, Result};

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
        // `xs.iter()`, `xs.iter().copied()`, `xs.iter().cloned()`.
        let mut src = strip(&by.receiver);
        if let Expr::MethodCall(c) = src {
            if (c.method == "copied" || c.method == "cloned") && c.args.is_empty() {
                src = strip(&c.receiver);
            }
        }
        let array = match src {
            Expr::MethodCall(i) if i.method == "iter" && i.args.is_empty() => strip(&i.receiver),
            _ => return self.err(&by.method, MSG).map(Some),
        };
        let arr = match self.lower_expr(array)? {
            Val::Array(Arr::Param(i), _) => Arr::Param(i),
            Val::Array(Arr::Local(_), _) => {
                return self.err(array, "#[differentiable]: `max_by`/`min_by` over a local array is not supported yet: fold it (`.fold(f64::NEG_INFINITY, f64::max)`), or pass it to a #[differentiable] function that takes a slice").map(Some)
            }
            _ => return self.err(&by.method, MSG).map(Some),
        };
        if self.mentions_active(&by.args[0]) {
            return self.err(&by.args[0], "#[differentiable]: the comparison closure of `max_by`/`min_by` may read its two arguments only, not other differentiated values").map(Some);
        }
        let (k, source, cmp) = (crate::krate(), &by.receiver, &by.args[0]);
        let at = self.capture(Ty::Usize, quote!(::core::option::Option::unwrap(#k::__private::#helper(#source, #cmp))));
        Ok(Some(Val::Active(self.load(arr, at))))
    }
}

const MSG: &str = "#[differentiable]: `max_by`/`min_by` is supported over a differentiated array parameter as `xs.iter()`, `xs.iter().copied()` or `xs.iter().cloned()` followed by `.max_by(|a, b| ..)` / `.min_by(|a, b| ..)` and `.unwrap()`";
