//! A dual number with `K` tangent lanes, `re + Σₗ epsₗ·εₗ` (εᵢεⱼ = 0): the
//! scalar of the *lanes copy* of each reverse sweep (`__gd_vjp_lanes`), which
//! `f::hessian` runs once per chunk of `K` columns instead of once per
//! column, so that the primal, the reverse sweep's bookkeeping (loop
//! counters, value stacks, branch replays) and the partials shared by the
//! lanes are paid once per chunk (ForwardDiff.jl's chunk mode).
//!
//! Its elementary functions are `Dual`'s (`dual_rules.rs`, one table for
//! both) with the tangent arithmetic done on each lane (`chain`, `chain2`),
//! so the emitted code reads the same over either type. The lanes are a plain
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

/// `repr(C)`, for `Dual`'s layout at one lane (see `one_lane`), with the
/// lanes first: in that order the chunked Hessians run 15-25 % fewer
/// instructions than with `re` first (cachegrind on `benches/hessian.rs`'s
/// functions; the order rustc picks for the default layout).
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
pub struct DualN<F, const K: usize> {
    pub eps: [F; K],
    pub re: F,
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
            ///
            /// The lane loops here are `while`s over an index, not `for`s:
            /// the MIR inliner copies these into every operation of every
            /// lanes copy (generic over `K`, so optimized for the crate's
            /// metadata whether `hessian` is used or not), and a `for`
            /// brings its `Range`/`IterMut` iterator's code along: release
            /// builds of `benches/compile_cost` spent 16 % more per
            /// function. LLVM makes the same code of both.
            #[inline(always)]
            fn chain(self, re: $f, d: $f) -> Self {
                let mut eps = self.eps;
                let mut l = 0;
                while l < K {
                    eps[l] *= d;
                    l += 1;
                }
                DualN { re, eps }
            }
            /// `y = g(a, b)` with partials `da`, `db`: `da·ȧ + db·ḃ` per lane.
            #[inline(always)]
            fn chain2(self, b: Self, re: $f, da: $f, db: $f) -> Self {
                let mut eps = [0.0; K];
                let mut l = 0;
                while l < K {
                    eps[l] = da * self.eps[l] + db * b.eps[l];
                    l += 1;
                }
                DualN { re, eps }
            }
            elementary_methods!($f);
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
        impl<const K: usize> crate::__private::Tanh for DualN<$f, K> {
            #[inline(always)]
            fn gd_tanh(self) -> Self { self.tanh() }
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
