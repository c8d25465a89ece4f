//! Lowering of matrix code: nalgebra values and parameter structs.
//!
//! A value is a *tensor* when it is a place in a differentiated matrix or
//! struct parameter (`w`, `p.layers[k].w`), or the result of a matrix rule
//! (`crate::tensor_rules`) on one. Which rule applies is decided by syntax
//! (`a * b` with a tensor operand is the matrix rule `mul`); what it computes
//! is decided by rustc through the runtime's traits. Passive data is a tensor
//! when it is a matrix parameter, a binding made from one, or an nalgebra
//! constructor (`DVector::from_element(..)`), so that `s * x` with an active
//! float `s` and a data matrix `x` scales the matrix.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{spanned::Spanned, Expr, Result};

use super::env::BKind;
use super::{strip, Lowerer, Val};
use crate::ir::*;
use crate::tensor_rules::{self, Out, TRule, A};

/// Methods that keep a passive matrix a matrix.
const TENSOR_METHODS: &[&str] = &[
    "clone", "clone_owned", "into_owned", "to_owned", "transpose", "column", "row", "map", "component_mul", "component_div",
    "add_scalar", "scale", "columns", "rows", "view", "fixed_view", "abs", "normalize",
];

/// A method the rules know on a matrix: a rule, a method that keeps a
/// passive matrix a matrix, or a shape query.
pub(super) fn matrix_method(name: &str, nargs: usize) -> bool {
    tensor_rules::method(name, nargs).is_some() || TENSOR_METHODS.contains(&name) || tensor_rules::SHAPE_METHODS.contains(&name)
}

impl<'a> Lowerer<'a> {
    /// Is this lowered value a matrix (or a place in a parameter)?
    pub(super) fn is_tensor(&self, v: &Val) -> bool {
        match v {
            Val::Place(_) => true,
            Val::Active(t) => self.temps[t.0].ty == Ty::Tensor,
            _ => false,
        }
    }

    /// Syntactically a matrix: a tensor binding, a matrix method on one, an
    /// nalgebra constructor, or arithmetic with one.
    pub(super) fn looks_tensor(&self, e: &Expr) -> bool {
        match strip(e) {
            Expr::Reference(r) => self.looks_tensor(&r.expr),
            Expr::Path(p) => {
                if let Some(id) = p.path.get_ident() {
                    if let Some(b) = self.env.lookup(&id.to_string()) {
                        return match b.kind {
                            BKind::Place(_) => true,
                            BKind::Active { temp, .. } => self.temps[temp.0].ty == Ty::Tensor,
                            BKind::Passive => self.passive_tensors.contains(&b.uid),
                            BKind::Array(_) | BKind::View(_) => false,
                        };
                    }
                }
                false
            }
            Expr::Field(f) => self.looks_tensor(&f.base),
            // Into a parameter (`p.layers[0]`): a place. Into data: an element.
            Expr::Index(ix) => self.place_rooted(&ix.expr),
            Expr::MethodCall(m) => TENSOR_METHODS.contains(&m.method.to_string().as_str()) && (self.looks_tensor(&m.receiver) || self.matrix_arg(m)),
            Expr::Call(c) => match strip(&c.func) {
                Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "stop_gradient") => {
                    c.args.first().is_some_and(|a| self.looks_tensor(a))
                }
                Expr::Path(p) => p.path.segments.iter().any(|s| {
                    let n = s.ident.to_string();
                    n == "nalgebra" || crate::sig::is_nalgebra(&s.ident)
                }),
                _ => false,
            },
            Expr::Binary(b) => {
                matches!(b.op, syn::BinOp::Add(_) | syn::BinOp::Sub(_) | syn::BinOp::Mul(_) | syn::BinOp::Div(_))
                    && (self.looks_tensor(&b.left) || self.looks_tensor(&b.right))
            }
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => self.looks_tensor(&u.expr),
            _ => false,
        }
    }

    /// `a.dot(&b)` with `b` a matrix: `a` is one too (`tensor_rules::SAME_TYPE_ARG`).
    fn matrix_arg(&self, m: &syn::ExprMethodCall) -> bool {
        tensor_rules::SAME_TYPE_ARG.contains(&m.method.to_string().as_str()) && m.args.iter().any(|a| self.looks_tensor(a))
    }

    /// Is the expression a path into a differentiated parameter
    /// (`p`, `p.layers[l].w`), through fields and indices?
    fn place_rooted(&self, e: &Expr) -> bool {
        match strip(e) {
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|id| self.env.lookup(&id.to_string()))
                .is_some_and(|b| matches!(b.kind, BKind::Place(_))),
            Expr::Field(f) => self.place_rooted(&f.base),
            Expr::Index(ix) => self.place_rooted(&ix.expr),
            Expr::Reference(r) => self.place_rooted(&r.expr),
            _ => false,
        }
    }

    /// In a method chain rooted at a matrix, the first method that is not
    /// a matrix method (for the error message).
    pub(super) fn first_unsupported<'e>(&self, e: &'e Expr) -> Option<&'e syn::Ident> {
        let Expr::MethodCall(m) = strip(e) else { return None };
        if let Some(inner) = self.first_unsupported(&m.receiver) {
            return Some(inner);
        }
        let n = m.method.to_string();
        let known = matrix_method(&n, m.args.len()) || matches!(n.as_str(), "iter" | "into_iter");
        (!known && self.looks_tensor(&m.receiver)).then_some(&m.method)
    }

    /// A receiver of a matrix method: a tensor-rooted expression that is not
    /// an iterator chain (`xs.iter().sum()` stays an iterator fold).
    pub(super) fn tensor_receiver(&self, e: &Expr) -> bool {
        match strip(e) {
            Expr::MethodCall(m) => {
                let n = m.method.to_string();
                !matches!(n.as_str(), "iter" | "into_iter" | "iter_mut" | "zip" | "enumerate" | "rev" | "skip" | "take" | "step_by")
                    && TENSOR_METHODS.contains(&n.as_str())
                    && (self.tensor_receiver(&m.receiver) || self.matrix_arg(m))
            }
            Expr::Index(ix) => self.tensor_receiver(&ix.expr),
            e => self.looks_tensor(e),
        }
    }

    /// An argument of a matrix rule.
    pub(super) fn targ(&mut self, v: Val, at: &impl ToTokens) -> Result<TArg> {
        Ok(match v {
            Val::Active(t) => TArg::Temp(t),
            Val::Place(p) => TArg::Place(p),
            Val::Passive(ts) if super::expr::is_literal(&ts) => TArg::Const(ts),
            Val::Passive(ts) => TArg::Temp(self.capture_tensor(ts)),
            Val::Array(..) | Val::View(_) => return self.err(at, "#[differentiable]: a slice cannot be mixed with matrices; use an nalgebra vector (DVector::from_column_slice) instead"),
        })
    }

    /// A passive value for a matrix rule. A parameter is borrowed; anything
    /// else is copied (it may be a local, or a loop's item, that the reverse
    /// sweep outlives).
    pub(super) fn capture_tensor(&mut self, ts: TokenStream) -> Temp {
        let t = self.temp(Ty::Tensor, false);
        let is_param = syn::parse2::<syn::Ident>(ts.clone()).is_ok_and(|id| self.is_param(&id.to_string()));
        // A parameter taken by reference: the reference itself is kept (a
        // reference to the parameter's own slot would not outlive the
        // function, and `__gd_split`'s closure outlives it).
        let by_ref = is_param
            && self.sig.params.iter().any(|p| matches!(&p.ty, syn::Type::Reference(_)) && p.name.to_string() == ts.to_string());
        let expr = if by_ref {
            quote!(::core::option::Option::Some(#ts))
        } else if is_param {
            self.param_borrows.insert(t);
            quote!(::core::option::Option::Some(&#ts))
        } else {
            self.own_passive(ts)
        };
        self.emit(Stmt::Set { dst: t, expr });
        t
    }

    /// `Some(own(&(ts)))`: an owned copy of data held in a matrix-rule
    /// temporary. A constant such as `0.0` gets the function's float type
    /// first: inside the generic `own` nothing else fixes a float
    /// literal's type, and it would default to f64 in an f32 function
    /// (`let mut s = 0.0; .. s += p.w * x` with an f32 field `p.w`).
    fn own_passive(&self, ts: TokenStream) -> TokenStream {
        let k = crate::krate();
        let ts = match syn::parse2::<Expr>(ts.clone()) {
            Ok(mut e) if constant(&e) => {
                suffix_floats(&mut e, &self.f);
                e.to_token_stream()
            }
            _ => ts,
        };
        quote!(::core::option::Option::Some(#k::__private::tensor::own(&(#ts))))
    }

    /// `dst = rule(args)`.
    pub(super) fn tensor_op(&mut self, rule: &'static TRule, args: Vec<(Val, &Expr)>) -> Result<Val> {
        let span = args.first().map_or_else(proc_macro2::Span::call_site, |(_, e)| e.span());
        let mut targs = Vec::new();
        for ((v, e), role) in args.into_iter().zip(rule.args) {
            targs.push(match role {
                A::Value => self.targ(v, e)?,
                A::Index => match v {
                    Val::Passive(ts) => TArg::Index(self.capture(Ty::Usize, ts)),
                    _ => return self.err(e, "#[differentiable]: an index cannot depend on differentiated values"),
                },
            });
        }
        let ty = if rule.out == Out::Tensor { Ty::Tensor } else { Ty::Float };
        let dst = self.temp(ty, true);
        self.emit(Stmt::TOp { dst, rule, args: targs, span });
        Ok(Val::Active(dst))
    }

    /// A tensor value read as a float (a float field of a parameter struct,
    /// or an element `p.w[(i, j)]`).
    pub(super) fn tensor_to_float(&mut self, v: Val, span: proc_macro2::Span) -> Result<Operand> {
        let arg = self.targ(v, &quote!())?;
        let dst = self.temp(Ty::Float, true);
        self.emit(Stmt::TOp { dst, rule: &tensor_rules::SCALAR, args: vec![arg], span });
        Ok(Operand::Temp(dst))
    }

    /// A matrix temporary holding the value (for bindings and merges).
    pub(super) fn tensor_temp(&mut self, v: Val, at: &impl ToTokens) -> Result<Temp> {
        match v {
            Val::Active(t) if self.temps[t.0].ty == Ty::Tensor => Ok(t),
            Val::Passive(ts) => {
                // Data becoming a differentiated variable (`let mut h = x.clone();`
                // then `h = &w * &h`): one owned copy, made here.
                let ts = match syn::parse2::<Expr>(ts.clone()) {
                    Ok(Expr::MethodCall(m)) if m.method == "clone" && m.args.is_empty() => m.receiver.to_token_stream(),
                    _ => ts,
                };
                let t = self.temp(Ty::Tensor, true);
                let expr = self.own_passive(ts);
                self.emit(Stmt::Set { dst: t, expr });
                Ok(t)
            }
            v => {
                let a = self.targ(v, at)?;
                let dst = self.temp(Ty::Tensor, true);
                let span = quote::ToTokens::to_token_stream(at).into_iter().next().map_or_else(proc_macro2::Span::call_site, |t| t.span());
                self.emit(Stmt::TOp { dst, rule: &tensor_rules::ID, args: vec![a], span });
                Ok(dst)
            }
        }
    }

    /// `base[index]` on a place extends the place; on a matrix temporary it
    /// reads an element.
    pub(super) fn tensor_index(&mut self, base: Val, ix: &syn::ExprIndex) -> Result<Val> {
        let pair = match strip(&ix.index) {
            Expr::Tuple(t) if t.elems.len() == 2 => Some((&t.elems[0], &t.elems[1])),
            Expr::Range(r) => return self.err(r, "#[differentiable]: slicing a matrix or a field with a range is not supported; index elements, or use column/row"),
            _ => None,
        };
        if self.mentions_active(&ix.index) {
            return self.err(&ix.index, "#[differentiable]: an index cannot depend on differentiated values");
        }
        let seg = match pair {
            Some((i, j)) => Seg::Index2(self.capture(Ty::Usize, quote!(#i)), self.capture(Ty::Usize, quote!(#j))),
            None => {
                let k = &ix.index;
                Seg::Index(self.capture(Ty::Usize, quote!(#k)))
            }
        };
        match base {
            Val::Place(mut p) => {
                p.path.push(seg);
                Ok(Val::Place(p))
            }
            v => {
                let a = self.targ(v, &ix.expr)?;
                let (rule, idx) = match seg {
                    Seg::Index(k) => (&tensor_rules::INDEX, vec![TArg::Index(k)]),
                    Seg::Index2(i, j) => (&tensor_rules::INDEX2, vec![TArg::Index(i), TArg::Index(j)]),
                    Seg::Field(_) => unreachable!(),
                };
                let dst = self.temp(Ty::Float, true);
                let mut args = vec![a];
                args.extend(idx);
                self.emit(Stmt::TOp { dst, rule, args, span: ix.span() });
                Ok(Val::Active(dst))
            }
        }
    }

    /// A method on a matrix, or `None` when it is not one.
    pub(super) fn tensor_method(&mut self, m: &syn::ExprMethodCall, whole: &Expr) -> Result<Option<Val>> {
        let name = m.method.to_string();
        if !self.tensor_receiver(&m.receiver) && !self.matrix_arg(m) {
            if let Some(bad) = self.first_unsupported(&m.receiver) {
                return self.err(
                    bad,
                    format!("#[differentiable]: unsupported method `{bad}` on a matrix. Supported: {}", tensor_rules::METHOD_NAMES),
                );
            }
            return Ok(None);
        }
        if tensor_rules::SHAPE_METHODS.contains(&name.as_str()) {
            return Ok(Some(Val::Passive(quote!(#whole))));
        }
        if name == "map" {
            return self.tensor_map(m, whole).map(Some);
        }
        let Some(rule) = tensor_rules::method(&name, m.args.len()) else {
            // A float method (`p.b.tanh()` on a float field) is not a matrix method.
            if crate::rules::lookup(&name).is_some() {
                return Ok(None);
            }
            return self.err(
                &m.method,
                format!("#[differentiable]: unsupported method `{name}` on a matrix. Supported: {}", tensor_rules::METHOD_NAMES),
            );
        };
        let recv = self.lower_expr(&m.receiver)?;
        if let Val::Passive(_) = recv {
            if !m.args.iter().any(|a| self.mentions_active(a)) {
                return Ok(Some(Val::Passive(quote!(#whole))));
            }
        }
        let mut args = vec![(recv, &*m.receiver)];
        for a in &m.args {
            // `x.dot(&y)`: the reference is the user's; rules take values.
            args.push((self.lower_expr(a)?, a));
        }
        self.tensor_op(rule, args).map(Some)
    }

    /// `a.map(|x| body)`: the closure is differentiated as a scalar function
    /// of its argument (forward mode), evaluated elementwise with `a`.
    fn tensor_map(&mut self, m: &syn::ExprMethodCall, whole: &Expr) -> Result<Val> {
        let Some(Expr::Closure(c)) = m.args.first().map(strip) else {
            return self.err(whole, "#[differentiable]: `map` on a matrix takes a closure `|x| ..`");
        };
        if c.inputs.len() != 1 {
            return self.err(&c.inputs, "#[differentiable]: `map`'s closure takes one element");
        }
        let recv = self.lower_expr(&m.receiver)?;
        if let Val::Passive(_) = recv {
            if !self.mentions_active(&c.body) {
                return Ok(Val::Passive(quote!(#whole)));
            }
        }
        if self.mentions_active(&c.body) {
            return self.err(
                &c.body,
                "#[differentiable]: `map`'s closure reads a differentiated value from outside; only its element may be differentiated here. Use `add_scalar`, `component_mul` or a product with the matrix instead, or `gd::stop_gradient(..)` for a constant",
            );
        }
        let f = Box::new(self.closure_fn(c)?);
        let arg = self.targ(recv, &m.receiver)?;
        let dst = self.temp(Ty::Tensor, true);
        let deriv = self.temp(Ty::Tensor, false);
        self.emit(Stmt::TMap { dst, deriv, arg, f });
        Ok(Val::Active(dst))
    }

    /// The closure's body lowered as a one-parameter function, for emit to
    /// print its forward mode (`|x: F| -> (F, F)`, and over `Dual<F>`).
    fn closure_fn(&self, c: &syn::ExprClosure) -> Result<ElemFn> {
        let pat = match &c.inputs[0] {
            syn::Pat::Type(t) => (*t.pat).clone(),
            p => p.clone(),
        };
        let (name, deref) = match &pat {
            syn::Pat::Ident(pi) => (pi.ident.clone(), false),
            syn::Pat::Reference(r) => match &*r.pat {
                syn::Pat::Ident(pi) => (pi.ident.clone(), true),
                _ => return self.err(&c.inputs, "#[differentiable]: `map`'s closure must take a plain name (`|x| ..`)"),
            },
            _ => return self.err(&c.inputs, "#[differentiable]: `map`'s closure must take a plain name (`|x| ..`)"),
        };
        let _ = deref;
        let f = &self.f;
        let body = &c.body;
        let item: syn::ItemFn = syn::parse2(quote!(fn __gd_elem(#name: #f) -> #f { #body }))?;
        let attr = crate::attr::parse(TokenStream::new())?;
        let sig = crate::sig::read(&item, &attr).map_err(|e| syn::Error::new(body.span(), e.to_string()))?;
        let low = super::lower_fn(&sig, &item.block)?;
        // Any name the enclosing function binds counts, even one the closure
        // shadows, and so does `self`: a capture missed here would be a
        // compile error (the threaded map asks for `Sync`), one counted too
        // many only keeps the map on one thread.
        let captures = super::mentions(&body.to_token_stream(), &mut |i| i == "self" || self.env.lookup(&i.to_string()).is_some());
        Ok(ElemFn { name, float: f.clone(), sig, low, captures })
    }

    /// The primal tokens of a place (`p.layers[__gd_t4].w`), for user code.
    pub(super) fn place_tokens(&self, p: &Place) -> TokenStream {
        let mut out = self.sig.params[p.param].name.to_token_stream();
        for s in &p.path {
            out.extend(match s {
                Seg::Field(m) => quote!(.#m),
                Seg::Index(k) => {
                    let k = crate::names::t(*k);
                    quote!([#k])
                }
                Seg::Index2(i, j) => {
                    let (i, j) = (crate::names::t(*i), crate::names::t(*j));
                    quote!([(#i, #j)])
                }
            });
        }
        out
    }

    /// `let name = <place>;`: the name stands for the place, and user code
    /// that reads it (`layer.w.nrows()`) sees a reference to it.
    pub(super) fn bind_place(&mut self, name: &syn::Ident, key: usize, p: Place) {
        let pt = self.place_tokens(&p);
        self.emit(Stmt::Verbatim(quote!(let #name = &#pt;)));
        self.places.push(p);
        let i = self.places.len() - 1;
        self.bind(name, key, BKind::Place(i), false);
    }

    /// `for layer in &p.layers` / `p.layers.iter()` / `.iter().enumerate()`
    /// over a differentiated parameter: the place iterated and whether the
    /// items are enumerated.
    pub(super) fn place_iter(&mut self, e: &Expr) -> Result<Option<(Place, bool)>> {
        let (mut e, mut enumerate) = (strip(e), false);
        if let Expr::MethodCall(m) = e {
            if m.method == "enumerate" && m.args.is_empty() {
                enumerate = true;
                e = strip(&m.receiver);
            }
        }
        let base = match e {
            Expr::Reference(r) => strip(&r.expr),
            Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => strip(&m.receiver),
            _ => return Ok(None),
        };
        if !matches!(base, Expr::Path(_) | Expr::Field(_) | Expr::Index(_)) || !self.mentions_active(base) || !self.looks_tensor(base) {
            return Ok(None);
        }
        match self.lower_expr(base)? {
            Val::Place(p) => Ok(Some((p, enumerate))),
            _ => Ok(None),
        }
    }

    pub(super) fn lower_place_loop(&mut self, place: Place, enumerate: bool, pat: &syn::Pat, body: &[syn::Stmt]) -> Result<()> {
        let (idx_pat, item_pat) = match (enumerate, strip_pat(pat)) {
            (false, p) => (None, p),
            (true, syn::Pat::Tuple(t)) if t.elems.len() == 2 => (Some(&t.elems[0]), strip_pat(&t.elems[1])),
            (true, p) => return self.err(p, "#[differentiable]: `.enumerate()` items are `(index, item)` pairs"),
        };
        let item_name = match item_pat {
            syn::Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => Some(pi.ident.clone()),
            syn::Pat::Wild(_) => None,
            p => return self.err(p, "#[differentiable]: bind the items of a differentiated parameter's Vec to a plain name (`for layer in &p.layers`)"),
        };
        let n = self.temps.len();
        let k = syn::Ident::new(&format!("__gd_pk{n}"), proc_macro2::Span::call_site());
        let primal = self.place_tokens(&place);
        let head = LoopHead::For { pat: quote!(#k), iter: quote!(0..(#primal).len()) };
        let idx_names: Vec<syn::Ident> = idx_pat.map(|p| super::stmt::pat_idents(p).into_iter().cloned().collect()).unwrap_or_default();
        let key = item_pat as *const _ as usize;
        self.lower_loop(head, &mut |s| {
            let kt = s.capture(Ty::Usize, quote!(#k));
            if let Some(ip) = idx_pat {
                s.emit(Stmt::Verbatim(quote!(let #ip = #k;)));
                for id in &idx_names {
                    s.bind(id, 0, BKind::Passive, false);
                }
            }
            if let Some(name) = &item_name {
                let mut item = place.clone();
                item.path.push(Seg::Index(kt));
                s.bind_place(name, key, item);
            }
            s.run(&[super::Frame::Stmts(body), super::Frame::LoopEnd])
        })
    }
}

fn strip_pat(p: &syn::Pat) -> &syn::Pat {
    match p {
        syn::Pat::Type(t) => strip_pat(&t.pat),
        syn::Pat::Paren(p) => strip_pat(&p.pat),
        p => p,
    }
}

/// A path through fields and indices (`p`, `p.layers[l].w`, `xs`): reading
/// its shape reads no values.
pub(super) fn is_place_path(e: &Expr) -> bool {
    match strip(e) {
        Expr::Path(_) => true,
        Expr::Field(f) => is_place_path(&f.base),
        Expr::Index(ix) => is_place_path(&ix.expr),
        Expr::Reference(r) => is_place_path(&r.expr),
        _ => false,
    }
}

/// An expression of literals only (`0.0`, `-1.5`, `2.0 * 0.5`).
fn constant(e: &Expr) -> bool {
    match e {
        Expr::Lit(l) => matches!(l.lit, syn::Lit::Float(_) | syn::Lit::Int(_)),
        Expr::Unary(u) => matches!(u.op, syn::UnOp::Neg(_)) && constant(&u.expr),
        Expr::Binary(b) => constant(&b.left) && constant(&b.right),
        Expr::Paren(p) => constant(&p.expr),
        _ => false,
    }
}

/// Gives the unsuffixed float literals of a constant the type `f`.
fn suffix_floats(e: &mut Expr, f: &syn::Ident) {
    match e {
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Float(l), .. }) if l.suffix().is_empty() => {
            *l = syn::LitFloat::new(&format!("{}{f}", l.base10_digits()), l.span());
        }
        Expr::Unary(u) => suffix_floats(&mut u.expr, f),
        Expr::Binary(b) => {
            suffix_floats(&mut b.left, f);
            suffix_floats(&mut b.right, f);
        }
        Expr::Paren(p) => suffix_floats(&mut p.expr, f),
        _ => {}
    }
}
