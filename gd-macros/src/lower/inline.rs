//! Local closures called in the body: `let sig = |z: f64| 1.0 / (1.0 +
//! (-z).exp()); .. sig(w * x) ..`. Before lowering, each call is replaced
//! by the closure's body in a block that binds its parameters to the
//! arguments (`{ let __gd_c0 = w * x; let z: f64 = __gd_c0; 1.0 / .. }`),
//! and the `let` is dropped once no use of the name is left. The lowering
//! then differentiates the body where it is used, as if written there.
//!
//! A call is inlined only where the closure would see the same bindings it
//! captured: after a `let` (or a loop, closure or match pattern) that binds
//! its name or any name its body reads, later calls are left alone, and so
//! are closures that could `return`, are `move` or `async`, or take a
//! parameter that is not a plain name. A call left alone with differentiated
//! arguments is the lowering's spanned error ("a local value ..").

use std::collections::HashSet;

use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::visit_mut::VisitMut;

/// Inlines the calls of local closures in `block` (and the blocks in it).
pub fn local_closures(block: &mut syn::Block) {
    Blocks.visit_block_mut(block);
}

struct Blocks;

impl VisitMut for Blocks {
    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        syn::visit_mut::visit_block_mut(self, b);
        let mut i = 0;
        while i < b.stmts.len() {
            if let Some((name, c)) = closure_let(&b.stmts[i]) {
                let mut calls = Calls { name: name.clone(), closure: c.clone(), watched: watched(&name, &c), stopped: false, left: false };
                // The statements the closure's binding reaches: up to one
                // that binds a watched name (whose initializer it reaches).
                let mut end = b.stmts.len();
                for j in i + 1..b.stmts.len() {
                    calls.stmt(&mut b.stmts[j]);
                    if calls.stopped {
                        end = j;
                        break;
                    }
                }
                // Still used: named in what it reaches, and after that too
                // unless the statement that stopped binds the name itself.
                let (stop_init, rebinds_name) = match b.stmts.get(end) {
                    Some(syn::Stmt::Local(l)) => (l.init.as_ref().map(|i| &*i.expr), binds_watched(&l.pat, &[name.to_string()].into_iter().collect())),
                    _ => (None, false),
                };
                let after = if rebinds_name { end } else { b.stmts.len() };
                let used = mentions_name(&b.stmts[i + 1..after], &name) || stop_init.is_some_and(|e| mentions_name_expr(e, &name));
                if !calls.left && !used {
                    b.stmts.remove(i);
                    continue;
                }
            }
            i += 1;
        }
    }
}

/// `let name = |a, b: f64| body;` with a closure that can be inlined.
fn closure_let(st: &syn::Stmt) -> Option<(syn::Ident, syn::ExprClosure)> {
    let syn::Stmt::Local(l) = st else { return None };
    let syn::Pat::Ident(pi) = &l.pat else { return None };
    if pi.by_ref.is_some() || pi.subpat.is_some() {
        return None;
    }
    let init = l.init.as_ref().filter(|i| i.diverge.is_none())?;
    let syn::Expr::Closure(c) = &*init.expr else { return None };
    let plain = c.inputs.iter().all(|p| matches!(param_ident(p), Some(_)));
    let ok = plain && c.capture.is_none() && c.asyncness.is_none() && c.constness.is_none() && c.movability.is_none() && !super::sugar::returns(&c.body);
    ok.then(|| (pi.ident.clone(), c.clone()))
}

/// The name a closure parameter binds (`v` or `v: f64`).
fn param_ident(p: &syn::Pat) -> Option<&syn::Ident> {
    match p {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => Some(&pi.ident),
        syn::Pat::Type(t) => param_ident(&t.pat),
        _ => None,
    }
}

/// The closure's name and every other name its body reads (its own
/// parameters are its own).
fn watched(name: &syn::Ident, c: &syn::ExprClosure) -> HashSet<String> {
    let mut out = HashSet::new();
    collect_idents(&c.body, &mut out);
    for p in &c.inputs {
        if let Some(id) = param_ident(p) {
            out.remove(&id.to_string());
        }
    }
    out.insert(name.to_string());
    out
}

/// Every identifier in the expression's tokens, macro arguments included
/// (more than the names it reads: field and method names too, which only
/// makes the rules stricter).
fn collect_idents(e: &syn::Expr, out: &mut HashSet<String>) {
    fn go(ts: proc_macro2::TokenStream, out: &mut HashSet<String>) {
        for t in ts {
            match t {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                proc_macro2::TokenTree::Group(g) => go(g.stream(), out),
                _ => {}
            }
        }
    }
    go(quote::ToTokens::to_token_stream(e), out);
}

/// Does a pattern bind one of the watched names?
fn binds_watched(p: &syn::Pat, watched: &HashSet<String>) -> bool {
    struct V<'w>(&'w HashSet<String>, bool);
    impl<'ast> syn::visit::Visit<'ast> for V<'_> {
        fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
            self.1 |= self.0.contains(&i.ident.to_string());
            syn::visit::visit_pat_ident(self, i);
        }
    }
    let mut v = V(watched, false);
    syn::visit::Visit::visit_pat(&mut v, p);
    v.1
}

/// Does a condition hold a `let` pattern that binds a watched name?
fn lets_bind_watched(cond: &syn::Expr, watched: &HashSet<String>) -> bool {
    struct V<'w>(&'w HashSet<String>, bool);
    impl<'ast> syn::visit::Visit<'ast> for V<'_> {
        fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
            self.1 |= binds_watched(&l.pat, self.0);
            syn::visit::visit_expr_let(self, l);
        }
    }
    let mut v = V(watched, false);
    syn::visit::Visit::visit_expr(&mut v, cond);
    v.1
}

fn mentions_name(stmts: &[syn::Stmt], name: &syn::Ident) -> bool {
    stmts.iter().any(|s| match s {
        syn::Stmt::Expr(e, _) => mentions_name_expr(e, name),
        syn::Stmt::Local(l) => l.init.as_ref().is_some_and(|i| mentions_name_expr(&i.expr, name) || i.diverge.as_ref().is_some_and(|d| mentions_name_expr(&d.1, name))),
        syn::Stmt::Macro(m) => {
            let mut found = HashSet::new();
            collect_idents(&syn::Expr::Macro(syn::ExprMacro { attrs: vec![], mac: m.mac.clone() }), &mut found);
            found.contains(&name.to_string())
        }
        syn::Stmt::Item(_) => false,
    })
}

fn mentions_name_expr(e: &syn::Expr, name: &syn::Ident) -> bool {
    let mut found = HashSet::new();
    collect_idents(e, &mut found);
    found.contains(&name.to_string())
}

/// Rewrites the calls of one closure in the statements after its `let`.
struct Calls {
    name: syn::Ident,
    closure: syn::ExprClosure,
    watched: HashSet<String>,
    /// A `let` at the closure's own level rebound a watched name: later
    /// statements see other bindings.
    stopped: bool,
    /// Some use of the name was not inlined (keep the `let`).
    left: bool,
}

impl Calls {
    fn stmt(&mut self, st: &mut syn::Stmt) {
        self.visit_stmt_mut(st);
        if let syn::Stmt::Local(l) = st {
            if binds_watched(&l.pat, &self.watched) {
                self.stopped = true;
            }
        }
    }

    fn inline(&self, call: &syn::ExprCall) -> Option<syn::Expr> {
        let c = &self.closure;
        if call.args.len() != c.inputs.len() {
            return None;
        }
        let sp = call.span();
        let temps: Vec<syn::Ident> = (0..call.args.len()).map(|i| syn::Ident::new(&format!("__gd_c{i}"), sp)).collect();
        let args = call.args.iter();
        let params = c.inputs.iter();
        let body = &c.body;
        let ret = c.output.clone();
        // Parenthesized: printed and parsed again (an outer closure's body
        // that holds this call is), `{ .. } * x` would start a statement.
        let value = match ret {
            syn::ReturnType::Type(_, ty) => quote_spanned!(sp=> { let __gd_r: #ty = (#body); __gd_r }),
            syn::ReturnType::Default => quote_spanned!(sp=> (#body)),
        };
        let t2 = temps.clone();
        syn::parse2(quote_spanned!(sp=> ({
            #(let #temps = #args;)*
            #(let #params = #t2;)*
            #value
        })))
        .ok()
    }
}

impl VisitMut for Calls {
    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        // Arguments first: `f(f(x))`.
        syn::visit_mut::visit_expr_mut(self, e);
        if let syn::Expr::Call(call) = e {
            if matches!(&*call.func, syn::Expr::Path(p) if p.path.is_ident(&self.name)) {
                match self.inline(call) {
                    Some(new) => *e = new,
                    None => self.left = true,
                }
            }
        }
    }

    fn visit_block_mut(&mut self, b: &mut syn::Block) {
        // A nested block: a rebinding inside it ends inlining there only.
        for i in 0..b.stmts.len() {
            self.visit_stmt_mut(&mut b.stmts[i]);
            if let syn::Stmt::Local(l) = &b.stmts[i] {
                if binds_watched(&l.pat, &self.watched) {
                    self.left |= mentions_name(&b.stmts[i + 1..], &self.name);
                    return;
                }
            }
        }
    }

    // `if let` / `while let`: the pattern's names reach the body.
    fn visit_expr_if_mut(&mut self, e: &mut syn::ExprIf) {
        if lets_bind_watched(&e.cond, &self.watched) {
            self.left = true;
            if let Some((_, els)) = &mut e.else_branch {
                self.visit_expr_mut(els);
            }
            return;
        }
        syn::visit_mut::visit_expr_if_mut(self, e);
    }

    fn visit_expr_while_mut(&mut self, e: &mut syn::ExprWhile) {
        if lets_bind_watched(&e.cond, &self.watched) {
            self.left = true;
            return;
        }
        syn::visit_mut::visit_expr_while_mut(self, e);
    }

    // Bindings that shadow a watched name for their body: leave it alone.
    fn visit_expr_closure_mut(&mut self, c: &mut syn::ExprClosure) {
        if c.inputs.iter().any(|p| binds_watched(p, &self.watched)) {
            self.left = true;
            return;
        }
        syn::visit_mut::visit_expr_closure_mut(self, c);
    }

    fn visit_expr_for_loop_mut(&mut self, f: &mut syn::ExprForLoop) {
        if binds_watched(&f.pat, &self.watched) {
            self.visit_expr_mut(&mut f.expr);
            self.left = true;
            return;
        }
        syn::visit_mut::visit_expr_for_loop_mut(self, f);
    }

    fn visit_arm_mut(&mut self, a: &mut syn::Arm) {
        if binds_watched(&a.pat, &self.watched) {
            self.left = true;
            return;
        }
        syn::visit_mut::visit_arm_mut(self, a);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}
