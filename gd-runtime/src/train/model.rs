//! What the training loop and the LR range test need of the parameters, for
//! the two kinds they take: the flat `[f64]` of [`super::Trainer::fit`] and
//! any [`Params`] value (a `#[derive(gd::Params)]` struct, a `Vec<f32>`, …)
//! of [`super::Trainer::fit_params`]. One loop serves both.

use std::borrow::{BorrowMut, Cow};

use crate::leaves::Leaves;
use crate::params::Params;

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
