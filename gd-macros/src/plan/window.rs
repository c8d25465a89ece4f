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

use std::collections::{HashMap, HashSet};

use super::fused::Coef;
use super::Loops;
use crate::ir::*;
use crate::syntax::usize_arg;

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
    /// A scratched loop's window: its trips write with a unit seed, its
    /// reverse scales the gradient by the sum's adjoint (see `assigning`).
    pub scaled: bool,
}

/// The windows of one sweep, and by load the window and position it reads.
/// `assign`: the sweep of `value_and_grad_set`, whose windows assign.
#[derive(Clone, Default)]
pub struct WindowPlan {
    pub assign: bool,
    pub windows: Vec<Window>,
    pub loads: HashMap<Temp, (usize, usize)>,
    /// Loads whose gradient the reverse sweep assigns: see `assigning`.
    pub backward: HashMap<Temp, Backward>,
}

/// A load whose gradient the reverse sweep assigns (see `assigning`).
#[derive(Clone, Copy, Debug)]
pub struct Backward {
    pub param: usize,
    /// The loop's trip counter.
    pub count: Temp,
    /// Whether the index rises from trip to trip.
    pub rises: bool,
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

    /// Windows that assign (`value_and_grad_set`): for each array parameter,
    /// the loop that writes its gradient first, when its trips tile a range
    /// (`w ≥ c`). Which loop that is: the sweeps write a parameter's
    /// gradient in the forward sweep from fused loops only (a seeded loop's
    /// trips, a scratched one's nested loops), everything else in the reverse
    /// sweep, after. So it is the first top-level loop using the parameter
    /// when that loop is seeded and no statement before it writes in the
    /// forward sweep; later writers add. A scratched loop (sum's adjoint known
    /// only after it) also qualifies when nothing after it uses the
    /// parameter: it writes its trips' contributions with a unit seed into
    /// the gradient itself, which its reverse then scales by the sum's
    /// adjoint, in place of a scratch array and a second pass (`scaled`).
    /// Each assigning loop zeroes what lies outside its range right after
    /// it runs, before any later writer adds.
    ///
    /// Where no loop writes the parameter's gradient in the forward sweep, the
    /// last statement to use it writes first (its reverse runs first). When
    /// that is a loop over a range (or a reversed range) that reads the
    /// parameter once per trip, on every trip, at an index of slope ±1 in
    /// the loop variable (Horner's `p = p * t + x[i]`), its trips write
    /// distinct contiguous elements: the reverse assigns each (`backward`),
    /// and zeroes the rest after the loop: the last index it wrote (trip
    /// 0's) and the trip count give the range. A selection fold
    /// (`plan::select`) reverses only some of its trips, so it adds.
    pub fn assigning(arrays: &[usize], body: &Block, temps: &[TempInfo], loops: &Loops) -> Self {
        let mut plan = WindowPlan { assign: true, ..Default::default() };
        for &p in arrays {
            let users: Vec<usize> = (0..body.len()).filter(|&k| uses(std::slice::from_ref(&body[k]), p)).collect();
            let Some(&first) = users.iter().find(|&&k| writes_forward(&body[k], &loops.fused)) else {
                // No forward writer: the last statement to use it writes first.
                // (Not a selection fold: its reverse visits only some trips.)
                if let Some(Stmt::Loop(l)) = users.last().map(|&k| &body[k]).filter(|s| !matches!(s, Stmt::Loop(l) if loops.selects.contains_key(&l.count))) {
                    if let Some((load, rises)) = single_read(p, l, temps) {
                        plan.backward.insert(load, Backward { param: p, count: l.count, rises });
                    }
                }
                continue;
            };
            let Stmt::Loop(l) = &body[first] else { continue };
            let scaled = !loops.seeded.contains_key(&l.count);
            if scaled && users.last() != Some(&first) {
                continue;
            }
            match window(p, l, temps) {
                Some((mut w, loads)) if w.width >= w.stride => {
                    w.scaled = scaled;
                    plan.push(w, loads)
                }
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

    /// Whether `value_and_grad_set` assigns parameter `p`'s gradient, so that
    /// it need not zero it first.
    pub fn assigns(&self, p: usize) -> bool {
        self.assign && (self.windows.iter().any(|w| w.param == p) || self.backward.values().any(|b| b.param == p))
    }

    /// Whether loop `count` writes parameter `p`'s gradient in place with a
    /// unit seed (a `scaled` window) rather than into a scratch array.
    pub fn in_place(&self, count: Temp, p: usize) -> bool {
        self.windows.iter().any(|w| w.scaled && w.count == count && w.param == p)
    }
}

/// Affine value `slope · v + offset` of an integer in the loop variable.
pub(super) type Affine = (i64, i64);

/// Parameter `p`'s window in loop `l`, with each load's position.
fn window(p: usize, l: &Loop, temps: &[TempInfo]) -> Option<(Window, Vec<(Temp, usize)>)> {
    let LoopHead::For { iter, .. } = &l.head else { return None };
    let step = range_step(&syn::parse2::<syn::Expr>(iter.clone()).ok()?)?;
    let loads = affine_loads(p, l, temps)?;
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
    Some((Window { param: p, count: l.count, stride, width, base, scaled: false }, positions))
}

/// The one load of `p` in loop `l`'s body, when it runs on every trip at an
/// index of slope ±1 in the variable of a range or reversed range, and
/// whether that index rises from trip to trip.
fn single_read(p: usize, l: &Loop, temps: &[TempInfo]) -> Option<(Temp, bool)> {
    let LoopHead::For { iter, .. } = &l.head else { return None };
    if !crate::plan::recompute::is_reversible_range(iter) {
        return None;
    }
    let reversed = !crate::plan::recompute::is_range(iter);
    match affine_loads(p, l, temps)?[..] {
        [(dst, _, (slope, _))] if slope.abs() == 1 => Some((dst, (slope > 0) != reversed)),
        _ => None,
    }
}

/// The loads of `p` in a `for` loop over a simple name, each with its index
/// as an affine form of that name (see `walk`).
fn affine_loads(p: usize, l: &Loop, temps: &[TempInfo]) -> Option<Vec<(Temp, Temp, Affine)>> {
    let loads = affine_accesses(Arr::Param(p), l, temps)?.into_iter().filter_map(|a| Some((a.dst?, a.index, a.at))).collect();
    Some(loads)
}

/// A load (`dst`) or a store (`dst: None`) of an array in a loop's body, its
/// index an affine form of the loop variable.
#[derive(Clone, Copy, Debug)]
pub(super) struct Access {
    pub dst: Option<Temp>,
    pub index: Temp,
    pub at: Affine,
}

/// The accesses of array `a` that run on every trip of a `for` loop over a
/// simple name, in the body's order, each with its index as an affine form
/// of that name (see `walk`).
pub(super) fn affine_accesses(a: Arr, l: &Loop, temps: &[TempInfo]) -> Option<Vec<Access>> {
    let LoopHead::For { pat, .. } = &l.head else { return None };
    let var = match syn::parse::Parser::parse2(syn::Pat::parse_single, pat.clone()).ok()? {
        syn::Pat::Ident(pi) if pi.by_ref.is_none() && pi.mutability.is_none() && pi.subpat.is_none() => pi.ident.to_string(),
        _ => return None,
    };
    let mut env: HashMap<String, Option<Affine>> = HashMap::new();
    env.insert(var, Some((1, 0)));
    let mut out = Vec::new();
    walk(&l.body, a, temps, &mut env, &mut HashMap::new(), &mut out)?;
    Some(out)
}

/// The step of a loop over `a..b` (1) or `(a..b).step_by(st)` (`st`, a literal ≥ 1).
pub(super) fn range_step(e: &syn::Expr) -> Option<i64> {
    match crate::syntax::strip(e) {
        syn::Expr::Range(r) if r.start.is_some() && r.end.is_some() => Some(1),
        // The step through `strip` too: a literal a `macro_rules!` passed in
        // comes wrapped in an invisible group.
        syn::Expr::MethodCall(m) if m.method == "step_by" && m.args.len() == 1 && range_step(&m.receiver) == Some(1) => match crate::syntax::strip(&m.args[0]) {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => i.base10_parse::<i64>().ok().filter(|s| *s >= 1),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a statement writes a gradient in the forward sweep: a fused loop
/// at it or inside it.
fn writes_forward(s: &Stmt, fused: &HashSet<Temp>) -> bool {
    matches!(s, Stmt::Loop(l) if fused.contains(&l.count)) || s.children().into_iter().any(|c| c.iter().any(|s| writes_forward(s, fused)))
}

/// Whether a block reads array parameter `p` or passes it to a call.
fn uses(b: &[Stmt], p: usize) -> bool {
    touches(b, Arr::Param(p))
}

/// Whether a block reads, writes or passes to a call array `a`.
fn touches(b: &[Stmt], a: Arr) -> bool {
    b.iter().any(|s| match s {
        Stmt::Load { array, .. } => *array == a,
        Stmt::Store { arr, .. } | Stmt::Push { arr, .. } | Stmt::ArrNew { arr, .. } => Arr::Local(*arr) == a,
        Stmt::Call { args, .. } | Stmt::CallArr { args, .. } if args.iter().any(|x| matches!(x, CallArg::Array(b, ..) if *b == a)) => true,
        Stmt::CallArr { arr, .. } | Stmt::Seed { arr } if Arr::Local(*arr) == a => true,
        _ => s.children().into_iter().any(|c| touches(c, a)),
    })
}

/// Whether a block touches array `a` (see `touches`) other than by loads.
fn touches_not_loading(b: &[Stmt], a: Arr) -> bool {
    b.iter().any(|s| match s {
        Stmt::Load { .. } => false,
        _ if s.children().is_empty() => touches(std::slice::from_ref(s), a),
        _ => s.children().into_iter().any(|c| touches_not_loading(c, a)),
    })
}

/// Walks a loop body in order (and the scopes at its top level), keeping the
/// integer names it can follow; collects the loads (and, of a local array,
/// the stores) of `a` with the affine form of their index. `None` when an
/// access of `a` sits where it might not run on every trip, or its index is
/// not affine in the loop variable. A local array's loads elsewhere (in a
/// branch, a nested loop) are not collected and do not count: they read
/// without writing, which the plans that read local arrays' accesses allow.
fn walk(b: &Block, a: Arr, temps: &[TempInfo], env: &mut HashMap<String, Option<Affine>>, index: &mut HashMap<Temp, Affine>, out: &mut Vec<Access>) -> Option<()> {
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
            Stmt::Load { dst, array, index: k } if *array == a => out.push(Access { dst: Some(*dst), index: *k, at: *index.get(k)? }),
            Stmt::Store { arr, index: k, .. } if Arr::Local(*arr) == a => out.push(Access { dst: None, index: *k, at: *index.get(k)? }),
            Stmt::Scope(inner) => {
                // Names bound inside do not leave it.
                let mut inner_env = env.clone();
                walk(inner, a, temps, &mut inner_env, index, out)?;
            }
            _ if matches!(a, Arr::Local(_)) && !touches_not_loading(std::slice::from_ref(s), a) => {}
            // Anything else touching `a` (a nested block, a call given it).
            _ if touches(std::slice::from_ref(s), a) => return None,
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

/// `slope · k + offset` for integer literals, followed names, `+`, `-`, `*`
/// by a constant, parentheses and casts to integer types.
pub(super) fn affine(e: &syn::Expr, env: &HashMap<String, Option<Affine>>) -> Option<Affine> {
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

/// The gradient index a backward-assigning read of parameter `p` wrote last.
pub fn last(p: usize) -> proc_macro2::Ident {
    proc_macro2::Ident::new(&format!("__gd_last{p}"), proc_macro2::Span::call_site())
}

/// One past the highest gradient index written so far, for parameter `p`.
pub fn hi(p: usize) -> proc_macro2::Ident {
    proc_macro2::Ident::new(&format!("__gd_hi{p}"), proc_macro2::Span::call_site())
}
