//! Facts about the user's code kept verbatim in the IR (`Stmt::Verbatim`,
//! passive expressions), read as tokens: what it binds, what it names,
//! whether running it again gives the same result.

use std::collections::HashSet;

use proc_macro2::TokenStream;

use crate::rules;

/// A `let` statement of user code.
/// The names a `let` statement binds (the identifiers of its pattern).
pub fn let_names(ts: &TokenStream, out: &mut HashSet<String>) {
    let pat: TokenStream = ts.clone().into_iter().take_while(|t| t.to_string() != "=").collect();
    idents(&pat, out);
}

pub fn is_let(ts: &TokenStream) -> bool {
    ts.clone().into_iter().next().is_some_and(|t| t.to_string() == "let")
}

/// The identifiers user code in a block mentions, nested blocks included:
/// its verbatim statements, captured expressions and `for` loops'
/// iterators (over-approximated, as `idents`).
pub fn block_idents(b: &[crate::ir::Stmt], out: &mut HashSet<String>) {
    use crate::ir::{LoopHead, Stmt};
    for s in b {
        match s {
            Stmt::Verbatim(ts) | Stmt::Set { expr: ts, .. } => idents(ts, out),
            Stmt::Loop(l) => {
                if let LoopHead::For { iter, .. } = &l.head {
                    idents(iter, out);
                }
            }
            _ => {}
        }
        s.children().into_iter().for_each(|c| block_idents(c, out));
    }
}

pub fn idents(ts: &TokenStream, out: &mut HashSet<String>) {
    for tt in ts.clone() {
        match tt {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => idents(&g.stream(), out),
            _ => {}
        }
    }
}

/// User code that gives the same result when run again: no calls other than
/// float methods, `len`/`is_empty` and gd's own conversions, no macros other
/// than `matches!`. (A plain function may draw random numbers or count: the
/// reverse sweep must not call it a second time.)
pub fn pure(ts: &TokenStream) -> bool {
    let toks: Vec<proc_macro2::TokenTree> = ts.clone().into_iter().collect();
    for (i, tt) in toks.iter().enumerate() {
        match tt {
            proc_macro2::TokenTree::Group(g) => {
                if g.delimiter() == proc_macro2::Delimiter::Parenthesis && i > 0 {
                    if let proc_macro2::TokenTree::Ident(name) = &toks[i - 1] {
                        let method = i > 1 && matches!(&toks[i - 2], proc_macro2::TokenTree::Punct(p) if p.as_char() == '.');
                        let n = name.to_string();
                        let ok = if method {
                            n == "len" || n == "is_empty" || rules::lookup(&n).is_some()
                        } else {
                            matches!(n.as_str(), "Some" | "to_usize" | "to_float" | "re" | "view_index" | "windows_count" | "chunks_count" | "slice_view")
                                || rules::lookup(&n).is_some() && i > 2
                        };
                        if !ok {
                            return false;
                        }
                    }
                }
                if !pure(&g.stream()) {
                    return false;
                }
            }
            proc_macro2::TokenTree::Punct(p) if p.as_char() == '!' => {
                let next_is_group = matches!(toks.get(i + 1), Some(proc_macro2::TokenTree::Group(_)));
                let is_matches = i > 0 && toks[i - 1].to_string() == "matches";
                if next_is_group && !is_matches {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}


/// The variable a user statement assigns as a whole (`i += 1;`, `k = k * 2;`),
/// or `None` for any other statement (a `let`, a field or index assignment,
/// an expression).
pub fn assigned_name(ts: &TokenStream) -> Option<proc_macro2::Ident> {
    use proc_macro2::{Spacing, TokenTree};
    let toks: Vec<TokenTree> = ts.clone().into_iter().collect();
    let TokenTree::Ident(name) = toks.first()? else { return None };
    if name == "let" {
        return None;
    }
    // An operator's punctuation up to an `=` that ends it (`=`, `+=`, `<<=`;
    // not `==`, `<=`, `>=`, `!=`).
    let mut k = 1;
    while let Some(TokenTree::Punct(p)) = toks.get(k) {
        if p.as_char() == '=' && p.spacing() == Spacing::Alone {
            let op: String = toks[1..k].iter().map(|t| t.to_string()).collect();
            let compound = ["", "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"];
            return compound.contains(&op.as_str()).then(|| name.clone());
        }
        if p.spacing() != Spacing::Joint {
            return None;
        }
        k += 1;
    }
    None
}
