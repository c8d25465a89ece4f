//! Questions asked of the user's tokens as written, by every stage: which
//! names an expression reads (format-string captures included), where kept
//! tokens could write, what an expression is without its parentheses. A
//! neutral module, so that `sig`, `lower` and `plan` share it without
//! importing each other.

use proc_macro2::{Ident, TokenStream};

/// An expression without the parentheses or invisible groups around it.
pub(crate) fn strip(e: &syn::Expr) -> &syn::Expr {
    match e {
        syn::Expr::Paren(p) => strip(&p.expr),
        syn::Expr::Group(g) => strip(&g.expr),
        _ => e,
    }
}

/// Tokens without calls or macros: names, literals, operators, indexing.
pub(crate) fn is_pure(ts: &TokenStream) -> bool {
    let mut prev_callable = false;
    ts.clone().into_iter().all(|tt| {
        let ok = match &tt {
            proc_macro2::TokenTree::Group(g) => {
                !(prev_callable && g.delimiter() == proc_macro2::Delimiter::Parenthesis) && is_pure(&g.stream())
            }
            proc_macro2::TokenTree::Punct(p) => p.as_char() != '!',
            _ => true,
        };
        prev_callable = matches!(tt, proc_macro2::TokenTree::Ident(_));
        ok
    })
}

/// The user's expression inside the lowering's `to_usize(..)` (an index
/// captured by `Lowerer::capture`).
pub(crate) fn usize_arg(expr: &TokenStream) -> Option<syn::Expr> {
    match syn::parse2::<syn::Expr>(expr.clone()).ok()? {
        syn::Expr::Call(c) if c.args.len() == 1 && matches!(&*c.func, syn::Expr::Path(f) if f.path.segments.last().is_some_and(|s| s.ident == "to_usize")) => {
            c.args.into_iter().next()
        }
        _ => None,
    }
}

/// Does a token stream read any of these names as a variable? Identifiers
/// after `.` (fields, methods) or in a path (`k::x`, `x::y`), and
/// struct-literal labels (`P { x: .. }`), are not variables. Inside a macro
/// invocation (`name!(..)`), the names a format string captures (`"{x}"`,
/// `"{:w$}"`) are read too.
pub fn mentions(ts: &TokenStream, pred: &mut dyn FnMut(&Ident) -> bool) -> bool {
    scan(ts, pred, Scan { in_macro: false, skip_stopped: false })
}

/// [`mentions`] outside the arguments of `stop_gradient(..)` calls (any
/// path ending in that name): what they read is a constant to the
/// derivative, so an expression that reads differentiated values only there
/// is passive.
pub fn mentions_unstopped(ts: &TokenStream, pred: &mut dyn FnMut(&Ident) -> bool) -> bool {
    scan(ts, pred, Scan { in_macro: false, skip_stopped: true })
}

/// Where tokens that are kept as written (a printing macro's arguments, a
/// condition) could change a variable: an assignment (`=`, `+=`, ..) or a
/// `&mut` borrow. Comparisons (`==`, `<=`, `!=`, `>=`) and `=>` are not.
pub fn first_write(ts: &TokenStream) -> Option<proc_macro2::Span> {
    use proc_macro2::{Spacing, TokenTree};
    let toks: Vec<TokenTree> = ts.clone().into_iter().collect();
    toks.iter().enumerate().find_map(|(i, tt)| match tt {
        TokenTree::Group(g) => first_write(&g.stream()),
        TokenTree::Punct(p) if p.as_char() == '=' && p.spacing() == Spacing::Alone => {
            let compares = matches!(i.checked_sub(1).map(|j| &toks[j]), Some(TokenTree::Punct(q)) if q.spacing() == Spacing::Joint && "=!<>".contains(q.as_char()));
            (!compares).then(|| p.span())
        }
        TokenTree::Punct(p) if p.as_char() == '&' => match toks.get(i + 1) {
            Some(TokenTree::Ident(m)) if m == "mut" => Some(m.span()),
            _ => None,
        },
        _ => None,
    })
}

/// [`mentions`] for a macro's own tokens (`syn::Macro::tokens`): its string
/// literals may be format strings that capture names.
pub fn macro_mentions(mac: &syn::Macro, pred: &mut dyn FnMut(&Ident) -> bool) -> bool {
    scan(&mac.tokens, pred, Scan { in_macro: true, skip_stopped: false })
}

/// How [`scan`] reads: inside a macro's tokens (format strings capture
/// names), and whether it skips `stop_gradient(..)`'s arguments.
#[derive(Clone, Copy)]
struct Scan {
    in_macro: bool,
    skip_stopped: bool,
}

fn scan(ts: &TokenStream, pred: &mut dyn FnMut(&Ident) -> bool, how: Scan) -> bool {
    let toks: Vec<proc_macro2::TokenTree> = ts.clone().into_iter().collect();
    let punct = |i: usize, c: char| matches!(toks.get(i), Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == c);
    toks.iter().enumerate().any(|(i, tt)| match tt {
        proc_macro2::TokenTree::Ident(id) => {
            let after_dot = i > 0 && punct(i - 1, '.') && !(i > 1 && punct(i - 2, '.'));
            let after_path = i > 1 && punct(i - 1, ':') && punct(i - 2, ':');
            let before_path = punct(i + 1, ':') && punct(i + 2, ':');
            let label = punct(i + 1, ':') && !punct(i + 2, ':');
            !(after_dot || after_path || before_path || label) && pred(id)
        }
        proc_macro2::TokenTree::Group(g) => {
            let stopped = how.skip_stopped
                && g.delimiter() == proc_macro2::Delimiter::Parenthesis
                && matches!(i.checked_sub(1).map(|j| &toks[j]), Some(proc_macro2::TokenTree::Ident(id)) if id == "stop_gradient");
            // `name!(..)`: the group holds a macro's tokens.
            let invoked = i > 1 && punct(i - 1, '!') && matches!(toks[i - 2], proc_macro2::TokenTree::Ident(_));
            !stopped && scan(&g.stream(), pred, Scan { in_macro: how.in_macro || invoked, ..how })
        }
        proc_macro2::TokenTree::Literal(l) if how.in_macro => {
            format_captures(&l.to_string()).iter().any(|name| pred(&Ident::new(name, l.span())))
        }
        _ => false,
    })
}

/// The names a string literal captures when used as a format string: the
/// argument of `{x}`, `{x:.3}`, `{x:?}`, and a width or precision given as
/// `name$` (`{:w$}`, `{:.p$}`). Escaped braces (`{{`, `}}`) capture nothing;
/// a literal that is not a string captures nothing.
fn format_captures(lit: &str) -> Vec<String> {
    // The string's contents: `"..."`, `r"..."`, `r#"..."#` (escapes such as
    // `\n` cannot produce a brace, so the raw text is enough).
    let body = lit.trim_start_matches('r').trim_matches('#');
    let Some(body) = body.strip_prefix('"').and_then(|b| b.strip_suffix('"')) else { return Vec::new() };
    let ident = |s: &str| s.starts_with(|c: char| c.is_alphabetic() || c == '_') && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(r) = rest.strip_prefix('{') {
            rest = r;
            continue;
        }
        let Some(close) = rest.find('}') else { break };
        let (arg, spec) = rest[..close].split_once(':').unwrap_or((&rest[..close], ""));
        if ident(arg.trim()) {
            out.push(arg.trim().to_string());
        }
        // Counts given by name: the identifier just before each `$`.
        let parts: Vec<&str> = spec.split('$').collect();
        for part in &parts[..parts.len() - 1] {
            let start = part.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |k| k + 1);
            if ident(&part[start..]) {
                out.push(part[start..].to_string());
            }
        }
        rest = &rest[close + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn format_captures() {
        let f = |s: &str| super::format_captures(s);
        assert_eq!(f(r#""{x}""#), ["x"]);
        assert_eq!(f(r#""a {x:.3} {y:?} {{z}} {0} {}""#), ["x", "y"]);
        assert_eq!(f(r#""{:w$.p$}""#), ["w", "p"]);
        assert_eq!(f(r#""{v:>1$} {:.*}""#), ["v"]);
        assert_eq!(f(r##"r#"{x}"#"##), ["x"]);
        assert_eq!(f("1.0"), Vec::<String>::new());
        assert_eq!(f(r#""}} {{x}}""#), Vec::<String>::new());
    }

    #[test]
    fn mentions_unstopped() {
        let m = |s: &str| super::mentions_unstopped(&s.parse().unwrap(), &mut |i| i == "k");
        assert!(!m("square(gd::stop_gradient(k)) + 1.0"));
        assert!(!m("f(stop_gradient(k * 2.0), 3.0)"));
        assert!(m("square(gd::stop_gradient(k)) * k"));
        assert!(m("f((k))"));
        assert!(super::mentions(&"gd::stop_gradient(k)".parse().unwrap(), &mut |i| i == "k"));
    }

    #[test]
    fn first_write() {
        let w = |s: &str| super::first_write(&s.parse().unwrap()).is_some();
        assert!(!w("a == b && c <= d || e >= f && g != h"));
        assert!(!w("matches!(k, 1 => 2)"));
        assert!(w("{ s = x; true }"));
        assert!(w("{ s += x; true }"));
        assert!(w("f(&mut s)"));
        assert!(!w("f(&s, &&t)"));
    }
}
