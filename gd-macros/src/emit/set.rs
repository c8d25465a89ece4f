//! Gradients written once: when `value_and_grad_set` may assign.
//!
//! `value_and_grad_into` adds into the caller's buffer (`g[k] += ḡ`), so
//! every write reads `g[k]` back; `value_and_grad_set` overwrites the buffer.
//! Done naively (zero it, then add) that costs a pass over `g` and still the
//! read per write. For the commonest shape of a loss over a slice, a
//! (block-)separable sum
//!
//! ```text
//! let mut s = 0.0;
//! for k in a..b { let i = 2 * k; s += f(x[i], x[i + 1]); }
//! s
//! ```
//!
//! each element of the gradient gets exactly one contribution, so the
//! generated code can assign it (`g[k] = ḡ`) the way a hand-written gradient
//! does. This module proves that, from the IR, for one array parameter:
//!
//! - every read of the parameter is a `Load` that runs on every trip of one
//!   top-level *seeded* loop (its reverse runs in the trip, straight into
//!   the gradient: see `fused`), and the parameter is passed to no call;
//! - the loop is `for k in start..end` (or `..=`), ascending by one;
//! - each load's index is affine in `k` with the same slope `c ≥ 1`, built
//!   from integer literals, `k` and immutable `let`s of such values
//!   (`let i = 2 * k;`, `x[i + 1]`), and the offsets are `c` distinct
//!   consecutive integers.
//!
//! Then trip `k` writes the block `[c·k + m, c·k + m + c)`, trips write
//! disjoint blocks, and together they cover one contiguous range `[lo, hi)`.
//! The sweep records `hi` (one past the last trip's highest index) and, at
//! the end, zeroes what lies outside: `lo = hi - c · trips`. Indices were
//! bounds-checked by the loads of the forward sweep, so `lo ≤ hi ≤ len`.
//! Anything else (overlapping writes, a branch around a load, calls) takes
//! the general path: the buffer is zeroed first, then added into.

use std::collections::HashMap;

use crate::ir::*;

/// How one array parameter's gradient is assigned (see the module doc).
#[derive(Clone, Copy, Debug)]
pub struct SetParam {
    /// The slope `c`: each trip writes `c` consecutive elements.
    pub stride: usize,
    /// The loop's trip counter.
    pub count: Temp,
}

/// The plan of `__gd_vjp_set`: by parameter position, the arrays whose
/// gradient is assigned; by load, the parameter it reads and whether its
/// write is the trip's highest index (which records `hi`).
#[derive(Clone, Default)]
pub struct SetPlan {
    pub params: HashMap<usize, SetParam>,
    pub loads: HashMap<Temp, (usize, bool)>,
}

impl SetPlan {
    /// For the array parameters (by position) of a scalar-valued function's
    /// f64 reverse sweep, whose seeded loops are `seeded`.
    pub fn new(arrays: &[usize], body: &Block, temps: &[TempInfo], seeded: &std::collections::HashSet<Temp>) -> Self {
        let mut plan = SetPlan::default();
        for &p in arrays {
            if let Some((sp, loads)) = plan_param(p, body, temps, seeded) {
                plan.params.insert(p, sp);
                plan.loads.extend(loads.into_iter().map(|(dst, hi)| (dst, (p, hi))));
            }
        }
        plan
    }
}

/// Affine value `slope · k + offset` of an integer in the loop variable.
type Affine = (i64, i64);

fn plan_param(p: usize, body: &Block, temps: &[TempInfo], seeded: &std::collections::HashSet<Temp>) -> Option<(SetParam, Vec<(Temp, bool)>)> {
    // The one top-level loop that reads `p`; no read or call elsewhere.
    let mut found = None;
    for s in body {
        if uses(std::slice::from_ref(s), p) {
            match (s, found) {
                (Stmt::Loop(l), None) => found = Some(l.as_ref()),
                _ => return None,
            }
        }
    }
    let l = found?;
    if !seeded.contains(&l.count) {
        return None;
    }
    let LoopHead::For { pat, iter } = &l.head else { return None };
    let var = match syn::parse::Parser::parse2(syn::Pat::parse_single, pat.clone()).ok()? {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.mutability.is_none() && pi.subpat.is_none() => pi.ident.to_string(),
        _ => return None,
    };
    match syn::parse2::<syn::Expr>(iter.clone()).ok()? {
        syn::Expr::Range(r) if r.start.is_some() && r.end.is_some() => {}
        _ => return None,
    }
    let mut env: HashMap<String, Option<Affine>> = HashMap::new();
    env.insert(var, Some((1, 0)));
    let mut index: HashMap<Temp, Affine> = HashMap::new();
    let mut loads = Vec::new();
    walk(&l.body, p, temps, &mut env, &mut index, &mut loads)?;
    // `c` loads, one slope c ≥ 1, offsets m..m + c.
    let c = loads.first()?.1 .0;
    if c < 1 || loads.len() as i64 != c || loads.iter().any(|(_, (s, _))| *s != c) {
        return None;
    }
    let mut offsets: Vec<i64> = loads.iter().map(|(_, (_, o))| *o).collect();
    offsets.sort_unstable();
    offsets.dedup();
    if offsets.len() as i64 != c || offsets[offsets.len() - 1] - offsets[0] != c - 1 {
        return None;
    }
    let top = offsets[offsets.len() - 1];
    let marked = loads.iter().map(|&(dst, (_, o))| (dst, o == top)).collect();
    Some((SetParam { stride: c as usize, count: l.count }, marked))
}

/// Whether a block reads array parameter `p` or passes it to a call.
fn uses(b: &[Stmt], p: usize) -> bool {
    b.iter().any(|s| match s {
        Stmt::Load { array: Arr::Param(q), .. } => *q == p,
        Stmt::Call { args, .. } => args.iter().any(|a| matches!(a, CallArg::Array(Arr::Param(q), _) if *q == p)),
        _ => s.children().into_iter().any(|c| uses(c, p)),
    })
}

/// Walks a loop body in order (and the scopes at its top level), keeping the
/// integer names it can follow; collects the loads of `p` with the affine
/// form of their index. `None` when a load of `p` sits where it might not
/// run on every trip, or its index is not affine in the loop variable.
fn walk(
    b: &Block,
    p: usize,
    temps: &[TempInfo],
    env: &mut HashMap<String, Option<Affine>>,
    index: &mut HashMap<Temp, Affine>,
    loads: &mut Vec<(Temp, Affine)>,
) -> Option<()> {
    for s in b {
        match s {
            Stmt::Verbatim(ts) => bind(ts, env),
            Stmt::Alias { name, .. } | Stmt::AliasArr { name, .. } => {
                env.insert(name.to_string(), None);
            }
            Stmt::Set { dst, expr } if temps[dst.0].ty == Ty::Usize => {
                if let Some(a) = usize_arg(expr).and_then(|e| affine(&e, env)) {
                    index.insert(*dst, a);
                }
            }
            Stmt::Load { dst, array: Arr::Param(q), index: k } if *q == p => loads.push((*dst, *index.get(k)?)),
            Stmt::Scope(inner) => {
                // Names bound inside do not leave it.
                let mut inner_env = env.clone();
                walk(inner, p, temps, &mut inner_env, index, loads)?;
            }
            _ if s.children().into_iter().any(|c| uses(c, p)) => return None,
            _ => {}
        }
    }
    Some(())
}

/// Follows `let name = expr;` in verbatim user code: an immutable binding of
/// a simple name gets the affine form of its value (or none); any other
/// pattern makes the names it binds unknown.
fn bind(ts: &proc_macro2::TokenStream, env: &mut HashMap<String, Option<Affine>>) {
    let Ok(syn::Stmt::Local(local)) = syn::parse2::<syn::Stmt>(ts.clone()) else { return };
    // `let i: usize = ..` as `let i = ..`.
    let pat = match &local.pat {
        syn::Pat::Type(t) => &*t.pat,
        p => p,
    };
    let value = match (pat, &local.init) {
        (syn::Pat::Ident(pi), Some(init)) if pi.mutability.is_none() && pi.by_ref.is_none() && pi.subpat.is_none() && init.diverge.is_none() => {
            affine(&init.expr, env)
        }
        _ => None,
    };
    let mut names = Vec::new();
    pat_names(&local.pat, &mut names);
    for n in names {
        env.insert(n, value);
    }
}

fn pat_names(p: &syn::Pat, out: &mut Vec<String>) {
    struct V<'a>(&'a mut Vec<String>);
    impl<'ast> syn::visit::Visit<'ast> for V<'_> {
        fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
            self.0.push(i.ident.to_string());
            syn::visit::visit_pat_ident(self, i);
        }
    }
    syn::visit::Visit::visit_pat(&mut V(out), p);
}

/// The user's expression inside the lowering's `to_usize(..)`.
fn usize_arg(expr: &proc_macro2::TokenStream) -> Option<syn::Expr> {
    match syn::parse2::<syn::Expr>(expr.clone()).ok()? {
        syn::Expr::Call(c) if c.args.len() == 1 && matches!(&*c.func, syn::Expr::Path(f) if f.path.segments.last().is_some_and(|s| s.ident == "to_usize")) => {
            c.args.into_iter().next()
        }
        _ => None,
    }
}

/// `slope · k + offset` for integer literals, followed names, `+`, `-`, `*`
/// by a constant, parentheses and casts to integer types.
fn affine(e: &syn::Expr, env: &HashMap<String, Option<Affine>>) -> Option<Affine> {
    match e {
        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => Some((0, i.base10_parse::<i64>().ok()?)),
        syn::Expr::Path(p) if p.qself.is_none() => (*env.get(&p.path.get_ident()?.to_string())?).clone(),
        syn::Expr::Paren(p) => affine(&p.expr, env),
        syn::Expr::Group(g) => affine(&g.expr, env),
        syn::Expr::Cast(c) => {
            // 64-bit types only: a narrower cast could wrap two trips onto one index.
            let int = matches!(&*c.ty, syn::Type::Path(t) if t.path.get_ident().is_some_and(|i| ["usize", "isize", "u64", "i64"].contains(&i.to_string().as_str())));
            if int {
                affine(&c.expr, env)
            } else {
                None
            }
        }
        syn::Expr::Binary(bin) => {
            let (l, r) = (affine(&bin.left, env)?, affine(&bin.right, env)?);
            match bin.op {
                syn::BinOp::Add(_) => Some((l.0.checked_add(r.0)?, l.1.checked_add(r.1)?)),
                syn::BinOp::Sub(_) => Some((l.0.checked_sub(r.0)?, l.1.checked_sub(r.1)?)),
                syn::BinOp::Mul(_) if l.0 == 0 => Some((r.0.checked_mul(l.1)?, r.1.checked_mul(l.1)?)),
                syn::BinOp::Mul(_) if r.0 == 0 => Some((l.0.checked_mul(r.1)?, l.1.checked_mul(r.1)?)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// One past the highest gradient index written so far, for parameter `p`.
pub fn hi(p: usize) -> proc_macro2::Ident {
    proc_macro2::Ident::new(&format!("__gd_hi{p}"), proc_macro2::Span::call_site())
}
