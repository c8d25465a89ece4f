//! Which accumulator loops run fused, and which of those are seeded (see
//! `emit::fused` for what the sweeps then print).

use std::collections::{HashMap, HashSet};

use crate::ir::*;
use crate::plan::user_code::{idents, is_let, let_names, pure};

/// The loops (by trip-count temporary) that run fused. A fused loop's
/// scratch holds one execution's contributions until the reverse sweep
/// reaches it, so it must not sit in a loop that saves its trips (the
/// scratch would be overwritten by later trips): only at the top level, or in
/// fused or recomputed loops, whose trips are reversed right after running.
pub fn plan_fused(block: &Block, temps: &[TempInfo], ok_here: bool, recomputed: &HashSet<Temp>, seeded: &HashMap<Temp, Coef>, out: &mut HashSet<Temp>) {
    for s in block {
        match s {
            Stmt::Loop(l) => {
                // A recomputed accumulator loop replays in forward order instead
                // (`reverse_accumulating_replay`): no scratch at all. A seeded
                // one needs neither.
                let fused = seeded.contains_key(&l.count) || (ok_here && fusable(l, temps) && !recomputed.contains(&l.count));
                if fused {
                    out.insert(l.count);
                }
                plan_fused(&l.body, temps, fused || recomputed.contains(&l.count), recomputed, seeded, out);
            }
            _ => {
                for c in s.children() {
                    plan_fused(c, temps, ok_here, recomputed, seeded, out);
                }
            }
        }
    }
}

/// The accumulator's adjoint in a seeded loop: the seed times `±Π factors`
/// (`true` divides by the factor).
#[derive(Clone, Default)]
pub struct Coef {
    pub negate: bool,
    pub factors: Vec<(Factor, bool)>,
    /// Nested in a seeded loop: the seed is that loop's `s̄` (in scope as
    /// `__gd_sbar` in its trips), not the function's.
    pub nested: bool,
}

impl Coef {
    /// This coefficient multiplied (`div`: divided) by `f`.
    fn times(mut self, f: Factor, div: bool) -> Coef {
        self.factors.push((f, div));
        self
    }
}

/// A factor whose value is known before the loop runs.
#[derive(Clone)]
pub enum Factor {
    /// A constant, or a passive value that nothing at or after the loop assigns.
    Operand(Operand),
    /// Passive user code that the tail evaluates (`s / n` converts `n`),
    /// reading only names that nothing from the loop on touches: the same
    /// value when evaluated before the loop.
    Expr(proc_macro2::TokenStream),
    /// An element of an array parameter (active or not: parameters never
    /// change) at an index that such code computes: `x[i]` in
    /// `s += x[i] * t` after the inner loop that sums `t`.
    Load(usize, proc_macro2::TokenStream),
}

/// The top-level accumulator loops whose sum reaches the function's scalar
/// result (`ret`, the first temporary) linearly, with a coefficient known
/// before the loop runs: through copies, `+`/`-` of other values, negation,
/// and products or quotients by constants or values that nothing at or
/// after the loop assigns (`s`, `0.5 * s`, `s / n`, `a + lam * s`).
/// Their `s̄` is the seed times that coefficient (see `Coef`).
///
/// The same holds one level down: in a seeded loop's trip the adjoint of
/// the trip's end value is that loop's `s̄`, so an accumulator loop at the
/// top level of its body whose sum reaches the end value linearly is
/// seeded too, with `s̄` times its coefficient (`quad_form`'s inner
/// `t += a[i * d + j] * x[j]`, then `s += x[i] * t`: `t̄ = s̄ · x[i]`). Its
/// trips then add straight into the gradient while they sum, one pass over
/// the row where the replay after the sum took a second.
pub fn plan_seeded(body: &Block, temps: &[TempInfo]) -> HashMap<Temp, Coef> {
    let ret = Temp(0);
    let mut out = HashMap::new();
    if temps[ret.0].ty != Ty::Float {
        return out;
    }
    let fixed = fixed_arrays(body);
    seeded_in(body, ret, &fixed, false, temps, &mut out);
    out
}

/// The seeded loops at the top level of `block`, whose result is `ret`
/// (`nested`: a seeded loop's body, `ret` its end value), and inside them.
fn seeded_in(block: &Block, ret: Temp, fixed: &HashSet<usize>, nested: bool, temps: &[TempInfo], out: &mut HashMap<Temp, Coef>) {
    for (i, s) in block.iter().enumerate() {
        let Stmt::Loop(l) = s else { continue };
        // A checkpointed loop runs its own schedule, not a seeded reverse
        // (nor, then, the loops in it: their seed would be its `s̄`).
        if l.checkpoint.is_some() {
            continue;
        }
        // Local arrays nothing writes from the loop on: the trips may add
        // into their adjoints in the forward sweep (see `seeded_local_reads`).
        let outside: HashSet<usize> = fixed.iter().copied().filter(|&a| !writes_array(&block[i..], a)).collect();
        if !fusable_reading(l, temps, &outside) {
            continue;
        }
        if let Some(c) = linear_tail(l, &block[i + 1..], ret, temps) {
            out.insert(l.count, Coef { nested, ..c });
            seeded_in(&l.body, l.backedge[0].1, &HashSet::new(), true, temps, out);
        }
    }
}

/// The coefficient of the loop's sum in `ret`, if `rest` (what follows the
/// loop) computes `ret` linearly from it.
fn linear_tail(l: &Loop, rest: &[Stmt], ret: Temp, temps: &[TempInfo]) -> Option<Coef> {
    let mut late = HashSet::new();
    assigned(&l.body, &mut late);
    if late.contains(&ret) {
        return None;
    }
    assigned(rest, &mut late);
    // Passive conversions in the tail that can be evaluated up front.
    let mut early: HashMap<Temp, proc_macro2::TokenStream> = HashMap::new();
    // Loads of array parameters at such indices, by array.
    let mut loads: HashMap<Temp, (usize, proc_macro2::TokenStream)> = HashMap::new();
    let mut touched = names_touched(&l.body, false);
    // A factor: a constant, or a passive value already final when the loop runs.
    let fixed = |o: &Operand, early: &HashMap<Temp, proc_macro2::TokenStream>, loads: &HashMap<Temp, (usize, proc_macro2::TokenStream)>| match o {
        Operand::Const(_) => Some(Factor::Operand(o.clone())),
        Operand::Temp(y) if early.contains_key(y) => Some(Factor::Expr(early[y].clone())),
        Operand::Temp(y) if loads.contains_key(y) => Some(Factor::Load(loads[y].0, loads[y].1.clone())),
        // Active or not: only its value is taken (the product's adjoint
        // to it is the tail's own reverse).
        Operand::Temp(y) if temps[y.0].ty == Ty::Float && !late.contains(y) => Some(Factor::Operand(o.clone())),
        Operand::Temp(_) => None,
    };
    let mut chain: HashMap<Temp, Coef> = [(l.backedge[0].0, Coef::default())].into_iter().collect();
    let on = |o: &Operand, chain: &HashMap<Temp, Coef>| match o {
        Operand::Temp(x) => chain.get(x).cloned(),
        Operand::Const(_) => None,
    };
    for s in rest {
        let step = match s {
            Stmt::Alias { name, .. } => {
                touched.insert(name.to_string());
                continue;
            }
            Stmt::Set { dst, expr } if !temps[dst.0].active && matches!(temps[dst.0].ty, Ty::Float | Ty::Usize) && defs_of(*dst, rest) == 1 && pure(expr) && ident_list(expr).iter().all(|i| !touched.contains(i) && !i.starts_with("__gd_") || i == "__gd_S") => {
                early.insert(*dst, expr.clone());
                continue;
            }
            Stmt::Load { dst, array: Arr::Param(p), index } if early.contains_key(index) && defs_of(*dst, rest) == 1 => {
                loads.insert(*dst, (*p, early[index].clone()));
                continue;
            }
            Stmt::Copy { dst, src } => on(src, &chain).map(|c| (*dst, c)),
            Stmt::Op { dst, prim, args } => {
                let (a, b) = (args.first().and_then(|o| on(o, &chain)), args.get(1).and_then(|o| on(o, &chain)));
                match (prim.0.name, a, b) {
                    ("add", Some(c), None) | ("add", None, Some(c)) | ("sub", Some(c), None) => Some((*dst, c)),
                    ("sub", None, Some(c)) | ("neg", Some(c), None) => Some((*dst, Coef { negate: !c.negate, ..c })),
                    // By a factor known up front; any other product ends the tail.
                    ("mul", Some(c), None) => Some((*dst, c.times(fixed(&args[1], &early, &loads)?, false))),
                    ("mul", None, Some(c)) => Some((*dst, c.times(fixed(&args[0], &early, &loads)?, false))),
                    ("div", Some(c), None) => Some((*dst, c.times(fixed(&args[1], &early, &loads)?, true))),
                    (_, None, None) => None,
                    _ => return None,
                }
            }
            _ => None,
        };
        match step {
            // A chain value is assigned once (a second write would change
            // what the coefficient describes).
            Some((dst, c)) if !chain.contains_key(&dst) => {
                chain.insert(dst, c);
            }
            Some(_) => return None,
            None => {
                touched.extend(names_touched(std::slice::from_ref(s), true));
                // Any other statement may neither read nor write the chain.
                if touches_any(s, chain.keys()) {
                    return None;
                }
            }
        }
    }
    chain.remove(&ret)
}

/// The names whose value user code in the block may change for the code
/// that follows it: at the block's top level (`top`), the names its `let`s
/// and aliases bind; at any depth, every name that impure code mentions (an
/// assignment, a call that is not a float method: see `user_code::pure`).
/// Bindings inside nested blocks and loops end with them.
fn names_touched(b: &[Stmt], top: bool) -> HashSet<String> {
    let mut out = HashSet::new();
    let all = |ts: &proc_macro2::TokenStream, out: &mut HashSet<String>| {
        if !pure(ts) {
            idents(ts, out);
        }
    };
    for s in b {
        match s {
            Stmt::Verbatim(ts) if is_let(ts) => {
                all(ts, &mut out);
                if top {
                    let_names(ts, &mut out);
                }
            }
            Stmt::Verbatim(ts) => idents(ts, &mut out),
            Stmt::Set { expr, .. } => all(expr, &mut out),
            Stmt::Alias { name, .. } | Stmt::AliasArr { name, .. } if top => {
                out.insert(name.to_string());
            }
            Stmt::Loop(l) => {
                if let LoopHead::For { iter, .. } = &l.head {
                    all(iter, &mut out);
                }
            }
            _ => {}
        }
        for c in s.children() {
            out.extend(names_touched(c, false));
        }
    }
    out
}

fn ident_list(ts: &proc_macro2::TokenStream) -> Vec<String> {
    let mut out = HashSet::new();
    idents(ts, &mut out);
    out.into_iter().collect()
}

/// How many statements in the block (nested ones included) assign `x`.
pub(crate) fn defs_of(x: Temp, b: &[Stmt]) -> usize {
    b.iter().map(|s| s.defs().iter().filter(|d| **d == x).count() + s.children().into_iter().map(|c| defs_of(x, c)).sum::<usize>()).sum()
}

/// Is the loop's one carried value an accumulator, its body free of calls,
/// matrix rules and outside arrays? An accumulator's value at the end of a
/// trip is its value at the start plus terms that do not depend on it, on
/// every path through the body: `s += e`, `s -= e`, several in a row, or
/// one per branch (`if r.abs() < d { s += .. } else { s += .. }`). Then
/// its adjoint passes unchanged from trip to trip (see `emit::fused`).
pub fn fusable(l: &Loop, temps: &[TempInfo]) -> bool {
    fusable_reading(l, temps, &HashSet::new())
}

/// `fusable`, the body also allowed to read the local arrays `outside`.
fn fusable_reading(l: &Loop, temps: &[TempInfo], outside: &HashSet<usize>) -> bool {
    let [(h, end)] = l.backedge[..] else { return false };
    if temps[h.0].ty != Ty::Float {
        return false;
    }
    // The running sums: `h`, and what `c ± e` and copies make of them.
    let mut chain: HashSet<Temp> = [h].into_iter().collect();
    loop {
        let before = chain.len();
        grow_chain(&l.body, &mut chain);
        if chain.len() == before {
            break;
        }
    }
    // A chain value copied into the result (`return s` inside the loop)
    // leaves the loop but through the back edge: the fused trip would not
    // see its adjoint.
    chain.contains(&end) && !chain.contains(&Temp(0)) && chain_only(&l.body, &chain, h) && simple(&l.body, &created(&l.body), outside)
}

/// The temporaries a running sum flows into: `c + e`, `e + c`, `c - e` and
/// copies of `c`, at any depth but that of nested loops.
fn grow_chain(b: &[Stmt], chain: &mut HashSet<Temp>) {
    for s in b {
        match s {
            Stmt::Op { dst, args, .. } if args.iter().any(|a| matches!(a, Operand::Temp(x) if chain.contains(x))) => {
                chain.insert(*dst);
            }
            Stmt::Copy { dst, src: Operand::Temp(x) } if chain.contains(x) => {
                chain.insert(*dst);
            }
            Stmt::If { then, els, .. } => {
                grow_chain(then, chain);
                grow_chain(els, chain);
            }
            Stmt::Scope(inner) => grow_chain(inner, chain),
            _ => {}
        }
    }
}

/// Whether every read of a running sum is `c ± e` with `e` off the chain
/// (or a copy), and every write of one (`h` excepted, which only the back
/// edge assigns) is such an operation: then each is `h` plus terms free of
/// `h`. User code may read them through aliases (branch conditions, a
/// `break`): that changes no derivative.
fn chain_only(b: &[Stmt], chain: &HashSet<Temp>, h: Temp) -> bool {
    let on = |o: &Operand| matches!(o, Operand::Temp(x) if chain.contains(x));
    b.iter().all(|s| match s {
        Stmt::Op { dst, prim, args } if chain.contains(dst) => {
            let ons: Vec<bool> = args.iter().map(on).collect();
            *dst != h && matches!((prim.0.name, &ons[..]), ("add", [true, false]) | ("add", [false, true]) | ("sub", [true, false]))
        }
        Stmt::Copy { dst, src } if chain.contains(dst) => *dst != h && on(src),
        Stmt::If { then, els, .. } => chain_only(then, chain, h) && chain_only(els, chain, h),
        Stmt::Scope(inner) => chain_only(inner, chain, h),
        _ => !touches_any(s, chain),
    })
}

/// Does the statement (nested blocks included) read or assign any of `xs`?
fn touches_any<'a>(s: &Stmt, xs: impl IntoIterator<Item = &'a Temp>) -> bool {
    let one = std::slice::from_ref(s);
    let mut reads = HashMap::new();
    count_reads(one, &mut reads);
    let mut writes = HashSet::new();
    assigned(one, &mut writes);
    xs.into_iter().any(|x| reads.contains_key(x) || writes.contains(x))
}

/// Reads of each temporary as a value (aliases for user code excluded).
pub fn count_reads(b: &[Stmt], out: &mut HashMap<Temp, usize>) {
    for s in b {
        let mut read = |x: Temp| *out.entry(x).or_insert(0) += 1;
        match s {
            Stmt::Op { args, .. } => args.iter().for_each(|a| if let Operand::Temp(x) = a { read(*x) }),
            Stmt::Copy { src: Operand::Temp(x), .. } => read(*x),
            Stmt::ArrNew { init: Operand::Temp(x), .. } | Stmt::Store { src: Operand::Temp(x), .. } | Stmt::Push { src: Operand::Temp(x), .. } => read(*x),
            Stmt::Call { args, .. } | Stmt::CallArr { args, .. } => args.iter().flat_map(|a| a.temps()).for_each(&mut read),
            Stmt::TOp { args, .. } => args.iter().flat_map(|a| a.temps()).for_each(&mut read),
            Stmt::TMap { arg, .. } => arg.temps().into_iter().for_each(&mut read),
            Stmt::Loop(l) => l.backedge.iter().for_each(|&(_, e)| read(e)),
            _ => {}
        }
        for c in s.children() {
            count_reads(c, out);
        }
    }
}

fn created(b: &Block) -> HashSet<usize> {
    let mut out = HashSet::new();
    fn go(b: &Block, out: &mut HashSet<usize>) {
        for s in b {
            if let Stmt::ArrNew { arr, .. } = s {
                out.insert(*arr);
            }
            s.children().into_iter().for_each(|c| go(c, out));
        }
    }
    go(b, &mut out);
    out
}

/// No matrix rules or outputs, only local arrays made in the body, and no
/// calls but to scalar functions of floats and data (`bond(x[i], x[i + 1])`):
/// their reverse runs the callee's `__gd_vjp` inside the trip like any
/// other operation's; a call given arrays, matrices or structs, or one that
/// splits, keeps the loop on the saving path.
fn simple(b: &Block, own: &HashSet<usize>, outside: &HashSet<usize>) -> bool {
    b.iter().all(|s| {
        let here = match s {
            Stmt::Call { args, pullback: None, .. } => args.iter().all(|a| matches!(a, CallArg::Scalar(_) | CallArg::Passive(_) | CallArg::Literal(_))),
            Stmt::Call { .. } | Stmt::CallArr { .. } | Stmt::TOp { .. } | Stmt::TMap { .. } | Stmt::Seed { .. } => false,
            Stmt::Load { array: Arr::Local(a), .. } => own.contains(a) || outside.contains(a),
            Stmt::Store { arr: a, .. } | Stmt::Push { arr: a, .. } => own.contains(a),
            _ => true,
        };
        here && s.children().into_iter().all(|c| simple(c, own, outside))
    })
}

/// Local arrays created at the function's top level whose length never
/// changes (no `push`) and that are not its output (`Seed`): their adjoint
/// can be sized when they are created.
fn fixed_arrays(body: &Block) -> HashSet<usize> {
    fn resized(b: &[Stmt], out: &mut HashSet<usize>) {
        for s in b {
            if let Stmt::Push { arr, .. } | Stmt::Seed { arr } | Stmt::CallArr { arr, .. } = s {
                out.insert(*arr);
            }
            s.children().into_iter().for_each(|c| resized(c, out));
        }
    }
    let mut out: HashSet<usize> = body.iter().filter_map(|s| if let Stmt::ArrNew { arr, .. } = s { Some(*arr) } else { None }).collect();
    let mut gone = HashSet::new();
    resized(body, &mut gone);
    out.retain(|a| !gone.contains(a));
    out
}

/// Does the block (nested blocks included) store into local array `a`?
fn writes_array(b: &[Stmt], a: usize) -> bool {
    b.iter().any(|s| matches!(s, Stmt::Store { arr, .. } | Stmt::Push { arr, .. } | Stmt::CallArr { arr, .. } if *arr == a) || s.children().into_iter().any(|c| writes_array(c, a)))
}

/// The local arrays that seeded loops read but did not create: their trips
/// add into those arrays' adjoints in the forward sweep, so the adjoints are
/// sized when the arrays are created rather than when the reverse sweep
/// reaches the end of their block. Sound because nothing writes such an
/// array from the loop on (`plan_seeded`): every adjoint the trips add
/// belongs to the values the reverse sweep then propagates.
pub fn seeded_local_reads(body: &Block, seeded: &HashMap<Temp, Coef>) -> HashSet<usize> {
    fn loads(b: &[Stmt], out: &mut HashSet<usize>) {
        for s in b {
            if let Stmt::Load { array: Arr::Local(a), .. } = s {
                out.insert(*a);
            }
            s.children().into_iter().for_each(|c| loads(c, out));
        }
    }
    let mut out = HashSet::new();
    for s in body {
        if let Stmt::Loop(l) = s {
            if seeded.contains_key(&l.count) {
                let mut read = HashSet::new();
                loads(&l.body, &mut read);
                let own = created(&l.body);
                out.extend(read.into_iter().filter(|a| !own.contains(a)));
            }
        }
    }
    out
}

/// What a fused loop's trips add into: the active temporaries from outside
/// the body that it reads (the accumulator's header excepted) and the
/// parameter arrays it loads from.
pub struct Targets {
    pub temps: Vec<Temp>,
    pub params: Vec<usize>,
}

/// How many times each temporary is assigned, nested blocks, loop headers
/// and break flags included (see [`assigned`]).
pub fn count_defs(b: &Block, n: &mut HashMap<Temp, usize>) {
    for s in b {
        for d in s.defs() {
            *n.entry(d).or_default() += 1;
        }
        if let Stmt::Loop(l) = s {
            for &(h, _) in &l.backedge {
                *n.entry(h).or_default() += 1;
            }
            *n.entry(l.brk).or_default() += 1;
        }
        for c in s.children() {
            count_defs(c, n);
        }
    }
}

/// Every temporary the block assigns, nested blocks and loop headers included.
pub fn assigned(b: &[Stmt], out: &mut HashSet<Temp>) {
    for s in b {
        out.extend(s.defs());
        if let Stmt::Loop(l) = s {
            out.extend(l.backedge.iter().map(|&(h, _)| h));
        }
        s.children().into_iter().for_each(|c| assigned(c, out));
    }
}

pub fn targets(l: &Loop, temps: &[TempInfo]) -> Targets {
    let mut inside = HashSet::new();
    assigned(&l.body, &mut inside);
    let mut reads = HashMap::new();
    count_reads(&l.body, &mut reads);
    let h = l.backedge[0].0;
    let mut ts: Vec<Temp> = reads.keys().copied().filter(|x| *x != h && !inside.contains(x) && temps[x.0].active).collect();
    ts.sort();
    let mut params = HashSet::new();
    fn loads(b: &Block, out: &mut HashSet<usize>) {
        for s in b {
            if let Stmt::Load { array: Arr::Param(i), .. } = s {
                out.insert(*i);
            }
            s.children().into_iter().for_each(|c| loads(c, out));
        }
    }
    loads(&l.body, &mut params);
    let mut params: Vec<usize> = params.into_iter().collect();
    params.sort();
    Targets { temps: ts, params }
}

