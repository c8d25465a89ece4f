//! What the composing wrappers ([`super::compose`]) do to the gradient and
//! the parameters, handed down to the optimizer they wrap so that it is done
//! leaf by leaf inside the optimizer's own pass, with no buffer shaped like
//! the parameters.

use crate::params::ParamScalar;

/// One wrapper's transformation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GradOp {
    /// Nothing.
    Identity,
    /// Clamp each gradient coordinate to `[-c, c]` (NaN stays NaN).
    ClampAbs(f64),
    /// Multiply the gradient by this factor.
    Scale(f64),
    /// Add `wd · p` to the gradient (L2 weight decay).
    AddParams(f64),
    /// Decoupled weight decay `p ← (1 − c) p` before the update; `c` is
    /// `lr · weight_decay`.
    Decay(f64),
}

/// The transformations of the wrappers around an optimizer, outermost
/// first: a list linked through the wrappers' stack frames.
#[derive(Debug, Clone, Copy)]
pub struct GradMap<'a> {
    op: GradOp,
    outer: Option<&'a GradMap<'a>>,
}

impl<'a> GradMap<'a> {
    /// The map of an optimizer stepped directly.
    pub const IDENTITY: GradMap<'static> = GradMap { op: GradOp::Identity, outer: None };

    /// This map followed by `op` (the wrapper nested inside acts after the
    /// ones outside it).
    pub fn then(&'a self, op: GradOp) -> GradMap<'a> {
        GradMap { op, outer: Some(self) }
    }

    /// Whether the gradient reaches the optimizer changed.
    pub fn changes_grad(&self) -> bool {
        matches!(self.op, GradOp::ClampAbs(_) | GradOp::Scale(_) | GradOp::AddParams(_))
            || self.outer.is_some_and(GradMap::changes_grad)
    }

    /// The total decoupled decay `Σ c` (each wrapper's `c` multiplies the
    /// parameters from before the update, so they add up).
    pub fn decay(&self) -> f64 {
        let own = if let GradOp::Decay(c) = self.op { c } else { 0.0 };
        own + self.outer.map_or(0.0, GradMap::decay)
    }

    /// Transform a gradient leaf `g` in place, given the parameters `p`
    /// before the update; outermost first.
    pub fn apply<T: ParamScalar>(&self, p: &[T], g: &mut [T]) {
        if let Some(o) = self.outer {
            o.apply(p, g);
        }
        match self.op {
            GradOp::Identity | GradOp::Decay(_) => {}
            GradOp::ClampAbs(c) => {
                let c = T::from_f64(c);
                for x in g.iter_mut() {
                    if !x.is_nan() {
                        *x = x.clamp(-c, c);
                    }
                }
            }
            GradOp::Scale(s) => {
                let s = T::from_f64(s);
                g.iter_mut().for_each(|x| *x *= s);
            }
            GradOp::AddParams(wd) => {
                let wd = T::from_f64(wd);
                g.iter_mut().zip(p).for_each(|(x, &p)| *x += wd * p);
            }
        }
    }

    /// The gradient leaf as the optimizer must see it: `g` itself, or its
    /// transform written to `scratch`.
    pub(crate) fn mapped<'s, T: ParamScalar>(&self, p: &[T], g: &'s [T], scratch: &'s mut Vec<T>) -> &'s [T] {
        if !self.changes_grad() {
            return g;
        }
        scratch.clear();
        scratch.extend_from_slice(g);
        self.apply(p, scratch);
        scratch
    }
}
