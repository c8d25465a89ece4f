//! Power-of-two factors carried along chains of adjoints.
//!
//! Some rules multiply the adjoint by a constant power of two: `sqrt`'s
//! `0.5 / y`, `x.powi(2)`'s and `x * x`'s `2 x`, `2.0 * x`, `x / 4.0`
//! (`rules::pow2_exp`). Printed where they arise, `√(d² + c)` costs a
//! multiplication by 0.5 and a doubling per trip that cancel (LLVM may not
//! fold `(2 d)(0.5 / r)` without fast-math). Instead, a temporary whose
//! adjoint only one operation's reverse writes can keep its adjoint scaled:
//! `b̄ = 2^e · stored`, with `e` the sum of the factors between it and the
//! first temporary of its chain that is not so private. What is left at the
//! chain's ends (operands that are not private: loads, parameters, values
//! used twice) is printed there, once (`rules::update`); `0.5 · 2 = 1`
//! leaves nothing.
//!
//! A temporary is private when it is assigned once, by an operation, and
//! read only by one later operation of the same block (so one trip's
//! adjoint gets exactly one contribution, and nothing else — a copy, a
//! call, a store, a loop's back edge, the result — reads or writes its
//! adjoint). Private temporaries form trees under a root that is not; a tree
//! carries its factors only when that leaves fewer multiplications by a
//! constant than printing each where it arises (`x.powi(2)` in a seeded
//! loop keeps its `x · (s̄ + s̄)`, whose doubling leaves the loop).
//!
//! Exactness: scaling by `2^e` is exact barring overflow and underflow (see
//! `rules::update`), so the carried chain gives the same bits as the
//! uncarried one except where an intermediate adjoint would leave the range
//! of normal floats at one scale and not at the other.

use std::collections::{HashMap, HashSet};

use proc_macro2::{TokenStream, TokenTree};

use super::fused::count_defs;
use crate::ir::*;
use crate::rules;

#[derive(Default)]
pub struct Scales {
    /// The exponents `e` of the temporaries whose adjoints are kept scaled
    /// (`true adjoint = 2^e · stored`); absent means 0.
    pub exp: HashMap<Temp, i32>,
    /// Results whose adjoint is the same on every trip of their loop: the
    /// term of a loop's sum (`s = s + y`, `s` carried around the loop), whose
    /// adjoint is the sum's; the emitter applies a doubling to it rather
    /// than to the per-trip operand (see `rules::update`).
    pub steady: HashSet<Temp>,
}

/// What the reverse of an operation needs to split its partials: each
/// operand's literal value and `powi`'s exponent when it is a literal.
pub struct Consts {
    ints: HashMap<Temp, i64>,
}

impl Consts {
    pub fn of(body: &Block) -> Consts {
        let mut sets: HashMap<Temp, Vec<Option<i64>>> = HashMap::new();
        fn walk(b: &Block, sets: &mut HashMap<Temp, Vec<Option<i64>>>) {
            for s in b {
                if let Stmt::Set { dst, expr } = s {
                    let v = expr.to_string().replace(' ', "");
                    let v = v.strip_suffix("i32").unwrap_or(&v).parse::<i64>().ok();
                    sets.entry(*dst).or_default().push(v);
                } else {
                    for d in s.defs() {
                        sets.entry(d).or_default().push(None);
                    }
                }
                for c in s.children() {
                    walk(c, sets);
                }
            }
        }
        walk(body, &mut sets);
        let ints = sets.into_iter().filter_map(|(t, v)| match v[..] {
            [Some(n)] => Some((t, n)),
            _ => None,
        });
        Consts { ints: ints.collect() }
    }

    /// `(literal values of the operands, powi's exponent)` for `prim(args)`.
    pub fn of_op(&self, prim: rules::Prim, args: &[Operand]) -> (Vec<Option<f64>>, Option<i64>) {
        let lits = args
            .iter()
            .map(|o| match o {
                Operand::Const(c) => rules::literal_value(c),
                Operand::Temp(_) => None,
            })
            .collect();
        let n = match (prim.0.name, args.get(1)) {
            ("powi", Some(Operand::Temp(n))) => self.ints.get(n).copied(),
            ("powi", Some(Operand::Const(c))) => c.to_string().replace(' ', "").trim_end_matches("i32").parse().ok(),
            _ => None,
        };
        (lits, n)
    }
}

/// The positions at which `x` is an operand of `args`.
pub fn positions(args: &[Operand], x: Temp) -> Vec<usize> {
    args.iter().enumerate().filter(|(_, o)| matches!(o, Operand::Temp(y) if *y == x)).map(|(i, _)| i).collect()
}

fn ident_reads(ts: &TokenStream, out: &mut Vec<String>) {
    for tt in ts.clone() {
        match tt {
            TokenTree::Ident(i) => out.push(i.to_string()),
            TokenTree::Group(g) => ident_reads(&g.stream(), out),
            _ => {}
        }
    }
}

/// Counts every read of every temporary, conservatively: structured
/// operands, and any identifier that names a temporary in tokens kept as
/// written (passive expressions, verbatim code, loop heads, call arguments).
fn count_reads(b: &Block, n: &mut HashMap<Temp, usize>, names: &mut Vec<String>) {
    let add = |x: Temp, n: &mut HashMap<Temp, usize>| *n.entry(x).or_default() += 1;
    for s in b {
        match s {
            Stmt::Op { args, .. } => args.iter().for_each(|o| {
                if let Operand::Temp(x) = o {
                    add(*x, n)
                }
            }),
            Stmt::Copy { src, .. } | Stmt::ArrNew { init: src, .. } | Stmt::Push { src, .. } => {
                if let Operand::Temp(x) = src {
                    add(*x, n)
                }
                if let Stmt::ArrNew { len, len_end, .. } = s {
                    add(*len, n);
                    add(*len_end, n);
                }
            }
            Stmt::Store { index, src, .. } => {
                add(*index, n);
                if let Operand::Temp(x) = src {
                    add(*x, n)
                }
            }
            Stmt::Load { index, .. } => add(*index, n),
            Stmt::Set { expr, .. } => ident_reads(expr, names),
            Stmt::Verbatim(ts) => ident_reads(ts, names),
            // A user-visible name for the value: verbatim code reads the
            // primal through it, never the adjoint; counted all the same.
            Stmt::Alias { src, .. } => add(*src, n),
            Stmt::Call { args, .. } | Stmt::CallArr { args, .. } => {
                for a in args {
                    a.temps().into_iter().for_each(|x| add(x, n));
                    if let CallArg::Array(_, ts, _) | CallArg::Literal(ts) = a {
                        ident_reads(ts, names);
                    }
                }
            }
            Stmt::TOp { args, .. } => args.iter().flat_map(|a| a.temps()).for_each(|x| add(x, n)),
            Stmt::TMap { arg, .. } => arg.temps().into_iter().for_each(|x| add(x, n)),
            Stmt::If { cond, .. } => add(*cond, n),
            Stmt::Loop(l) => {
                for &(h, e) in &l.backedge {
                    add(h, n);
                    add(e, n);
                }
                add(l.count, n);
                add(l.brk, n);
                if let LoopHead::For { pat, iter } = &l.head {
                    ident_reads(pat, names);
                    ident_reads(iter, names);
                }
            }
            Stmt::Seed { .. } | Stmt::AliasArr { .. } | Stmt::Scope(_) => {}
        }
        for c in s.children() {
            count_reads(c, n, names);
        }
    }
}

/// The scales of a function's body (`low`'s): see the module's comment.
pub fn plan(low: &Lowered) -> Scales {
    let mut reads = HashMap::new();
    let mut names = Vec::new();
    count_reads(&low.body, &mut reads, &mut names);
    *reads.entry(low.ret).or_default() += 1;
    let named: HashSet<String> = names.into_iter().collect();
    let mut defs = HashMap::new();
    count_defs(&low.body, &mut defs);
    let params: HashSet<Temp> = low.param_temps.iter().flatten().copied().collect();
    let consts = Consts::of(&low.body);
    let mut out = Scales::default();
    plan_block(&low.body, low, &consts, &reads, &defs, &params, &named, &mut out.exp);
    steady(&low.body, &reads, &mut out.steady);
    out
}

struct Node {
    dst: Temp,
    /// `(operand, k)` for each active operand, the rule's factor for it.
    edges: Vec<(Temp, i32)>,
}

#[allow(clippy::too_many_arguments)]
fn plan_block(b: &Block, low: &Lowered, consts: &Consts, reads: &HashMap<Temp, usize>, defs: &HashMap<Temp, usize>, params: &HashSet<Temp>, named: &HashSet<String>, out: &mut HashMap<Temp, i32>) {
    let temps = &low.temps;
    // The operations of this block, by the temporary they assign.
    let mut nodes: HashMap<Temp, Node> = HashMap::new();
    // Private temporaries, with the operation that reads them.
    let mut parent: HashMap<Temp, Temp> = HashMap::new();
    for s in b {
        if let Stmt::Op { dst, prim, args } = s {
            let (lits, n) = consts.of_op(*prim, args);
            let mut edges = Vec::new();
            let mut seen = HashSet::new();
            for a in args {
                let Operand::Temp(x) = a else { continue };
                if !temps[x.0].active || !seen.insert(*x) {
                    continue;
                }
                let pos = positions(args, *x);
                let k = rules::pow2_exp(*prim, &pos, &lits, n);
                edges.push((*x, k));
                let private = nodes.contains_key(x)
                    && reads.get(x).copied().unwrap_or(0) == pos.len()
                    && defs.get(x).copied() == Some(1)
                    && !params.contains(x)
                    && temps[x.0].ty == Ty::Float
                    && !named.contains(&crate::names::t(*x).to_string());
                if private {
                    parent.insert(*x, *dst);
                }
            }
            nodes.insert(*dst, Node { dst: *dst, edges });
        }
        for c in s.children() {
            plan_block(c, low, consts, reads, defs, params, named, out);
        }
    }
    // Each tree, from its root (an operation whose result is not private).
    for root in nodes.keys().filter(|t| !parent.contains_key(t)) {
        let mut e: HashMap<Temp, i32> = [(*root, 0)].into_iter().collect();
        let (mut without, mut with) = (0, 0);
        let mut stack = vec![*root];
        while let Some(y) = stack.pop() {
            let ey = e[&y];
            for &(x, k) in &nodes[&y].edges {
                without += (k != 0) as usize;
                if parent.get(&x) == Some(&nodes[&y].dst) {
                    e.insert(x, ey + k);
                    stack.push(x);
                } else {
                    with += (ey + k != 0) as usize;
                }
            }
        }
        if with < without {
            out.extend(e.into_iter().filter(|&(_, v)| v != 0));
        }
    }
}

/// The terms of loops' sums, read once, by `end = h + y` (or `y + h`, or
/// a sum that `end` copies) with `(h, end)` a back edge of the loop whose
/// body holds the statement.
fn steady(b: &Block, reads: &HashMap<Temp, usize>, out: &mut HashSet<Temp>) {
    for s in b {
        if let Stmt::Loop(l) = s {
            // `end = sum` copies of the sum (`t4 = t10`, the iterator sums' form).
            let copies: HashMap<Temp, Temp> = l
                .body
                .iter()
                .filter_map(|st| match st {
                    Stmt::Copy { dst, src: Operand::Temp(x) } => Some((*dst, *x)),
                    _ => None,
                })
                .collect();
            for st in &l.body {
                let Stmt::Op { dst, prim, args } = st else { continue };
                let [Operand::Temp(p), Operand::Temp(q)] = &args[..] else { continue };
                if prim.0.name != "add" {
                    continue;
                }
                for &(h, end) in &l.backedge {
                    if end != *dst && copies.get(&end) != Some(dst) {
                        continue;
                    }
                    let y = if *p == h { q } else if *q == h { p } else { continue };
                    if reads.get(y) == Some(&1) {
                        out.insert(*y);
                    }
                }
            }
        }
        for c in s.children() {
            steady(c, reads, out);
        }
    }
}
