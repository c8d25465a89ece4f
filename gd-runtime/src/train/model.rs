//! What the training loop and the LR range test need of the parameters, for
//! the two kinds they take: the flat `[f64]` of [`super::Trainer::fit`] and
//! any [`Params`] value (a `#[derive(gd::Params)]` struct, a `Vec<f32>`, …)
//! of [`super::Trainer::fit_params`]. One loop serves both.

use std::borrow::{BorrowMut, Cow};

use super::passes;
use crate::leaves::{LeafPair, Leaves};
use crate::params::Params;

/// `f64` or `f32` on each leaf of `s` with the same leaf of `x`, in the flat
/// order. The loop's buffers are all made by `zeros`/`copy` of the
/// parameters, so their shapes agree.
fn each_leaf<P: Params>(s: &mut P, x: &P, mut f: impl FnMut(LeafPair<'_>)) {
    s.zip_leaves(x, &mut |pair| {
        f(pair);
        Ok(())
    })
    .expect("gd: the training loop's buffers have the parameters' shape");
}

/// Parameters the loop can copy, accumulate gradients of and step.
pub(crate) trait TrainParams: Leaves {
    /// An owned value of the same shape (a copy, a gradient buffer).
    type Owned: BorrowMut<Self>;
    /// A copy of `self`.
    fn copy(&self) -> Self::Owned;
    /// A zero value of `self`'s shape.
    fn zeros(&self) -> Self::Owned;
    /// Overwrite `self` with `src` (same shape).
    fn assign(&mut self, src: &Self);
    /// `self ← 0`.
    fn zero(&mut self);
    /// `self += a · x`.
    fn add_scaled(&mut self, a: f64, x: &Self);
    /// `self /= d`.
    fn div(&mut self, d: f64);
    /// `self ← 0`, then `self += a · x`, in one pass.
    fn set_scaled(&mut self, a: f64, x: &Self);
    /// `self += a · x`, then `self /= d`, in one pass.
    fn add_scaled_div(&mut self, a: f64, x: &Self, d: f64);
    /// `self += a · x` and `x`'s [`norm`](TrainParams::norm), in one pass.
    fn add_scaled_norm(&mut self, a: f64, x: &Self) -> f64;
    /// Euclidean norm, in `f64`.
    fn norm(&self) -> f64;
    /// The flat `f64` view, for the validation closure.
    fn flat(&self) -> Cow<'_, [f64]>;
    /// The number of values [`TrainParams::push_flat`] appends.
    fn flat_len(&self) -> usize;
    /// Append the values in the flat order (to a buffer that is all-reduced).
    fn push_flat(&self, out: &mut Vec<f64>);
    /// Overwrite from the first [`TrainParams::flat_len`] values of `src`.
    fn read_flat(&mut self, src: &[f64]);
}

impl TrainParams for [f64] {
    type Owned = Vec<f64>;
    fn copy(&self) -> Vec<f64> {
        self.to_vec()
    }
    fn zeros(&self) -> Vec<f64> {
        vec![0.0; self.len()]
    }
    fn assign(&mut self, src: &[f64]) {
        self.copy_from_slice(src)
    }
    fn zero(&mut self) {
        self.fill(0.0)
    }
    fn add_scaled(&mut self, a: f64, x: &[f64]) {
        for (s, &x) in self.iter_mut().zip(x) {
            *s += a * x;
        }
    }
    fn div(&mut self, d: f64) {
        self.iter_mut().for_each(|v| *v /= d)
    }
    fn set_scaled(&mut self, a: f64, x: &[f64]) {
        for (s, &x) in self.iter_mut().zip(x) {
            *s = 0.0 + a * x;
        }
    }
    fn add_scaled_div(&mut self, a: f64, x: &[f64], d: f64) {
        for (s, &x) in self.iter_mut().zip(x) {
            *s = (*s + a * x) / d;
        }
    }
    fn add_scaled_norm(&mut self, a: f64, x: &[f64]) -> f64 {
        // Summed in order, as `crate::norm2`.
        let mut sq = 0.0;
        for (s, &x) in self.iter_mut().zip(x) {
            sq += x * x;
            *s += a * x;
        }
        sq.sqrt()
    }
    fn norm(&self) -> f64 {
        crate::norm2(self)
    }
    fn flat(&self) -> Cow<'_, [f64]> {
        Cow::Borrowed(self)
    }
    fn flat_len(&self) -> usize {
        self.len()
    }
    fn push_flat(&self, out: &mut Vec<f64>) {
        out.extend_from_slice(self)
    }
    fn read_flat(&mut self, src: &[f64]) {
        self.copy_from_slice(&src[..self.len()])
    }
}

impl<P: Params + Clone> TrainParams for P {
    type Owned = P;
    fn copy(&self) -> P {
        self.clone()
    }
    fn zeros(&self) -> P {
        self.zeros_like()
    }
    fn assign(&mut self, src: &P) {
        self.clone_from(src)
    }
    fn zero(&mut self) {
        self.set_zero()
    }
    fn add_scaled(&mut self, a: f64, x: &P) {
        self.axpy(a, x)
    }
    fn div(&mut self, d: f64) {
        self.scale(1.0 / d)
    }
    fn set_scaled(&mut self, a: f64, x: &P) {
        each_leaf(self, x, |pair| match pair {
            LeafPair::F64(s, x) => passes::set_scaled(s, a, x),
            LeafPair::F32(s, x) => passes::set_scaled(s, a, x),
        });
    }
    fn add_scaled_div(&mut self, a: f64, x: &P, d: f64) {
        let m = 1.0 / d;
        each_leaf(self, x, |pair| match pair {
            LeafPair::F64(s, x) => passes::add_scaled_times(s, a, x, m),
            LeafPair::F32(s, x) => passes::add_scaled_times(s, a, x, m),
        });
    }
    fn add_scaled_norm(&mut self, a: f64, x: &P) -> f64 {
        let mut sq = 0.0;
        each_leaf(self, x, |pair| {
            sq += match pair {
                LeafPair::F64(s, x) => passes::add_scaled_sq(s, a, x),
                LeafPair::F32(s, x) => passes::add_scaled_sq(s, a, x),
            }
        });
        sq.sqrt()
    }
    fn norm(&self) -> f64 {
        Params::norm(self)
    }
    fn flat(&self) -> Cow<'_, [f64]> {
        Cow::Owned(self.to_vec())
    }
    fn flat_len(&self) -> usize {
        self.num_params()
    }
    fn push_flat(&self, out: &mut Vec<f64>) {
        self.flatten_into(out)
    }
    fn read_flat(&mut self, src: &[f64]) {
        self.read_from(src);
    }
}
