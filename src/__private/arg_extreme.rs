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
