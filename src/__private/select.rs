//! A bit-exact, branch-free choice between two floats, for the `if`s whose
//! arms the generated code computes both of (see the macro's
//! `plan::branchless`).
//!
//! `select(c, a, b)` is `if c { a } else { b }` bit for bit (a NaN in the
//! discarded operand never leaks, unlike `c·a + (1 − c)·b`). Written as a
//! plain mask (`a & m | b & !m`) or `if`, LLVM recognises a select, and
//! when two selects (or a forward and a reverse `if`) share a condition it
//! turns them back into one branch, which random data mispredicts. So the
//! mask goes through an empty `asm!` that LLVM cannot see through, and on
//! x86_64 the masking stays in SSE registers (`andpd`/`andnpd`/`orpd`).

/// f32 and f64.
pub trait BitSelect: Copy {
    fn select(c: bool, a: Self, b: Self) -> Self;
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::*;

    #[inline(always)]
    fn mask_f64(c: bool) -> __m128d {
        let mut m = f64::from_bits((c as u64).wrapping_neg());
        // SAFETY: an empty template; the register is left as it is.
        unsafe { core::arch::asm!("/* {0} */", inout(xmm_reg) m, options(pure, nomem, nostack, preserves_flags)) };
        // SAFETY: SSE2 is part of x86_64.
        unsafe { _mm_set_sd(m) }
    }

    impl super::BitSelect for f64 {
        #[inline(always)]
        fn select(c: bool, a: f64, b: f64) -> f64 {
            let m = mask_f64(c);
            // SAFETY: SSE2 is part of x86_64.
            unsafe { _mm_cvtsd_f64(_mm_or_pd(_mm_and_pd(m, _mm_set_sd(a)), _mm_andnot_pd(m, _mm_set_sd(b)))) }
        }
    }

    #[inline(always)]
    fn mask_f32(c: bool) -> __m128 {
        let mut m = f32::from_bits((c as u32).wrapping_neg());
        // SAFETY: an empty template; the register is left as it is.
        unsafe { core::arch::asm!("/* {0} */", inout(xmm_reg) m, options(pure, nomem, nostack, preserves_flags)) };
        // SAFETY: SSE2 is part of x86_64.
        unsafe { _mm_set_ss(m) }
    }

    impl super::BitSelect for f32 {
        #[inline(always)]
        fn select(c: bool, a: f32, b: f32) -> f32 {
            let m = mask_f32(c);
            // SAFETY: SSE2 is part of x86_64.
            unsafe { _mm_cvtss_f32(_mm_or_ps(_mm_and_ps(m, _mm_set_ss(a)), _mm_andnot_ps(m, _mm_set_ss(b)))) }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    impl super::BitSelect for f64 {
        #[inline(always)]
        fn select(c: bool, a: f64, b: f64) -> f64 {
            let m = (c as u64).wrapping_neg();
            f64::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
        }
    }

    impl super::BitSelect for f32 {
        #[inline(always)]
        fn select(c: bool, a: f32, b: f32) -> f32 {
            let m = (c as u32).wrapping_neg();
            f32::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
        }
    }
}

/// `if c { a } else { b }`, without a branch (see the module's note).
#[inline(always)]
pub fn select<F: BitSelect>(c: bool, a: F, b: F) -> F {
    F::select(c, a, b)
}
