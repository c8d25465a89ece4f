//! Data passed to a callee's dual or lanes copy: the caller's dual copy
//! converts each data argument to the callee's parameter type, which the
//! macro cannot see. A float becomes a constant dual number where the
//! callee differentiates that parameter (its dual copy takes duals there);
//! `&Vec<F>` and `&[F; N]` become `&[F]` where the callee takes a slice,
//! as the plain call's coercion does; anything else passes unchanged.

use super::{Dual, DualN};

pub trait DualArg<T> {
    fn dual_arg(self) -> T;
}

impl<T> DualArg<T> for T {
    #[inline(always)]
    fn dual_arg(self) -> T {
        self
    }
}

macro_rules! floats {
    ($($f:ty),*) => {$(
        impl DualArg<Dual<$f>> for $f {
            #[inline(always)]
            fn dual_arg(self) -> Dual<$f> {
                Dual::from(self)
            }
        }
        impl<const K: usize> DualArg<DualN<$f, K>> for $f {
            #[inline(always)]
            fn dual_arg(self) -> DualN<$f, K> {
                DualN::from(self)
            }
        }
    )*};
}
floats!(f32, f64);

impl<'a, T, const N: usize> DualArg<&'a [T]> for &'a [T; N] {
    #[inline(always)]
    fn dual_arg(self) -> &'a [T] {
        self
    }
}

impl<'a, T> DualArg<&'a [T]> for &'a Vec<T> {
    #[inline(always)]
    fn dual_arg(self) -> &'a [T] {
        self
    }
}
