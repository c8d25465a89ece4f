//! Loads of one array, highest offset first.
//!
//! A trip that reads `x[i]` and then `x[i + 1]` (`bond(x[i], x[i + 1])`,
//! `x[i] * x[i + 1]`) pays a bounds check for each: LLVM does not drop the
//! check of `x[i]` once `x[i + 1]` is checked, nor the other way round, as
//! it cannot rule out the wrap of `i + 1`. Read the other way, the check of
//! `x[i + 1]` covers `x[i]` (a hand-written loop often reads the far
//! element first, or takes windows). So within a run of statements that
//! only compute (float operations and copies, pure index arithmetic,
//! loads), the load with the greatest constant offset from a common base
//! (`i + 2` among `i - 1`, `i`, `i + 2`) moves, with its index, before the
//! first load of its group.
//!
//! Nothing observable changes but which index an out-of-bounds panic names
//! when several of the group's reads are out of bounds (`i + 1` rather
//! than `i`).

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::ToTokens;

use crate::ir::*;
use crate::syntax::{is_pure, strip, usize_arg};

/// Reorders every run of `b` and of the blocks nested in it.
pub fn highest_offset_first(b: &mut Block) {
    for s in b.iter_mut() {
        match s {
            Stmt::If { then, els, .. } => {
                highest_offset_first(then);
                highest_offset_first(els);
            }
            Stmt::Loop(l) => highest_offset_first(&mut l.body),
            Stmt::Scope(inner) => highest_offset_first(inner),
            _ => {}
        }
    }
    let mut start = 0;
    while start < b.len() {
        let end = (start..b.len()).find(|&i| !computes(&b[i])).unwrap_or(b.len());
        reorder(&mut b[start..end]);
        start = end + 1;
    }
}

/// A statement that only computes: no user code with effects, no stores,
/// no control flow, nothing that could observe the order of loads.
fn computes(s: &Stmt) -> bool {
    match s {
        Stmt::Op { .. } | Stmt::Copy { .. } | Stmt::Load { .. } => true,
        Stmt::Set { expr, .. } => is_pure(expr) || usize_arg(expr).is_some_and(|e| is_pure(&e.to_token_stream())),
        _ => false,
    }
}

/// `base + offset` of an index captured as `to_usize(base ± literal)`.
fn offset_of(expr: &TokenStream) -> Option<(String, i128)> {
    let e = usize_arg(expr)?;
    let lit = |e: &syn::Expr| match strip(e) {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(n), .. }) => n.base10_parse::<i128>().ok(),
        _ => None,
    };
    Some(match strip(&e) {
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) && lit(&b.right).is_some() => (b.left.to_token_stream().to_string(), lit(&b.right)?),
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Add(_)) && lit(&b.left).is_some() => (b.right.to_token_stream().to_string(), lit(&b.left)?),
        syn::Expr::Binary(b) if matches!(b.op, syn::BinOp::Sub(_)) && lit(&b.right).is_some() => (b.left.to_token_stream().to_string(), -lit(&b.right)?),
        other => (other.to_token_stream().to_string(), 0),
    })
}

/// The temporaries a computing statement reads.
fn reads(s: &Stmt) -> Vec<Temp> {
    let temps = |ops: &[Operand]| ops.iter().filter_map(|o| if let Operand::Temp(x) = o { Some(*x) } else { None }).collect();
    match s {
        Stmt::Op { args, .. } => temps(args),
        Stmt::Copy { src, .. } => temps(std::slice::from_ref(src)),
        Stmt::Load { index, .. } => vec![*index],
        _ => Vec::new(),
    }
}

/// One run: per array and base, the farthest load moved first.
fn reorder(run: &mut [Stmt]) {
    loop {
        // Index temporaries defined in the run: where, and their base and offset.
        let mut index_at: HashMap<Temp, (usize, String, i128)> = HashMap::new();
        for (i, s) in run.iter().enumerate() {
            if let Stmt::Set { dst, expr } = s {
                if let Some((base, off)) = offset_of(expr) {
                    index_at.insert(*dst, (i, base, off));
                }
            }
        }
        // Loads by (array, base): (position of the index, position of the load, offset).
        let mut groups: HashMap<(Arr, String), Vec<(usize, usize, i128)>> = HashMap::new();
        for (i, s) in run.iter().enumerate() {
            if let Stmt::Load { array: array @ Arr::Param(_), index, .. } = s {
                if let Some((at, base, off)) = index_at.get(index) {
                    groups.entry((*array, base.clone())).or_default().push((*at, i, *off));
                }
            }
        }
        let mut keys: Vec<_> = groups.keys().cloned().collect();
        keys.sort_by_key(|k| (format!("{:?}", k.0), k.1.clone()));
        let moved = keys.into_iter().any(|k| {
            let g = &groups[&k];
            let first = g.iter().map(|&(at, ..)| at).min().unwrap_or(0);
            let &(at, load, _) = g.iter().max_by_key(|&&(at, _, off)| (off, std::cmp::Reverse(at))).unwrap();
            at > first && move_before(run, first, at, load)
        });
        if !moved {
            return;
        }
    }
}

/// Moves the index set at `at` and its load at `load` to position `to`
/// (keeping their order), when no statement between reads or assigns what
/// they assign. What they read moves with them: the set reads only names
/// (no statement of the run binds one), the load the set's index.
fn move_before(run: &mut [Stmt], to: usize, at: usize, load: usize) -> bool {
    let moving = [at, load];
    let moved: Vec<Temp> = moving.iter().flat_map(|&i| run[i].defs()).collect();
    let ok = (to..load).filter(|i| !moving.contains(i)).all(|i| {
        let (r, w) = (reads(&run[i]), run[i].defs());
        moved.iter().all(|d| !r.contains(d) && !w.contains(d))
    });
    if !ok {
        return false;
    }
    // The load first to `to + 1` (rotating the span before it), then the set to `to`.
    run[to..=load].rotate_right(1);
    let at = at + 1;
    run[to..=at].rotate_right(1);
    debug_assert!(matches!((&run[to], &run[to + 1]), (Stmt::Set { .. }, Stmt::Load { .. })));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn set(dst: usize, ts: TokenStream) -> Stmt {
        Stmt::Set { dst: Temp(dst), expr: quote!(::gd::__private::to_usize(#ts)) }
    }
    fn load(dst: usize, index: usize) -> Stmt {
        Stmt::Load { dst: Temp(dst), array: Arr::Param(0), index: Temp(index) }
    }
    /// The statements as (kind, dst) pairs.
    fn shape(b: &Block) -> Vec<(char, usize)> {
        b.iter()
            .map(|s| match s {
                Stmt::Set { dst, .. } => ('s', dst.0),
                Stmt::Load { dst, .. } => ('l', dst.0),
                Stmt::Verbatim(_) => ('v', 0),
                _ => ('?', 0),
            })
            .collect()
    }

    #[test]
    fn farthest_load_first_within_a_run() {
        // x[i - 1], x[i], x[i + 2]: x[i + 2] moves first.
        let mut b = vec![set(1, quote!(i - 1)), load(2, 1), set(3, quote!(i)), load(4, 3), set(5, quote!(i + 2)), load(6, 5)];
        highest_offset_first(&mut b);
        assert_eq!(shape(&b), [('s', 5), ('l', 6), ('s', 1), ('l', 2), ('s', 3), ('l', 4)]);
        // Another base, or user code between, stops it.
        let mut b = vec![set(1, quote!(i)), load(2, 1), set(3, quote!(j + 1)), load(4, 3)];
        highest_offset_first(&mut b);
        assert_eq!(shape(&b), [('s', 1), ('l', 2), ('s', 3), ('l', 4)]);
        let mut b = vec![set(1, quote!(i)), load(2, 1), Stmt::Verbatim(quote!(println!("{}", i);)), set(3, quote!(i + 1)), load(4, 3)];
        highest_offset_first(&mut b);
        assert_eq!(shape(&b), [('s', 1), ('l', 2), ('v', 0), ('s', 3), ('l', 4)]);
    }
}
