//! Statements, branches, loops and early exits.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::{spanned::Spanned, visit::Visit, Expr, Pat, Result, Stmt as SStmt};

use super::env::BKind;
use super::{strip, Frame, Lowerer, Val};
use crate::ir::*;

/// Finds `return`, and `break`/`continue` that leave the loop being lowered
/// (not those of a nested loop, unless labelled with a loop outside it),
/// outside closures and nested items.
#[derive(Default)]
struct Exits {
    ret: bool,
    brk: bool,
    /// The labels of the loops entered (`None` for an unlabelled one).
    inside: Vec<Option<String>>,
}

impl Exits {
    fn exit(&mut self, label: Option<&syn::Lifetime>) {
        self.brk |= match label {
            Some(l) => !self.inside.contains(&Some(l.ident.to_string())),
            None => self.inside.is_empty(),
        };
    }
    fn enter(&mut self, label: Option<&syn::Label>, visit: impl FnOnce(&mut Self)) {
        self.inside.push(label.map(|l| l.name.ident.to_string()));
        visit(self);
        self.inside.pop();
    }
}

impl<'ast> Visit<'ast> for Exits {
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.ret = true;
    }
    fn visit_expr_break(&mut self, b: &'ast syn::ExprBreak) {
        self.exit(b.label.as_ref());
    }
    fn visit_expr_continue(&mut self, c: &'ast syn::ExprContinue) {
        self.exit(c.label.as_ref());
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
    fn visit_expr_for_loop(&mut self, e: &'ast syn::ExprForLoop) {
        self.enter(e.label.as_ref(), |s| syn::visit::visit_expr_for_loop(s, e));
    }
    fn visit_expr_while(&mut self, e: &'ast syn::ExprWhile) {
        self.enter(e.label.as_ref(), |s| syn::visit::visit_expr_while(s, e));
    }
    fn visit_expr_loop(&mut self, e: &'ast syn::ExprLoop) {
        self.enter(e.label.as_ref(), |s| syn::visit::visit_expr_loop(s, e));
    }
}

pub fn expr_diverges(e: &Expr) -> bool {
    let mut x = Exits::default();
    x.visit_expr(e);
    x.ret || x.brk
}

pub fn diverges(s: &SStmt) -> bool {
    match s {
        SStmt::Expr(e, _) => expr_diverges(e),
        SStmt::Local(l) => l.init.as_ref().is_some_and(|i| expr_diverges(&i.expr)),
        _ => false,
    }
}


impl<'a> Lowerer<'a> {
    pub(super) fn lower_stmt(&mut self, s: &SStmt) -> Result<()> {
        match s {
            SStmt::Local(l) => self.lower_let(l),
            SStmt::Expr(e, _) => self.lower_expr_stmt(e),
            SStmt::Macro(m) => {
                self.check_macro(&m.mac)?;
                self.emit(Stmt::Verbatim(s.to_token_stream()));
                Ok(())
            }
            SStmt::Item(item) => {
                if let syn::Item::Macro(m) = item {
                    if super::macro_mentions(&m.mac, &mut |i| self.env.is_active_name(i)) {
                        return self.err(
                            &m.mac.path,
                            "#[differentiable]: a macro defined in the body cannot name differentiated values (its expansion would not be differentiated); write the code out or use a #[differentiable] function",
                        );
                    }
                }
                self.emit(Stmt::Verbatim(s.to_token_stream()));
                Ok(())
            }
        }
    }

    /// An expression in statement position (its value, if any, is dropped).
    pub(super) fn lower_expr_stmt(&mut self, e: &Expr) -> Result<()> {
        match strip(e) {
            Expr::Assign(a) => self.lower_assign(&a.left, None, &a.right, e),
            Expr::Binary(b) if assign_op(&b.op).is_some() => {
                self.lower_assign(&b.left, assign_op(&b.op), &b.right, e)
            }
            Expr::If(i) => self.lower_if(i, false).map(|_| ()),
            Expr::Match(m) => self.lower_match(m, false).map(|_| ()),
            Expr::Block(b) if b.label.is_none() => self.lower_block_value(&b.block, false).map(|_| ()),
            Expr::ForLoop(f) => self.lower_for(f),
            Expr::While(w) => self.lower_while(w),
            Expr::Loop(l) => self.lower_loop_expr(l),
            Expr::Macro(m) => {
                self.check_macro(&m.mac)?;
                self.emit(Stmt::Verbatim(quote!(#e;)));
                Ok(())
            }
            Expr::MethodCall(m) if (m.method == "fill" || m.method == "copy_from_slice") && m.args.len() == 1 && self.lower_slice_write(m, e)? => Ok(()),
            Expr::MethodCall(m) if m.method == "push" && m.args.len() == 1 => {
                if self.lower_push(m, e)? {
                    return Ok(());
                }
                self.emit(Stmt::Verbatim(quote!(#e;)));
                Ok(())
            }
            _ => {
                if !self.mentions_active(e) {
                    self.emit(Stmt::Verbatim(quote!(#e;)));
                    return Ok(());
                }
                // Evaluate for its effects (a call); the value is dropped.
                self.lower_expr(e).map(|_| ())
            }
        }
    }

    /// A macro statement is emitted unchanged, so it may read differentiated
    /// values only if nothing the function computes afterwards can see them:
    /// printing, logging, assertions, and `format!`/`dbg!` whose value the
    /// statement drops. Not `write!`/`writeln!`: they keep the text in a
    /// buffer that the function could parse back into a number (without its
    /// derivative).
    fn check_macro(&self, mac: &syn::Macro) -> Result<()> {
        const READ_ONLY: &[&str] = &[
            "println", "print", "eprintln", "eprint", "assert", "assert_eq", "assert_ne", "debug_assert",
            "debug_assert_eq", "debug_assert_ne", "dbg", "panic", "unreachable", "todo", "trace", "debug", "info",
            "warn", "error", "format",
        ];
        let name = mac.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        if !super::macro_mentions(mac, &mut |i| self.env.is_active_name(i)) {
            return Ok(());
        }
        if READ_ONLY.contains(&name.as_str()) {
            return self.no_writes(&mac.tokens, &format!("`{name}!`"));
        }
        self.err(
            &mac.path,
            format!("#[differentiable]: the macro `{name}!` names differentiated values, but macros are emitted unchanged and not differentiated; only printing and assertion macros may read them"),
        )
    }

    /// `let y: f64 = x.into();` in an f64 function converts to the same
    /// type (`From<T> for T`), the identity: the receiver. Elsewhere the
    /// target of `into` is not written, so it stays unsupported.
    fn into_same_type<'e>(&self, l: &syn::Local, init: &'e Expr) -> Option<&'e Expr> {
        match (&l.pat, strip(init)) {
            (Pat::Type(t), Expr::MethodCall(m)) if m.method == "into" && m.args.is_empty() && t.ty.to_token_stream().to_string() == self.f.to_string() => Some(&m.receiver),
            _ => None,
        }
    }

    fn lower_let(&mut self, l: &syn::Local) -> Result<()> {
        let Some(init) = &l.init else {
            return self.err(l, "#[differentiable]: declare variables with an initial value (`let x = ...;`)");
        };
        if let Some((_, d)) = &init.diverge {
            return self.err(d, "#[differentiable] does not support `let ... else`");
        }
        let identity;
        let init = match self.into_same_type(l, &init.expr) {
            Some(x) => {
                identity = syn::LocalInit { eq_token: init.eq_token, expr: Box::new(x.clone()), diverge: None };
                &identity
            }
            None => init,
        };
        let pat = match &l.pat {
            Pat::Type(t) => &*t.pat,
            p => p,
        };
        match pat {
            Pat::Ident(pi) if pi.subpat.is_none() => {
                let key = &pi.ident as *const _ as usize;
                let forced = self.active_keys.contains(&key);
                if pi.mutability.is_none() && pi.by_ref.is_none() && self.bind_sub_slice(&pi.ident, key, &init.expr)? {
                    return Ok(());
                }
                // `let v: Vec<f64> = f(..);`, `let v: [f64; 3] = f(..);`: the
                // type says that the callee is vector-valued.
                if let (Pat::Type(t), Some(c)) = (&l.pat, self.outputs_call(&init.expr)?) {
                    if is_float_array_type(&t.ty) && (forced || self.mentions_active(&init.expr)) {
                        let ty = &t.ty;
                        let arr = self.lower_call_outputs(&c, quote!(#ty))?;
                        self.bind(&pi.ident, key, BKind::Array(Arr::Local(arr)), true);
                        self.emit(Stmt::AliasArr { name: pi.ident.clone(), arr });
                        return Ok(());
                    }
                }
                if let Some(parts) = super::array::array_init(&init.expr) {
                    if forced || self.mentions_active(&init.expr) {
                        let arr = self.new_array(parts?, &init.expr)?;
                        self.bind(&pi.ident, key, BKind::Array(Arr::Local(arr)), true);
                        self.emit(Stmt::AliasArr { name: pi.ident.clone(), arr });
                        return Ok(());
                    }
                }
                // Passive, also when it reads a differentiated array's length
                // only (`(0..x.len()).map(|i| x.len() - 1 - i).collect()`).
                if !forced && !self.reads_active_values(&init.expr) {
                    self.emit(Stmt::Verbatim(l.to_token_stream()));
                    let uid = self.bind(&pi.ident, key, BKind::Passive, pi.mutability.is_some());
                    let annotated = matches!(&l.pat, Pat::Type(t) if crate::sig::mentions_nalgebra(&t.ty));
                    if annotated || self.looks_tensor(&init.expr) {
                        self.passive_tensors.insert(uid);
                    }
                    return Ok(());
                }
                // `let h: DMatrix<f64> = forward(..);`: the type says that the
                // callee returns a matrix (the macro cannot see its signature).
                let annotated = matches!(&l.pat, Pat::Type(t) if crate::sig::mentions_nalgebra(&t.ty));
                self.tensor_call = annotated && matches!(strip(&init.expr), Expr::Call(_));
                let v = self.lower_expr(&init.expr);
                self.tensor_call = false;
                // Passive after all (`(0..x.len()).map(..).collect()` names `x`
                // for its length only): keep the user's type, which the value
                // may need (`collect`).
                if let (Ok(Val::Passive(ts)), Pat::Type(t), false) = (&v, &l.pat, forced) {
                    let (m, name, ty) = (pi.mutability, &pi.ident, &t.ty);
                    self.emit(Stmt::Verbatim(quote!(let #m #name: #ty = #ts;)));
                    let uid = self.bind(name, key, BKind::Passive, m.is_some());
                    if annotated || self.looks_tensor(&init.expr) {
                        self.passive_tensors.insert(uid);
                    }
                    return Ok(());
                }
                self.bind_value(&pi.ident, key, pi.mutability.is_some(), v?, &init.expr)
            }
            Pat::Wild(_) => {
                if self.mentions_active(&init.expr) {
                    self.lower_expr(&init.expr).map(|_| ())
                } else {
                    self.emit(Stmt::Verbatim(l.to_token_stream()));
                    Ok(())
                }
            }
            Pat::Tuple(pt) => {
                if let Some(c) = self.outputs_call(&init.expr)?.filter(|_| self.mentions_active(&init.expr) || self.tuple_forced(pt)) {
                    return self.bind_call_outputs(l, pt, &c, &init.expr);
                }
                let Expr::Tuple(et) = strip(&init.expr) else {
                    if !self.mentions_active(&init.expr) && !self.tuple_forced(pt) {
                        self.emit(Stmt::Verbatim(l.to_token_stream()));
                        for id in pat_idents(pat) {
                            let key = id as *const _ as usize;
                            self.bind(id, key, BKind::Passive, false);
                        }
                        return Ok(());
                    }
                    return self.err(
                        &init.expr,
                        "#[differentiable]: a tuple pattern needs a tuple expression on the right (`let (a, b) = (x, y);`)",
                    );
                };
                if pt.elems.len() != et.elems.len() {
                    return self.err(l, "#[differentiable]: tuple pattern and tuple expression differ in length");
                }
                // Evaluate every element before binding any name (`let (a, b) = (b, a)`).
                let mut vals = Vec::new();
                for e in &et.elems {
                    let v = self.lower_expr(e)?;
                    let v = match v {
                        Val::Passive(ts) if !super::expr::is_literal(&ts) => {
                            let t = self.capture(Ty::Inferred, ts);
                            let id = crate::names::t(t);
                            Val::Passive(quote!(#id.clone().unwrap()))
                        }
                        v => v,
                    };
                    vals.push(v);
                }
                for ((p, v), e) in pt.elems.iter().zip(vals).zip(&et.elems) {
                    let p = match p {
                        Pat::Type(t) => &*t.pat,
                        p => p,
                    };
                    match p {
                        Pat::Ident(pi) if pi.subpat.is_none() => {
                            let key = &pi.ident as *const _ as usize;
                            self.bind_value(&pi.ident, key, pi.mutability.is_some(), v, e)?;
                        }
                        Pat::Wild(_) => {}
                        _ => return self.err(p, "#[differentiable]: only names and `_` are supported inside tuple patterns"),
                    }
                }
                Ok(())
            }
            Pat::Slice(ps) => self.bind_array_pattern(l, ps, &init.expr),
            _ => self.err(&l.pat, "#[differentiable]: unsupported pattern in `let`; use a name, a tuple of names or an array of names"),
        }
    }

    /// `let [p, q] = a;` (also `[.., ..]` literals): each name is bound to a
    /// load of its element. The length needs no check here: the function as
    /// written, which rustc compiles too, holds an array of that length.
    fn bind_array_pattern(&mut self, l: &syn::Local, ps: &syn::PatSlice, at: &Expr) -> Result<()> {
        let forced = pat_idents(&l.pat).iter().any(|id| self.active_keys.contains(&(*id as *const _ as usize)));
        if !forced && !self.mentions_active(at) {
            self.emit(Stmt::Verbatim(l.to_token_stream()));
            for id in pat_idents(&l.pat) {
                self.bind(id, id as *const _ as usize, BKind::Passive, false);
            }
            return Ok(());
        }
        let arr = match super::array::array_init(at) {
            Some(parts) => Arr::Local(self.new_array(parts?, at)?),
            None => match self.lower_expr(at)? {
                Val::Array(a, _) => a,
                _ => return self.err(at, "#[differentiable]: an array pattern (`let [p, q] = a;`) needs an array of differentiated values on the right"),
            },
        };
        self.bind_elements(ps.elems.iter(), arr, at, "#[differentiable]: name every element of an array pattern (`let [p, _, r] = a;`), without `..` or nested patterns; or index the array (`a[0]`)")
    }

    /// Binds the `k`-th name of a pattern's elements to element `k` of
    /// `arr` (`_` skips one); any other element pattern is refused with
    /// `refuse`.
    fn bind_elements<'p>(&mut self, pats: impl Iterator<Item = &'p Pat>, arr: Arr, at: &Expr, refuse: &str) -> Result<()> {
        for (k, p) in pats.enumerate() {
            let p = match p {
                Pat::Type(t) => &*t.pat,
                p => p,
            };
            match p {
                Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => {
                    let key = &pi.ident as *const _ as usize;
                    let index = self.capture(Ty::Usize, quote!(#k));
                    let v = Val::Active(self.load(arr, index));
                    self.bind_value(&pi.ident, key, pi.mutability.is_some(), v, at)?;
                }
                Pat::Wild(_) => {}
                _ => return self.err(p, refuse),
            }
        }
        Ok(())
    }

    /// `let (a, b) = polar(r, t);`: the callee's outputs go to a local array
    /// (`lower_call_outputs`), whose elements the names are bound to. The
    /// primal sweep checks the callee's output against the pattern's arity
    /// (`(_, _)`), or against the type written on the pattern.
    fn bind_call_outputs(&mut self, l: &syn::Local, pt: &syn::PatTuple, c: &syn::ExprCall, at: &Expr) -> Result<()> {
        let ty = match &l.pat {
            Pat::Type(t) => {
                let ty = &t.ty;
                quote!(#ty)
            }
            _ => {
                let holes = pt.elems.iter().map(|p| quote::quote_spanned!(p.span()=> _));
                quote::quote_spanned!(pt.span()=> (#(#holes,)*))
            }
        };
        let arr = self.lower_call_outputs(c, ty)?;
        if let Some(rest) = pt.elems.iter().find(|p| matches!(p, Pat::Rest(_))) {
            return self.err(rest, "#[differentiable]: name every output of the call (`let (a, _, c) = f(..);`), not `..`");
        }
        self.bind_elements(pt.elems.iter(), Arr::Local(arr), at, "#[differentiable]: only names and `_` are supported inside tuple patterns")
    }

    /// Is any name of this tuple pattern known to hold differentiated values?
    fn tuple_forced(&self, pt: &syn::PatTuple) -> bool {
        pt.elems.iter().any(|p| match p {
                Pat::Ident(pi) => self.active_keys.contains(&(&pi.ident as *const _ as usize)),
                _ => false,
            })
    }

    pub(super) fn bind_value_pub(&mut self, name: &syn::Ident, key: usize, v: Val, at: &Expr) -> Result<()> {
        self.bind_value(name, key, false, v, at)
    }

    /// Binds `name` to a lowered value.
    fn bind_value(&mut self, name: &syn::Ident, key: usize, mutable: bool, v: Val, at: &Expr) -> Result<()> {
        let forced = self.active_keys.contains(&key);
        match v {
            Val::Active(t) => {
                self.bind(name, key, BKind::Active { temp: t, by_ref: false }, mutable);
            }
            Val::Array(i, ts) => {
                self.emit(Stmt::Verbatim(quote!(let #name = #ts;)));
                self.bind(name, key, BKind::Array(i), false);
            }
            Val::View(_) => return self.err(at, super::VIEW_USES),
            // `let mut s = p.bias;` is a copy that the body may change.
            Val::Place(p) if mutable => {
                let t = self.tensor_temp(Val::Place(p), at)?;
                self.bind(name, key, BKind::Active { temp: t, by_ref: false }, true);
            }
            Val::Place(p) => self.bind_place(name, key, p),
            Val::Passive(ts) if forced && self.tensor_keys.contains(&key) => {
                let t = self.tensor_temp(Val::Passive(ts), at)?;
                self.bind(name, key, BKind::Active { temp: t, by_ref: false }, mutable);
            }
            Val::Passive(ts) if forced => {
                let op = self.operand(Val::Passive(ts), at)?;
                let t = self.temp(Ty::Float, true);
                self.emit(Stmt::Copy { dst: t, src: op });
                self.bind(name, key, BKind::Active { temp: t, by_ref: false }, mutable);
            }
            Val::Passive(ts) => {
                let m = mutable.then(|| quote!(mut));
                self.emit(Stmt::Verbatim(quote!(let #m #name = #ts;)));
                let uid = self.bind(name, key, BKind::Passive, mutable);
                if self.looks_tensor(at) {
                    self.passive_tensors.insert(uid);
                }
            }
        }
        Ok(())
    }

    fn lower_assign(&mut self, lhs: &Expr, op: Option<&'static str>, rhs: &Expr, whole: &Expr) -> Result<()> {
        if let Expr::Index(ix) = strip(lhs) {
            if let Some(done) = self.lower_store(ix, op, rhs, whole)? {
                return Ok(done);
            }
        }
        let Expr::Path(p) = strip(lhs) else {
            if self.mentions_active(whole) {
                return self.err(
                    lhs,
                    "#[differentiable]: differentiated values can be stored only in local variables and in local arrays created in the body (`let mut v = vec![0.0; n]; v[i] = ..`), not in parameters or fields",
                );
            }
            self.emit(Stmt::Verbatim(quote!(#whole;)));
            return Ok(());
        };
        let Some(id) = p.path.get_ident() else {
            return self.err(lhs, "#[differentiable]: assignment to a path is not supported");
        };
        let Some(b) = self.env.lookup(&id.to_string()).cloned() else {
            if self.mentions_active(rhs) {
                return self.err(lhs, "#[differentiable]: cannot assign a differentiated value to a variable declared outside the function");
            }
            self.emit(Stmt::Verbatim(quote!(#whole;)));
            return Ok(());
        };
        match b.kind {
            BKind::Active { temp, .. } if self.temps[temp.0].ty == Ty::Tensor => {
                let v = self.lower_expr(rhs)?;
                let new = match op {
                    None => self.tensor_temp(v, rhs)?,
                    Some(name) => {
                        let Some(rule) = crate::tensor_rules::binop(name) else {
                            return self.err(whole, "#[differentiable]: this compound assignment is not supported on matrices");
                        };
                        match self.tensor_op(rule, vec![(Val::Active(temp), lhs), (v, rhs)])? {
                            Val::Active(t) => t,
                            _ => unreachable!(),
                        }
                    }
                };
                self.set_active(b.uid, new);
                Ok(())
            }
            BKind::Place(_) => self.err(lhs, "#[differentiable]: cannot assign to a differentiated parameter or its fields"),
            BKind::Active { temp, .. } => {
                let v = self.lower_expr(rhs)?;
                let new = match op {
                    None => match v {
                        Val::Active(t) => t,
                        v => {
                            let src = self.operand(v, rhs)?;
                            let t = self.temp(Ty::Float, true);
                            self.emit(Stmt::Copy { dst: t, src });
                            t
                        }
                    },
                    Some(name) => {
                        let r = self.operand(v, rhs)?;
                        let prim = crate::rules::lookup(name).unwrap();
                        match self.op(prim, vec![Operand::Temp(temp), r]) {
                            Val::Active(t) => t,
                            _ => unreachable!(),
                        }
                    }
                };
                self.set_active(b.uid, new);
                Ok(())
            }
            BKind::Array(_) => self.err(lhs, "#[differentiable]: cannot assign to a differentiated parameter array"),
            BKind::View(_) => self.err(lhs, "#[differentiable]: cannot assign to a window or chunk of a differentiated array"),
            BKind::Passive => {
                if self.mentions_active(rhs) {
                    if b.key == 0 {
                        return self.err(
                            lhs,
                            format!("#[differentiable]: `{id}` is not differentiated (not in `wrt`), but a differentiated value is assigned to it"),
                        );
                    }
                    // This variable holds differentiated values: lower it again as active.
                    let tensor = match self.lower_expr(rhs) {
                        Err(e) if self.restart.is_some() => return Err(e),
                        Ok(v) => self.is_tensor(&v),
                        Err(_) => false,
                    };
                    self.restart_tensor = tensor || (op.is_some() && self.passive_tensors.contains(&b.uid));
                    self.restart = Some(b.key);
                    return self.err(lhs, "restart");
                }
                self.emit(Stmt::Verbatim(quote!(#whole;)));
                Ok(())
            }
        }
    }

    /// Code kept as written beside differentiated values must not change
    /// variables: the assignment would not be differentiated (`assert!({ s
    /// = x; true })` left `s` without its derivative).
    pub(super) fn no_writes(&self, ts: &TokenStream, what: &str) -> Result<()> {
        match super::first_write(ts) {
            Some(at) => Err(syn::Error::new(at, format!("#[differentiable]: {what} reads differentiated values and is kept as written, so it may not assign or borrow `&mut` here (that change would not be differentiated); assign in a statement of its own"))),
            None => Ok(()),
        }
    }

    /// Lowers a condition into a boolean temporary.
    pub(super) fn cond(&mut self, e: &Expr) -> Result<Temp> {
        if let Expr::Let(l) = strip(e) {
            return self.err(l, "#[differentiable] does not support `if let`/`while let`; use `match` on integers or booleans, or plain conditions");
        }
        if self.mentions_active(e) {
            self.no_writes(&e.to_token_stream(), "this condition")?;
        }
        Ok(self.capture(Ty::Bool, quote!(#e)))
    }

    /// Lowers `if` (structured: no early exit inside). Returns its value when `want` is set.
    pub(super) fn lower_if(&mut self, i: &syn::ExprIf, want: bool) -> Result<Val> {
        let c = self.cond(&i.cond)?;
        let els: Option<&Expr> = i.else_branch.as_ref().map(|(_, e)| &**e);
        self.branches(c, want, &mut |s| s.lower_block_value(&i.then_branch, want), &mut |s| match els {
            Some(e) => s.lower_branch_expr(e, want),
            None => Ok(Val::Passive(quote!(()))),
        })
    }

    fn lower_branch_expr(&mut self, e: &Expr, want: bool) -> Result<Val> {
        match strip(e) {
            Expr::Block(b) => self.lower_block_value(&b.block, want),
            Expr::If(i) => self.lower_if(i, want),
            e if want => self.lower_expr(e),
            e => self.lower_expr_stmt(e).map(|_| Val::Passive(quote!(()))),
        }
    }

    /// Two branches on `c`; merges the active bindings they update, and their
    /// values when `want` is set.
    pub(super) fn branches(
        &mut self,
        c: Temp,
        want: bool,
        then: &mut dyn FnMut(&mut Self) -> Result<Val>,
        els: &mut dyn FnMut(&mut Self) -> Result<Val>,
    ) -> Result<Val> {
        let before = self.env.clone();
        let mut v1 = None;
        let mut b1 = self.block(|s| {
            v1 = Some(then(s)?);
            Ok(())
        })?;
        let env1 = std::mem::replace(&mut self.env, before.clone());
        let mut v2 = None;
        let mut b2 = self.block(|s| {
            v2 = Some(els(s)?);
            Ok(())
        })?;
        let env2 = std::mem::replace(&mut self.env, before.clone());
        let t1: std::collections::HashMap<usize, Temp> = env1.active_temps().into_iter().collect();
        let t2: std::collections::HashMap<usize, Temp> = env2.active_temps().into_iter().collect();
        let mut merged = Vec::new();
        for (uid, t0) in before.active_temps() {
            let (a, b) = (t1.get(&uid).copied().unwrap_or(t0), t2.get(&uid).copied().unwrap_or(t0));
            if a != t0 || b != t0 {
                let m = self.temp(self.temps[t0.0].ty, true);
                b1.push(Stmt::Copy { dst: m, src: Operand::Temp(a) });
                b2.push(Stmt::Copy { dst: m, src: Operand::Temp(b) });
                merged.push((uid, m));
            }
        }
        let mut result = Val::Passive(quote!(()));
        if want {
            let (v1, v2) = (v1.unwrap(), v2.unwrap());
            let tensor = self.is_tensor(&v1) || self.is_tensor(&v2);
            let any_active = tensor || matches!(v1, Val::Active(_)) || matches!(v2, Val::Active(_));
            let ty = if tensor { Ty::Tensor } else if any_active { Ty::Float } else { Ty::Inferred };
            let m = self.temp(ty, any_active);
            for (b, v) in [(&mut b1, v1), (&mut b2, v2)] {
                self.out.push(std::mem::take(b));
                let r = if tensor {
                    self.tensor_temp(v, &quote!()).map(|src| self.emit(Stmt::Copy { dst: m, src: Operand::Temp(src) }))
                } else if any_active {
                    self.operand(v, quote!()).map(|src| self.emit(Stmt::Copy { dst: m, src }))
                } else if let Val::Passive(ts) = v {
                    self.split_safe &= self.names_only_params(&ts);
                    self.emit(Stmt::Set { dst: m, expr: quote!(::core::option::Option::Some(#ts)) });
                    Ok(())
                } else {
                    Ok(())
                };
                *b = self.out.pop().unwrap();
                r?;
            }
            result = if any_active {
                Val::Active(m)
            } else {
                let id = crate::names::t(m);
                Val::Passive(quote!(#id.unwrap()))
            };
        }
        self.emit(Stmt::If { cond: c, then: b1, els: b2 });
        for (uid, m) in merged {
            self.set_active(uid, m);
        }
        self.realias_arrays();
        Ok(result)
    }

    /// A block's statements then its tail value, in a nested scope.
    pub(super) fn lower_block_value(&mut self, b: &syn::Block, want: bool) -> Result<Val> {
        let before = self.env.active_temps();
        self.env.push();
        let mut val = Val::Passive(quote!(()));
        let block = self.block(|s| {
            let n = b.stmts.len();
            for (i, st) in b.stmts.iter().enumerate() {
                if diverges(st) {
                    return s.err(
                        st,
                        "#[differentiable]: `return`/`break`/`continue` is supported in statement position only (not inside a block used as a value)",
                    );
                }
                match st {
                    SStmt::Expr(e, None) if i + 1 == n && want => {
                        let v = s.lower_expr(e)?;
                        // The value may name variables of this scope: capture it here.
                        val = match v {
                            Val::Passive(ts) if !super::expr::is_literal(&ts) => {
                                let t = s.capture(Ty::Inferred, ts);
                                let id = crate::names::t(t);
                                Val::Passive(quote!(#id.unwrap()))
                            }
                            v => v,
                        };
                    }
                    _ => s.lower_stmt(st)?,
                }
            }
            Ok(())
        });
        self.env.pop();
        let block = block?;
        self.emit(Stmt::Scope(block));
        self.realias_arrays();
        // Assignments inside the scope to outer bindings: re-alias them outside.
        let after: std::collections::HashMap<usize, Temp> = self.env.active_temps().into_iter().collect();
        for (uid, t0) in before {
            if let Some(&t) = after.get(&uid) {
                if t != t0 {
                    self.set_active(uid, t);
                }
            }
        }
        Ok(val)
    }

    /// `match` on a passive scrutinee, lowered as an if-chain with `matches!`.
    pub(super) fn lower_match(&mut self, m: &syn::ExprMatch, want: bool) -> Result<Val> {
        let scrut = self.match_scrutinee(m)?;
        self.match_arms(&scrut, &m.arms, want)
    }

    fn match_scrutinee(&mut self, m: &syn::ExprMatch) -> Result<TokenStream> {
        let v = self.lower_expr(&m.expr)?;
        let Val::Passive(ts) = v else {
            return self.err(&m.expr, "#[differentiable]: `match` on a differentiated value is not supported; match on integers or booleans");
        };
        for arm in &m.arms {
            check_arm_pat(&arm.pat)?;
        }
        let id = syn::Ident::new(&format!("__gd_m{}", self.next_uid()), m.expr.span());
        self.emit(Stmt::Verbatim(quote!(let #id = #ts;)));
        Ok(quote!(#id))
    }

    fn arm_cond(&mut self, scrut: &TokenStream, arm: &syn::Arm) -> Result<Temp> {
        let pat = &arm.pat;
        let guard = arm.guard.as_ref().map(|(i, g)| quote!(#i #g));
        if let Some((_, g)) = arm.guard.as_ref().filter(|(_, g)| self.mentions_active(g)) {
            self.no_writes(&g.to_token_stream(), "this guard")?;
        }
        Ok(self.capture(Ty::Bool, quote!(::core::matches!(#scrut, #pat #guard))))
    }

    fn match_arms(&mut self, scrut: &TokenStream, arms: &[syn::Arm], want: bool) -> Result<Val> {
        match arms {
            [] => Ok(Val::Passive(quote!(()))),
            [last] => self.lower_branch_expr(&last.body, want),
            [first, rest @ ..] => {
                let c = self.arm_cond(scrut, first)?;
                self.branches(c, want, &mut |s| s.lower_branch_expr(&first.body, want), &mut |s| {
                    s.match_arms(scrut, rest, want)
                })
            }
        }
    }

    // ---- early exits ----

    /// Lowers a statement that exits early somewhere inside; the frames after
    /// it are lowered on the paths that fall through.
    pub(super) fn lower_diverging(&mut self, s: &SStmt, rest: &[Frame<'_>]) -> Result<()> {
        match s {
            SStmt::Expr(e, _) => self.lower_diverging_expr(e, rest),
            _ => self.err(s, "#[differentiable]: `return`/`break`/`continue` is supported in statement position only"),
        }
    }

    pub(super) fn lower_diverging_expr(&mut self, e: &Expr, rest: &[Frame<'_>]) -> Result<()> {
        match strip(e) {
            Expr::Return(r) => {
                let tensor = matches!(self.sig.out, crate::sig::Output::Tensor);
                if !tensor && !matches!(self.sig.out, crate::sig::Output::Scalar) {
                    return self.err(r, "#[differentiable]: early `return` in a function returning a Vec, an array or a tuple is not supported yet; end the body with the output");
                }
                let v = match &r.expr {
                    Some(x) => self.lower_expr(x)?,
                    None => return self.err(r, "#[differentiable]: `return` needs a value"),
                };
                // A matrix result is copied into the result temporary like a
                // float one (the reverse sweep takes the path that ran).
                let op = if tensor { Operand::Temp(self.tensor_temp(v, r)?) } else { self.operand(v, r)? };
                self.emit(Stmt::Copy { dst: self.ret, src: op });
                if !self.loops.is_empty() {
                    self.emit(Stmt::Set { dst: self.returned, expr: quote!(true) });
                    self.exit_loop(true);
                }
                Ok(())
            }
            Expr::Break(b) => {
                if b.expr.is_some() {
                    return self.err(b, "#[differentiable]: `break` with a value is not supported");
                }
                self.exit_to(b.label.as_ref(), true)
            }
            Expr::Continue(c) => self.exit_to(c.label.as_ref(), false),
            Expr::If(i) => {
                let c = self.cond(&i.cond)?;
                let els: Option<&Expr> = i.else_branch.as_ref().map(|(_, e)| &**e);
                self.diverging_branches(
                    c,
                    &mut |s| {
                        s.env.push();
                        let mut fr = vec![Frame::Stmts(&i.then_branch.stmts), Frame::PopScope];
                        fr.extend_from_slice(rest);
                        s.run(&fr)
                    },
                    &mut |s| {
                        let mut fr = Vec::new();
                        if let Some(e) = els {
                            fr.push(Frame::Expr(e));
                        }
                        fr.extend_from_slice(rest);
                        s.run(&fr)
                    },
                )
            }
            Expr::Block(b) if b.label.is_none() => {
                self.env.push();
                let mut fr = vec![Frame::Stmts(&b.block.stmts), Frame::PopScope];
                fr.extend_from_slice(rest);
                self.run(&fr)
            }
            Expr::Match(m) => {
                let scrut = self.match_scrutinee(m)?;
                self.diverging_arms(&scrut, &m.arms, rest)
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                // A loop that may `return` or leave a labelled loop around
                // it: after it, continue only if it did neither.
                self.next_exits = true;
                self.lower_expr_stmt(e)?;
                self.next_exits = false;
                let mut exits = vec![(self.returned, Exit::Out)];
                if let Some((cur, outer)) = self.loops.split_last() {
                    if let Some((_, b, c)) = cur.label {
                        exits.extend([(b, Exit::Break), (c, Exit::Continue)]);
                    }
                    exits.extend(outer.iter().filter_map(|l| l.label.as_ref()).flat_map(|&(_, b, c)| [(b, Exit::Out), (c, Exit::Out)]));
                }
                self.after_loop(&exits, rest)
            }
            _ => self.err(e, "#[differentiable]: `return`/`break`/`continue` is supported in statement position only (not inside an expression)"),
        }
    }

    /// The function's tail expression when it returns from inside: each
    /// branch ends the function, with its own tail value or `return`.
    pub(super) fn lower_diverging_tail(&mut self, e: &Expr) -> Result<()> {
        fn split(b: &syn::Block) -> (&[SStmt], Option<&Expr>) {
            match b.stmts.last() {
                Some(SStmt::Expr(t, None)) => (&b.stmts[..b.stmts.len() - 1], Some(t)),
                _ => (&b.stmts[..], None),
            }
        }
        match strip(e) {
            Expr::Block(b) if b.label.is_none() => {
                let (body, tail) = split(&b.block);
                self.env.push();
                self.run(&[Frame::Stmts(body), Frame::FnEnd(tail)])
            }
            Expr::If(i) => {
                let c = self.cond(&i.cond)?;
                let els: Option<&Expr> = i.else_branch.as_ref().map(|(_, e)| &**e);
                let (body, tail) = split(&i.then_branch);
                self.diverging_branches(
                    c,
                    &mut |s| {
                        s.env.push();
                        s.run(&[Frame::Stmts(body), Frame::FnEnd(tail)])
                    },
                    &mut |s| s.run(&[Frame::FnEnd(els)]),
                )
            }
            Expr::Match(m) => {
                let scrut = self.match_scrutinee(m)?;
                self.tail_arms(&scrut, &m.arms)
            }
            Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_) => self.lower_expr_stmt(e),
            Expr::Return(_) => self.lower_diverging_expr(e, &[]),
            _ => self.err(e, "#[differentiable]: `return` inside this expression is not supported; return from an `if`, `match` or block in statement position"),
        }
    }

    fn tail_arms(&mut self, scrut: &TokenStream, arms: &[syn::Arm]) -> Result<()> {
        match arms {
            [] => Ok(()),
            [last] => self.run(&[Frame::FnEnd(Some(&last.body))]),
            [first, more @ ..] => {
                let c = self.arm_cond(scrut, first)?;
                self.diverging_branches(c, &mut |s| s.run(&[Frame::FnEnd(Some(&first.body))]), &mut |s| s.tail_arms(scrut, more))
            }
        }
    }

    fn diverging_arms(&mut self, scrut: &TokenStream, arms: &[syn::Arm], rest: &[Frame<'_>]) -> Result<()> {
        match arms {
            [] => self.run(rest),
            [last] => {
                let mut fr = vec![Frame::Expr(&last.body)];
                fr.extend_from_slice(rest);
                self.run(&fr)
            }
            [first, more @ ..] => {
                let c = self.arm_cond(scrut, first)?;
                self.diverging_branches(
                    c,
                    &mut |s| {
                        let mut fr = vec![Frame::Expr(&first.body)];
                        fr.extend_from_slice(rest);
                        s.run(&fr)
                    },
                    &mut |s| s.diverging_arms(scrut, more, rest),
                )
            }
        }
    }

    /// Two branches that each lower the rest of the enclosing body themselves:
    /// nothing is merged afterwards.
    fn diverging_branches(
        &mut self,
        c: Temp,
        then: &mut dyn FnMut(&mut Self) -> Result<()>,
        els: &mut dyn FnMut(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let before = self.env.clone();
        let b1 = self.block(|s| then(s))?;
        self.env = before.clone();
        let b2 = self.block(|s| els(s))?;
        self.env = before;
        self.emit(Stmt::If { cond: c, then: b1, els: b2 });
        self.realias_arrays();
        Ok(())
    }

    /// `break`/`continue`, of the innermost loop or of the labelled one. A
    /// loop further out is reached through its flag, which each loop in
    /// between checks when it ends (`after_loop`), as for `return`.
    fn exit_to(&mut self, label: Option<&syn::Lifetime>, brk: bool) -> Result<()> {
        let Some(l) = label else {
            self.exit_loop(brk);
            return Ok(());
        };
        let name = l.ident.to_string();
        let Some(i) = self.loops.iter().rposition(|c| c.label.as_ref().is_some_and(|(n, ..)| *n == name)) else {
            return self.err(l, "#[differentiable]: this label names no loop around it (labelled blocks are not supported)");
        };
        if i + 1 < self.loops.len() {
            let (_, b, c) = self.loops[i].label.clone().unwrap();
            self.emit(Stmt::Set { dst: if brk { b } else { c }, expr: quote!(true) });
            self.exit_loop(true);
        } else {
            self.exit_loop(brk);
        }
        Ok(())
    }

    /// After a loop that may have exited further out: each flag in turn (a
    /// fresh copy of it: the flag may be set again later, and the reverse
    /// sweep must replay the branch as it was taken here), then `rest`.
    fn after_loop(&mut self, exits: &[(Temp, Exit)], rest: &[Frame<'_>]) -> Result<()> {
        let Some((&(flag, exit), more)) = exits.split_first() else {
            return self.run(rest);
        };
        let f = crate::names::t(flag);
        let taken = self.capture(Ty::Bool, quote!(#f));
        self.diverging_branches(
            taken,
            &mut |s| {
                match exit {
                    // `return`, or a labelled exit of a loop further out.
                    Exit::Out if s.loops.is_empty() => {}
                    Exit::Out => s.exit_loop(true),
                    // This loop's own label: done with the flag.
                    Exit::Break | Exit::Continue => {
                        s.emit(Stmt::Set { dst: flag, expr: quote!(false) });
                        s.exit_loop(exit == Exit::Break);
                    }
                }
                Ok(())
            },
            &mut |s| s.after_loop(more, rest),
        )
    }

    /// Leaves the current loop iteration: skip to the end of the body.
    fn exit_loop(&mut self, brk: bool) {
        if brk {
            let b = self.loops.last().unwrap().brk;
            self.emit(Stmt::Set { dst: b, expr: quote!(true) });
        }
        self.loop_end();
    }

    // ---- loops ----

    fn lower_for(&mut self, f: &syn::ExprForLoop) -> Result<()> {
        // Set just before the loop is lowered: the iterator's own lowering
        // must not take it.
        let label = f.label.as_ref().map(|l| l.name.ident.to_string());
        let checkpoint = crate::attr::checkpoint(&f.attrs)?;
        let body = &f.body.stmts;
        if let Some((place, enumerate)) = self.place_iter(&f.expr)? {
            self.next_label = label;
            self.next_checkpoint = checkpoint;
            return self.lower_place_loop(place, enumerate, &f.pat, body);
        }
        if let Some(it) = self.active_iter(&f.expr)? {
            let (head, k) = self.index_head(&it);
            self.next_label = label;
            self.next_checkpoint = checkpoint;
            let pat = &*f.pat;
            return self.lower_loop(head, &mut |s| {
                let item = s.item_at(&it, &k);
                s.bind_pat(pat, item)?;
                s.run(&[Frame::Stmts(body), Frame::LoopEnd])
            });
        }
        let pat = &f.pat;
        let iter = &f.expr;
        let head = LoopHead::For { pat: quote!(#pat), iter: quote!(#iter) };
        let names: Vec<syn::Ident> = pat_idents(pat).into_iter().cloned().collect();
        self.next_label = label;
        self.next_checkpoint = checkpoint;
        self.lower_loop(head, &mut |s| {
            for n in &names {
                s.bind(n, 0, BKind::Passive, false);
            }
            s.run(&[Frame::Stmts(body), Frame::LoopEnd])
        })
    }

    fn lower_while(&mut self, w: &syn::ExprWhile) -> Result<()> {
        self.next_label = w.label.as_ref().map(|l| l.name.ident.to_string());
        self.next_checkpoint = crate::attr::checkpoint(&w.attrs)?;
        let body = &w.body.stmts;
        self.lower_loop(LoopHead::Loop, &mut |s| {
            let c = s.cond(&w.cond)?;
            s.diverging_branches(
                c,
                &mut |s| s.run(&[Frame::Stmts(body), Frame::LoopEnd]),
                &mut |s| {
                    s.exit_loop(true);
                    Ok(())
                },
            )
        })
    }

    fn lower_loop_expr(&mut self, l: &syn::ExprLoop) -> Result<()> {
        self.next_label = l.label.as_ref().map(|lb| lb.name.ident.to_string());
        self.next_checkpoint = crate::attr::checkpoint(&l.attrs)?;
        let body = &l.body.stmts;
        self.lower_loop(LoopHead::Loop, &mut |s| s.run(&[Frame::Stmts(body), Frame::LoopEnd]))
    }
}

/// What a flag checked after a loop does (`after_loop`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// Leave this loop too (or, outside loops, end the function's path).
    Out,
    /// `break`/`continue` of this loop, which the flag's label names.
    Break,
    Continue,
}

pub(super) fn assign_op(op: &syn::BinOp) -> Option<&'static str> {
    Some(match op {
        syn::BinOp::AddAssign(_) => "add",
        syn::BinOp::SubAssign(_) => "sub",
        syn::BinOp::MulAssign(_) => "mul",
        syn::BinOp::DivAssign(_) => "div",
        syn::BinOp::RemAssign(_) => "rem",
        _ => return None,
    })
}

/// Match arm patterns may not bind names (they are tested with `matches!`).
fn check_arm_pat(p: &Pat) -> Result<()> {
    for id in pat_idents(p) {
        let s = id.to_string();
        if s.starts_with(|c: char| c.is_lowercase()) {
            return Err(syn::Error::new(
                id.span(),
                "#[differentiable]: match arms that bind names are not supported; match on literals, ranges and `_`",
            ));
        }
    }
    Ok(())
}

/// The names a pattern binds.
pub fn pat_idents(p: &Pat) -> Vec<&syn::Ident> {
    let mut v = Vec::new();
    fn go<'p>(p: &'p Pat, v: &mut Vec<&'p syn::Ident>) {
        match p {
            Pat::Ident(i) => {
                v.push(&i.ident);
                if let Some((_, s)) = &i.subpat {
                    go(s, v);
                }
            }
            Pat::Tuple(t) => t.elems.iter().for_each(|e| go(e, v)),
            Pat::TupleStruct(t) => t.elems.iter().for_each(|e| go(e, v)),
            Pat::Reference(r) => go(&r.pat, v),
            Pat::Type(t) => go(&t.pat, v),
            Pat::Paren(p) => go(&p.pat, v),
            Pat::Or(o) => o.cases.iter().take(1).for_each(|e| go(e, v)),
            Pat::Slice(s) => s.elems.iter().for_each(|e| go(e, v)),
            Pat::Struct(s) => s.fields.iter().for_each(|f| go(&f.pat, v)),
            _ => {}
        }
    }
    go(p, &mut v);
    v
}

impl Lowerer<'_> {
    /// A call that may be of a vector-valued `#[differentiable]` function: a
    /// named function (`f`, `module::f`, `Self::f`, and `self.f(..)` in an
    /// `impl` as `Self::f(self, ..)`), not a float function (`f64::sin`), a
    /// library function or a constructor (`Vec::new()`, `Vec::from(..)`,
    /// `DVector::from_element(..)`), which the lowering knows or refuses
    /// elsewhere.
    fn outputs_call(&self, e: &Expr) -> Result<Option<syn::ExprCall>> {
        let c = match strip(e) {
            Expr::Call(c) => c.clone(),
            Expr::MethodCall(m) => return self.own_method_call(m),
            _ => return Ok(None),
        };
        let Expr::Path(p) = strip(&c.func) else { return Ok(None) };
        let segs: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
        let own = segs.len() == 2 && segs[0] == "Self";
        let library = matches!(segs[0].as_str(), "std" | "core" | "alloc" | "f64" | "f32");
        let typed = segs.iter().any(|s| s.starts_with(char::is_uppercase));
        Ok((own || !(library || typed)).then_some(c))
    }
}

/// `Vec<F>` or `[F; N]`: a type a vector-valued callee's output is bound as.
fn is_float_array_type(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Array(_) => true,
        syn::Type::Path(p) => p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Vec"),
        _ => false,
    }
}
