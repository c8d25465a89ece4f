//! A first-order dual number `re + eps·ε` (ε² = 0), for forward-over-reverse
//! second derivatives: the macro emits a copy of each reverse sweep over
//! `Dual<F>`, so running it with a tangent on the inputs gives the Hessian–
//! vector product in the adjoints' `eps` parts (`f::hvp`, `f::hessian`).
//!
//! Its methods mirror the macro's rule table (same names, same conventions at
//! non-differentiable points), so that the emitted code reads the same.

use std::cmp::Ordering;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, Sub, SubAssign};

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Dual<F> {
    pub re: F,
    pub eps: F,
}

macro_rules! dual_impl {
    ($f:ident) => {
        impl Dual<$f> {
            pub const ZERO: Self = Dual { re: 0.0, eps: 0.0 };
            /// The adjoints' reset value: `-0.0 + x == x`, so the compiler
            /// may drop the first addition after a reset (see the f64 sweep).
            pub const NEG_ZERO: Self = Dual { re: -0.0, eps: -0.0 };

            #[inline(always)]
            pub fn new(re: $f, eps: $f) -> Self {
                Dual { re, eps }
            }
            /// A constant (zero tangent).
            #[inline(always)]
            pub fn cst(re: $f) -> Self {
                Dual { re, eps: 0.0 }
            }
            #[inline(always)]
            fn chain(self, re: $f, d: $f) -> Self {
                Dual { re, eps: d * self.eps }
            }
            pub fn sin(self) -> Self { self.chain(self.re.sin(), self.re.cos()) }
            pub fn cos(self) -> Self { self.chain(self.re.cos(), -self.re.sin()) }
            pub fn tan(self) -> Self { let y = self.re.tan(); self.chain(y, 1.0 + y * y) }
            pub fn asin(self) -> Self { self.chain(self.re.asin(), 1.0 / (1.0 - self.re * self.re).sqrt()) }
            pub fn acos(self) -> Self { self.chain(self.re.acos(), -1.0 / (1.0 - self.re * self.re).sqrt()) }
            pub fn atan(self) -> Self { self.chain(self.re.atan(), 1.0 / (1.0 + self.re * self.re)) }
            pub fn sinh(self) -> Self { self.chain(self.re.sinh(), self.re.cosh()) }
            pub fn cosh(self) -> Self { self.chain(self.re.cosh(), self.re.sinh()) }
            pub fn tanh(self) -> Self { let y = self.re.tanh(); self.chain(y, 1.0 - y * y) }
            pub fn asinh(self) -> Self { self.chain(self.re.asinh(), 1.0 / (self.re * self.re + 1.0).sqrt()) }
            pub fn acosh(self) -> Self { self.chain(self.re.acosh(), 1.0 / (self.re * self.re - 1.0).sqrt()) }
            pub fn atanh(self) -> Self { self.chain(self.re.atanh(), 1.0 / (1.0 - self.re * self.re)) }
            pub fn exp(self) -> Self { let y = self.re.exp(); self.chain(y, y) }
            pub fn exp2(self) -> Self { let y = self.re.exp2(); self.chain(y, y * std::$f::consts::LN_2) }
            pub fn exp_m1(self) -> Self { let y = self.re.exp_m1(); self.chain(y, y + 1.0) }
            pub fn ln(self) -> Self { self.chain(self.re.ln(), 1.0 / self.re) }
            pub fn ln_1p(self) -> Self { self.chain(self.re.ln_1p(), 1.0 / (1.0 + self.re)) }
            pub fn log10(self) -> Self { self.chain(self.re.log10(), 1.0 / (self.re * std::$f::consts::LN_10)) }
            pub fn log2(self) -> Self { self.chain(self.re.log2(), 1.0 / (self.re * std::$f::consts::LN_2)) }
            pub fn sqrt(self) -> Self { let y = self.re.sqrt(); self.chain(y, 0.5 / y) }
            pub fn cbrt(self) -> Self { let y = self.re.cbrt(); self.chain(y, 1.0 / (3.0 * y * y)) }
            pub fn powi(self, n: i32) -> Self {
                let d = if n == 0 { 0.0 } else { n as $f * self.re.powi(n - 1) };
                self.chain(self.re.powi(n), d)
            }
            pub fn abs(self) -> Self {
                let d = if self.re > 0.0 { 1.0 } else if self.re < 0.0 { -1.0 } else { 0.0 };
                self.chain(self.re.abs(), d)
            }
            pub fn recip(self) -> Self { let y = self.re.recip(); self.chain(y, -y * y) }
            pub fn fract(self) -> Self { self.chain(self.re.fract(), 1.0) }
            pub fn signum(self) -> Self { Self::cst(self.re.signum()) }
            pub fn floor(self) -> Self { Self::cst(self.re.floor()) }
            pub fn ceil(self) -> Self { Self::cst(self.re.ceil()) }
            pub fn round(self) -> Self { Self::cst(self.re.round()) }
            pub fn round_ties_even(self) -> Self { Self::cst(self.re.round_ties_even()) }
            pub fn trunc(self) -> Self { Self::cst(self.re.trunc()) }
            pub fn atan2(self, b: Self) -> Self {
                let r2 = self.re * self.re + b.re * b.re;
                Dual { re: self.re.atan2(b.re), eps: (b.re * self.eps - self.re * b.eps) / r2 }
            }
            pub fn powf(self, b: Self) -> Self {
                let y = self.re.powf(b.re);
                let da = if b.re == 0.0 { 0.0 } else { b.re * self.re.powf(b.re - 1.0) };
                let db = if self.re == 0.0 { 0.0 } else { y * self.re.ln() };
                Dual { re: y, eps: da * self.eps + db * b.eps }
            }
            pub fn log(self, b: Self) -> Self {
                let lb = b.re.ln();
                Dual {
                    re: self.re.log(b.re),
                    eps: self.eps / (self.re * lb) - self.re.ln() / (b.re * lb * lb) * b.eps,
                }
            }
            // As `f64::max`/`min`: a NaN operand loses (the other is returned).
            pub fn max(self, b: Self) -> Self {
                if self.re > b.re { self } else if self.re < b.re { b } else { self.tie(b) }
            }
            pub fn min(self, b: Self) -> Self {
                if self.re < b.re { self } else if self.re > b.re { b } else { self.tie(b) }
            }
            /// max/min of operands that do not compare: equal (half the
            /// tangent each), or one of them NaN (the other).
            fn tie(self, b: Self) -> Self {
                if self.re == b.re { Dual { re: self.re, eps: 0.5 * (self.eps + b.eps) } } else if self.re.is_nan() { b } else { self }
            }
            pub fn hypot(self, b: Self) -> Self {
                let y = self.re.hypot(b.re);
                if y == 0.0 {
                    return Dual { re: y, eps: 0.0 };
                }
                Dual { re: y, eps: (self.re * self.eps + b.re * b.eps) / y }
            }
            pub fn mul_add(self, a: Self, b: Self) -> Self {
                self * a + b
            }
            pub fn clamp(self, lo: Self, hi: Self) -> Self {
                if self.re < lo.re { lo } else if self.re > hi.re { hi } else { self }
            }
        }

        impl From<$f> for Dual<$f> {
            #[inline(always)]
            fn from(re: $f) -> Self {
                Dual::<$f>::cst(re)
            }
        }
        impl Add for Dual<$f> {
            type Output = Self;
            #[inline(always)]
            fn add(self, b: Self) -> Self { Dual { re: self.re + b.re, eps: self.eps + b.eps } }
        }
        impl Sub for Dual<$f> {
            type Output = Self;
            #[inline(always)]
            fn sub(self, b: Self) -> Self { Dual { re: self.re - b.re, eps: self.eps - b.eps } }
        }
        impl Mul for Dual<$f> {
            type Output = Self;
            #[inline(always)]
            fn mul(self, b: Self) -> Self { Dual { re: self.re * b.re, eps: self.eps * b.re + self.re * b.eps } }
        }
        impl Div for Dual<$f> {
            type Output = Self;
            #[inline(always)]
            fn div(self, b: Self) -> Self {
                let y = self.re / b.re;
                Dual { re: y, eps: (self.eps - y * b.eps) / b.re }
            }
        }
        impl Rem for Dual<$f> {
            type Output = Self;
            fn rem(self, b: Self) -> Self {
                Dual { re: self.re % b.re, eps: self.eps - (self.re / b.re).trunc() * b.eps }
            }
        }
        impl Neg for Dual<$f> {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self { Dual { re: -self.re, eps: -self.eps } }
        }
        dual_impl!(@mixed $f, Add, add, AddAssign, add_assign);
        dual_impl!(@mixed $f, Sub, sub, SubAssign, sub_assign);
        dual_impl!(@mixed $f, Mul, mul, MulAssign, mul_assign);
        dual_impl!(@mixed $f, Div, div, DivAssign, div_assign);
        impl PartialEq<$f> for Dual<$f> {
            fn eq(&self, b: &$f) -> bool { self.re == *b }
        }
        impl PartialOrd for Dual<$f> {
            fn partial_cmp(&self, b: &Self) -> Option<Ordering> { self.re.partial_cmp(&b.re) }
        }
        impl PartialOrd<$f> for Dual<$f> {
            fn partial_cmp(&self, b: &$f) -> Option<Ordering> { self.re.partial_cmp(b) }
        }
        impl Sum for Dual<$f> {
            fn sum<I: Iterator<Item = Self>>(it: I) -> Self { it.fold(Dual::<$f>::ZERO, |a, b| a + b) }
        }
        impl<'a> Sum<&'a Dual<$f>> for Dual<$f> {
            fn sum<I: Iterator<Item = &'a Self>>(it: I) -> Self { it.fold(Dual::<$f>::ZERO, |a, b| a + *b) }
        }
        impl crate::__private::ToFloat<Dual<$f>> for $f {
            #[inline(always)]
            fn to_float(self) -> Dual<$f> { Dual::<$f>::cst(self) }
        }
        impl crate::__private::ToFloat<Dual<$f>> for &$f {
            #[inline(always)]
            fn to_float(self) -> Dual<$f> { Dual::<$f>::cst(*self) }
        }
        impl crate::__private::ToFloat<Dual<$f>> for Dual<$f> {
            #[inline(always)]
            fn to_float(self) -> Dual<$f> { self }
        }
        impl crate::__private::ToFloat<Dual<$f>> for &Dual<$f> {
            #[inline(always)]
            fn to_float(self) -> Dual<$f> { *self }
        }
    };
    (@mixed $f:ident, $tr:ident, $m:ident, $tra:ident, $ma:ident) => {
        impl $tr<$f> for Dual<$f> {
            type Output = Self;
            #[inline(always)]
            fn $m(self, b: $f) -> Self { $tr::$m(self, Dual::<$f>::cst(b)) }
        }
        impl $tr<Dual<$f>> for $f {
            type Output = Dual<$f>;
            #[inline(always)]
            fn $m(self, b: Dual<$f>) -> Dual<$f> { $tr::$m(Dual::<$f>::cst(self), b) }
        }
        impl $tra for Dual<$f> {
            #[inline(always)]
            fn $ma(&mut self, b: Self) { *self = $tr::$m(*self, b); }
        }
        impl $tra<$f> for Dual<$f> {
            #[inline(always)]
            fn $ma(&mut self, b: $f) { *self = $tr::$m(*self, Dual::<$f>::cst(b)); }
        }
    };
}

dual_impl!(f64);
dual_impl!(f32);
