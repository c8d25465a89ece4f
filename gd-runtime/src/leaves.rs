//! Parameters seen as leaves: contiguous runs of `f64` or `f32` (a matrix's
//! storage, a `Vec` of scalars, one scalar field), in the flat order of
//! [`Params`]. The optimizers update each leaf in place, its state kept in a
//! chunk of the same length and precision, so a parameter struct is stepped
//! without being flattened (as optax maps over a pytree's leaves and torch
//! over a model's parameter tensors).
//!
//! ```
//! use gd_runtime::leaves::{Leaf, Leaves};
//! use nalgebra::DVector;
//! // A Vec of vectors has one leaf per vector; a Vec of scalars is one leaf.
//! let model = (vec![DVector::from_element(3, 1.0f32), DVector::zeros(2)], vec![0.5f64; 4]);
//! let mut lens = Vec::new();
//! model.0.visit_leaves(&mut |l: Leaf<'_>| lens.push(l.len()));
//! model.1.visit_leaves(&mut |l: Leaf<'_>| lens.push(l.len()));
//! assert_eq!(lens, [3, 2, 4]);
//! ```

use crate::error::{check, GdError};
use crate::params::{ParamScalar, Params};

/// One leaf, read only.
#[derive(Debug)]
pub enum Leaf<'a> {
    /// Double precision.
    F64(&'a [f64]),
    /// Single precision.
    F32(&'a [f32]),
}

impl Leaf<'_> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Leaf::F64(s) => s.len(),
            Leaf::F32(s) => s.len(),
        }
    }
    /// Whether the leaf holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A parameter leaf and the same leaf of its gradient: same precision, same
/// length (the visitors check the shapes before they pair leaves).
#[derive(Debug)]
pub enum LeafPair<'a> {
    /// Double precision: parameters, gradient.
    F64(&'a mut [f64], &'a [f64]),
    /// Single precision: parameters, gradient.
    F32(&'a mut [f32], &'a [f32]),
}

impl LeafPair<'_> {
    /// The leaf's shape: its length and precision.
    pub fn shape(&self) -> LeafShape {
        match self {
            LeafPair::F64(p, _) => LeafShape { len: p.len(), f32: false },
            LeafPair::F32(p, _) => LeafShape { len: p.len(), f32: true },
        }
    }
}

/// Length and precision of a leaf: what an optimizer's state records at its
/// first step and checks at the next ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LeafShape {
    /// Number of values.
    pub len: usize,
    /// `f32` (else `f64`).
    pub f32: bool,
}

/// A visitor of read-only leaves.
pub type LeafFn<'a> = dyn FnMut(Leaf<'_>) + 'a;
/// A visitor of (parameter, gradient) leaf pairs; an error stops the visit.
pub type LeafPairFn<'a> = dyn FnMut(LeafPair<'_>) -> Result<(), GdError> + 'a;

/// What an optimizer steps with [`crate::optim::Optimizer::step_params`]:
/// a flat slice of `f64` or `f32`, or any [`Params`] value (a
/// `#[derive(gd::Params)]` struct, a matrix, a `Vec`, …).
pub trait Leaves {
    /// Visit the leaves of `self` paired with those of `grad`, in the flat
    /// order. A gradient of another shape (a `Vec` or slice of another
    /// length, a matrix of other dimensions) is a
    /// [`GdError::DimensionMismatch`], reported before any leaf is visited
    /// when the mismatch is at the top, else when the visit reaches it.
    fn zip_leaves_with(&mut self, grad: &Self, f: &mut LeafPairFn<'_>) -> Result<(), GdError>;
    /// Visit the leaves of `self` in the flat order.
    fn visit_leaves(&self, f: &mut LeafFn<'_>);
}

impl<T: ParamScalar> Leaves for [T] {
    fn zip_leaves_with(&mut self, grad: &[T], f: &mut LeafPairFn<'_>) -> Result<(), GdError> {
        check::same_len("gradient (expected the length of the parameters)", self.len(), grad.len())?;
        f(T::leaf_pair(self, grad))
    }
    fn visit_leaves(&self, f: &mut LeafFn<'_>) {
        f(T::leaf(self))
    }
}

impl<P: Params> Leaves for P {
    fn zip_leaves_with(&mut self, grad: &P, f: &mut LeafPairFn<'_>) -> Result<(), GdError> {
        self.zip_leaves(grad, f)
    }
    fn visit_leaves(&self, f: &mut LeafFn<'_>) {
        self.for_each_leaf(f)
    }
}

/// Parameters and their gradient, leaf by leaf: what
/// [`crate::optim::Optimizer::update`] consumes. Object safe, so that
/// `dyn Optimizer` can step any parameter type.
pub trait LeafPairs {
    /// Visit the (parameter, gradient) leaf pairs; may be called several
    /// times in one step (a global-norm clip reads the gradient first).
    fn zip(&mut self, f: &mut LeafPairFn<'_>) -> Result<(), GdError>;
}

/// Parameters borrowed with their gradient.
pub struct WithGrad<'a, L: ?Sized> {
    /// The parameters, updated in place.
    pub params: &'a mut L,
    /// Their gradient, of the same shape.
    pub grad: &'a L,
}

impl<L: Leaves + ?Sized> LeafPairs for WithGrad<'_, L> {
    fn zip(&mut self, f: &mut LeafPairFn<'_>) -> Result<(), GdError> {
        self.params.zip_leaves_with(self.grad, f)
    }
}

/// The first non-finite value of `x` in the flat order, with its index.
pub fn first_non_finite<L: Leaves + ?Sized>(x: &L) -> Option<(usize, f64)> {
    let mut at = 0usize;
    let mut found = None;
    x.visit_leaves(&mut |l: Leaf<'_>| {
        if found.is_some() {
            return;
        }
        let hit = match l {
            Leaf::F64(s) => s.iter().position(|v| !v.is_finite()).map(|i| (i, s[i])),
            Leaf::F32(s) => s.iter().position(|v| !v.is_finite()).map(|i| (i, s[i] as f64)),
        };
        match hit {
            Some((i, v)) => found = Some((at + i, v)),
            None => at += l.len(),
        }
    });
    found
}

/// The Euclidean norm of all the leaves together, accumulated in `f64`.
pub fn global_norm<L: Leaves + ?Sized>(x: &L) -> f64 {
    let mut ss = 0.0f64;
    x.visit_leaves(&mut |l: Leaf<'_>| match l {
        Leaf::F64(s) => s.iter().for_each(|v| ss += v * v),
        Leaf::F32(s) => s.iter().for_each(|&v| ss += (v as f64) * (v as f64)),
    });
    ss.sqrt()
}
