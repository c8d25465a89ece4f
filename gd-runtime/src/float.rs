//! [`Float`]: `f32` or `f64`, with their arithmetic and float methods. The
//! bound of a `#[differentiable]` function written once for both precisions,
//! `fn f<F: gd::Float>(x: &[F]) -> F`, and the base of
//! [`crate::ParamScalar`], the element type of parameters.
//!
//! Why a trait of gd's own rather than num-traits' `Float`: the macro
//! differentiates such a function as two copies, one with `F = f64` and one
//! with `F = f32`, and a user's `F::from(0.5).unwrap()` (num-traits'
//! `NumCast`) would not compile in the `f64` copy, where `f64::from` is also
//! `From<f64>`; `F::from_f64(0.5)` means one thing in both. The trait is
//! sealed (the copies exist for `f32` and `f64` only) and holds what the
//! macro differentiates: arithmetic, the float methods of its rule table,
//! comparisons, `Sum`/`Product`, and conversions from and to `f64`.

use std::iter::{Product, Sum};
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign};

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! float_trait {
    (unary: $($u:ident),*; binary: $($b:ident),*; zero_derivative: $($z:ident),*) => {
        /// `f32` or `f64` in a function differentiated for both (see the
        /// module docs). Its methods are the inherent float methods of the
        /// same names.
        pub trait Float:
            sealed::Sealed
            + Copy
            + Default
            + PartialEq
            + PartialOrd
            + std::fmt::Debug
            + std::fmt::Display
            + Send
            + Sync
            + 'static
            + Add<Output = Self>
            + Sub<Output = Self>
            + Mul<Output = Self>
            + Div<Output = Self>
            + Rem<Output = Self>
            + Neg<Output = Self>
            + AddAssign
            + SubAssign
            + MulAssign
            + DivAssign
            + RemAssign
            + Sum
            + Product
            + for<'a> Sum<&'a Self>
            + for<'a> Product<&'a Self>
        {
            /// `0`.
            const ZERO: Self;
            /// `1`.
            const ONE: Self;
            /// Machine epsilon.
            const EPSILON: Self;
            /// +∞.
            const INFINITY: Self;
            /// −∞.
            const NEG_INFINITY: Self;
            /// A constant from an `f64` (rounded in `f32`): `F::from_f64(0.5)`.
            fn from_f64(v: f64) -> Self;
            /// The value widened to `f64`.
            fn to_f64(self) -> f64;
            /// Neither infinite nor NaN.
            fn is_finite(self) -> bool;
            /// NaN.
            fn is_nan(self) -> bool;
            /// `self` to the integer power `n`.
            fn powi(self, n: i32) -> Self;
            /// `self · a + b` with one rounding.
            fn mul_add(self, a: Self, b: Self) -> Self;
            /// `self` limited to `[lo, hi]`.
            fn clamp(self, lo: Self, hi: Self) -> Self;
            $(
                #[doc = concat!("As the inherent `", stringify!($u), "`.")]
                fn $u(self) -> Self;
            )*
            $(
                #[doc = concat!("As the inherent `", stringify!($b), "`.")]
                fn $b(self, other: Self) -> Self;
            )*
            $(
                #[doc = concat!("As the inherent `", stringify!($z), "` (derivative zero).")]
                fn $z(self) -> Self;
            )*
        }

        float_trait!(@impl f32; $($u),*; $($b),*; $($z),*);
        float_trait!(@impl f64; $($u),*; $($b),*; $($z),*);
    };
    (@impl $t:ident; $($u:ident),*; $($b:ident),*; $($z:ident),*) => {
        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const EPSILON: Self = $t::EPSILON;
            const INFINITY: Self = $t::INFINITY;
            const NEG_INFINITY: Self = $t::NEG_INFINITY;
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                $t::powi(self, n)
            }
            #[inline(always)]
            fn mul_add(self, a: Self, b: Self) -> Self {
                $t::mul_add(self, a, b)
            }
            #[inline(always)]
            fn clamp(self, lo: Self, hi: Self) -> Self {
                $t::clamp(self, lo, hi)
            }
            $(
                #[inline(always)]
                fn $u(self) -> Self {
                    $t::$u(self)
                }
            )*
            $(
                #[inline(always)]
                fn $b(self, other: Self) -> Self {
                    $t::$b(self, other)
                }
            )*
            $(
                #[inline(always)]
                fn $z(self) -> Self {
                    $t::$z(self)
                }
            )*
        }
    };
}

float_trait! {
    unary: sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, acosh, atanh,
        exp, exp2, exp_m1, ln, ln_1p, log10, log2, sqrt, cbrt, abs, recip;
    binary: atan2, log, powf, max, min, hypot;
    zero_derivative: fract, signum, floor, ceil, round, round_ties_even, trunc
}

#[cfg(test)]
mod tests {
    use super::Float;

    fn poly<F: Float>(x: F) -> F {
        F::from_f64(0.5) * x.powi(2) + x.sin().max(F::ZERO) + F::ONE
    }

    #[test]
    fn both_precisions_agree_with_the_inherent_methods() {
        assert_eq!(poly(0.7f64), 0.5 * 0.49 + 0.7f64.sin() + 1.0);
        assert_eq!(poly(0.7f32), 0.5 * 0.7f32.powi(2) + 0.7f32.sin() + 1.0);
        assert_eq!(<f32 as Float>::from_f64(0.1), 0.1f32);
    }
}
