//! The table of matrix-level rules: one row per operation on nalgebra values
//! (and floats read from parameter structs). The derivative code itself lives
//! in the runtime (`gd::__private::tensor`): the macro cannot see types, so it
//! emits `name(..)`, `name_rev(..)` and `name_tan(..)` calls and rustc picks
//! the implementation for floats, vectors or matrices. See that module for
//! the calling conventions.

/// What a rule returns.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Out {
    /// A matrix (or, through a parameter struct, a float held as one).
    Tensor,
    /// A plain float.
    Float,
}

/// An argument's role.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum A {
    /// A float or matrix: differentiated.
    Value,
    /// A `usize` index: no derivative.
    Index,
}

#[derive(Debug)]
pub struct TRule {
    /// The runtime function (`mul`, and `mul_rev`, `mul_tan`).
    pub func: &'static str,
    pub out: Out,
    pub args: &'static [A],
}

use A::{Index as I, Value as V};

macro_rules! rules {
    ($($(#[$m:meta])* $id:ident = $func:literal, $out:ident, [$($a:ident),*];)*) => {
        $($(#[$m])* pub static $id: TRule = TRule { func: $func, out: Out::$out, args: &[$($a),*] };)*
    };
}

rules! {
    ADD = "add", Tensor, [V, V];
    SUB = "sub", Tensor, [V, V];
    MUL = "mul", Tensor, [V, V];
    DIV = "div", Tensor, [V, V];
    NEG = "neg", Tensor, [V];
    /// A value read as a plain float (a float field of a parameter struct).
    SCALAR = "scalar", Float, [V];
    /// A copy (`clone()`, or a parameter's field read into a temporary).
    ID = "id", Tensor, [V];
    TRANSPOSE = "transpose", Tensor, [V];
    DOT = "dot", Float, [V, V];
    NORM = "norm", Float, [V];
    NORM_SQUARED = "norm_squared", Float, [V];
    SUM = "sum", Float, [V];
    MEAN = "mean", Float, [V];
    MAX = "max", Float, [V];
    MIN = "min", Float, [V];
    COMPONENT_MUL = "component_mul", Tensor, [V, V];
    COMPONENT_DIV = "component_div", Tensor, [V, V];
    ADD_SCALAR = "add_scalar", Tensor, [V, V];
    COLUMN = "column", Tensor, [V, I];
    ROW = "row", Tensor, [V, I];
    INDEX = "index", Float, [V, I];
    INDEX2 = "index2", Float, [V, I, I];
}

/// A binary operator on matrices.
pub fn binop(name: &str) -> Option<&'static TRule> {
    Some(match name {
        "add" => &ADD,
        "sub" => &SUB,
        "mul" => &MUL,
        "div" => &DIV,
        _ => return None,
    })
}

/// A method on a matrix, by name and number of arguments (receiver excluded).
pub fn method(name: &str, nargs: usize) -> Option<&'static TRule> {
    let r: &'static TRule = match name {
        "transpose" => &TRANSPOSE,
        "dot" => &DOT,
        "norm" => &NORM,
        "norm_squared" => &NORM_SQUARED,
        "sum" => &SUM,
        "mean" => &MEAN,
        "max" => &MAX,
        "min" => &MIN,
        "component_mul" => &COMPONENT_MUL,
        "component_div" => &COMPONENT_DIV,
        "add_scalar" => &ADD_SCALAR,
        "column" => &COLUMN,
        "row" => &ROW,
        "clone" | "clone_owned" | "into_owned" | "to_owned" => &ID,
        _ => return None,
    };
    (r.args.len() == nargs + 1).then_some(r)
}

/// Methods whose argument has the receiver's type (`a.dot(&b)`): when the
/// argument is a matrix, so is the receiver, even where the macro cannot see
/// it (a field of a data struct, `batch.y.dot(&v)`).
pub const SAME_TYPE_ARG: &[&str] = &["dot", "component_mul", "component_div"];

/// Methods on a matrix that read only its shape (no derivative).
pub const SHAPE_METHODS: &[&str] = &["nrows", "ncols", "len", "shape", "is_empty", "is_square"];

/// For error messages.
pub const METHOD_NAMES: &str = "transpose, dot, norm, norm_squared, sum, mean, max, min, component_mul, component_div, add_scalar, column, row, map(|x| ..), clone; shape queries nrows, ncols, len, shape";
