//! Gradient writes of a seeded loop's reads at indices affine in the trip.
//!
//! A seeded loop (see `fused`) reverses each trip right after it, so the
//! adjoint of a read `x[k]` could go straight into `g[k]`. A stencil reads
//! each element on several trips (`x[i]` and `x[i + 1]`: trip `i` reads
//! what trip `i + 1` reads again), so that is a load, an add and a store per
//! read, and the stores of one trip overlap the loads of the next (after
//! vectorization, a 16-byte store that the next trip's 16-byte load
//! half-overlaps defeats store-to-load forwarding). A hand-written gradient
//! keeps the running sums in registers; so does this plan.
//!
//! For one array parameter and one seeded loop `for v in a..b` (or
//! `(a..b).step_by(st)`, `st` a literal), when every read of the parameter
//! in the body runs on every trip and its index is affine in `v` with one
//! slope `s ≥ 1` (`x[i + 1]`, `x[2 * k]`, a window's or an exact chunk's
//! `w[j]`), trip `t` reads positions `0..w` of a window starting at
//! `base_t`, and `base_{t+1} = base_t + c` with `c = s · st`. Then the
//! adjoint of position `j` goes to a register `acc_j`; after the trip's
//! reverse, positions `0..c` are final (no later trip reads them) and are
//! written once, the others move down by `c`; after the loop the last trip's
//! positions `c..w` are written. With `w ≤ c` nothing is carried.
//!
//! `value_and_grad_into` adds the final sums (`g[k] += acc`). Where the
//! parameter is read by this loop alone and `w ≥ c`, the trips' writes tile
//! one contiguous range `[lo, hi)` with each element written once, so
//! `value_and_grad_set` assigns them (`g[k] = acc`) and zeroes only what lies
//! outside, `hi` being recorded by the last trip: `lo = hi - (w - c) - c ·
//! trips`. Indices were bounds-checked by the loads of the forward sweep
//! (every position up to `w - 1` is read on the last trip or carried from a
//! read of an earlier one). Anything else takes the general path: each read
//! adds into `g`, and `_set` zeroes the buffer first.

use std::collections::HashMap;

use super::fused::Coef;
use crate::ir::*;

/// The most positions a window carries in registers.
const MAX_WIDTH: usize = 16;

/// The reads of one array parameter in one seeded loop, planned as above.
#[derive(Clone, Debug)]
pub struct Window {
    pub param: usize,
    /// The loop's trip counter.
    pub count: Temp,
    /// `c`: how far the window moves per trip.
    pub stride: usize,
    /// `w`: how many positions it spans.
    pub width: usize,
    /// The index of position 0 in the current trip (a read's index temporary).
    pub base: Temp,
}

/// The windows of one sweep, and by load the window and position it reads.
/// `assign`: the sweep of `value_and_grad_set`, whose windows assign.
#[derive(Clone, Default)]
pub struct WindowPlan {
    pub assign: bool,
    pub windows: Vec<Window>,
    pub loads: HashMap<Temp, (usize, usize)>,
}

impl WindowPlan {
    /// Windows that add (`value_and_grad_into`, `vjp`, the dual copy): every
    /// seeded loop's affine reads of each array parameter (by position).
    pub fn adding(arrays: &[usize], body: &Block, temps: &[TempInfo], seeded: &HashMap<Temp, Coef>) -> Self {
        let mut plan = WindowPlan::default();
        for s in body {
            let Stmt::Loop(l) = s else { continue };
            if !seeded.contains_key(&l.count) {
                continue;
            }
            for &p in arrays {
                if uses(&l.body, p) {
                    if let Some((w, loads)) = window(p, l, temps) {
                        plan.push(w, loads);
                    }
                }
            }
        }
        plan
    }

    /// Windows that assign (`value_and_grad_set`): each array parameter read
    /// by one seeded loop alone, whose trips tile a range (`w ≥ c`).
    pub fn assigning(arrays: &[usize], body: &Block, temps: &[TempInfo], seeded: &HashMap<Temp, Coef>) -> Self {
        let mut plan = WindowPlan { assign: true, ..Default::default() };
        for &p in arrays {
            let mut users = body.iter().filter(|s| uses(std::slice::from_ref(*s), p));
            let (Some(Stmt::Loop(l)), None) = (users.next(), users.next()) else { continue };
            if !seeded.contains_key(&l.count) {
                continue;
            }
            match window(p, l, temps) {
                Some((w, loads)) if w.width >= w.stride => plan.push(w, loads),
                _ => {}
            }
        }
        plan
    }

    fn push(&mut self, w: Window, loads: Vec<(Temp, usize)>) {
        let id = self.windows.len();
        self.loads.extend(loads.into_iter().map(|(dst, pos)| (dst, (id, pos))));
        self.windows.push(w);
    }

    /// The windows of a loop, with their ids.
    pub fn of_loop(&self, count: Temp) -> Vec<(usize, &Window)> {
        self.windows.iter().enumerate().filter(|(_, w)| w.count == count).collect()
    }

    /// The window that assigns parameter `p`'s gradient, if any.
    pub fn assigned(&self, p: usize) -> Option<&Window> {
        self.windows.iter().find(|w| self.assign && w.param == p)
    }
}

/// Affine value `slope · v + offset` of an integer in the loop variable.
type Affine = (i64, i64);

/// Parameter `p`'s window in loop `l`, with each load's position.
fn window(p: usize, l: &Loop, temps: &[TempInfo]) -> Option<(Window, Vec<(Temp, usize)>)> {
    let LoopHead::For { pat, iter } = &l.head else { return None };
    let var = match syn::parse::Parser::parse2(syn::Pat::parse_single, pat.clone()).ok()? {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.mutability.is_none() && pi.subpat.is_none() => pi.ident.to_string(),
        _ => return None,
    };
    let step = range_step(&syn::parse2::<syn::Expr>(iter.clone()).ok()?)?;
    let mut env: HashMap<String, Option<Affine>> = HashMap::new();
    env.insert(var, Some((1, 0)));
    let mut index: HashMap<Temp, Affine> = HashMap::new();
    let mut loads = Vec::new();
    walk(&l.body, p, temps, &mut env, &mut index, &mut loads)?;
    let slope = loads.first()?.2 .0;
    if slope < 1 || loads.iter().any(|(_, _, (s, _))| *s != slope) {
        return None;
    }
    let lo = loads.iter().map(|(_, _, (_, o))| *o).min()?;
    let hi = loads.iter().map(|(_, _, (_, o))| *o).max()?;
    let width = usize::try_from(hi - lo + 1).ok().filter(|w| *w <= MAX_WIDTH)?;
    let stride = usize::try_from(slope.checked_mul(step)?).ok()?;
    let base = loads.iter().find(|(_, _, (_, o))| *o == lo)?.1;
    let positions = loads.iter().map(|&(dst, _, (_, o))| (dst, (o - lo) as usize)).collect();
    Some((Window { param: p, count: l.count, stride, width, base }, positions))
}

/// The step of a loop over `a..b` (1) or `(a..b).step_by(st)` (`st`, a literal ≥ 1).
fn range_step(e: &syn::Expr) -> Option<i64> {
    match crate::lower::strip(e) {
        syn::Expr::Range(r) if r.start.is_some() && r.end.is_some() => Some(1),
        syn::Expr::MethodCall(m) if m.method == "step_by" && m.args.len() == 1 && range_step(&m.receiver) == Some(1) => match &m.args[0] {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => i.base10_parse::<i64>().ok().filter(|s| *s >= 1),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a block reads array parameter `p` or passes it to a call.
fn uses(b: &[Stmt], p: usize) -> bool {
    b.iter().any(|s| match s {
        Stmt::Load { array: Arr::Param(q), .. } => *q == p,
        Stmt::Call { args, .. } => args.iter().any(|a| matches!(a, CallArg::Array(Arr::Param(q), ..) if *q == p)),
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
    loads: &mut Vec<(Temp, Temp, Affine)>,
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
            Stmt::Load { dst, array: Arr::Param(q), index: k } if *q == p => loads.push((*dst, *k, *index.get(k)?)),
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
        // A view's checked index (`w[j]` of a window or chunk) is `j` or a panic.
        syn::Expr::Call(c) if c.args.len() == 2 && matches!(&*c.func, syn::Expr::Path(f) if f.path.segments.last().is_some_and(|s| s.ident == "view_index")) => {
            affine(&c.args[0], env)
        }
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
