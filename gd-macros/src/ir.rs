//! The small typed IR that sits between syn and the emitters.
//!
//! Every float operation is a single assignment to a fresh temporary; control
//! flow stays structured. Temporaries are hoisted to the top of the generated
//! function with a known type, so that values computed in a branch or a loop are
//! visible to the reverse sweep without any type inference by the macro.

use std::collections::HashSet;

use proc_macro2::TokenStream;

use crate::rules::Prim;
use crate::sig::Sig;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Temp(pub usize);

/// The type of a hoisted temporary.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ty {
    /// The function's float type (f32 or f64).
    Float,
    Usize,
    I32,
    Bool,
    /// A passive value of a type only rustc knows (an argument passed to a
    /// differentiable call); stored as `Option<T>` so that rustc infers `T`.
    Inferred,
    /// A matrix (or a float read from a parameter struct), `Option<T>` with
    /// `T` inferred; its adjoint and tangent are `Option<T>` too (`None` is zero).
    Tensor,
    /// The reverse sweep of a matrix-valued call, a closure returned by the
    /// callee's `__gd_split` with the output (`Option<impl FnOnce>`); moved,
    /// never copied. Used by the f64 reverse sweep only.
    Pullback,
}

/// A place inside a differentiated matrix or struct parameter: `p`,
/// `p.layers[k].w`, `p.w[(i, j)]`. Its adjoint is the same path on the
/// parameter's gradient (a value of the same type).
#[derive(Clone, Debug, PartialEq)]
pub struct Place {
    pub param: usize,
    pub path: Vec<Seg>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Seg {
    Field(syn::Member),
    Index(Temp),
    Index2(Temp, Temp),
}

/// An argument of a matrix-level rule (`crate::tensor_rules`).
#[derive(Clone)]
pub enum TArg {
    /// A float or matrix temporary (active or passive).
    Temp(Temp),
    Place(Place),
    /// A literal float.
    Const(TokenStream),
    /// A `usize` index temporary (no derivative).
    Index(Temp),
}

#[derive(Clone, Debug)]
pub struct TempInfo {
    pub ty: Ty,
    /// Carries a derivative (tangent in forward mode, adjoint in reverse mode).
    pub active: bool,
    /// A captured call argument that borrows the caller's local data
    /// (`&ones`): a split call passes a copy kept in the caller's `Keep`.
    pub local_ref: bool,
}

/// An array of floats: a differentiated parameter (by position) or a local
/// array written in the body (`let mut v = vec![0.0; n];`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Arr {
    Param(usize),
    Local(usize),
}

/// An operand of a float operation: a temporary or a literal constant.
#[derive(Clone)]
pub enum Operand {
    Temp(Temp),
    Const(TokenStream),
}

#[derive(Clone)]
pub enum CallArg {
    /// An active scalar temporary.
    Scalar(Temp),
    /// An active array, with the argument tokens as the user wrote them
    /// (`xs`, `&xs`), or a sub-slice of one (`&xs[a..b]`, `&xs[a..]`): the
    /// callee reads and adds its gradient into the same range of the caller's.
    Array(Arr, TokenStream, Option<SubRange>),
    /// A passive value captured in an `Inferred` temporary.
    Passive(Temp),
    /// An integer, boolean, string or character literal, passed as written
    /// in every sweep (a captured `3` would be an `i32` before the dual
    /// copy's conversion to the parameter's type could say otherwise).
    Literal(TokenStream),
    /// A differentiated matrix or parameter-struct place (the callee takes
    /// a reference; its gradient slot is `Option<&mut T>`).
    Tensor(TArg),
}

/// The range of a sub-slice passed to a call, its bounds captured (`usize`
/// temporaries, kept for the reverse sweep like an index); `hi: None` runs
/// to the end.
#[derive(Clone, Copy)]
pub struct SubRange {
    pub lo: Temp,
    pub hi: Option<Temp>,
}

impl CallArg {
    /// Every temporary the argument reads.
    pub fn temps(&self) -> Vec<Temp> {
        match self {
            CallArg::Scalar(x) | CallArg::Passive(x) => vec![*x],
            CallArg::Array(_, _, Some(r)) => std::iter::once(r.lo).chain(r.hi).collect(),
            CallArg::Array(..) | CallArg::Literal(_) => vec![],
            CallArg::Tensor(a) => a.temps(),
        }
    }
}

pub enum Stmt {
    /// `dst = prim(args)`, dst active.
    Op { dst: Temp, prim: Prim, args: Vec<Operand> },
    /// `dst = src`.
    Copy { dst: Temp, src: Operand },
    /// `dst = array[index]`.
    Load { dst: Temp, array: Arr, index: Temp },
    /// A local array: `a = vec![init; len]`. Its length at the end of the
    /// enclosing block is recorded in `len_end`, which sizes its adjoint.
    ArrNew { arr: usize, len: Temp, init: Operand, len_end: Temp },
    /// `a[index] = src` on a local array.
    Store { arr: usize, index: Temp, src: Operand },
    /// `a.push(src)` on a local array.
    Push { arr: usize, src: Operand },
    /// The end of a vector-valued function: its output is this local array,
    /// whose adjoint the reverse sweep seeds with the cotangent.
    Seed { arr: usize },
    /// `let name = &a;` so that verbatim user code can read a local array.
    AliasArr { name: proc_macro2::Ident, arr: usize },
    /// A passive typed temporary: `dst = expr`.
    Set { dst: Temp, expr: TokenStream },
    /// Passive user code, emitted verbatim in the forward sweep only.
    Verbatim(TokenStream),
    /// `let name = temp;` so that verbatim user code can read an active value.
    Alias { name: proc_macro2::Ident, src: Temp, by_ref: bool },
    /// A call to another `#[differentiable]` function. A matrix-valued one
    /// keeps its reverse sweep in `pullback` (see `Ty::Pullback`).
    Call { dst: Temp, path: syn::Path, args: Vec<CallArg>, pullback: Option<Temp> },
    /// A call to a vector-valued `#[differentiable]` function (`let (a, b)
    /// = polar(r, t);`, `let v: Vec<f64> = f(..);`): its outputs, flattened,
    /// are appended to local array `arr`, made empty just before, so that
    /// the caller reads them as elements. `ty` is the output's type as the
    /// caller states it (`(_, _)` for a tuple pattern), which the primal
    /// sweep checks the callee's output against. Its reverse takes the
    /// whole adjoint of `arr` as the callee's cotangent.
    CallArr { arr: usize, path: syn::Path, args: Vec<CallArg>, ty: TokenStream },
    /// `dst = rule(args)` for a matrix-level rule.
    /// `span`: the user's expression, so that a type error (shapes of
    /// different types, a float method on a matrix) points at it.
    TOp { dst: Temp, rule: &'static crate::tensor_rules::TRule, args: Vec<TArg>, span: proc_macro2::Span },
    /// `(dst, deriv) = a.map(f)` elementwise, `f` giving value and derivative
    /// (the closure's forward mode, which emit prints from `f`'s own IR);
    /// `deriv` is kept for the reverse sweep.
    TMap { dst: Temp, deriv: Temp, arg: TArg, f: Box<ElemFn> },
    If { cond: Temp, then: Block, els: Block },
    Loop(Box<Loop>),
    /// A nested lexical scope (a block in the user's code).
    Scope(Block),
}

pub type Block = Vec<Stmt>;

/// A lowered function: what `lower` hands to `plan` and `emit`.
pub struct Lowered {
    pub body: Block,
    pub temps: Vec<TempInfo>,
    pub ret: Temp,
    /// For each parameter: the temporary holding it, when it is an active scalar.
    pub param_temps: Vec<Option<Temp>>,
    /// Number of local arrays.
    pub locals: usize,
    /// For a vector-valued function: the local array holding the output.
    pub ret_arr: Option<usize>,
    /// Temporaries that borrow a matrix parameter taken by value
    /// (`Some(&x)`): `__gd_split`'s closure, which outlives the parameter,
    /// holds a copy instead.
    pub param_borrows: HashSet<Temp>,
    /// Whether `__gd_split` may keep this function's reverse sweep as a
    /// closure: no passive value it holds borrows a local of the body (the
    /// closure outlives them). Otherwise its split reruns `__gd_vjp`.
    pub split_safe: bool,
}

/// The closure of `a.map(|x| ..)` over a matrix, lowered as a function of one
/// float (`fn(x: F) -> F`). Emit prints its forward mode, `|x: F| -> (F, F)`
/// (value and derivative), and the same over `Dual<F>` for the dual copy of
/// the reverse sweep; lower only records it, so that it never prints.
pub struct ElemFn {
    /// The closure's parameter.
    pub name: proc_macro2::Ident,
    /// The float type of the enclosing function.
    pub float: proc_macro2::Ident,
    pub sig: Sig,
    pub low: Lowered,
    /// The body may read a variable of the enclosing function (or `self`):
    /// a closure that reads none is `Sync`, so its map may run on threads.
    pub captures: bool,
}

pub enum LoopHead {
    /// `loop { .. }` (while loops are lowered to this).
    Loop,
    /// `for PAT in ITER { .. }` with a passive iterator.
    For { pat: TokenStream, iter: TokenStream },
}

pub struct Loop {
    pub head: LoopHead,
    /// Trip count, recorded in the forward sweep, replayed by the reverse sweep.
    pub count: Temp,
    /// Set inside the body to leave the loop after the current iteration.
    pub brk: Temp,
    pub body: Block,
    /// Loop-carried values: `(header temp, value at the end of the body)`.
    pub backedge: Vec<(Temp, Temp)>,
    /// `#[checkpoint]` on the loop: its reverse sweep keeps at most this
    /// many copies of the carried state and recomputes trips from them
    /// (see `plan::checkpoint`).
    pub checkpoint: Option<Checkpoint>,
}

#[derive(Clone)]
pub struct Checkpoint {
    pub snapshots: usize,
    /// The attribute, for errors that point at all of it.
    pub attr: TokenStream,
}

impl Place {
    /// The index temporaries on its path.
    pub fn temps(&self) -> Vec<Temp> {
        self.path
            .iter()
            .flat_map(|s| match s {
                Seg::Field(_) => vec![],
                Seg::Index(k) => vec![*k],
                Seg::Index2(i, j) => vec![*i, *j],
            })
            .collect()
    }
}

impl TArg {
    /// Every temporary the argument reads.
    pub fn temps(&self) -> Vec<Temp> {
        match self {
            TArg::Temp(x) | TArg::Index(x) => vec![*x],
            TArg::Place(p) => p.temps(),
            TArg::Const(_) => vec![],
        }
    }
}

/// Replaces every read of temporary `from` by `to` (a loop header that turned
/// out to be a plain copy of its value before the loop).
pub fn rename_reads(b: &mut Block, from: Temp, to: Temp) {
    let op = |o: &mut Operand| {
        if matches!(o, Operand::Temp(x) if *x == from) {
            *o = Operand::Temp(to);
        }
    };
    let tmp = |x: &mut Temp| {
        if *x == from {
            *x = to;
        }
    };
    fn place(p: &mut Place, from: Temp, to: Temp) {
        for s in &mut p.path {
            match s {
                Seg::Index(k) if *k == from => *k = to,
                Seg::Index2(i, j) => {
                    if *i == from {
                        *i = to;
                    }
                    if *j == from {
                        *j = to;
                    }
                }
                _ => {}
            }
        }
    }
    let targ = |a: &mut TArg| match a {
        TArg::Temp(x) | TArg::Index(x) => tmp(x),
        TArg::Place(p) => place(p, from, to),
        TArg::Const(_) => {}
    };
    for s in b.iter_mut() {
        match s {
            Stmt::Op { args, .. } => args.iter_mut().for_each(op),
            Stmt::Copy { src, .. } | Stmt::ArrNew { init: src, .. } | Stmt::Store { src, .. } | Stmt::Push { src, .. } => op(src),
            Stmt::Alias { src, .. } => tmp(src),
            Stmt::Call { args, .. } | Stmt::CallArr { args, .. } => args.iter_mut().for_each(|a| match a {
                CallArg::Scalar(x) | CallArg::Passive(x) => tmp(x),
                CallArg::Tensor(t) => targ(t),
                CallArg::Array(_, _, Some(r)) => {
                    tmp(&mut r.lo);
                    if let Some(h) = &mut r.hi {
                        tmp(h);
                    }
                }
                CallArg::Array(..) | CallArg::Literal(_) => {}
            }),
            Stmt::TOp { args, .. } => args.iter_mut().for_each(targ),
            Stmt::TMap { arg, .. } => targ(arg),
            Stmt::If { then, els, .. } => {
                rename_reads(then, from, to);
                rename_reads(els, from, to);
            }
            Stmt::Loop(l) => {
                for (_, end) in &mut l.backedge {
                    tmp(end);
                }
                rename_reads(&mut l.body, from, to);
            }
            Stmt::Scope(inner) => rename_reads(inner, from, to),
            _ => {}
        }
    }
}

impl Stmt {
    /// The temporaries this statement itself assigns (not those of the
    /// blocks nested in it; a loop's trip count is its own).
    pub fn defs(&self) -> Vec<Temp> {
        match self {
            Stmt::Op { dst, .. } | Stmt::Copy { dst, .. } | Stmt::Load { dst, .. } | Stmt::Set { dst, .. } | Stmt::TOp { dst, .. } => vec![*dst],
            Stmt::Call { dst, pullback, .. } => std::iter::once(*dst).chain(*pullback).collect(),
            Stmt::TMap { dst, deriv, .. } => vec![*dst, *deriv],
            Stmt::Loop(l) => vec![l.count],
            _ => vec![],
        }
    }

    /// The blocks nested directly in this statement (branches, a loop body, a scope).
    pub fn children(&self) -> Vec<&Block> {
        match self {
            Stmt::If { then, els, .. } => vec![then, els],
            Stmt::Loop(l) => vec![&l.body],
            Stmt::Scope(b) => vec![b],
            _ => vec![],
        }
    }
}
