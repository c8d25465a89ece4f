//! The reverses of `abs`, `max` and `min` in the sweeps over f32 and f64,
//! without a branch: the rule table's partial (`if x > 0.0 { 1.0 } else if
//! x < 0.0 { -1.0 } else { 0.0 }`, and max/min's chain of five) times the
//! adjoint, bit for bit, its choices made on SSE masks (`BitSelect`).
//!
//! Written as the rule's `if` chain, LLVM makes abs's partial with two
//! compares and a blend (8 instructions in `huber`'s loop; here 5), and
//! leaves max/min's five-way chain as branches, which random data
//! mispredicts (`r.abs().min(1.0)`). The chain's value, per the rule table
//! (`gd-macros/src/rules.rs`): the operand Rust's `max`/`min` returns gets
//! 1, a tie gives each 0.5, and when one operand is NaN the other is
//! returned (both NaN: the second operand gets it).

use super::select::BitSelect;

/// `(if x > 0 { 1 } else if x < 0 { -1 } else { 0 }) · a`: abs'(0) = abs'(NaN) = 0.
#[inline(always)]
pub fn abs_adj<F: BitSelect>(x: F, a: F) -> F {
    F::keep(F::lt(F::ZERO, x.abs()), F::signed_one(x)) * a
}

/// The partial of `x.max(b)` (`x.min(b)`) by its `first` or second operand,
/// times `a`; `win`: the mask of the strict order under which that operand
/// is the one returned (`b < x` for max's first).
#[inline(always)]
fn extreme_adj<F: BitSelect>(win: F::M, x: F, b: F, first: bool, a: F) -> F {
    let x_nan = F::unord(x, x);
    // Unordered: the first operand is returned when it alone is not NaN,
    // the second when the first is NaN.
    let other_nan = if first { F::and_not(F::unord(x, b), x_nan) } else { x_nan };
    let one = F::or(win, other_nan);
    // The two masks exclude each other: the sum is one of the two, exactly.
    (F::keep(one, F::ONE) + F::keep(F::eq(x, b), F::HALF)) * a
}

/// `x.max(b)`'s partial by `x`, times `a`.
#[inline(always)]
pub fn max_adj0<F: BitSelect>(x: F, b: F, a: F) -> F {
    extreme_adj(F::lt(b, x), x, b, true, a)
}

/// `x.max(b)`'s partial by `b`, times `a`.
#[inline(always)]
pub fn max_adj1<F: BitSelect>(x: F, b: F, a: F) -> F {
    extreme_adj(F::lt(x, b), x, b, false, a)
}

/// `x.min(b)`'s partial by `x`, times `a`.
#[inline(always)]
pub fn min_adj0<F: BitSelect>(x: F, b: F, a: F) -> F {
    extreme_adj(F::lt(x, b), x, b, true, a)
}

/// `x.min(b)`'s partial by `b`, times `a`.
#[inline(always)]
pub fn min_adj1<F: BitSelect>(x: F, b: F, a: F) -> F {
    extreme_adj(F::lt(b, x), x, b, false, a)
}
