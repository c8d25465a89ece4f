//! A dual number with `K` tangent lanes, `re + Σₗ epsₗ·εₗ` (εᵢεⱼ = 0): the
//! scalar of the *lanes copy* of each reverse sweep (`__gd_vjp_lanes`), which
//! `f::hessian` runs once per chunk of `K` columns instead of once per
//! column, so that the primal, the reverse sweep's bookkeeping (loop
//! counters, value stacks, branch replays) and the partials shared by the
//! lanes are paid once per chunk (ForwardDiff.jl's chunk mode).
//!
//! Every method is `Dual`'s (`dual.rs`) with the tangent arithmetic done on
//! each lane: same names, same conventions at non-differentiable points, so
//! the emitted code reads the same over either type. The lanes are a plain
//! array and every loop over them has a constant trip count, so LLVM keeps
//! them in vector registers.

use std::cmp::Ordering;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, Sub, SubAssign};

/// The lane count the macro emits the lanes copy for. Measured on
/// `benches/hessian.rs` (2-core VM, x86-64 baseline: SSE2, two f64 per
/// register): 8 lanes beat 4 by 10-20 % on loops of plain arithmetic
/// (chained Rosenbrock n = 1000: 5.4 vs 6.5 ms), but took 1.7x as long on a
/// loop that calls another differentiable function per trip (200 vs 116 µs
/// at n = 100: the callee's lanes copy, run twice per trip, moves 72-byte
/// duals), and 4 wastes fewer lanes on small n. A chunk that the Hessian's
/// size does not fill runs with zero tangents in its spare lanes.
pub const LANES: usize = 4;

/// The lanes copy's scalar type.
pub type Lanes<F> = DualN<F, LANES>;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DualN<F, const K: usize> {
    pub re: F,
    pub eps: [F; K],
}

macro_rules! lanes_impl {
    ($f:ident) => {
        impl<const K: usize> DualN<$f, K> {
            pub const ZERO: Self = DualN { re: 0.0, eps: [0.0; K] };
            /// The adjoints' reset value, as `Dual::NEG_ZERO`.
            pub const NEG_ZERO: Self = DualN { re: -0.0, eps: [-0.0; K] };

            /// A constant (zero tangents).
            #[inline(always)]
            pub fn cst(re: $f) -> Self {
                DualN { re, eps: [0.0; K] }
            }
            /// `re` with tangent `eps` on every lane.
            #[inline(always)]
            pub fn new(re: $f, eps: [$f; K]) -> Self {
                DualN { re, eps }
            }
            /// `y = g(x)` with `g'(x) = d`: each lane's tangent times `d`.
            #[inline(always)]
            fn chain(self, re: $f, d: $f) -> Self {
                let mut eps = self.eps;
                for e in &mut eps {
                    *e *= d;
                }
                DualN { re, eps }
            }
            /// `y = g(a, b)` with partials `da`, `db`: `da·ȧ + db·ḃ` per lane.
            #[inline(always)]
            fn chain2(self, b: Self, re: $f, da: $f, db: $f) -> Self {
                let mut eps = [0.0; K];
                for l in 0..K {
                    eps[l] = da * self.eps[l] + db * b.eps[l];
                }
                DualN { re, eps }
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
                self.chain2(b, self.re.atan2(b.re), b.re / r2, -self.re / r2)
            }
            pub fn powf(self, b: Self) -> Self {
                let y = self.re.powf(b.re);
                let da = if b.re == 0.0 { 0.0 } else { b.re * self.re.powf(b.re - 1.0) };
                let db = if self.re == 0.0 { 0.0 } else { y * self.re.ln() };
                self.chain2(b, y, da, db)
            }
            pub fn log(self, b: Self) -> Self {
                let lb = b.re.ln();
                self.chain2(b, self.re.log(b.re), 1.0 / (self.re * lb), -self.re.ln() / (b.re * lb * lb))
            }
            // As `f64::max`/`min`: a NaN operand loses (the other is returned).
            pub fn max(self, b: Self) -> Self {
                if self.re > b.re { self } else if self.re < b.re { b } else { self.tie(b) }
            }
            pub fn min(self, b: Self) -> Self {
                if self.re < b.re { self } else if self.re > b.re { b } else { self.tie(b) }
            }
            /// As `Dual::tie`: equal operands share the tangent half each.
            fn tie(self, b: Self) -> Self {
                if self.re == b.re { self.chain2(b, self.re, 0.5, 0.5) } else if self.re.is_nan() { b } else { self }
            }
            pub fn hypot(self, b: Self) -> Self {
                let y = self.re.hypot(b.re);
                if y == 0.0 {
                    return Self::cst(y);
                }
                self.chain2(b, y, self.re / y, b.re / y)
            }
            pub fn mul_add(self, a: Self, b: Self) -> Self {
                self * a + b
            }
            pub fn clamp(self, lo: Self, hi: Self) -> Self {
                if self.re < lo.re { lo } else if self.re > hi.re { hi } else { self }
            }
        }

        impl<const K: usize> Default for DualN<$f, K> {
            fn default() -> Self { Self::ZERO }
        }
        impl<const K: usize> From<$f> for DualN<$f, K> {
            #[inline(always)]
            fn from(re: $f) -> Self { Self::cst(re) }
        }
        impl<const K: usize> Add for DualN<$f, K> {
            type Output = Self;
            #[inline(always)]
            fn add(self, b: Self) -> Self { self.chain2(b, self.re + b.re, 1.0, 1.0) }
        }
        impl<const K: usize> Sub for DualN<$f, K> {
            type Output = Self;
            #[inline(always)]
            fn sub(self, b: Self) -> Self { self.chain2(b, self.re - b.re, 1.0, -1.0) }
        }
        impl<const K: usize> Mul for DualN<$f, K> {
            type Output = Self;
            #[inline(always)]
            fn mul(self, b: Self) -> Self { self.chain2(b, self.re * b.re, b.re, self.re) }
        }
        impl<const K: usize> Div for DualN<$f, K> {
            type Output = Self;
            #[inline(always)]
            fn div(self, b: Self) -> Self {
                let y = self.re / b.re;
                let r = 1.0 / b.re;
                self.chain2(b, y, r, -y * r)
            }
        }
        impl<const K: usize> Rem for DualN<$f, K> {
            type Output = Self;
            fn rem(self, b: Self) -> Self { self.chain2(b, self.re % b.re, 1.0, -(self.re / b.re).trunc()) }
        }
        impl<const K: usize> Neg for DualN<$f, K> {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self { self.chain(-self.re, -1.0) }
        }
        // A float operand has no tangent: its lanes are not multiplied by zero
        // (which LLVM may not drop: `0.0 * inf` is NaN).
        lanes_impl!(@mixed $f, Add, add, AddAssign, add_assign, |a: Self, b: $f| DualN { re: a.re + b, eps: a.eps }, |a: $f, b: DualN<$f, K>| DualN { re: a + b.re, eps: b.eps });
        lanes_impl!(@mixed $f, Sub, sub, SubAssign, sub_assign, |a: Self, b: $f| DualN { re: a.re - b, eps: a.eps }, |a: $f, b: DualN<$f, K>| b.chain(a - b.re, -1.0));
        lanes_impl!(@mixed $f, Mul, mul, MulAssign, mul_assign, |a: Self, b: $f| a.chain(a.re * b, b), |a: $f, b: DualN<$f, K>| b.chain(a * b.re, a));
        lanes_impl!(@mixed $f, Div, div, DivAssign, div_assign, |a: Self, b: $f| a.chain(a.re / b, 1.0 / b), |a: $f, b: DualN<$f, K>| { let y = a / b.re; b.chain(y, -y / b.re) });
        impl<const K: usize> PartialEq<$f> for DualN<$f, K> {
            fn eq(&self, b: &$f) -> bool { self.re == *b }
        }
        impl<const K: usize> PartialOrd for DualN<$f, K> {
            fn partial_cmp(&self, b: &Self) -> Option<Ordering> { self.re.partial_cmp(&b.re) }
        }
        impl<const K: usize> PartialOrd<$f> for DualN<$f, K> {
            fn partial_cmp(&self, b: &$f) -> Option<Ordering> { self.re.partial_cmp(b) }
        }
        impl<const K: usize> Sum for DualN<$f, K> {
            fn sum<I: Iterator<Item = Self>>(it: I) -> Self { it.fold(Self::ZERO, |a, b| a + b) }
        }
        impl<'a, const K: usize> Sum<&'a DualN<$f, K>> for DualN<$f, K> {
            fn sum<I: Iterator<Item = &'a Self>>(it: I) -> Self { it.fold(Self::ZERO, |a, b| a + *b) }
        }
        impl<const K: usize> crate::__private::ToFloat<DualN<$f, K>> for $f {
            #[inline(always)]
            fn to_float(self) -> DualN<$f, K> { DualN::<$f, K>::cst(self) }
        }
        impl<const K: usize> crate::__private::ToFloat<DualN<$f, K>> for &$f {
            #[inline(always)]
            fn to_float(self) -> DualN<$f, K> { DualN::<$f, K>::cst(*self) }
        }
        impl<const K: usize> crate::__private::ToFloat<DualN<$f, K>> for DualN<$f, K> {
            #[inline(always)]
            fn to_float(self) -> DualN<$f, K> { self }
        }
        impl<const K: usize> crate::__private::ToFloat<DualN<$f, K>> for &DualN<$f, K> {
            #[inline(always)]
            fn to_float(self) -> DualN<$f, K> { *self }
        }
        impl<const K: usize> crate::__private::Re<$f> for DualN<$f, K> {
            #[inline(always)]
            fn re(self) -> $f { self.re }
        }
    };
    (@mixed $f:ident, $tr:ident, $m:ident, $tra:ident, $ma:ident, $right:expr, $left:expr) => {
        impl<const K: usize> $tr<$f> for DualN<$f, K> {
            type Output = Self;
            #[inline(always)]
            fn $m(self, b: $f) -> Self { ($right)(self, b) }
        }
        impl<const K: usize> $tr<DualN<$f, K>> for $f {
            type Output = DualN<$f, K>;
            #[inline(always)]
            fn $m(self, b: DualN<$f, K>) -> DualN<$f, K> { ($left)(self, b) }
        }
        impl<const K: usize> $tra for DualN<$f, K> {
            #[inline(always)]
            fn $ma(&mut self, b: Self) { *self = $tr::$m(*self, b); }
        }
        impl<const K: usize> $tra<$f> for DualN<$f, K> {
            #[inline(always)]
            fn $ma(&mut self, b: $f) { *self = $tr::$m(*self, b); }
        }
    };
}

lanes_impl!(f64);
lanes_impl!(f32);
