//! Which branch-free `if`s (`plan::branchless`) decide on a comparison of
//! two values of the sweep's float type (`r.abs() <= 1.0`, `v < -1.0`):
//! those the sweeps make the select's mask for with the SSE compare itself
//! (`__private::cmp_le`, ..), one instruction, instead of a `bool` moved
//! into a float register through the `asm!` barrier (six). Other conditions
//! (`i < n`, `a && b`, a `bool` from user code) keep the `bool`.
//!
//! The helpers take both operands as the sweep's float type, so a
//! comparison is recognised only where both surely have it; anything else
//! would not compile. A value surely has it when it is
//!
//! - a name bound, in scope at the condition, to a float temporary of the
//!   IR (`let r = x[i] - y[i];`: an `Alias`; user code or a loop pattern
//!   that binds the name again forgets it, until the block ends);
//! - a float method that returns its receiver's type (`abs`, `sqrt`,
//!   `max`, ..) on such a value, its arguments such values or unsuffixed
//!   float literals; `-`, `( )` and `+ − × ÷` of such values;
//!
//! and an unsuffixed float literal (`1.0`, `-1.0`) takes the other
//! operand's type. The condition's `Set` must come just before its `if`,
//! in the same block, so that the mask and the `bool` are made together.

use std::collections::{HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::ToTokens;

use super::branchless::Branchless;
use crate::ir::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// A float comparison `lhs op rhs` and the innermost loop it is in: a
/// reverse that runs in the same trip as the forward (a fused trip's)
/// selects on the mask; any other reverse on the `bool` it saved.
pub struct FloatCmp {
    pub op: Op,
    pub lhs: TokenStream,
    pub rhs: TokenStream,
    pub lp: Temp,
}

/// Marks the conditions of `plan`'s `if`s that are float comparisons.
pub fn mark(body: &Block, temps: &[TempInfo], plan: &mut HashMap<Temp, Branchless>) {
    walk(body, temps, None, &mut HashSet::new(), plan);
}

fn walk(b: &Block, temps: &[TempInfo], lp: Option<Temp>, floats: &mut HashSet<String>, plan: &mut HashMap<Temp, Branchless>) {
    // Bindings made in this block end with it.
    let outer = floats.clone();
    for (i, s) in b.iter().enumerate() {
        match s {
            Stmt::Alias { name, src, by_ref } => {
                if !by_ref && temps[src.0].ty == Ty::Float {
                    floats.insert(name.to_string());
                } else {
                    floats.remove(&name.to_string());
                }
            }
            Stmt::AliasArr { name, .. } => {
                floats.remove(&name.to_string());
            }
            // Any name user code mentions may be one it binds again.
            Stmt::Verbatim(ts) => forget(ts, floats),
            Stmt::If { cond, .. } => {
                if let (Some(lp), Some(Stmt::Set { dst, expr }), Some(p)) = (lp, i.checked_sub(1).map(|k| &b[k]), plan.get_mut(cond)) {
                    if dst == cond {
                        p.cmp = recognise(expr, floats).map(|(op, lhs, rhs)| FloatCmp { op, lhs, rhs, lp });
                    }
                }
            }
            _ => {}
        }
        match s {
            Stmt::Loop(l) => {
                let mut inner = floats.clone();
                if let LoopHead::For { pat, .. } = &l.head {
                    forget(pat, &mut inner);
                }
                walk(&l.body, temps, Some(l.count), &mut inner, plan);
            }
            _ => {
                for c in s.children() {
                    walk(c, temps, lp, &mut floats.clone(), plan);
                }
            }
        }
    }
    *floats = outer;
}

fn forget(ts: &TokenStream, floats: &mut HashSet<String>) {
    let mut names = HashSet::new();
    super::user_code::idents(ts, &mut names);
    floats.retain(|n| !names.contains(n));
}

/// `lhs op rhs` when both operands surely have the sweep's float type.
fn recognise(expr: &TokenStream, floats: &HashSet<String>) -> Option<(Op, TokenStream, TokenStream)> {
    use syn::{BinOp, Expr};
    let mut e = syn::parse2::<Expr>(expr.clone()).ok()?;
    while let Expr::Paren(p) = e {
        e = *p.expr;
    }
    let Expr::Binary(b) = e else { return None };
    let op = match b.op {
        BinOp::Lt(_) => Op::Lt,
        BinOp::Le(_) => Op::Le,
        BinOp::Gt(_) => Op::Gt,
        BinOp::Ge(_) => Op::Ge,
        BinOp::Eq(_) => Op::Eq,
        BinOp::Ne(_) => Op::Ne,
        _ => return None,
    };
    let (l, r) = (kind(&b.left, floats), kind(&b.right, floats));
    let ok = matches!((l, r), (Kind::Float, Kind::Float | Kind::Literal) | (Kind::Literal, Kind::Float));
    ok.then(|| (op, b.left.to_token_stream(), b.right.to_token_stream()))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Surely the sweep's float type.
    Float,
    /// An unsuffixed float literal: the type its context gives it.
    Literal,
    Other,
}

/// Float methods that return their receiver's type, on floats only.
const SAME_TYPE: &[&str] = &["abs", "sqrt", "max", "min", "recip", "signum"];

fn kind(e: &syn::Expr, floats: &HashSet<String>) -> Kind {
    use syn::{BinOp, Expr};
    match e {
        Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some_and(|i| floats.contains(&i.to_string())) => Kind::Float,
        Expr::Lit(syn::ExprLit { lit: syn::Lit::Float(f), .. }) if f.suffix().is_empty() => Kind::Literal,
        Expr::Paren(p) => kind(&p.expr, floats),
        Expr::Group(g) => kind(&g.expr, floats),
        Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => kind(expr, floats),
        Expr::Binary(b) if matches!(b.op, BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_)) => {
            match (kind(&b.left, floats), kind(&b.right, floats)) {
                (Kind::Float, Kind::Float | Kind::Literal) | (Kind::Literal, Kind::Float) => Kind::Float,
                (Kind::Literal, Kind::Literal) => Kind::Literal,
                _ => Kind::Other,
            }
        }
        Expr::MethodCall(m)
            if m.turbofish.is_none()
                && SAME_TYPE.contains(&m.method.to_string().as_str())
                && kind(&m.receiver, floats) == Kind::Float
                && m.args.iter().all(|a| matches!(kind(a, floats), Kind::Float | Kind::Literal)) =>
        {
            Kind::Float
        }
        _ => Kind::Other,
    }
}
