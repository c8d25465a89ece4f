//! Iterator chains and copies rewritten as loops the lowering knows: a
//! collected `map` chain or a `to_vec()` as a local array filled by a loop,
//! a `fold` over a tuple of accumulators as a loop updating each, a `for`
//! over a `filter` as an `if` in the body.
//!
//! `let v: Vec<f64> = CHAIN.map(|x| e).collect();` (or `collect::<Vec<f64>>()`)
//! becomes `let mut v: Vec<f64> = Vec::new(); for x in CHAIN { v.push(e); }`,
//! which the lowering differentiates like any other local array (`.map`
//! steps in order; a closure that could `return` is left alone).

use proc_macro2::TokenStream;
use quote::{quote_spanned, ToTokens};

use super::returns;

/// `for PAT in CHAIN.filter(|&PAT| cond) { body }` becomes `for PAT in CHAIN
/// { if cond { body } }` when the filter's pattern, less the `&` its
/// reference adds, is the loop's (`for &v in xs.iter().filter(|&&v| v >
/// 0.0)`): the loop then runs over an iterator the lowering knows. Other
/// patterns are left alone (the filter's names could differ from the
/// loop's). Reductions (`.filter(..).map(..).sum()`) are lowered directly
/// (`iter::lower_fold`).
pub(super) fn filtered_loop(f: &mut syn::ExprForLoop) {
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

/// The statements a `let v: Vec<F> = CHAIN.map(..).collect();` stands for.
pub(super) fn collect_loop(st: &syn::Stmt) -> Option<Vec<syn::Stmt>> {
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

/// The trailing `.map(|x| ..)` steps of a chain (a closure that could
/// `return` is left as a step of the chain), as a loop needs them: the
/// chain before them, and, if there are any, the first one's pattern (the
/// loop's), `let`s binding each later one's pattern to the value before it,
/// and the last value.
fn map_steps(chain: &syn::Expr, sp: proc_macro2::Span) -> (&syn::Expr, Option<(&syn::Pat, TokenStream, &syn::Expr)>) {
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
    let Some((first, rest)) = maps.split_first() else { return (base, None) };
    let mut binds = TokenStream::new();
    let mut value = &*first.body;
    for c in rest {
        let p = &c.inputs[0];
        binds.extend(quote_spanned!(sp=> let #p = #value;));
        value = &c.body;
    }
    (base, Some((&first.inputs[0], binds, value)))
}

/// `for x in CHAIN { v.push(e); }` for `CHAIN.map(|x| e)`.
pub(in crate::lower) fn fill_loop(chain: &syn::Expr, name: &syn::Ident, sp: proc_macro2::Span) -> Option<syn::Stmt> {
    let (base, steps) = map_steps(chain, sp);
    let item = syn::Ident::new("__gd_item", sp);
    let (pat, body, last) = match steps {
        None => (quote_spanned!(sp=> #item), TokenStream::new(), quote_spanned!(sp=> #item)),
        Some((p, binds, value)) => (quote_spanned!(sp=> #p), binds, quote_spanned!(sp=> #value)),
    };
    syn::parse2(quote_spanned!(sp=> for #pat in #base { #body #name.push(#last); })).ok()
}

/// `let v = xs.to_vec();` (also `let mut v: Vec<f64> = ..`, `xs[a..b].to_vec()`)
/// is the local array `let mut v = Vec::new(); for e in xs.iter().cloned() {
/// v.push(e); }`, which the lowering differentiates like any other; over
/// data it is the same copy.
pub(super) fn to_vec_loop(st: &syn::Stmt) -> Option<Vec<syn::Stmt>> {
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
pub(super) fn tuple_fold(st: &syn::Stmt) -> Option<Vec<syn::Stmt>> {
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
    // one's; the fold's element is then bound by `let`, so it must be a
    // plain name.
    let sp = fold.method.span();
    let item = &c.inputs[1];
    let (base, steps) = map_steps(&fold.receiver, sp);
    let (pat, binds) = match steps {
        None => (quote_spanned!(sp=> #item), TokenStream::new()),
        Some((p, mut binds, value)) => {
            if !matches!(item, Pat::Ident(_) | Pat::Type(_)) {
                return None;
            }
            binds.extend(quote_spanned!(sp=> let #item = #value;));
            (quote_spanned!(sp=> #p), binds)
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
