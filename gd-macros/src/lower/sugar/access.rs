//! Standard-library forms that stand for indexing or for plain calls:
//! `sin_cos()`, `first()`/`last()`/`get(i)` through `Option`, `split_at`.

use quote::quote_spanned;

/// `x.sin_cos()` is `(x.sin(), x.cos())`, a tuple expression the lowering
/// destructures (`let (s, c) = x.sin_cos();`); `x.sin_cos().0` is
/// `x.sin()`. The pair repeats `x`, so there only a name or a field is
/// rewritten (a call there could have effects).
pub(super) fn sin_cos(e: &syn::Expr) -> Option<syn::Expr> {
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
pub(super) fn element_access(e: &syn::Expr) -> Option<syn::Expr> {
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

/// `let (a, b) = xs.split_at(k);` is `let a = &xs[..k]; let b = &xs[k..];`,
/// two named sub-slices (views the lowering knows); `k` is repeated, so it
/// must be side-effect free. `k > xs.len()` panics either way.
pub(super) fn split_at(st: &syn::Stmt) -> Option<Vec<syn::Stmt>> {
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
        Expr::Binary(b) => crate::lower::stmt::assign_op(&b.op).is_none() && repeatable(&b.left) && repeatable(&b.right),
        Expr::MethodCall(m) => m.method == "len" && m.args.is_empty() && repeatable(&m.receiver),
        _ => false,
    }
}
