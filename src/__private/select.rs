//! A bit-exact, branch-free choice between two floats, for the `if`s whose
//! arms the generated code computes both of (see the macro's
//! `plan::branchless`), and the masks it chooses by.
//!
//! `select(c, a, b)` is `if c { a } else { b }` bit for bit (a NaN in the
//! discarded operand never leaks, unlike `c·a + (1 − c)·b`). Written as a
//! plain mask (`a & m | b & !m`) or `if`, LLVM recognises a select, and
//! when two selects (or a forward and a reverse `if`) share a condition it
//! turns them back into one branch, which random data mispredicts. So on
//! x86_64 the mask is made where LLVM cannot see that it is one: a `bool`
//! condition goes through an empty `asm!`, and a comparison of two floats
//! (`r.abs() <= 1.0`, recognised by the macro: `cmp_le` and its kin) is
//! the SSE compare itself (`cmplesd`: the target intrinsic, which LLVM
//! leaves as it is), one instruction where the `bool` costs six (compare,
//! flags to a general register, negate, move to SSE, copies). The masking
//! stays in SSE registers (`andpd`/`andnpd`/`orpd`).

/// f32 and f64: masks in a float register and the operations on them.
pub trait BitSelect: Copy + core::ops::Mul<Output = Self> + core::ops::Add<Output = Self> {
    /// All ones (true) or all zeros (false), the width of `Self`.
    type M: Copy;
    const ONE: Self;
    const HALF: Self;
    const ZERO: Self;
    fn abs(self) -> Self;
    /// A `bool` as a mask, through the barrier (see the module's note).
    fn mask(c: bool) -> Self::M;
    /// All zeros.
    fn none() -> Self::M;
    /// `if m { a } else { b }`.
    fn pick(m: Self::M, a: Self, b: Self) -> Self;
    /// `if m { a } else { 0.0 }`.
    fn keep(m: Self::M, a: Self) -> Self;
    /// `a < b`, `a <= b`, `a == b` (false with a NaN), `a != b` (true with
    /// a NaN), and whether either is NaN, as Rust's operators decide them.
    fn lt(a: Self, b: Self) -> Self::M;
    fn le(a: Self, b: Self) -> Self::M;
    fn eq(a: Self, b: Self) -> Self::M;
    fn ne(a: Self, b: Self) -> Self::M;
    fn unord(a: Self, b: Self) -> Self::M;
    fn or(a: Self::M, b: Self::M) -> Self::M;
    /// `a & !b`.
    fn and_not(a: Self::M, b: Self::M) -> Self::M;
    fn test(m: Self::M) -> bool;
    /// ±1 with the sign bit of `x` (`1f64.copysign(x)`).
    fn signed_one(x: Self) -> Self;
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::*;

    macro_rules! sse {
        ($f:ty, $u:ty, $m:ty, $set:ident, $splat:ident, $get:ident, $and:ident, $andnot:ident, $or:ident, $zero:ident,
         $lt:ident, $le:ident, $eq:ident, $ne:ident, $unord:ident, $movemask:ident) => {
            // SAFETY (every `unsafe` below): SSE and SSE2 are part of
            // x86_64; the `asm!` template is empty and leaves its register
            // as it is.
            //
            // Operands enter a vector by a splat (`$splat`), not with zeroed
            // upper lanes (`_mm_set_ss`): only lane 0 is read back, and f32's
            // zeroing costs two instructions (`xorps`, `movss`) where the
            // splat costs one or none (huber_f32: 31 -> 30 per element).
            impl super::BitSelect for $f {
                type M = $m;
                const ONE: $f = 1.0;
                const HALF: $f = 0.5;
                const ZERO: $f = 0.0;
                #[inline(always)]
                fn abs(self) -> $f {
                    <$f>::abs(self)
                }
                #[inline(always)]
                fn mask(c: bool) -> $m {
                    let mut m = <$f>::from_bits((c as $u).wrapping_neg());
                    unsafe { core::arch::asm!("/* {0} */", inout(xmm_reg) m, options(pure, nomem, nostack, preserves_flags)) };
                    unsafe { $set(m) }
                }
                #[inline(always)]
                fn none() -> $m {
                    unsafe { $zero() }
                }
                #[inline(always)]
                fn pick(m: $m, a: $f, b: $f) -> $f {
                    unsafe { $get($or($and(m, $splat(a)), $andnot(m, $splat(b)))) }
                }
                #[inline(always)]
                fn keep(m: $m, a: $f) -> $f {
                    unsafe { $get($and(m, $splat(a))) }
                }
                #[inline(always)]
                fn lt(a: $f, b: $f) -> $m {
                    unsafe { $lt($splat(a), $splat(b)) }
                }
                #[inline(always)]
                fn le(a: $f, b: $f) -> $m {
                    unsafe { $le($splat(a), $splat(b)) }
                }
                #[inline(always)]
                fn eq(a: $f, b: $f) -> $m {
                    unsafe { $eq($splat(a), $splat(b)) }
                }
                #[inline(always)]
                fn ne(a: $f, b: $f) -> $m {
                    unsafe { $ne($splat(a), $splat(b)) }
                }
                #[inline(always)]
                fn unord(a: $f, b: $f) -> $m {
                    unsafe { $unord($splat(a), $splat(b)) }
                }
                #[inline(always)]
                fn or(a: $m, b: $m) -> $m {
                    unsafe { $or(a, b) }
                }
                #[inline(always)]
                fn and_not(a: $m, b: $m) -> $m {
                    unsafe { $andnot(b, a) }
                }
                #[inline(always)]
                fn test(m: $m) -> bool {
                    unsafe { $movemask(m) & 1 != 0 }
                }
                #[inline(always)]
                fn signed_one(x: $f) -> $f {
                    unsafe { $get($or($and($splat(x), $splat(-0.0)), $splat(1.0))) }
                }
            }
        };
    }
    sse!(f64, u64, __m128d, _mm_set_sd, _mm_set1_pd, _mm_cvtsd_f64, _mm_and_pd, _mm_andnot_pd, _mm_or_pd, _mm_setzero_pd,
         _mm_cmplt_sd, _mm_cmple_sd, _mm_cmpeq_sd, _mm_cmpneq_sd, _mm_cmpunord_sd, _mm_movemask_pd);
    sse!(f32, u32, __m128, _mm_set_ss, _mm_set1_ps, _mm_cvtss_f32, _mm_and_ps, _mm_andnot_ps, _mm_or_ps, _mm_setzero_ps,
         _mm_cmplt_ss, _mm_cmple_ss, _mm_cmpeq_ss, _mm_cmpneq_ss, _mm_cmpunord_ss, _mm_movemask_ps);
}

// Elsewhere: plain integer masks (`lanes.rs`), which LLVM may turn back
// into branches there.
#[cfg(not(target_arch = "x86_64"))]
mod imp {
    crate::__private::lanes::plain_bits!(f64, f64, u64, core::convert::identity, core::convert::identity);
    crate::__private::lanes::plain_bits!(f32, f32, u32, core::convert::identity, core::convert::identity);
}

/// A float comparison's result kept as a mask (`cmp_lt` and its kin), to
/// `select` on without going through a `bool`.
pub struct Mask<F: BitSelect>(F::M);

impl<F: BitSelect> Clone for Mask<F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<F: BitSelect> Copy for Mask<F> {}

impl<F: BitSelect> Mask<F> {
    /// False (the value a hoisted mask starts with).
    #[inline(always)]
    pub fn none() -> Self {
        Mask(F::none())
    }
    /// The comparison's `bool`, for the code that branches or saves it.
    #[inline(always)]
    pub fn test(self) -> bool {
        F::test(self.0)
    }
}

/// What `select` chooses by: a `bool` or a comparison's mask.
pub trait Cond<F: BitSelect>: Copy {
    fn mask(self) -> F::M;
}
impl<F: BitSelect> Cond<F> for bool {
    #[inline(always)]
    fn mask(self) -> F::M {
        F::mask(self)
    }
}
impl<F: BitSelect> Cond<F> for Mask<F> {
    #[inline(always)]
    fn mask(self) -> F::M {
        self.0
    }
}

/// `if c { a } else { b }`, without a branch (see the module's note).
#[inline(always)]
pub fn select<F: BitSelect, C: Cond<F>>(c: C, a: F, b: F) -> F {
    F::pick(c.mask(), a, b)
}

/// `a < b` as a mask; `a`, `b` evaluated in that order, as the operator would.
#[inline(always)]
pub fn cmp_lt<F: BitSelect>(a: F, b: F) -> Mask<F> {
    Mask(F::lt(a, b))
}
#[inline(always)]
pub fn cmp_le<F: BitSelect>(a: F, b: F) -> Mask<F> {
    Mask(F::le(a, b))
}
#[inline(always)]
pub fn cmp_gt<F: BitSelect>(a: F, b: F) -> Mask<F> {
    Mask(F::lt(b, a))
}
#[inline(always)]
pub fn cmp_ge<F: BitSelect>(a: F, b: F) -> Mask<F> {
    Mask(F::le(b, a))
}
#[inline(always)]
pub fn cmp_eq<F: BitSelect>(a: F, b: F) -> Mask<F> {
    Mask(F::eq(a, b))
}
#[inline(always)]
pub fn cmp_ne<F: BitSelect>(a: F, b: F) -> Mask<F> {
    Mask(F::ne(a, b))
}
