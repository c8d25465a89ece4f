//! `xs.iter().copied().max_by(cmp).unwrap()` in a `#[differentiable]`
//! function is `xs[k]` with `k` the position `max_by` picks, found here on
//! the primal values with the user's comparison: the derivative goes to the
//! element returned, with `Iterator::max_by`'s own ties (the last of equal
//! maxima; `min_by`: the first) and its NaN order under `total_cmp`.

use core::cmp::Ordering;

/// The position of the element `it.max_by(cmp)` returns (`None` if empty).
pub fn arg_max_by<I: Iterator, F: FnMut(&I::Item, &I::Item) -> Ordering>(it: I, mut cmp: F) -> Option<usize> {
    it.enumerate().max_by(|a, b| cmp(&a.1, &b.1)).map(|(k, _)| k)
}

/// The position of the element `it.min_by(cmp)` returns (`None` if empty).
pub fn arg_min_by<I: Iterator, F: FnMut(&I::Item, &I::Item) -> Ordering>(it: I, mut cmp: F) -> Option<usize> {
    it.enumerate().min_by(|a, b| cmp(&a.1, &b.1)).map(|(k, _)| k)
}

/// A sweep's element type (the float itself, or a dual number in the
/// copies that second derivatives run through) with its primal value.
pub trait Primal: Copy {
    type F: Copy;
    fn primal(self) -> Self::F;
}

macro_rules! primal {
    ($($f:ty),*) => {$(
        impl Primal for $f {
            type F = $f;
            #[inline(always)]
            fn primal(self) -> $f { self }
        }
        impl Primal for super::Dual<$f> {
            type F = $f;
            #[inline(always)]
            fn primal(self) -> $f { self.re }
        }
        impl<const K: usize> Primal for super::DualN<$f, K> {
            type F = $f;
            #[inline(always)]
            fn primal(self) -> $f { self.re }
        }
    )*};
}
primal!(f32, f64);

/// The primal values of a local array, for `max_by` over it (or over a
/// mapped iterator, collected first): the position is found on them with
/// the user's comparison, whatever the sweep's element type.
pub fn primal_values<T: Primal>(xs: &[T]) -> Vec<T::F> {
    xs.iter().map(|x| x.primal()).collect()
}
