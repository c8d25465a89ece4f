//! Wrappers that compose with any optimizer: gradient clipping, weight decay
//! (L2 added to the gradient, or decoupled) and learning-rate schedules.
//!
//! A wrapper transforms what it receives and passes it on, so the outermost
//! wrapper acts first: `Adam::new(1e-3)?.l2_weight_decay(1e-4)?.clip_by_global_norm(1.0)?`
//! clips the raw gradient, then adds `1e-4 · p`, then runs Adam (torch's
//! order when `clip_grad_norm_` precedes `Adam(weight_decay=1e-4).step()`).

use serde::{Deserialize, Serialize};

use super::Optimizer;
use crate::error::{check, GdError};
use crate::schedule::Schedule;

/// Builder methods available on every optimizer.
pub trait OptimizerExt: Optimizer + Sized {
    /// Clamp every gradient coordinate to `[-clip, clip]` (`clip >= 0`).
    fn clip_by_value(self, clip: f64) -> Result<ClipByValue<Self>, GdError> {
        check::non_negative("ClipByValue.clip", clip)?;
        Ok(ClipByValue { inner: self, clip, buf: Vec::new() })
    }
    /// Scale the gradient by `max_norm / ‖g‖₂` when `‖g‖₂ > max_norm`
    /// (optax.clip_by_global_norm; torch adds 1e-6 to the norm, we do not).
    fn clip_by_global_norm(self, max_norm: f64) -> Result<ClipByGlobalNorm<Self>, GdError> {
        check::positive("ClipByGlobalNorm.max_norm", max_norm)?;
        Ok(ClipByGlobalNorm { inner: self, max_norm, buf: Vec::new() })
    }
    /// L2 regularisation: pass `g + wd · p` to the optimizer (torch's
    /// `weight_decay` argument of SGD/Adam/RMSprop/Adagrad).
    fn l2_weight_decay(self, wd: f64) -> Result<L2WeightDecay<Self>, GdError> {
        check::non_negative("L2WeightDecay.weight_decay", wd)?;
        Ok(L2WeightDecay { inner: self, weight_decay: wd, buf: Vec::new() })
    }
    /// Decoupled weight decay: `p ← p · (1 − lr · wd)` before the update
    /// (AdamW's rule, usable with any optimizer: SGDW, Lion, …).
    fn decoupled_weight_decay(self, wd: f64) -> Result<DecoupledWeightDecay<Self>, GdError> {
        check::non_negative("DecoupledWeightDecay.weight_decay", wd)?;
        Ok(DecoupledWeightDecay { inner: self, weight_decay: wd, buf: Vec::new() })
    }
    /// Drive the learning rate by `schedule`: step t (from 0) uses
    /// `schedule.lr(t)`.
    fn with_schedule<S: Schedule>(self, schedule: S) -> Scheduled<Self, S> {
        Scheduled { inner: self, schedule, t: 0 }
    }
}

impl<O: Optimizer> OptimizerExt for O {}

fn check_grad_len(params: &[f64], grad: &[f64]) -> Result<(), GdError> {
    check::same_len("gradient (expected the length of the parameters)", params.len(), grad.len())
}

/// See [`OptimizerExt::clip_by_value`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipByValue<O> {
    /// The wrapped optimizer.
    pub inner: O,
    clip: f64,
    #[serde(skip)]
    buf: Vec<f64>,
}

impl<O: Optimizer> Optimizer for ClipByValue<O> {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        check_grad_len(params, grad)?;
        self.buf.clear();
        let c = self.clip;
        self.buf.extend(grad.iter().map(|&g| if g.is_nan() { g } else { g.clamp(-c, c) }));
        self.inner.step(params, &self.buf)
    }
    fn lr(&self) -> f64 {
        self.inner.lr()
    }
    fn set_lr(&mut self, lr: f64) {
        self.inner.set_lr(lr)
    }
    fn reset(&mut self) {
        self.inner.reset()
    }
}

/// See [`OptimizerExt::clip_by_global_norm`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipByGlobalNorm<O> {
    /// The wrapped optimizer.
    pub inner: O,
    max_norm: f64,
    #[serde(skip)]
    buf: Vec<f64>,
}

impl<O: Optimizer> Optimizer for ClipByGlobalNorm<O> {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        check_grad_len(params, grad)?;
        let norm = crate::norm2(grad);
        if norm > self.max_norm {
            let s = self.max_norm / norm;
            self.buf.clear();
            self.buf.extend(grad.iter().map(|&g| g * s));
            self.inner.step(params, &self.buf)
        } else {
            self.inner.step(params, grad)
        }
    }
    fn lr(&self) -> f64 {
        self.inner.lr()
    }
    fn set_lr(&mut self, lr: f64) {
        self.inner.set_lr(lr)
    }
    fn reset(&mut self) {
        self.inner.reset()
    }
}

/// See [`OptimizerExt::l2_weight_decay`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct L2WeightDecay<O> {
    /// The wrapped optimizer.
    pub inner: O,
    weight_decay: f64,
    #[serde(skip)]
    buf: Vec<f64>,
}

impl<O: Optimizer> Optimizer for L2WeightDecay<O> {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        check_grad_len(params, grad)?;
        let wd = self.weight_decay;
        self.buf.clear();
        self.buf.extend(grad.iter().zip(params.iter()).map(|(&g, &p)| g + wd * p));
        self.inner.step(params, &self.buf)
    }
    fn lr(&self) -> f64 {
        self.inner.lr()
    }
    fn set_lr(&mut self, lr: f64) {
        self.inner.set_lr(lr)
    }
    fn reset(&mut self) {
        self.inner.reset()
    }
}

/// See [`OptimizerExt::decoupled_weight_decay`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecoupledWeightDecay<O> {
    /// The wrapped optimizer.
    pub inner: O,
    weight_decay: f64,
    #[serde(skip)]
    buf: Vec<f64>,
}

impl<O: Optimizer> Optimizer for DecoupledWeightDecay<O> {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        check_grad_len(params, grad)?;
        // p_new = p − lr·wd·p − lr·u(g): run the inner update on p, then
        // subtract lr·wd·p_old. Keeping p_old means an error from the inner
        // step leaves `params` untouched.
        let lr = self.inner.lr();
        if self.weight_decay == 0.0 {
            return self.inner.step(params, grad);
        }
        self.buf.clear();
        self.buf.extend_from_slice(params);
        self.inner.step(params, grad)?;
        let c = lr * self.weight_decay;
        for (p, &old) in params.iter_mut().zip(&self.buf) {
            *p -= c * old;
        }
        Ok(())
    }
    fn lr(&self) -> f64 {
        self.inner.lr()
    }
    fn set_lr(&mut self, lr: f64) {
        self.inner.set_lr(lr)
    }
    fn reset(&mut self) {
        self.inner.reset()
    }
}

/// An optimizer whose learning rate follows a [`Schedule`]: step t (counted
/// from 0 by this wrapper and saved with it) uses `schedule.lr(t)`.
///
/// [`Optimizer::lr`] returns the rate of the next step; [`Optimizer::set_lr`]
/// has no effect (the schedule owns the learning rate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scheduled<O, S> {
    /// The wrapped optimizer.
    pub inner: O,
    /// The schedule.
    pub schedule: S,
    t: usize,
}

impl<O, S> Scheduled<O, S> {
    /// Steps taken through this wrapper.
    pub fn steps(&self) -> usize {
        self.t
    }
}

impl<O: Optimizer, S: Schedule> Optimizer for Scheduled<O, S> {
    fn step(&mut self, params: &mut [f64], grad: &[f64]) -> Result<(), GdError> {
        let lr = self.schedule.lr(self.t);
        let old = self.inner.lr();
        self.inner.set_lr(lr);
        match self.inner.step(params, grad) {
            Ok(()) => {
                self.t += 1;
                Ok(())
            }
            Err(e) => {
                self.inner.set_lr(old);
                Err(e)
            }
        }
    }
    fn lr(&self) -> f64 {
        self.schedule.lr(self.t)
    }
    fn set_lr(&mut self, _lr: f64) {}
    fn reset(&mut self) {
        self.t = 0;
        self.inner.reset()
    }
}
