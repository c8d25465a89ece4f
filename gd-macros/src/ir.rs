//! The small typed IR that sits between syn and the emitters.
//!
//! Every float operation is a single assignment to a fresh temporary; control
//! flow stays structured. Temporaries are hoisted to the top of the generated
//! function with a known type, so that values computed in a branch or a loop are
//! visible to the reverse sweep without any type inference by the macro.

use proc_macro2::TokenStream;

use crate::rules::Prim;

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
}

#[derive(Clone, Debug)]
pub struct TempInfo {
    pub ty: Ty,
    /// Carries a derivative (tangent in forward mode, adjoint in reverse mode).
    pub active: bool,
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
    /// An active array, with the argument tokens as the user wrote them (`xs`, `&xs`).
    Array(Arr, TokenStream),
    /// A passive value captured in an `Inferred` temporary.
    Passive(Temp),
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
    /// A call to another `#[differentiable]` function.
    Call { dst: Temp, path: syn::Path, args: Vec<CallArg> },
    If { cond: Temp, then: Block, els: Block },
    Loop(Box<Loop>),
    /// A nested lexical scope (a block in the user's code).
    Scope(Block),
}

pub type Block = Vec<Stmt>;

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
}

impl Stmt {
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
