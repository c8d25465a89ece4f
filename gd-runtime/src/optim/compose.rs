//! Wrappers that compose with any optimizer: gradient clipping, weight decay
//! (L2 added to the gradient, or decoupled) and learning-rate schedules.
//!
//! A wrapper transforms what it receives and passes it on, so the outermost
//! wrapper acts first: `Adam::new(1e-3)?.l2_weight_decay(1e-4)?.clip_by_global_norm(1.0)?`
//! clips the raw gradient, then adds `1e-4 · p`, then runs Adam (torch's
//! order when `clip_grad_norm_` precedes `Adam(weight_decay=1e-4).step()`).

use serde::{Deserialize, Serialize};

use super::grad_map::{GradMap, GradOp};
use super::state::{Arena, InArena, Scratch};
use super::Optimizer;
use crate::leaves::{LeafPair, LeafPairs};
use crate::error::{check, GdError};
use crate::schedule::Schedule;

/// Builder methods available on every optimizer.
pub trait OptimizerExt: Optimizer + Sized {
    /// Clamp every gradient coordinate to `[-clip, clip]` (`clip >= 0`).
    fn clip_by_value(self, clip: f64) -> Result<ClipByValue<Self>, GdError> {
        check::non_negative("ClipByValue.clip", clip)?;
        Ok(ClipByValue { inner: self, clip })
    }
    /// Scale the gradient by `max_norm / ‖g‖₂` when `‖g‖₂ > max_norm`
    /// (optax.clip_by_global_norm; torch adds 1e-6 to the norm, we do not).
    fn clip_by_global_norm(self, max_norm: f64) -> Result<ClipByGlobalNorm<Self>, GdError> {
        check::positive("ClipByGlobalNorm.max_norm", max_norm)?;
        Ok(ClipByGlobalNorm { inner: self, max_norm, scratch: Scratch::default() })
    }
    /// L2 regularisation: pass `g + wd · p` to the optimizer (torch's
    /// `weight_decay` argument of SGD/Adam/RMSprop/Adagrad).
    fn l2_weight_decay(self, wd: f64) -> Result<L2WeightDecay<Self>, GdError> {
        check::non_negative("L2WeightDecay.weight_decay", wd)?;
        Ok(L2WeightDecay { inner: self, weight_decay: wd })
    }
    /// Decoupled weight decay: `p ← p · (1 − lr · wd)` before the update
    /// (AdamW's rule, usable with any optimizer: SGDW, Lion, …).
    fn decoupled_weight_decay(self, wd: f64) -> Result<DecoupledWeightDecay<Self>, GdError> {
        check::non_negative("DecoupledWeightDecay.weight_decay", wd)?;
        Ok(DecoupledWeightDecay { inner: self, weight_decay: wd })
    }
    /// Drive the learning rate by `schedule`: step t (from 0) uses
    /// `schedule.lr(t)`.
    fn with_schedule<S: Schedule>(self, schedule: S) -> Scheduled<Self, S> {
        Scheduled { inner: self, schedule, t: 0 }
    }
}

impl<O: Optimizer> OptimizerExt for O {}

/// See [`OptimizerExt::clip_by_value`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipByValue<O> {
    /// The wrapped optimizer.
    pub inner: O,
    clip: f64,
}

impl<O: Optimizer> Optimizer for ClipByValue<O> {
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        self.inner.update(leaves, &map.then(GradOp::ClampAbs(self.clip)))
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
    scratch: Scratch,
}

impl<O: Optimizer> Optimizer for ClipByGlobalNorm<O> {
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        // The norm over all leaves of the gradient as it reaches this
        // wrapper (after the wrappers outside it), summed in f64.
        let mut ss = 0.0f64;
        let scratch = &mut self.scratch.0;
        leaves.zip(&mut |leaf: LeafPair<'_>| {
            ss = match leaf {
                LeafPair::F64(p, g) => add_sq(ss, map, p, g, scratch),
                LeafPair::F32(p, g) => add_sq(ss, map, p, g, scratch),
            };
            Ok(())
        })?;
        let norm = ss.sqrt();
        if norm > self.max_norm {
            self.inner.update(leaves, &map.then(GradOp::Scale(self.max_norm / norm)))
        } else {
            self.inner.update(leaves, map)
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
}

impl<O: Optimizer> Optimizer for L2WeightDecay<O> {
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        self.inner.update(leaves, &map.then(GradOp::AddParams(self.weight_decay)))
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
}

impl<O: Optimizer> Optimizer for DecoupledWeightDecay<O> {
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        // p_new = p − lr·wd·p − lr·u(g): every update rule subtracts its
        // step from p, so the optimizer scales each leaf by (1 − lr·wd)
        // before its own update (the gradient transforms having read p).
        if self.weight_decay == 0.0 {
            return self.inner.update(leaves, map);
        }
        let c = self.inner.lr() * self.weight_decay;
        self.inner.update(leaves, &map.then(GradOp::Decay(c)))
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
    fn update(&mut self, leaves: &mut dyn LeafPairs, map: &GradMap<'_>) -> Result<(), GdError> {
        let lr = self.schedule.lr(self.t);
        let old = self.inner.lr();
        self.inner.set_lr(lr);
        match self.inner.update(leaves, map) {
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

/// `acc` plus the squares of a gradient leaf as `map` transforms it, in
/// `f64`, one after the other (so a struct's norm is bit for bit that of its
/// flattened vector).
fn add_sq<T: InArena>(acc: f64, map: &GradMap<'_>, p: &[T], g: &[T], scratch: &mut Arena) -> f64 {
    map.mapped(p, g, T::buf(scratch)).iter().fold(acc, |s, &v| s + v.to_f64() * v.to_f64())
}
