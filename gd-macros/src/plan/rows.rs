//! Row slices for reads of data at `base + j` in loops over `lo..hi`.
//!
//! A nested reduction over data written with flat indices
//! (`a[i * d + j]` in `for j in 0..d`) bounds-checks every element: the
//! compiler cannot prove `i * d + j < a.len()` (the sum may wrap), so each
//! pass over the row (the sum, its adjoint, a replay) pays a compare and a
//! branch per element and does not vectorize, where a hand-written gradient
//! takes the row as a slice once. So does this plan, without changing what
//! the code does: before the loop, for each such read it takes
//! `a.get(base + lo..base + hi)` (with checked adds); when every one is in
//! bounds the loop runs a copy of itself that reads `row[j - lo]`, which is
//! `a[base + j]` for every trip and needs no check; otherwise (a read out of
//! bounds, an overflow, an empty range) it runs as written, panicking where
//! the user's code does.
//!
//! A read qualifies when it sits in a passive `Set` at the top level of the
//! body of an innermost loop (the copy doubles the loop's code), reads an array parameter (a slice, `Vec` or array: `get`
//! takes a range) that the function never binds again, at an index that is
//! the loop's variable plus terms free of it (`j`, `i * d + j`,
//! `j + (i - 1) * d + 1`; the variable also under a name bound to it once,
//! `let j = __gd_e9;`, as the lowering of `(0..d).map(|j| ..)` writes it),
//! and those terms, `lo` and `hi` are pure code whose
//! names the body neither binds nor changes: the values taken before the
//! loop are the ones each trip computes.

use std::collections::{HashMap, HashSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, ToTokens};
use syn::visit_mut::VisitMut;

use super::retake::bound_or_changed;
use super::user_code::{idents, pure};
use crate::ir::*;

/// A loop's row slices.
#[derive(Clone)]
pub struct Rows {
    /// The range's bounds, as written.
    pub lo: TokenStream,
    pub hi: TokenStream,
    /// Each row: the array and the base of its index.
    pub rows: Vec<(Ident, TokenStream)>,
    /// The `Set`s that read rows, with their expressions rewritten.
    pub sets: HashMap<Temp, TokenStream>,
}

/// `__gd_row{loop}_{k}`: row `k` of a loop.
pub fn row(count: Temp, k: usize) -> Ident {
    Ident::new(&format!("__gd_row{}_{}", count.0, k), Span::call_site())
}

/// `__gd_lo{loop}`: the loop's first item.
pub fn lo(count: Temp) -> Ident {
    Ident::new(&format!("__gd_lo{}", count.0), Span::call_site())
}

/// The loops (by trip count, at any depth) that read rows. `arrays`: the
/// names of the function's array parameters.
pub fn plan(body: &Block, arrays: &[Ident]) -> HashMap<Temp, Rows> {
    let rebound = bound_or_changed(body);
    let arrays: HashSet<String> = arrays.iter().map(|a| a.to_string()).filter(|a| !rebound.contains(a)).collect();
    let mut out = HashMap::new();
    for l in crate::plan::loops(body) {
        if let Some(r) = of_loop(l, &arrays) {
            out.insert(l.count, r);
        }
    }
    out
}

fn of_loop(l: &Loop, arrays: &HashSet<String>) -> Option<Rows> {
    let LoopHead::For { pat, iter } = &l.head else { return None };
    // Innermost loops only: the copy doubles a loop's code, and a loop
    // around others would double theirs again, for one check per trip.
    if !crate::plan::loops(&l.body).is_empty() {
        return None;
    }
    let var = syn::parse2::<syn::Ident>(pat.clone()).ok()?;
    let syn::Expr::Range(r) = crate::syntax::strip(&syn::parse2::<syn::Expr>(iter.clone()).ok()?).clone() else { return None };
    let (Some(lo), Some(hi), syn::RangeLimits::HalfOpen(_)) = (r.start, r.end, r.limits) else { return None };
    let changed = bound_or_changed(&l.body);
    // `let j = j + 1;` in the body: a read of `base + j` is no longer at `base + item`.
    if changed.contains(&var.to_string()) {
        return None;
    }
    // Code evaluated before the loop that each trip evaluates again.
    let steady = |ts: &TokenStream| {
        let mut names = HashSet::new();
        idents(ts, &mut names);
        pure(ts) && !names.contains(&var.to_string()) && names.iter().all(|n| !changed.contains(n) && !n.starts_with("__gd_"))
    };
    let (lo, hi) = (lo.to_token_stream(), hi.to_token_stream());
    if !steady(&lo) || !steady(&hi) {
        return None;
    }
    let mut rewrite = Rewrite { count: l.count, var: &var, aliases: HashSet::new(), arrays, changed: &changed, steady: &steady, rows: Vec::new(), hits: 0 };
    let mut sets = HashMap::new();
    let once = bound_once(&l.body);
    for s in &l.body {
        // `let j = __gd_e9;`: the lowering's name for an iterator's item
        // given the user's (`.map(|j| ..)`), which the reads below use.
        if let Some(name) = alias_of(s, &var).filter(|n| once.contains(n)) {
            rewrite.aliases.insert(name);
        }
        let Stmt::Set { dst, expr } = s else { continue };
        if !pure(expr) {
            continue;
        }
        let Ok(mut e) = syn::parse2::<syn::Expr>(expr.clone()) else { continue };
        rewrite.hits = 0;
        rewrite.visit_expr_mut(&mut e);
        if rewrite.hits > 0 {
            sets.insert(*dst, e.to_token_stream());
        }
    }
    (!sets.is_empty()).then(|| Rows { lo, hi, rows: rewrite.rows, sets })
}

/// `name` when the statement is `let name = var;` (immutable).
fn alias_of(s: &Stmt, var: &Ident) -> Option<String> {
    let Stmt::Verbatim(ts) = s else { return None };
    let Ok(syn::Stmt::Local(local)) = syn::parse2::<syn::Stmt>(ts.clone()) else { return None };
    match (&local.pat, &local.init) {
        (syn::Pat::Ident(pi), Some(init)) if pi.mutability.is_none() && pi.by_ref.is_none() && pi.subpat.is_none() && init.diverge.is_none() => {
            matches!(crate::syntax::strip(&init.expr), syn::Expr::Path(p) if p.path.is_ident(var)).then(|| pi.ident.to_string())
        }
        _ => None,
    }
}

/// The names a block binds exactly once (by `let`, an alias or a loop's
/// pattern, nested blocks included).
fn bound_once(b: &Block) -> HashSet<String> {
    fn count(b: &Block, n: &mut HashMap<String, usize>) {
        for s in b {
            let mut here = HashSet::new();
            match s {
                Stmt::Alias { name, .. } | Stmt::AliasArr { name, .. } => {
                    here.insert(name.to_string());
                }
                Stmt::Verbatim(ts) if crate::plan::user_code::is_let(ts) => crate::plan::user_code::let_names(ts, &mut here),
                Stmt::Loop(l) => {
                    if let LoopHead::For { pat, .. } = &l.head {
                        idents(pat, &mut here);
                    }
                }
                _ => {}
            }
            for name in here {
                *n.entry(name).or_insert(0) += 1;
            }
            s.children().into_iter().for_each(|c| count(c, n));
        }
    }
    let mut n = HashMap::new();
    count(b, &mut n);
    n.into_iter().filter(|(_, k)| *k == 1).map(|(name, _)| name).collect()
}

struct Rewrite<'a, F: Fn(&TokenStream) -> bool> {
    count: Temp,
    var: &'a Ident,
    /// Names bound to the loop's variable (see `alias_of`), from their `let` on.
    aliases: HashSet<String>,
    arrays: &'a HashSet<String>,
    changed: &'a HashSet<String>,
    steady: &'a F,
    rows: Vec<(Ident, TokenStream)>,
    /// Reads rewritten in the expression being visited.
    hits: usize,
}

impl<F: Fn(&TokenStream) -> bool> Rewrite<'_, F> {
    /// `Some(base)` when `e` is the loop variable plus terms free of it.
    fn base(&self, e: &syn::Expr) -> Option<TokenStream> {
        let has_var = |e: &syn::Expr| {
            let mut names = HashSet::new();
            idents(&e.to_token_stream(), &mut names);
            names.contains(&self.var.to_string()) || names.iter().any(|n| self.aliases.contains(n))
        };
        match crate::syntax::strip(e) {
            syn::Expr::Path(p) if p.path.is_ident(self.var) || p.path.get_ident().is_some_and(|i| self.aliases.contains(&i.to_string())) => Some(quote!(0usize)),
            syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) => {
                let (l, r) = (&*b.left, &*b.right);
                if !has_var(r) {
                    let bl = self.base(l)?;
                    Some(quote!((#bl + (#r))))
                } else if !has_var(l) {
                    let br = self.base(r)?;
                    Some(quote!(((#l) + #br)))
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

impl<F: Fn(&TokenStream) -> bool> VisitMut for Rewrite<'_, F> {
    // A closure's parameters may shadow the loop's variable.
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}

    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        if let syn::Expr::Index(ix) = e {
            let array = match &*ix.expr {
                syn::Expr::Path(p) => p.path.get_ident().filter(|a| self.arrays.contains(&a.to_string()) && !self.changed.contains(&a.to_string())).cloned(),
                _ => None,
            };
            if let (Some(a), Some(base)) = (array, self.base(&ix.index)) {
                if (self.steady)(&base) {
                    let key = (a.to_string(), base.to_string());
                    let k = match self.rows.iter().position(|(b, t)| (b.to_string(), t.to_string()) == key) {
                        Some(k) => k,
                        None => {
                            self.rows.push((a, base));
                            self.rows.len() - 1
                        }
                    };
                    let (row, lo, var) = (row(self.count, k), lo(self.count), self.var);
                    *e = syn::parse_quote!(#row[#var - #lo]);
                    self.hits += 1;
                    return;
                }
            }
        }
        syn::visit_mut::visit_expr_mut(self, e);
    }
}
