//! Rewrites of the body before lowering, into forms the lowering knows.
//!
//! `x.sin_cos()` becomes `(x.sin(), x.cos())` (see `sin_cos`); `let v =
//! xs.to_vec();` a local array filled by a loop (see `to_vec_loop`); `let
//! (a, b) = xs.split_at(k);` two sub-slices (`split_at`); `first`, `last`
//! and `get` through `Option` indexing (`element_access`); a `fold` over a
//! tuple of accumulators a loop (`tuple_fold`).
//!
//! `.map(f64::exp)` and `.fold(f64::NEG_INFINITY, f64::max)` name a float
//! method where the lowering wants a closure: they become `.map(|v|
//! f64::exp(v))` and `.fold(.., |a, b| f64::max(a, b))`, with the path's
//! span (an error in the method points at it). Only paths through `f64`
//! or `f32` are rewritten: any other name could be a local closure, which a
//! call would not mean the same as.
//!
//! `let v: Vec<f64> = CHAIN.map(|x| e).collect();` (or `collect::<Vec<f64>>()`)
//! becomes a local array filled by a loop, `let mut v: Vec<f64> =
//! Vec::new(); for x in CHAIN { v.push(e); }`, which the lowering
//! differentiates like any other (`.map` steps in order; a closure that
//! could `return` is left alone).

use quote::{quote_spanned, ToTokens};
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
            match collect_loop(&st).or_else(|| to_vec_loop(&st)).or_else(|| split_at(&st)).or_else(|| tuple_fold(&st)) {
                Some(new) => out.extend(new),
                None => out.push(st),
            }
        }
        b.stmts = out;
    }

    fn visit_expr_mut(&mut self, e: &mut syn::Expr) {
        // `x.sin_cos().0` before its receiver becomes a pair.
        if let Some(new) = sin_cos(e).filter(|_| matches!(e, syn::Expr::Field(_))) {
            *e = new;
        }
        syn::visit_mut::visit_expr_mut(self, e);
        if let Some(new) = sin_cos(e).or_else(|| element_access(e)) {
            *e = new;
        }
    }

    fn visit_expr_for_loop_mut(&mut self, f: &mut syn::ExprForLoop) {
        syn::visit_mut::visit_expr_for_loop_mut(self, f);
        filtered_loop(f);
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

/// `x.sin_cos()` is `(x.sin(), x.cos())`, a tuple expression the lowering
/// destructures (`let (s, c) = x.sin_cos();`); `x.sin_cos().0` is
/// `x.sin()`. The pair repeats `x`, so there only a name or a field is
/// rewritten (a call there could have effects).
fn sin_cos(e: &syn::Expr) -> Option<syn::Expr> {
    let (call, part) = match e {
        syn::Expr::MethodCall(m) => (m, None),
        syn::Expr::Field(f) => match (&*f.base, &f.member) {
            (syn::Expr::MethodCall(m), syn::Member::Unnamed(i)) if i.index < 2 => (m, Some(i.index)),
            _ => return None,
        },
        _ => return None,
    };
    let simple = matches!(&*call.receiver, syn::Expr::Path(_) | syn::Expr::Field(_));
    if call.method != "sin_cos" || !call.args.is_empty() || (part.is_none() && !simple) {
        return None;
    }
    let (x, sp) = (&call.receiver, call.method.span());
    let tokens = match part {
        None => quote_spanned!(sp=> (#x.sin(), #x.cos())),
        Some(0) => quote_spanned!(sp=> #x.sin()),
        Some(_) => quote_spanned!(sp=> #x.cos()),
    };
    syn::parse2(tokens).ok()
}

/// Element access through `Option`, as indexing: `*xs.first().unwrap()`
/// and `xs.first().copied().unwrap()` (or `.cloned()`) are `xs[0]`, the same
/// with `last` `xs[xs.len() - 1]`, and `xs.get(i).copied().unwrap_or(d)`
/// is `if i < xs.len() { xs[i] } else { d }` (a stencil's boundary). An
/// empty slice panics either way. The receiver and `i` are repeated, so
/// they must be side-effect free (names, fields, arithmetic); the forms
/// that keep a reference (`let y = xs.first().unwrap();`) are left alone.
fn element_access(e: &syn::Expr) -> Option<syn::Expr> {
    use syn::Expr;
    fn method<'e>(x: &'e Expr, name: &str, n: usize) -> Option<&'e syn::ExprMethodCall> {
        match x {
            Expr::MethodCall(m) if m.method == name && m.args.len() == n => Some(m),
            _ => None,
        }
    }
    // `first()` / `last()` / `get(i)` of a pure receiver, with or without
    // `.copied()` / `.cloned()`; `deref` says a `*` stands for them.
    fn access(x: &Expr, deref: bool) -> Option<(&syn::ExprMethodCall, &Expr)> {
        let inner = if deref { x } else { method(x, "copied", 0).or_else(|| method(x, "cloned", 0)).map(|m| &*m.receiver)? };
        let m = method(inner, "first", 0).or_else(|| method(inner, "last", 0)).or_else(|| method(inner, "get", 1))?;
        repeatable(&m.receiver).then_some((m, &*m.receiver))
    }
    let (call, deref, default) = match e {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => (method(&u.expr, "unwrap", 0)?, true, None),
        Expr::MethodCall(m) if m.method == "unwrap" && m.args.is_empty() => (m, false, None),
        Expr::MethodCall(m) if m.method == "unwrap_or" && m.args.len() == 1 => (m, false, Some(&m.args[0])),
        _ => return None,
    };
    let (m, xs) = access(&call.receiver, deref)?;
    let sp = m.method.span();
    let tokens = match (m.method.to_string().as_str(), default) {
        ("first", None) => quote_spanned!(sp=> #xs[0]),
        ("last", None) => quote_spanned!(sp=> #xs[#xs.len() - 1]),
        ("get", Some(d)) if repeatable(&m.args[0]) => {
            let i = &m.args[0];
            quote_spanned!(sp=> if (#i) < #xs.len() { #xs[#i] } else { #d })
        }
        _ => return None,
    };
    syn::parse2(tokens).ok()
}

/// `for PAT in CHAIN.filter(|&PAT| cond) { body }` becomes `for PAT in CHAIN
/// { if cond { body } }` when the filter's pattern, less the `&` its
/// reference adds, is the loop's (`for &v in xs.iter().filter(|&&v| v >
/// 0.0)`): the loop then runs over an iterator the lowering knows. Other
/// patterns are left alone (the filter's names could differ from the
/// loop's). Reductions (`.filter(..).map(..).sum()`) are lowered directly
/// (`iter::lower_fold`).
fn filtered_loop(f: &mut syn::ExprForLoop) {
    let syn::Expr::MethodCall(m) = &*f.expr else { return };
    if m.method != "filter" || m.args.len() != 1 {
        return;
    }
    let Some(syn::Expr::Closure(c)) = m.args.first() else { return };
    let syn::Pat::Reference(r) = &c.inputs[0] else { return };
    if c.inputs.len() != 1 || returns(&c.body) || r.pat.to_token_stream().to_string() != f.pat.to_token_stream().to_string() {
        return;
    }
    let (cond, body, sp) = (&c.body, &f.body, m.method.span());
    let Ok(new_body) = syn::parse2::<syn::Block>(quote_spanned!(sp=> { if #cond #body })) else { return };
    let receiver = (*m.receiver).clone();
    f.body = new_body;
    *f.expr = receiver;
}

/// `Vec<f64>` or `Vec<f32>` (`Vec<_>` when `ok_infer`).
fn float_vec(ty: &syn::Type, ok_infer: bool) -> bool {
    let syn::Type::Path(t) = ty else { return false };
    let Some(last) = t.path.segments.last() else { return false };
    let syn::PathArguments::AngleBracketed(a) = &last.arguments else { return false };
    last.ident == "Vec"
        && a.args.len() == 1
        && match &a.args[0] {
            syn::GenericArgument::Type(syn::Type::Path(e)) => e.path.is_ident("f64") || e.path.is_ident("f32"),
            syn::GenericArgument::Type(syn::Type::Infer(_)) => ok_infer,
            _ => false,
        }
}

/// The statements a `let v: Vec<F> = CHAIN.map(..).collect();` stands for.
fn collect_loop(st: &syn::Stmt) -> Option<Vec<syn::Stmt>> {
    let syn::Stmt::Local(local) = st else { return None };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let syn::Expr::MethodCall(collect) = &*init.expr else { return None };
    if collect.method != "collect" || !collect.args.is_empty() {
        return None;
    }
    let (name, typed) = match &local.pat {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() => (&pi.ident, false),
        syn::Pat::Type(pt) => match &*pt.pat {
            syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none() && float_vec(&pt.ty, false) => (&pi.ident, true),
            _ => return None,
        },
        _ => return None,
    };
    let turbofish = collect.turbofish.as_ref().and_then(|t| match t.args.first() {
        Some(syn::GenericArgument::Type(ty)) if t.args.len() == 1 => Some(float_vec(ty, typed)),
        _ => None,
    });
    match (typed, turbofish) {
        (true, None | Some(true)) | (false, Some(true)) => {}
        _ => return None,
    }
    let sp = collect.method.span();
    // The vector's type: the `let`'s, else the turbofish's.
    let ty = match (&local.pat, &collect.turbofish) {
        (syn::Pat::Type(pt), _) => {
            let ty = &pt.ty;
            quote_spanned!(sp=> : #ty)
        }
        (_, Some(t)) => {
            let ty = &t.args[0];
            quote_spanned!(sp=> : #ty)
        }
        _ => return None,
    };
    let attrs = &local.attrs;
    let decl: syn::Stmt = syn::parse2(quote_spanned!(sp=> #(#attrs)* let mut #name #ty = ::std::vec::Vec::new();)).ok()?;
    Some(vec![decl, fill_loop(&collect.receiver, name, sp)?])
}

/// `for x in CHAIN { v.push(e); }` for `CHAIN.map(|x| e)` (its trailing
/// `.map(..)` steps in order, a closure that could `return` left as a
/// step of the chain).
pub(super) fn fill_loop(chain: &syn::Expr, name: &syn::Ident, sp: proc_macro2::Span) -> Option<syn::Stmt> {
    // Peel the trailing `.map(|x| ..)` steps.
    let mut maps = Vec::new();
    let mut base = chain;
    while let syn::Expr::MethodCall(m) = base {
        match (m.method == "map", m.args.first()) {
            (true, Some(syn::Expr::Closure(c))) if m.args.len() == 1 && c.inputs.len() == 1 && !returns(&c.body) => {
                maps.push(c);
                base = &m.receiver;
            }
            _ => break,
        }
    }
    maps.reverse();
    let mut body = proc_macro2::TokenStream::new();
    let (pat, last) = match maps.split_first() {
        None => {
            let item = syn::Ident::new("__gd_item", sp);
            (quote_spanned!(sp=> #item), quote_spanned!(sp=> #item))
        }
        Some((first, rest)) => {
            let mut value = &first.body;
            for c in rest {
                let p = &c.inputs[0];
                body.extend(quote_spanned!(sp=> let #p = #value;));
                value = &c.body;
            }
            let p = &first.inputs[0];
            (quote_spanned!(sp=> #p), quote_spanned!(sp=> #value))
        }
    };
    syn::parse2(quote_spanned!(sp=> for #pat in #base { #body #name.push(#last); })).ok()
}

/// `let v = xs.to_vec();` (also `let mut v: Vec<f64> = ..`, `xs[a..b].to_vec()`)
/// is the local array `let mut v = Vec::new(); for e in xs.iter().cloned() {
/// v.push(e); }`, which the lowering differentiates like any other; over
/// data it is the same copy.
fn to_vec_loop(st: &syn::Stmt) -> Option<Vec<syn::Stmt>> {
    let syn::Stmt::Local(local) = st else { return None };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let syn::Expr::MethodCall(call) = &*init.expr else { return None };
    if call.method != "to_vec" || !call.args.is_empty() || call.turbofish.is_some() {
        return None;
    }
    let (pi, ty) = match &local.pat {
        syn::Pat::Ident(pi) => (pi, None),
        syn::Pat::Type(pt) => match &*pt.pat {
            syn::Pat::Ident(pi) if float_vec(&pt.ty, true) => (pi, Some(&pt.ty)),
            _ => return None,
        },
        _ => return None,
    };
    if pi.by_ref.is_some() || pi.subpat.is_some() {
        return None;
    }
    let (name, src, sp, attrs) = (&pi.ident, &call.receiver, call.method.span(), &local.attrs);
    let ty = ty.map(|t| quote_spanned!(sp=> : #t));
    let item = syn::Ident::new("__gd_item", sp);
    let decl: syn::Stmt = syn::parse2(quote_spanned!(sp=> #(#attrs)* let mut #name #ty = ::std::vec::Vec::new();)).ok()?;
    let fill: syn::Stmt = syn::parse2(quote_spanned!(sp=> for #item in #src.iter().cloned() { #name.push(#item); })).ok()?;
    Some(vec![decl, fill])
}

/// `let (s, q) = CHAIN.fold((0.0, 0.0), |(s, q), &v| (s + v, q + v * v));`,
/// several accumulators carried as a tuple, is a loop over `CHAIN` (its
/// `.map` steps as `let`s, as in `collect_loop`) updating one variable per
/// accumulator:
///
/// ```text
/// let (mut __gd_fold0, mut __gd_fold1) = (0.0, 0.0);
/// for &v in CHAIN { let (s, q) = (__gd_fold0, __gd_fold1);
///     let (__gd_new0, __gd_new1) = (s + v, q + v * v);
///     __gd_fold0 = __gd_new0; __gd_fold1 = __gd_new1; }
/// let (s, q) = (__gd_fold0, __gd_fold1);
/// ```
///
/// The initial value and the closure's value must be tuple expressions and
/// its accumulator a tuple of names, all of the same length.
fn tuple_fold(st: &syn::Stmt) -> Option<Vec<syn::Stmt>> {
    use syn::{Expr, Pat};
    let syn::Stmt::Local(local) = st else { return None };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let Expr::MethodCall(fold) = &*init.expr else { return None };
    if fold.method != "fold" || fold.args.len() != 2 {
        return None;
    }
    let (Expr::Tuple(start), Expr::Closure(c)) = (&fold.args[0], &fold.args[1]) else { return None };
    let (Pat::Tuple(acc), Expr::Tuple(next)) = (&c.inputs[0], &*c.body) else { return None };
    let n = start.elems.len();
    if c.inputs.len() != 2 || n < 2 || acc.elems.len() != n || next.elems.len() != n || returns(&c.body) {
        return None;
    }
    if !acc.elems.iter().all(|p| matches!(p, Pat::Ident(pi) if pi.by_ref.is_none() && pi.subpat.is_none())) {
        return None;
    }
    // The `.map` steps before the fold: the loop's pattern is the first
    // one's; each later one and the fold's element are bound by `let`,
    // which then must take a plain name.
    let mut maps = Vec::new();
    let mut base = &*fold.receiver;
    while let Expr::MethodCall(m) = base {
        match (m.method == "map", m.args.first()) {
            (true, Some(Expr::Closure(mc))) if m.args.len() == 1 && mc.inputs.len() == 1 && !returns(&mc.body) => {
                maps.push(mc);
                base = &m.receiver;
            }
            _ => break,
        }
    }
    maps.reverse();
    let sp = fold.method.span();
    let item = &c.inputs[1];
    let mut binds = proc_macro2::TokenStream::new();
    let pat = match maps.split_first() {
        None => quote_spanned!(sp=> #item),
        Some((first, rest)) => {
            let mut value = &first.body;
            for m in rest {
                let p = &m.inputs[0];
                binds.extend(quote_spanned!(sp=> let #p = #value;));
                value = &m.body;
            }
            if !matches!(item, Pat::Ident(_) | Pat::Type(_)) {
                return None;
            }
            binds.extend(quote_spanned!(sp=> let #item = #value;));
            let p = &first.inputs[0];
            quote_spanned!(sp=> #p)
        }
    };
    let vars: Vec<syn::Ident> = (0..n).map(|k| quote::format_ident!("__gd_fold{}", k, span = sp)).collect();
    let news: Vec<syn::Ident> = (0..n).map(|k| quote::format_ident!("__gd_new{}", k, span = sp)).collect();
    let (start, next, result, attrs) = (&start, &next, &local.pat, &local.attrs);
    let stmts = [
        quote_spanned!(sp=> let (#(mut #vars),*) = #start;),
        quote_spanned!(sp=> for #pat in #base { #binds let #acc = (#(#vars),*); let (#(#news),*) = #next; #(#vars = #news;)* }),
        quote_spanned!(sp=> #(#attrs)* let #result = (#(#vars),*);),
    ];
    stmts.into_iter().map(|t| syn::parse2(t).ok()).collect()
}

/// Whether writing `e` twice computes the same thing with no effect: names,
/// fields, literals, arithmetic, casts, and `.len()` of such.
fn repeatable(e: &syn::Expr) -> bool {
    use syn::Expr;
    match e {
        Expr::Path(_) | Expr::Lit(_) => true,
        Expr::Field(f) => repeatable(&f.base),
        Expr::Paren(p) => repeatable(&p.expr),
        Expr::Reference(r) => r.mutability.is_none() && repeatable(&r.expr),
        Expr::Unary(u) => repeatable(&u.expr),
        Expr::Cast(c) => repeatable(&c.expr),
        Expr::Binary(b) => super::stmt::assign_op(&b.op).is_none() && repeatable(&b.left) && repeatable(&b.right),
        Expr::MethodCall(m) => m.method == "len" && m.args.is_empty() && repeatable(&m.receiver),
        _ => false,
    }
}

/// `let (a, b) = xs.split_at(k);` is `let a = &xs[..k]; let b = &xs[k..];`,
/// two named sub-slices (views the lowering knows); `k` is repeated, so it
/// must be side-effect free. `k > xs.len()` panics either way.
fn split_at(st: &syn::Stmt) -> Option<Vec<syn::Stmt>> {
    let syn::Stmt::Local(local) = st else { return None };
    let init = local.init.as_ref().filter(|i| i.diverge.is_none())?;
    let syn::Expr::MethodCall(call) = &*init.expr else { return None };
    let syn::Pat::Tuple(t) = &local.pat else { return None };
    if call.method != "split_at" || call.args.len() != 1 || t.elems.len() != 2 {
        return None;
    }
    let (xs, k, sp) = (&call.receiver, &call.args[0], call.method.span());
    if !repeatable(k) || !repeatable(xs) {
        return None;
    }
    let (a, b) = (&t.elems[0], &t.elems[1]);
    let first: syn::Stmt = syn::parse2(quote_spanned!(sp=> let #a = &#xs[..#k];)).ok()?;
    let second: syn::Stmt = syn::parse2(quote_spanned!(sp=> let #b = &#xs[#k..];)).ok()?;
    Some(vec![first, second])
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
