//! Local arrays written in the body: `let mut v = vec![0.0; n];`, `[0.0; N]`,
//! `vec![a, b]`, `Vec::new()`, then `v[i] = ..`, `v[i] += ..`, `v.push(..)`.
//!
//! Every read of an element goes through a load into a temporary, so the
//! reverse sweep never needs an overwritten element's old value: a store's
//! adjoint is just `src̄ += ā[i]; ā[i] = 0`. The adjoint array is sized at the
//! start of the reverse of the block that created the array, from the length
//! recorded at the end of that block.

use quote::quote;
use syn::{parse::Parser, Expr, Result};

use super::env::BKind;
use super::{strip, Lowerer, Val};
use crate::ir::*;

pub struct ArrayInit {
    /// `vec![init; len]` / `[init; len]`.
    repeat: Option<(Expr, Expr)>,
    /// `vec![a, b, ..]` / `[a, b, ..]` (empty for `Vec::new()`).
    elems: Vec<Expr>,
}

impl ArrayInit {
    /// `Vec::new()`.
    pub fn empty() -> Self {
        ArrayInit { repeat: None, elems: vec![] }
    }
}

/// Recognises an array constructor.
pub fn array_init(e: &Expr) -> Option<Result<ArrayInit>> {
    match strip(e) {
        Expr::Repeat(r) => Some(Ok(ArrayInit { repeat: Some(((*r.expr).clone(), (*r.len).clone())), elems: vec![] })),
        Expr::Array(a) => Some(Ok(ArrayInit { repeat: None, elems: a.elems.iter().cloned().collect() })),
        Expr::Macro(m) if m.mac.path.is_ident("vec") => {
            let parser = |input: syn::parse::ParseStream| -> Result<ArrayInit> {
                if input.is_empty() {
                    return Ok(ArrayInit { repeat: None, elems: vec![] });
                }
                let first: Expr = input.parse()?;
                if input.peek(syn::Token![;]) {
                    input.parse::<syn::Token![;]>()?;
                    let len: Expr = input.parse()?;
                    return Ok(ArrayInit { repeat: Some((first, len)), elems: vec![] });
                }
                let mut elems = vec![first];
                while input.peek(syn::Token![,]) {
                    input.parse::<syn::Token![,]>()?;
                    if input.is_empty() {
                        break;
                    }
                    elems.push(input.parse()?);
                }
                Ok(ArrayInit { repeat: None, elems })
            };
            Some(parser.parse2(m.mac.tokens.clone()))
        }
        Expr::Call(c) => {
            let Expr::Path(p) = strip(&c.func) else { return None };
            let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
            let n = segs.len();
            if n >= 2 && segs[n - 2] == "Vec" && (segs[n - 1] == "new" || segs[n - 1] == "with_capacity") {
                return Some(Ok(ArrayInit::empty()));
            }
            None
        }
        _ => None,
    }
}

impl<'a> Lowerer<'a> {
    pub(super) fn new_array(&mut self, init: ArrayInit, at: &Expr) -> Result<usize> {
        let arr = self.locals;
        self.locals += 1;
        let (len, fill) = match &init.repeat {
            Some((v, n)) => {
                if self.reads_active_values(n) {
                    return self.err(n, "#[differentiable]: an array length cannot depend on differentiated values");
                }
                let v = self.lower_expr(v)?;
                let fill = self.operand(v, at)?;
                (self.capture(Ty::Usize, quote!(#n)), fill)
            }
            None => (self.capture(Ty::Usize, quote!(0usize)), Operand::Const(quote!(0.0))),
        };
        let len_end = self.temp(Ty::Usize, false);
        self.emit(Stmt::ArrNew { arr, len, init: fill, len_end });
        self.created.last_mut().unwrap().push((arr, len_end));
        for e in &init.elems {
            let v = self.lower_expr(e)?;
            let src = self.operand(v, e)?;
            self.emit(Stmt::Push { arr, src });
        }
        Ok(arr)
    }

    /// The local array a place expression names: `Some(Ok(arr))`, or
    /// `Some(Err(key))` for a passive binding (to restart as active).
    fn local_target(&self, e: &Expr) -> Option<std::result::Result<usize, usize>> {
        let Expr::Path(p) = strip(e) else { return None };
        let id = p.path.get_ident()?;
        let b = self.env.lookup(&id.to_string())?;
        match b.kind {
            BKind::Array(Arr::Local(n)) => Some(Ok(n)),
            BKind::Passive if b.key != 0 => Some(Err(b.key)),
            _ => None,
        }
    }

    /// `v[i] = e` / `v[i] op= e`. `None` when the target is not a local array
    /// that holds (or must hold) differentiated values.
    pub(super) fn lower_store(
        &mut self,
        ix: &syn::ExprIndex,
        op: Option<&'static str>,
        rhs: &Expr,
        whole: &Expr,
    ) -> Result<Option<()>> {
        let arr = match self.local_target(&ix.expr) {
            Some(Ok(n)) => n,
            Some(Err(key)) if self.mentions_active(rhs) => {
                self.restart = Some(key);
                return self.err(whole, "restart");
            }
            _ => return Ok(None),
        };
        if let Expr::Range(r) = strip(&ix.index) {
            return self.err(r, "#[differentiable]: assign elements one at a time (`v[i] = ..`), not ranges");
        }
        let idx = &ix.index;
        let k = self.capture(Ty::Usize, quote!(#idx));
        let v = self.lower_expr(rhs)?;
        let src = match op {
            None => self.operand(v, rhs)?,
            Some(name) => {
                let old = self.load(Arr::Local(arr), k);
                let r = self.operand(v, rhs)?;
                match self.op(crate::rules::lookup(name).unwrap(), vec![Operand::Temp(old), r]) {
                    Val::Active(t) => Operand::Temp(t),
                    _ => unreachable!(),
                }
            }
        };
        self.emit(Stmt::Store { arr, index: k, src });
        self.alias_array(&ix.expr, arr);
        Ok(Some(()))
    }

    /// `v.push(e)`; false when `v` is not a local array of differentiated values.
    pub(super) fn lower_push(&mut self, m: &syn::ExprMethodCall, whole: &Expr) -> Result<bool> {
        let arr = match self.local_target(&m.receiver) {
            Some(Ok(n)) => n,
            Some(Err(key)) if self.mentions_active(&m.args[0]) => {
                self.restart = Some(key);
                return self.err(whole, "restart");
            }
            _ => {
                if self.mentions_active(&m.args[0]) {
                    return self.err(&m.receiver, "#[differentiable]: push differentiated values only onto a local array (`let mut v = Vec::new();`)");
                }
                return Ok(false);
            }
        };
        let v = self.lower_expr(&m.args[0])?;
        let src = self.operand(v, &m.args[0])?;
        self.emit(Stmt::Push { arr, src });
        self.alias_array(&m.receiver, arr);
        Ok(true)
    }

    /// `c.fill(v);` and `c.copy_from_slice(src);` on a local array: the
    /// loop `for i in 0..c.len() { c[i] = v; }` (`= src[i]`, after the
    /// length check `copy_from_slice` makes), which the lowering
    /// differentiates like any store. `false`: not a local array, and no
    /// differentiated value to write (emitted as written).
    pub(super) fn lower_slice_write(&mut self, m: &syn::ExprMethodCall, whole: &Expr) -> Result<bool> {
        let fill = m.method == "fill";
        match self.local_target(&m.receiver) {
            Some(Ok(_)) => {}
            Some(Err(key)) if self.mentions_active(&m.args[0]) => {
                self.restart = Some(key);
                return self.err(whole, "restart");
            }
            _ if self.mentions_active(&m.args[0]) || self.mentions_active(&m.receiver) => {
                let what = if fill { "fill" } else { "copy_from_slice" };
                return self.err(&m.method, format!("#[differentiable]: `{what}` writes differentiated values only into a local array (`let mut c = [0.0; 3];`, `let mut c = vec![0.0; n];`)"));
            }
            _ => return Ok(false),
        }
        let (c, a, sp) = (&m.receiver, &m.args[0], m.method.span());
        let block: syn::Block = if fill {
            syn::parse_quote_spanned!(sp=> {
                let __gd_fill = #a;
                for __gd_i in 0..#c.len() {
                    #c[__gd_i] = __gd_fill;
                }
            })
        } else {
            syn::parse_quote_spanned!(sp=> {
                let __gd_src = #a;
                ::core::assert_eq!(#c.len(), __gd_src.len(), "copy_from_slice: source slice length does not match destination slice length");
                for __gd_i in 0..#c.len() {
                    #c[__gd_i] = __gd_src[__gd_i];
                }
            })
        };
        self.lower_block_value(&block, false)?;
        Ok(true)
    }

    /// The tail of a vector-valued function: a local array, an array or
    /// `vec!` literal, or a tuple. It becomes the output array.
    pub(super) fn vector_end(&mut self, e: &Expr) -> Result<()> {
        if super::stmt::expr_diverges(e) {
            return self.err(e, "#[differentiable]: early `return` in a function returning a Vec, an array or a tuple is not supported yet; end the body with the output");
        }
        let arr = match strip(e) {
            Expr::Tuple(t) => self.new_array(ArrayInit { repeat: None, elems: t.elems.iter().cloned().collect() }, e)?,
            Expr::Path(_) => match self.local_target(e) {
                Some(Ok(n)) => n,
                _ => return self.err(e, "#[differentiable]: return a local array built in the body (or a `vec![..]`/`[..]`/tuple expression)"),
            },
            _ => match array_init(e) {
                Some(parts) => self.new_array(parts?, e)?,
                None => return self.err(e, "#[differentiable]: end a vector-valued function with a local array, a `vec![..]`/`[..]` literal or a tuple"),
            },
        };
        self.ret_arr = Some(arr);
        self.emit(Stmt::Seed { arr });
        Ok(())
    }

    fn alias_array(&mut self, e: &Expr, arr: usize) {
        if let Expr::Path(p) = strip(e) {
            if let Some(id) = p.path.get_ident() {
                self.emit(Stmt::AliasArr { name: id.clone(), arr });
            }
        }
    }
}
