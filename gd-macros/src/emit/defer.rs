//! Temporaries declared without a value where the sweep's first use of
//! them assigns one.
//!
//! The sweeps declare every temporary at the top of the function
//! (`let mut __gd_t3: f64 = -0.0;`), since the reverse sweep reads what the
//! forward sweep assigned in nested blocks. A temporary assigned once after
//! that dummy value has two assignments, so rustc's MIR optimizations (run
//! on every `#[inline]` and generic copy for the crate's metadata) cannot
//! treat it as a single-assignment value: on `benches/compile_cost`'s crate
//! its destination propagation alone took about a quarter of a release
//! build. Where the first statement of the body (after the declarations) to
//! mention a temporary is a plain assignment of it at the top level of the
//! body, every path to every later read runs that assignment first, so the
//! declaration needs no value (`let mut __gd_t3: f64;`), and rustc checks
//! that this holds. LLVM saw no difference: the dummy store was dead.

use std::collections::HashSet;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::quote;

/// `decls` with the declarations of the temporaries that `body` (what
/// follows them in the function) first assigns at its top level left
/// without a value. A declaration written without a type (the lanes copy's
/// `let mut t = __gd_nz;`) gets the lanes scalar type.
pub fn defer_inits(decls: TokenStream, body: &TokenStream) -> TokenStream {
    let first = assigned_first(body);
    if first.is_empty() {
        return decls;
    }
    let tts: Vec<TokenTree> = decls.into_iter().collect();
    let mut out = TokenStream::new();
    let mut start = 0;
    for end in 0..tts.len() {
        if !is_punct(&tts[end], ';') {
            continue;
        }
        let stmt = &tts[start..=end];
        out.extend(deferred(stmt, &first).unwrap_or_else(|| stmt.iter().cloned().collect()));
        start = end + 1;
    }
    out.extend(tts[start..].iter().cloned());
    out
}

/// `let mut NAME: TY = INIT;` as `let mut NAME: TY;` when NAME is in `first`.
fn deferred(stmt: &[TokenTree], first: &HashSet<String>) -> Option<TokenStream> {
    let [TokenTree::Ident(l), TokenTree::Ident(m), TokenTree::Ident(name), rest @ ..] = stmt else { return None };
    if l != "let" || m != "mut" || !first.contains(&name.to_string()) {
        return None;
    }
    let eq = rest.iter().position(|t| is_punct(t, '='))?;
    if is_punct(&rest[0], ':') {
        let ty: TokenStream = rest[1..eq].iter().cloned().collect();
        return Some(quote!(let mut #name: #ty;));
    }
    // The lanes copy's `let mut t = __gd_nz;` (see `Sweeps::decls`).
    match &rest[eq + 1..] {
        [TokenTree::Ident(z), _] if eq == 0 && z == "__gd_nz" => Some(quote!(let mut #name: __gd_S;)),
        _ => None,
    }
}

/// The temporaries (`__gd_t*`) whose first mention in `body` is an
/// assignment `t = expr;` at its top level (after a `;` or a block), `expr`
/// not mentioning `t`. (Extending this to loop bodies that hold every
/// mention of a temporary deferred a fifth more of them but cost the macro
/// more than it saved rustc.)
fn assigned_first(body: &TokenStream) -> HashSet<String> {
    let tts: Vec<TokenTree> = body.clone().into_iter().collect();
    let mut seen = HashSet::new();
    let mut first = HashSet::new();
    for (i, tt) in tts.iter().enumerate() {
        match tt {
            TokenTree::Ident(id) => {
                let name = id.to_string();
                if !is_temp(&name) || !seen.insert(name.clone()) {
                    continue;
                }
                let at_start = i == 0 || is_punct(&tts[i - 1], ';') || matches!(&tts[i - 1], TokenTree::Group(g) if g.delimiter() == Delimiter::Brace);
                let assigns = matches!(tts.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '=' && p.spacing() == Spacing::Alone);
                if at_start && assigns {
                    let end = tts[i + 2..].iter().position(|t| is_punct(t, ';')).map_or(tts.len(), |e| i + 2 + e);
                    if !tts[i + 2..end].iter().any(|t| mentions(t, &name)) {
                        first.insert(name);
                    }
                }
            }
            TokenTree::Group(g) => mark(&g.stream(), &mut seen),
            _ => {}
        }
    }
    first
}

fn is_temp(name: &str) -> bool {
    name.strip_prefix("__gd_t").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn is_punct(tt: &TokenTree, c: char) -> bool {
    matches!(tt, TokenTree::Punct(p) if p.as_char() == c)
}

fn mark(ts: &TokenStream, seen: &mut HashSet<String>) {
    for tt in ts.clone() {
        match tt {
            TokenTree::Ident(id) => {
                let name = id.to_string();
                if is_temp(&name) {
                    seen.insert(name);
                }
            }
            TokenTree::Group(g) => mark(&g.stream(), seen),
            _ => {}
        }
    }
}

fn mentions(tt: &TokenTree, name: &str) -> bool {
    match tt {
        TokenTree::Ident(id) => id == name,
        TokenTree::Group(g) => g.stream().into_iter().any(|t| mentions(&t, name)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deferred_names(decls: TokenStream, body: TokenStream) -> Vec<String> {
        let out = defer_inits(decls, &body).to_string();
        out.split(';').filter(|s| !s.contains('=')).filter_map(|s| s.split_whitespace().nth(2).map(str::to_string)).collect()
    }

    #[test]
    fn only_first_assignments_at_the_top_level() {
        let decls = quote! {
            let mut __gd_t0: f64 = -0.0; let mut __gd_t1: f64 = -0.0; let mut __gd_t2: f64 = -0.0;
            let mut __gd_t3: f64 = -0.0; let mut __gd_t4: f64 = -0.0; let mut __gd_t5: bool = false;
            let mut __gd_t6: f64 = -0.0; let mut __gd_b0: f64 = -0.0;
        };
        let body = quote! {
            __gd_t0 = x;                       // first mention, assigned: deferred
            if c { __gd_t1 = 1.0; }            // first mention nested: kept
            __gd_t1 = __gd_t0 * 2.0;
            __gd_t2 += 1.0;                    // compound assignment reads it: kept
            __gd_t3 = __gd_t3 + 1.0;           // reads itself: kept
            __gd_t5 == true;                   // a comparison: kept
            { __gd_b0 += 1.0; }
            __gd_t4 = __gd_t1;                 // after a block: deferred
            __gd_b0 = __gd_t4;                 // adjoints are never deferred
            let f = || __gd_t6 = 1.0;          // not a statement of its own: kept
        };
        assert_eq!(deferred_names(decls, body), ["__gd_t0", "__gd_t4"]);
    }

    #[test]
    fn lanes_declarations_get_the_scalar_type() {
        let decls = quote!(let mut __gd_t0 = __gd_nz; let mut __gd_t1 = __gd_nz;);
        let out = defer_inits(decls, &quote!(__gd_t0 = x; __gd_t1 += __gd_t0;)).to_string();
        assert_eq!(out, quote!(let mut __gd_t0: __gd_S; let mut __gd_t1 = __gd_nz;).to_string());
    }
}
