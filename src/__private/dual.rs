//! A first-order dual number `re + eps·ε` (ε² = 0), for forward-over-reverse
//! second derivatives: the macro emits a copy of each reverse sweep over
//! `Dual<F>`, so running it with a tangent on the inputs gives the Hessian–
//! vector product in the adjoints' `eps` parts (`f::hvp`, `f::hessian`).
//!
//! Its elementary functions are `dual_rules.rs`'s, shared with `DualN`.

use std::cmp::Ordering;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, Sub, SubAssign};

/// `repr(C)`, tangent first: the same layout as `DualN<F, 1>` (see
/// `one_lane`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C)]
pub struct Dual<F> {
    pub eps: F,
    pub re: F,
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
            /// `y = g(a, b)` with partials `da`, `db`.
            #[inline(always)]
            fn chain2(self, b: Self, re: $f, da: $f, db: $f) -> Self {
                Dual { re, eps: da * self.eps + db * b.eps }
            }
            elementary_methods!($f);
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
        impl crate::__private::Tanh for Dual<$f> {
            #[inline(always)]
            fn gd_tanh(self) -> Self { self.tanh() }
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

/// `Dual<F>` as `DualN<F, 1>` and back, for the dual copy of a function
/// whose second-order sweep is its lanes copy, generic over the lane count
/// (`emit::lanes::one_lane` in gd-macros): both are `repr(C)` structs of
/// one `F` of tangent (`[F; 1]` has `F`'s layout) then `re: F`, so the
/// slices and references are reinterpreted in place.
pub mod one_lane {
    use super::super::DualN;
    use super::Dual;

    #[inline(always)]
    pub fn of<F>(d: Dual<F>) -> DualN<F, 1> {
        DualN { re: d.re, eps: [d.eps] }
    }
    #[inline(always)]
    pub fn back<F>(d: DualN<F, 1>) -> Dual<F> {
        let [eps] = d.eps;
        Dual { re: d.re, eps }
    }
    #[inline(always)]
    pub fn of_mut<F>(d: &mut Dual<F>) -> &mut DualN<F, 1> {
        // SAFETY: same layout (module doc); the borrow is carried over.
        unsafe { &mut *(d as *mut Dual<F>).cast::<DualN<F, 1>>() }
    }
    #[inline(always)]
    pub fn of_slice<F>(d: &[Dual<F>]) -> &[DualN<F, 1>] {
        // SAFETY: same layout, so the same length and stride.
        unsafe { std::slice::from_raw_parts(d.as_ptr().cast::<DualN<F, 1>>(), d.len()) }
    }
    #[inline(always)]
    pub fn of_slice_mut<F>(d: &mut [Dual<F>]) -> &mut [DualN<F, 1>] {
        // SAFETY: as `of_slice`; the exclusive borrow is carried over.
        unsafe { std::slice::from_raw_parts_mut(d.as_mut_ptr().cast::<DualN<F, 1>>(), d.len()) }
    }
}
