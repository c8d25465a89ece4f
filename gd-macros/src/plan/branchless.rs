//! Branch-free `if`s: which `if`/`else` statements in a loop body both
//! sweeps run without a branch, computing both arms and choosing their
//! results with a bit-exact select (`__private::select`).
//!
//! A branch on a data-dependent condition (`r.abs() <= 1.0` in a Huber
//! loss) is mispredicted about half the time on random data; the primal
//! alone is if-converted by LLVM, but the forward and reverse `if` of a
//! trip on one condition are merged into one branch that it keeps. An `if`
//! qualifies when it is in a loop and both its arms are speculatable: they
//! run without panics, side effects or loops whatever the condition, so
//! computing the arm not taken is harmless, and they are small:
//!
//! - cheap float operations (`+ - * /`, `abs`, `sqrt`, `max`, `min`,
//!   `recip`, `signum`, `powi` by a literal; see `CHEAP` for why not `ln`,
//!   `exp`, ..), copies and aliases of floats;
//! - passive values computed from names, literals and float methods by
//!   comparisons and `&&`/`||`/`!` (a boolean: an `else if`'s condition),
//!   or by float arithmetic (a float; no casts, so no integer overflow);
//! - nested `if`s that qualify themselves (`else if` chains);
//! - nothing else: no loads (an index may be out of bounds), stores,
//!   calls, loops or user code.
//!
//! An arm's *outputs* are the temporaries it assigns that the other arm
//! assigns too or that code outside the arm reads. Each must be a float
//! assigned once, by a copy at the top of the arm (`s += if .. { a } else
//! { b }` assigns its join so), that the arm does not read; the forward
//! sweep then runs both arms' other statements and sets each output to
//! `select(c, then's source, else's source)` (an arm that does not assign
//! it keeps its value). The reverse sweep passes an output's adjoint to the
//! source of the arm taken (`select(c, ō, -0.0)` to the then source), runs
//! both arms' reverses with their inputs' adjoints redirected to scratch
//! registers, and adds `select(c, then's scratch, else's scratch)` to each
//! input's adjoint. The arm not taken may compute NaN (`ln` of a negative)
//! in its values and scratch; the select discards it bit for bit, so the
//! derivative is the one of the arm Rust's `if` takes (a NaN comparison is
//! false: the else arm). Temporaries local to an arm have their adjoints
//! reset by the arm's own reverse, as in a branch.
//!
//! Only the sweeps over `F` (f32, f64) run them branch-free; the dual
//! copies and forward mode keep the branch.

use std::collections::{HashMap, HashSet};

use super::fused::{assigned, count_defs, count_reads};
use crate::ir::*;

/// The operations an arm not taken may compute: a few instructions each,
/// whatever the operand. Not the calls into libm (`ln`, `exp`, `sin`, ..:
/// tens of instructions, and `ln` of a negative, which the arm not taken
/// often computes, takes glibc's slow path for invalid operands: speculated,
/// `piecewise` of the benchmark zoo ran 5x slower than with its branches),
/// nor those that are calls without SSE4.1 or FMA (`floor`, `mul_add`, ..),
/// nor `clamp` (it panics on crossed or NaN bounds).
const CHEAP: &[&str] = &["add", "sub", "mul", "div", "neg", "abs", "sqrt", "max", "min", "recip", "signum"];

/// The most float operations (both arms, nested `if`s included) an `if`
/// computes branch-free.
const MAX_OPS: usize = 24;

/// A branch-free `if`: its outputs, by temporary, with the source each arm
/// copies into it (`None`: the arm does not assign it).
pub struct Branchless {
    pub outputs: Vec<(Temp, Option<Operand>, Option<Operand>)>,
    /// Its condition, when it is a comparison of two floats (see `float_cmp`).
    pub cmp: Option<super::float_cmp::FloatCmp>,
}

/// The branch-free `if`s of a function's body, by condition temporary.
pub fn plan(body: &Block, temps: &[TempInfo]) -> HashMap<Temp, Branchless> {
    let mut all = HashMap::new();
    reads(body, &mut all);
    let mut defs = HashMap::new();
    count_defs(body, &mut defs);
    let all = Counts { reads: all, defs };
    // An `if` is named by its condition: conditions used twice are left out.
    let mut conds = HashMap::new();
    count_conds(body, &mut conds);
    let mut out = HashMap::new();
    walk(body, false, temps, &all, &conds, &mut out);
    super::float_cmp::mark(body, temps, &mut out);
    out
}

/// Reads and assignments of each temporary in the whole body.
struct Counts {
    reads: HashMap<Temp, usize>,
    defs: HashMap<Temp, usize>,
}

fn count_conds(b: &Block, out: &mut HashMap<Temp, usize>) {
    for s in b {
        if let Stmt::If { cond, .. } = s {
            *out.entry(*cond).or_insert(0) += 1;
        }
        s.children().into_iter().for_each(|c| count_conds(c, out));
    }
}

fn walk(b: &Block, in_loop: bool, temps: &[TempInfo], all: &Counts, conds: &HashMap<Temp, usize>, out: &mut HashMap<Temp, Branchless>) {
    for s in b {
        match s {
            Stmt::If { cond, then, els } if in_loop => {
                if let Some(p) = branchless(*cond, then, els, temps, all, conds, out) {
                    out.insert(*cond, p);
                    continue;
                }
                walk(then, in_loop, temps, all, conds, out);
                walk(els, in_loop, temps, all, conds, out);
            }
            Stmt::Loop(l) => walk(&l.body, true, temps, all, conds, out),
            _ => s.children().into_iter().for_each(|c| walk(c, in_loop, temps, all, conds, out)),
        }
    }
}

/// Reads of temporaries, aliases (`let r = t;` read by user code) and
/// conditions included.
fn reads(b: &Block, out: &mut HashMap<Temp, usize>) {
    count_reads(b, out);
    extra_reads(b, out);
}

fn extra_reads(b: &Block, out: &mut HashMap<Temp, usize>) {
    for s in b {
        match s {
            Stmt::Alias { src, .. } => *out.entry(*src).or_insert(0) += 1,
            Stmt::If { cond, .. } => *out.entry(*cond).or_insert(0) += 1,
            _ => {}
        }
        s.children().into_iter().for_each(|c| extra_reads(c, out));
    }
}

fn branchless(
    cond: Temp,
    then: &Block,
    els: &Block,
    temps: &[TempInfo],
    all: &Counts,
    conds: &HashMap<Temp, usize>,
    out: &mut HashMap<Temp, Branchless>,
) -> Option<Branchless> {
    if conds.get(&cond) != Some(&1) {
        return None;
    }
    let mut ops = 0;
    let mut nested = HashMap::new();
    if !speculatable(then, temps, all, conds, &mut ops, &mut nested) || !speculatable(els, temps, all, conds, &mut ops, &mut nested) || ops > MAX_OPS {
        return None;
    }
    let (mut wt, mut we) = (HashSet::new(), HashSet::new());
    assigned(then, &mut wt);
    assigned(els, &mut we);
    let mut outputs: Vec<(Temp, Option<Operand>, Option<Operand>)> = Vec::new();
    for (arm, mine, other, first) in [(then, &wt, &we, true), (els, &we, &wt, false)] {
        let mut inside = HashMap::new();
        reads(arm, &mut inside);
        let mut defs_in = HashMap::new();
        count_defs(arm, &mut defs_in);
        let n = |m: &HashMap<Temp, usize>, x: Temp| m.get(&x).copied().unwrap_or(0);
        for &x in mine {
            let local = !other.contains(&x) && n(&all.reads, x) == n(&inside, x) && n(&all.defs, x) == n(&defs_in, x);
            if local {
                continue;
            }
            // An output: a float, assigned once by a copy at the arm's top
            // level, and not read in the arm.
            if temps[x.0].ty != Ty::Float || n(&inside, x) != 0 {
                return None;
            }
            let mut copies = arm.iter().filter_map(|s| match s {
                Stmt::Copy { dst, src } if *dst == x => Some(src.clone()),
                _ => None,
            });
            let (Some(src), None) = (copies.next(), copies.next()) else { return None };
            // That copy is its only assignment in the arm, nested `if`s included.
            if n(&defs_in, x) != 1 {
                return None;
            }
            match outputs.iter_mut().find(|(o, ..)| *o == x) {
                Some(e) => e.2 = Some(src),
                None if first => outputs.push((x, Some(src), None)),
                None => outputs.push((x, None, Some(src))),
            }
        }
    }
    outputs.sort_by_key(|(o, ..)| *o);
    out.extend(nested);
    Some(Branchless { outputs, cmp: None })
}

/// Whether a block may run whatever its `if`'s condition (see the module's
/// list); counts its float operations into `ops` and plans its nested `if`s
/// into `nested`.
fn speculatable(
    b: &Block,
    temps: &[TempInfo],
    all: &Counts,
    conds: &HashMap<Temp, usize>,
    ops: &mut usize,
    nested: &mut HashMap<Temp, Branchless>,
) -> bool {
    b.iter().all(|s| match s {
        Stmt::Op { prim, args, .. } => {
            *ops += 1;
            match prim.0.name {
                // `powi` by a literal is a few multiplications; by a variable, a call.
                "powi" => matches!(args.get(1), Some(Operand::Const(_))),
                name => CHEAP.contains(&name),
            }
        }
        Stmt::Copy { dst, .. } => temps[dst.0].ty == Ty::Float,
        Stmt::Alias { src, by_ref: false, .. } => temps[src.0].ty == Ty::Float,
        Stmt::Set { dst, expr } => match temps[dst.0].ty {
            Ty::Bool => pure_expr(expr, false),
            Ty::Float if !temps[dst.0].active => pure_expr(expr, true),
            _ => false,
        },
        Stmt::Scope(inner) => speculatable(inner, temps, all, conds, ops, nested),
        Stmt::If { cond, then, els } => {
            let mut inner = HashMap::new();
            match branchless(*cond, then, els, temps, all, conds, &mut inner) {
                Some(p) => {
                    *ops += inner_ops(then) + inner_ops(els);
                    nested.extend(inner);
                    nested.insert(*cond, p);
                    true
                }
                None => false,
            }
        }
        _ => false,
    })
}

fn inner_ops(b: &Block) -> usize {
    b.iter()
        .map(|s| match s {
            Stmt::Op { .. } => 1,
            _ => s.children().into_iter().map(inner_ops).sum(),
        })
        .sum()
}

/// A passive expression that cannot panic or have effects: names, literals
/// and method calls of float methods, combined by comparisons, `&&`, `||`,
/// `!`, negation and parentheses; with `arith`, float arithmetic too.
fn pure_expr(ts: &proc_macro2::TokenStream, arith: bool) -> bool {
    syn::parse2::<syn::Expr>(ts.clone()).is_ok_and(|e| pure(&e, arith))
}

fn pure(e: &syn::Expr, arith: bool) -> bool {
    use syn::{BinOp, Expr};
    match e {
        Expr::Path(p) => p.qself.is_none(),
        Expr::Lit(l) => matches!(l.lit, syn::Lit::Float(_) | syn::Lit::Int(_) | syn::Lit::Bool(_)),
        Expr::Paren(p) => pure(&p.expr, arith),
        Expr::Group(g) => pure(&g.expr, arith),
        Expr::Unary(u) => matches!(u.op, syn::UnOp::Not(_) | syn::UnOp::Neg(_)) && pure(&u.expr, arith),
        Expr::Binary(b) => {
            let ok = match b.op {
                BinOp::Lt(_) | BinOp::Le(_) | BinOp::Gt(_) | BinOp::Ge(_) | BinOp::Eq(_) | BinOp::Ne(_) | BinOp::And(_) | BinOp::Or(_) => true,
                BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_) => arith,
                _ => false,
            };
            // Operands of a comparison are compared, not computed: they may
            // be floats computed by arithmetic only when `arith` holds.
            ok && pure(&b.left, arith) && pure(&b.right, arith)
        }
        Expr::MethodCall(m) => {
            m.turbofish.is_none()
                // Cheap float methods; not `abs`, which panics on an
                // integer's minimum (debug builds).
                && CHEAP.contains(&m.method.to_string().as_str())
                && crate::rules::lookup(&m.method.to_string()).is_some_and(|p| p.0.kind == crate::rules::Kind::Method && p.0.name != "abs")
                && pure(&m.receiver, arith)
                && m.args.iter().all(|a| pure(a, arith))
        }
        _ => false,
    }
}
