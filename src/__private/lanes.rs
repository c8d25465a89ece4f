//! The branch-free `if`s' masks and masked rules for a loop that runs in
//! chunks of trips (the macro's `plan::chunk`), as plain integer bit masks
//! that LLVM vectorizes across the chunk's trips.
//!
//! Outside chunks the masks are SSE registers made by the compare
//! intrinsics (`select.rs`), which keep LLVM from turning a trip's selects
//! back into a branch, but which it cannot vectorize: a target intrinsic
//! stays one scalar instruction. In a chunk the trips are vectorized, so
//! there is no branch to fear, and integer masks let them vectorize:
//! measured by hand on the zoo's `huber` loop in chunks of 8 (value and
//! gradient bit-identical), 0.92–0.97x the hand-written gradient's time
//! against 1.57–1.60x unchunked, where the same chunks over the SSE masks
//! ran at 2.1–2.7x. No branch, that is, once every select is a vector
//! one: a select LLVM leaves scalar on a lane of a vector compare is a
//! branch on x86 (see [`stored`]).
//!
//! Every function here is its `select.rs` / `masked_rules.rs` namesake
//! over [`Lane`], a float whose [`BitSelect`] masks are integers: the same
//! operations bit for bit, so a trip computes the same values in or out of
//! a chunk.

use super::select::{BitSelect, Cond, Mask};

/// A float whose masks are plain integer bits (`u64` for `f64`, `u32` for
/// `f32`).
#[derive(Clone, Copy)]
pub struct Lane<F>(pub F);

impl<F: core::ops::Mul<Output = F>> core::ops::Mul for Lane<F> {
    type Output = Lane<F>;
    #[inline(always)]
    fn mul(self, o: Lane<F>) -> Lane<F> {
        Lane(self.0 * o.0)
    }
}
impl<F: core::ops::Add<Output = F>> core::ops::Add for Lane<F> {
    type Output = Lane<F>;
    #[inline(always)]
    fn add(self, o: Lane<F>) -> Lane<F> {
        Lane(self.0 + o.0)
    }
}

/// `BitSelect` for `$t` (a float `$f` or a wrapper of one: `$get` and
/// `$wrap` convert) on integer masks `$u`.
macro_rules! plain_bits {
    ($t:ty, $f:ty, $u:ty, $get:expr, $wrap:expr) => {
        impl $crate::__private::select::BitSelect for $t {
            type M = $u;
            const ONE: $t = ($wrap)(1.0);
            const HALF: $t = ($wrap)(0.5);
            const ZERO: $t = ($wrap)(0.0);
            #[inline(always)]
            fn abs(self) -> $t {
                ($wrap)(<$f>::abs(($get)(self)))
            }
            #[inline(always)]
            fn mask(c: bool) -> $u {
                (c as $u).wrapping_neg()
            }
            #[inline(always)]
            fn none() -> $u {
                0
            }
            #[inline(always)]
            fn pick(m: $u, a: $t, b: $t) -> $t {
                ($wrap)(<$f>::from_bits((($get)(a).to_bits() & m) | (($get)(b).to_bits() & !m)))
            }
            #[inline(always)]
            fn keep(m: $u, a: $t) -> $t {
                ($wrap)(<$f>::from_bits(($get)(a).to_bits() & m))
            }
            #[inline(always)]
            fn lt(a: $t, b: $t) -> $u {
                Self::mask(($get)(a) < ($get)(b))
            }
            #[inline(always)]
            fn le(a: $t, b: $t) -> $u {
                Self::mask(($get)(a) <= ($get)(b))
            }
            #[inline(always)]
            fn eq(a: $t, b: $t) -> $u {
                Self::mask(($get)(a) == ($get)(b))
            }
            #[inline(always)]
            fn ne(a: $t, b: $t) -> $u {
                Self::mask(($get)(a) != ($get)(b))
            }
            #[inline(always)]
            fn unord(a: $t, b: $t) -> $u {
                Self::mask(($get)(a).is_nan() || ($get)(b).is_nan())
            }
            #[inline(always)]
            fn or(a: $u, b: $u) -> $u {
                a | b
            }
            #[inline(always)]
            fn and_not(a: $u, b: $u) -> $u {
                a & !b
            }
            #[inline(always)]
            fn test(m: $u) -> bool {
                m != 0
            }
            #[inline(always)]
            fn signed_one(x: $t) -> $t {
                ($wrap)((1.0 as $f).copysign(($get)(x)))
            }
        }
    };
}
#[cfg(not(target_arch = "x86_64"))]
pub(crate) use plain_bits;

plain_bits!(Lane<f64>, f64, u64, |x: Lane<f64>| x.0, Lane::<f64>);
plain_bits!(Lane<f32>, f32, u32, |x: Lane<f32>| x.0, Lane::<f32>);

/// A chunk's terms, written to memory after its trips and read back by the
/// in-order sum (`emit::chunk`). Every other value a trip makes ends in a
/// store (the gradient's views), so LLVM vectorizes it from the stores
/// (SLP); the terms, read one by one by the sum's scalar adds, had no
/// store, and in `f64` chunks LLVM vectorized their compares but left
/// their selects scalar, each on one lane of the vector mask, which x86
/// can only lower to a branch (`testb $1, mask; jne`: the zoo's `huber` at
/// 3.97x the hand code at n = 10⁵, on random data). Stored, the terms are
/// one more vectorized store and their selects vector blends
/// (`andpd`/`andnpd`/`orpd`): `huber` 18.9 -> 16.9 instructions per
/// element, no branch in its loop. An `asm!` that is given the array's
/// address and may read and write memory: LLVM must store the terms before
/// it and load them after.
#[inline(always)]
pub fn stored<F, const K: usize>(terms: &mut [F; K]) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the template is empty: it reads and writes nothing.
    unsafe {
        core::arch::asm!("/* {0} */", in(reg) terms.as_mut_ptr(), options(nostack, preserves_flags))
    };
    #[cfg(not(target_arch = "x86_64"))]
    core::hint::black_box(terms);
}

/// `if c { a } else { b }` on a `bool` or a chunk's mask.
#[inline(always)]
pub fn select<F, C: Cond<Lane<F>>>(c: C, a: F, b: F) -> F
where
    Lane<F>: BitSelect,
{
    super::select::select(c, Lane(a), Lane(b)).0
}

macro_rules! compares {
    ($($name:ident),*) => {$(
        #[inline(always)]
        pub fn $name<F>(a: F, b: F) -> Mask<Lane<F>>
        where
            Lane<F>: BitSelect,
        {
            super::select::$name(Lane(a), Lane(b))
        }
    )*};
}
compares!(cmp_lt, cmp_le, cmp_gt, cmp_ge, cmp_eq, cmp_ne);

/// abs's partial times `a` (`masked_rules::abs_adj`).
#[inline(always)]
pub fn abs_adj<F>(x: F, a: F) -> F
where
    Lane<F>: BitSelect,
{
    super::masked_rules::abs_adj(Lane(x), Lane(a)).0
}

macro_rules! extremes {
    ($($name:ident),*) => {$(
        #[inline(always)]
        pub fn $name<F>(x: F, b: F, a: F) -> F
        where
            Lane<F>: BitSelect,
        {
            super::masked_rules::$name(Lane(x), Lane(b), Lane(a)).0
        }
    )*};
}
extremes!(max_adj0, max_adj1, min_adj0, min_adj1);
