//! Parameter structs: [`Params`], the trait behind `#[derive(gd::Params)]`.
//!
//! A model's parameters are easier to read as a struct (`Mlp { layers:
//! Vec<Layer>, scale: f64 }`) than as one flat `Vec<f64>`. `Params` gives
//! what the runtime needs of such a value: a gradient of the same shape
//! ([`Params::zeros_like`]), its leaves, the contiguous runs of `f64` or
//! `f32` that the optimizers update in place
//! ([`Params::zip_leaves`], see [`crate::leaves`] and
//! [`crate::optim::Optimizer::step_params`]), the flat view in a fixed order
//! ([`Params::to_vec`], [`Params::set_from_slice`]) and the few vector-space
//! operations that updates need ([`Params::axpy`], [`Params::scale`],
//! [`Params::dot`]).
//!
//! Implemented for `f64`, `f32`, `Vec<T>`, `[T; N]`, `Box<T>` (with
//! `T: Params`) and nalgebra's owned matrices and vectors (`DMatrix`,
//! `DVector`, `RowDVector`, `SMatrix`, `SVector`, … of `f64` or `f32`).
//! `#[derive(gd::Params)]` implements it for a struct whose fields do.
//!
//! The flat order is the fields in declaration order, each flattened in
//! turn: a `Vec` or array element by element, a matrix column by column
//! (nalgebra's storage order). The flat scalar is always `f64`; `f32` values
//! are widened when flattened and rounded when read back.
//!
//! ```
//! use gd_runtime::optim::{Adam, Optimizer};
//! use gd_runtime::Params;
//! use nalgebra::DMatrix;
//!
//! // Two layers' weights, 2×3 and 1×2: 8 parameters.
//! let mut w: Vec<DMatrix<f64>> = vec![DMatrix::from_element(2, 3, 0.5), DMatrix::from_element(1, 2, 0.0)];
//! let mut flat = w.to_vec();
//! let grad = vec![1.0; flat.len()];
//! Adam::new(0.1)?.step(&mut flat, &grad)?;
//! w.set_from_slice(&flat)?;
//! // Adam's first step moves each parameter by lr against its gradient's sign.
//! assert!((w[0][(1, 2)] - 0.4).abs() < 1e-6 && (w[1][0] + 0.1).abs() < 1e-6);
//! # Ok::<(), gd_runtime::GdError>(())
//! ```
//!
//! nalgebra's matrices have inherent methods called `dot`, `norm`, `scale`
//! and `axpy` (with other signatures), which method-call syntax picks first:
//! on a matrix write `Params::dot(&m, &x)`. Likewise `v.to_vec()` on a `Vec`
//! is this trait's only while `Params` is in scope (otherwise it is the
//! slice's clone).

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, OMatrix};

use crate::error::GdError;
use crate::leaves::{Leaf, LeafFn, LeafPair, LeafPairFn};

/// A value made of floating-point parameters, viewed as a vector of `f64`.
///
/// Implement it with `#[derive(gd::Params)]` (fields in declaration order;
/// `#[params(skip)]` keeps a field out: it is copied by `zeros_like` and
/// never flattened). By hand, implement the seven required methods so that
/// they agree on one flat order.
///
/// The binary operations ([`axpy`](Params::axpy), [`dot`](Params::dot),
/// [`add_assign`](Params::add_assign)) need both sides to have the same
/// shape (same `Vec` lengths, same matrix dimensions) and panic otherwise,
/// as nalgebra's do; a gradient made by [`zeros_like`](Params::zeros_like)
/// always has it.
///
/// On nalgebra matrices, method-call syntax finds nalgebra's inherent `dot`,
/// `norm`, `scale` and `axpy` first: call these as `Params::dot(&m, &x)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `Params`",
    label = "`{Self}` is not a parameter type",
    note = "parameters are f64, f32, nalgebra's owned matrices and vectors of them, Vec, arrays and Box of parameters, and structs with #[derive(gd::Params)]",
    note = "a struct field that holds data or hyperparameters, not parameters, is kept out with #[params(skip)]"
)]
pub trait Params {
    /// A value of the same shape (same `Vec` lengths, matrix dimensions)
    /// whose parameters are all zero: a gradient accumulator.
    fn zeros_like(&self) -> Self
    where
        Self: Sized;

    /// The number of `f64` values [`flatten_into`](Params::flatten_into)
    /// appends.
    fn num_params(&self) -> usize;

    /// Append the parameters to `out` in the flat order.
    fn flatten_into(&self, out: &mut Vec<f64>);

    /// Overwrite the parameters from the first
    /// [`num_params`](Params::num_params) values of `src` and return that
    /// count, so that consecutive values can be read one after the other.
    ///
    /// # Panics
    ///
    /// If `src` is shorter than `num_params()`. Use
    /// [`set_from_slice`](Params::set_from_slice) for a checked write.
    fn read_from(&mut self, src: &[f64]) -> usize;

    /// `self += a · x`.
    ///
    /// # Panics
    ///
    /// If `x` does not have the shape of `self`.
    fn axpy(&mut self, a: f64, x: &Self);

    /// `self *= a`.
    fn scale(&mut self, a: f64);

    /// Every parameter set to zero, the shape kept: a gradient buffer made
    /// ready for the next step without a new allocation. Unlike
    /// `scale(0.0)`, NaN and infinities become zero too. (The default goes
    /// through [`read_from`](Params::read_from) and allocates; the
    /// implementations in this crate and `#[derive(Params)]` do not.)
    fn set_zero(&mut self) {
        let n = self.num_params();
        self.read_from(&vec![0.0; n]);
    }

    /// The dot product of the two flat vectors (accumulated in `f64`).
    ///
    /// # Panics
    ///
    /// If `x` does not have the shape of `self`.
    fn dot(&self, x: &Self) -> f64;

    /// The parameters as a new flat vector.
    fn to_vec(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.num_params());
        self.flatten_into(&mut out);
        out
    }

    /// Overwrite every parameter from `src`, which must hold exactly
    /// [`num_params`](Params::num_params) values in the flat order;
    /// otherwise [`GdError::DimensionMismatch`] (naming both lengths) and
    /// `self` is unchanged.
    fn set_from_slice(&mut self, src: &[f64]) -> Result<(), GdError> {
        let n = self.num_params();
        if src.len() != n {
            return Err(GdError::DimensionMismatch {
                what: "Params::set_from_slice (expected = num_params(), got = slice length)",
                expected: n,
                got: src.len(),
            });
        }
        let read = self.read_from(src);
        debug_assert_eq!(read, n, "Params::read_from read {read} values, num_params() is {n}");
        Ok(())
    }

    /// `self += x`.
    ///
    /// # Panics
    ///
    /// If `x` does not have the shape of `self`.
    fn add_assign(&mut self, x: &Self) {
        self.axpy(1.0, x);
    }

    /// The Euclidean norm of the flat vector.
    fn norm(&self) -> f64 {
        self.dot(self).sqrt()
    }

    /// Visit the parameters as contiguous leaves (see [`crate::leaves`]),
    /// each paired with the same leaf of `grad`, in the flat order: what the
    /// optimizers' [`step_params`](crate::optim::Optimizer::step_params)
    /// runs on. A gradient of another shape is a
    /// [`GdError::DimensionMismatch`].
    ///
    /// The implementations in this crate and `#[derive(Params)]` visit the
    /// storage in place. The default, for hand-written implementations,
    /// goes through the flat `f64` vector (one leaf) and writes it back.
    fn zip_leaves(&mut self, grad: &Self, f: &mut LeafPairFn<'_>) -> Result<(), GdError>
    where
        Self: Sized,
    {
        let mut p = self.to_vec();
        let g = grad.to_vec();
        crate::error::check::same_len("gradient (expected the parameters' number of values)", p.len(), g.len())?;
        f(LeafPair::F64(&mut p, &g))?;
        self.read_from(&p);
        Ok(())
    }

    /// Visit the parameters as contiguous read-only leaves in the flat
    /// order. (The default visits the flat `f64` vector.)
    fn for_each_leaf(&self, f: &mut LeafFn<'_>) {
        f(Leaf::F64(&self.to_vec()))
    }

    /// [`zip_leaves`](Params::zip_leaves) over a slice of values of this
    /// type, lengths already checked equal: element by element, except for
    /// scalars, whose slice is one leaf (so a `Vec<f32>` is one leaf).
    #[doc(hidden)]
    fn zip_leaves_seq(s: &mut [Self], g: &[Self], f: &mut LeafPairFn<'_>) -> Result<(), GdError>
    where
        Self: Sized,
    {
        s.iter_mut().zip(g).try_for_each(|(s, g)| s.zip_leaves(g, f))
    }

    /// [`dot`](Params::dot) over two slices of values of this type, lengths
    /// already checked equal (scalars: [`dot_slices`]'s running sums).
    #[doc(hidden)]
    fn dot_seq(s: &[Self], x: &[Self]) -> f64
    where
        Self: Sized,
    {
        s.iter().zip(x).map(|(s, x)| s.dot(x)).sum()
    }

    /// [`for_each_leaf`](Params::for_each_leaf) over a slice (scalars: one leaf).
    #[doc(hidden)]
    fn for_each_leaf_seq(s: &[Self], f: &mut LeafFn<'_>)
    where
        Self: Sized,
    {
        s.iter().for_each(|v| v.for_each_leaf(f))
    }
}

/// The element types of parameters: `f64` or `f32` (sealed). Beyond the
/// conversions, it carries the arithmetic the optimizers' update rules need,
/// so that each rule is written once and runs in the parameter's precision.
pub trait ParamScalar:
    crate::Float + nalgebra::Scalar + serde::Serialize + serde::de::DeserializeOwned
{
    /// A leaf pair of this precision.
    #[doc(hidden)]
    fn leaf_pair<'a>(p: &'a mut [Self], g: &'a [Self]) -> LeafPair<'a>;
    /// A leaf of this precision.
    #[doc(hidden)]
    fn leaf(s: &[Self]) -> Leaf<'_>;
}

macro_rules! param_scalar {
    ($t:ident, $variant:ident) => {
        impl ParamScalar for $t {
            #[inline(always)]
            fn leaf_pair<'a>(p: &'a mut [$t], g: &'a [$t]) -> LeafPair<'a> {
                LeafPair::$variant(p, g)
            }
            #[inline(always)]
            fn leaf(s: &[$t]) -> Leaf<'_> {
                Leaf::$variant(s)
            }
        }
    };
}

param_scalar!(f64, F64);
param_scalar!(f32, F32);

macro_rules! scalar_params {
    ($t:ty) => {
        impl Params for $t {
            #[inline]
            fn zeros_like(&self) -> $t {
                0.0
            }
            #[inline]
            fn num_params(&self) -> usize {
                1
            }
            #[inline]
            fn flatten_into(&self, out: &mut Vec<f64>) {
                out.push(crate::Float::to_f64(*self));
            }
            #[inline]
            fn read_from(&mut self, src: &[f64]) -> usize {
                let Some(&v) = src.first() else {
                    panic!("Params::read_from: the slice is empty, a {} needs 1 value", stringify!($t));
                };
                *self = <$t as crate::Float>::from_f64(v);
                1
            }
            #[inline]
            fn axpy(&mut self, a: f64, x: &$t) {
                *self = <$t as crate::Float>::from_f64(crate::Float::to_f64(*self) + a * crate::Float::to_f64(*x));
            }
            #[inline]
            fn scale(&mut self, a: f64) {
                *self = <$t as crate::Float>::from_f64(crate::Float::to_f64(*self) * a);
            }
            #[inline]
            fn set_zero(&mut self) {
                *self = 0.0;
            }
            #[inline]
            fn dot(&self, x: &$t) -> f64 {
                crate::Float::to_f64(*self) * crate::Float::to_f64(*x)
            }
            fn zip_leaves(&mut self, g: &$t, f: &mut LeafPairFn<'_>) -> Result<(), GdError> {
                f(<$t as ParamScalar>::leaf_pair(std::slice::from_mut(self), std::slice::from_ref(g)))
            }
            fn for_each_leaf(&self, f: &mut LeafFn<'_>) {
                f(<$t as ParamScalar>::leaf(std::slice::from_ref(self)))
            }
            fn zip_leaves_seq(s: &mut [$t], g: &[$t], f: &mut LeafPairFn<'_>) -> Result<(), GdError> {
                f(<$t as ParamScalar>::leaf_pair(s, g))
            }
            fn for_each_leaf_seq(s: &[$t], f: &mut LeafFn<'_>) {
                f(<$t as ParamScalar>::leaf(s))
            }
            fn dot_seq(s: &[$t], x: &[$t]) -> f64 {
                dot_slices(s, x)
            }
        }
    };
}

scalar_params!(f64);
scalar_params!(f32);

/// Panics unless `src` holds `n` values (the shared check of `read_from`).
#[inline]
#[track_caller]
fn need(src: &[f64], n: usize, what: &str) {
    assert!(
        src.len() >= n,
        "Params::read_from: {what} needs {n} values, the slice has {}",
        src.len()
    );
}

/// A sequence of parameters (`Vec`, arrays), element after element: what
/// the `Vec` and array implementations share.
mod seq {
    use super::Params;

    pub fn num_params<T: Params>(s: &[T]) -> usize {
        s.iter().map(T::num_params).sum()
    }
    pub fn flatten_into<T: Params>(s: &[T], out: &mut Vec<f64>) {
        for v in s {
            v.flatten_into(out);
        }
    }
    pub fn read_from<T: Params>(s: &mut [T], src: &[f64], what: &str) -> usize {
        super::need(src, num_params(s), what);
        let mut n = 0;
        for v in s {
            n += v.read_from(&src[n..]);
        }
        n
    }
    #[track_caller]
    pub fn axpy<T: Params>(s: &mut [T], a: f64, x: &[T]) {
        same_len("axpy", s.len(), x.len());
        for (s, x) in s.iter_mut().zip(x) {
            s.axpy(a, x);
        }
    }
    pub fn scale<T: Params>(s: &mut [T], a: f64) {
        for v in s {
            v.scale(a);
        }
    }
    pub fn set_zero<T: Params>(s: &mut [T]) {
        s.iter_mut().for_each(T::set_zero)
    }
    #[track_caller]
    pub fn dot<T: Params>(s: &[T], x: &[T]) -> f64 {
        same_len("dot", s.len(), x.len());
        T::dot_seq(s, x)
    }

    #[inline]
    #[track_caller]
    fn same_len(op: &str, a: usize, b: usize) {
        assert!(a == b, "Params::{op}: Vec lengths differ: self has {a} elements, x has {b}");
    }
}

impl<T: Params> Params for Vec<T> {
    fn zeros_like(&self) -> Vec<T> {
        self.iter().map(T::zeros_like).collect()
    }
    fn num_params(&self) -> usize {
        seq::num_params(self)
    }
    fn flatten_into(&self, out: &mut Vec<f64>) {
        seq::flatten_into(self, out)
    }
    fn read_from(&mut self, src: &[f64]) -> usize {
        seq::read_from(self, src, "a Vec")
    }
    #[track_caller]
    fn axpy(&mut self, a: f64, x: &Vec<T>) {
        seq::axpy(self, a, x)
    }
    fn scale(&mut self, a: f64) {
        seq::scale(self, a)
    }
    fn set_zero(&mut self) {
        seq::set_zero(self)
    }
    #[track_caller]
    fn dot(&self, x: &Vec<T>) -> f64 {
        seq::dot(self, x)
    }
    fn zip_leaves(&mut self, g: &Vec<T>, f: &mut LeafPairFn<'_>) -> Result<(), GdError> {
        crate::error::check::same_len("gradient Vec (expected the parameters' Vec length)", self.len(), g.len())?;
        T::zip_leaves_seq(self, g, f)
    }
    fn for_each_leaf(&self, f: &mut LeafFn<'_>) {
        T::for_each_leaf_seq(self, f)
    }
}

impl<T: Params, const N: usize> Params for [T; N] {
    fn zeros_like(&self) -> [T; N] {
        std::array::from_fn(|i| self[i].zeros_like())
    }
    fn num_params(&self) -> usize {
        seq::num_params(self)
    }
    fn flatten_into(&self, out: &mut Vec<f64>) {
        seq::flatten_into(self, out)
    }
    fn read_from(&mut self, src: &[f64]) -> usize {
        seq::read_from(self, src, "an array")
    }
    fn axpy(&mut self, a: f64, x: &[T; N]) {
        seq::axpy(self, a, x)
    }
    fn scale(&mut self, a: f64) {
        seq::scale(self, a)
    }
    fn set_zero(&mut self) {
        seq::set_zero(self)
    }
    fn dot(&self, x: &[T; N]) -> f64 {
        seq::dot(self, x)
    }
    fn zip_leaves(&mut self, g: &[T; N], f: &mut LeafPairFn<'_>) -> Result<(), GdError> {
        T::zip_leaves_seq(self, g, f)
    }
    fn for_each_leaf(&self, f: &mut LeafFn<'_>) {
        T::for_each_leaf_seq(self, f)
    }
}

impl<T: Params> Params for Box<T> {
    fn zeros_like(&self) -> Box<T> {
        Box::new(T::zeros_like(self))
    }
    fn num_params(&self) -> usize {
        T::num_params(self)
    }
    fn flatten_into(&self, out: &mut Vec<f64>) {
        T::flatten_into(self, out)
    }
    fn read_from(&mut self, src: &[f64]) -> usize {
        T::read_from(self, src)
    }
    fn axpy(&mut self, a: f64, x: &Box<T>) {
        T::axpy(self, a, x)
    }
    fn scale(&mut self, a: f64) {
        T::scale(self, a)
    }
    fn set_zero(&mut self) {
        T::set_zero(self)
    }
    fn dot(&self, x: &Box<T>) -> f64 {
        T::dot(self, x)
    }
    fn zip_leaves(&mut self, g: &Box<T>, f: &mut LeafPairFn<'_>) -> Result<(), GdError> {
        T::zip_leaves(self, g, f)
    }
    fn for_each_leaf(&self, f: &mut LeafFn<'_>) {
        T::for_each_leaf(self, f)
    }
}

/// nalgebra's owned matrices and vectors, flattened column by column.
impl<T: ParamScalar, R: Dim, C: Dim> Params for OMatrix<T, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    fn zeros_like(&self) -> Self {
        let (r, c) = self.shape_generic();
        OMatrix::from_element_generic(r, c, T::ZERO)
    }
    fn num_params(&self) -> usize {
        self.len()
    }
    // An owned matrix's storage is one contiguous column-major slice: the
    // flat order. Its iterators step by rows and columns (a branch and an
    // index update per element, about 30 instructions per element in
    // `axpy`), so every pass goes through the slice.
    fn flatten_into(&self, out: &mut Vec<f64>) {
        out.extend(self.as_slice().iter().map(|v| v.to_f64()));
    }
    fn read_from(&mut self, src: &[f64]) -> usize {
        let n = self.len();
        if src.len() < n {
            let (r, c) = self.shape();
            panic!("Params::read_from: a {r}x{c} matrix needs {n} values, the slice has {}", src.len());
        }
        for (d, s) in self.as_mut_slice().iter_mut().zip(src) {
            *d = T::from_f64(*s);
        }
        n
    }
    fn axpy(&mut self, a: f64, x: &Self) {
        same_shape("axpy", self.shape(), x.shape());
        for (s, x) in self.as_mut_slice().iter_mut().zip(x.as_slice()) {
            *s = T::from_f64(s.to_f64() + a * x.to_f64());
        }
    }
    fn scale(&mut self, a: f64) {
        for s in self.as_mut_slice() {
            *s = T::from_f64(s.to_f64() * a);
        }
    }
    fn set_zero(&mut self) {
        self.as_mut_slice().fill(T::ZERO);
    }
    fn dot(&self, x: &Self) -> f64 {
        same_shape("dot", self.shape(), x.shape());
        dot_slices(self.as_slice(), x.as_slice())
    }
    fn zip_leaves(&mut self, g: &Self, f: &mut LeafPairFn<'_>) -> Result<(), GdError> {
        if self.shape() != g.shape() {
            // Same length, other dimensions (3×2 for 2×3) is a mismatch too.
            let what = "gradient matrix (expected the parameters' shape; lengths shown)";
            return Err(GdError::DimensionMismatch { what, expected: self.len(), got: g.len() });
        }
        f(T::leaf_pair(self.as_mut_slice(), g.as_slice()))
    }
    fn for_each_leaf(&self, f: &mut LeafFn<'_>) {
        f(T::leaf(self.as_slice()))
    }
}

/// `Σ sᵢ xᵢ` in `f64` over eight running sums, combined in a fixed order:
/// the result depends only on the values (so a run stays repeatable), and
/// the sums are independent chains that LLVM vectorises, where one running
/// sum is a chain of dependent adds (4 cycles per element). The gradient
/// norm the trainer takes on every step is this.
fn dot_slices<T: ParamScalar>(s: &[T], x: &[T]) -> f64 {
    const K: usize = 8;
    let mut acc = [0.0f64; K];
    let (sc, xc) = (s.chunks_exact(K), x.chunks_exact(K));
    let tail: f64 = sc.remainder().iter().zip(xc.remainder()).map(|(s, x)| s.to_f64() * x.to_f64()).sum();
    for (s, x) in sc.zip(xc) {
        for k in 0..K {
            acc[k] += s[k].to_f64() * x[k].to_f64();
        }
    }
    let half = |a: &[f64]| (a[0] + a[1]) + (a[2] + a[3]);
    (half(&acc[..4]) + half(&acc[4..])) + tail
}

#[inline]
#[track_caller]
fn same_shape(op: &str, a: (usize, usize), b: (usize, usize)) {
    assert!(
        a == b,
        "Params::{op}: matrix shapes differ: self is {}x{}, x is {}x{}",
        a.0,
        a.1,
        b.0,
        b.1
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{DMatrix, DVector, RowDVector, SMatrix, SVector};

    #[test]
    fn scalars() {
        let mut x = 2.0f64;
        assert_eq!(x.zeros_like(), 0.0);
        assert_eq!(x.to_vec(), vec![2.0]);
        x.axpy(3.0, &0.5);
        assert_eq!(x, 3.5);
        x.scale(2.0);
        assert_eq!(x, 7.0);
        assert_eq!(x.dot(&2.0), 14.0);
        assert_eq!((-3.0f64).norm(), 3.0);
        let mut y = 1.5f32;
        assert_eq!(y.to_vec(), vec![1.5]);
        assert_eq!(y.read_from(&[0.25, 9.0]), 1);
        assert_eq!(y, 0.25);
        y.add_assign(&1.0);
        assert_eq!(y, 1.25);
        assert_eq!(y.dot(&2.0), 2.5);
    }

    #[test]
    fn matrices_are_column_major() {
        let m = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(m.to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
        assert_eq!(m.num_params(), 6);
        let z = m.zeros_like();
        assert_eq!(z.shape(), (2, 3));
        assert!(z.iter().all(|&v| v == 0.0));
        let mut back = z.clone();
        back.set_from_slice(&m.to_vec()).unwrap();
        assert_eq!(back, m);

        let s = SMatrix::<f32, 2, 2>::new(1.0, 2.0, 3.0, 4.0);
        assert_eq!(s.to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
        assert_eq!(s.zeros_like(), SMatrix::<f32, 2, 2>::zeros());
        let v = SVector::<f64, 3>::new(1.0, 2.0, 2.0);
        assert_eq!(Params::norm(&v), 3.0);
        let r = RowDVector::from_row_slice(&[1.0f32, -1.0]);
        assert_eq!(r.zeros_like().shape(), (1, 2));
        let mut d = DVector::from_vec(vec![1.0, 2.0]);
        Params::axpy(&mut d, -2.0, &DVector::from_vec(vec![1.0, 1.0]));
        assert_eq!(d.as_slice(), &[-1.0, 0.0]);
        assert_eq!(Params::dot(&d, &DVector::from_vec(vec![3.0, 5.0])), -3.0);
        Params::scale(&mut d, 2.0);
        assert_eq!(d.as_slice(), &[-2.0, 0.0]);
    }

    #[test]
    fn dot_covers_every_element_in_a_fixed_order() {
        // 39 = 4 chunks of 8 + a tail of 7: each element weighted by a
        // distinct power of two, so a dropped or doubled element changes
        // the (exact) sum.
        let m = DMatrix::from_fn(13, 3, |r, c| 2f64.powi((r + 13 * c) as i32 - 20));
        let ones = DMatrix::from_element(13, 3, 1.0);
        let exact: f64 = (0..39).map(|k| 2f64.powi(k - 20)).sum();
        assert_eq!(Params::dot(&m, &ones), exact);
        // f32 leaves, accumulated in f64; a Vec<f32> the same as a matrix.
        let v: Vec<f32> = (0..39).map(|k| 1.0 + k as f32 / 64.0).collect();
        let mv = DVector::from_vec(v.clone());
        let want: f64 = v.iter().map(|&x| x as f64 * x as f64).sum();
        assert!((Params::dot(&v, &v) - want).abs() <= 1e-12 * want);
        assert_eq!(Params::dot(&v, &v), Params::dot(&mv, &mv));
        // Not the running sum: eight sums, so a cancellation the running sum
        // loses survives (1e16 + 1 - 1e16 in one chain is 0).
        let mut big = vec![0.0f64; 16];
        (big[0], big[1], big[8]) = (1e16, 1.0, -1e16);
        assert_eq!(Params::dot(&big, &vec![1.0; 16]), 1.0);
    }

    #[test]
    fn containers_keep_shape_and_order() {
        let v = vec![DVector::from_vec(vec![1.0, 2.0]), DVector::from_vec(vec![3.0])];
        let z = v.zeros_like();
        assert_eq!(z.len(), 2);
        assert_eq!((z[0].len(), z[1].len()), (2, 1));
        assert_eq!(v.to_vec(), vec![1.0, 2.0, 3.0]);
        let a = [[1.0f64, 2.0], [3.0, 4.0]];
        assert_eq!(a.to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(a.dot(&a), 30.0);
        let mut b = Box::new(vec![1.0f32, 2.0]);
        b.scale(0.5);
        assert_eq!(*b, vec![0.5, 1.0]);
        assert_eq!(b.zeros_like().len(), 2);
        let mut reads = [0.0f64; 3];
        assert_eq!(reads.read_from(&[1.0, 2.0, 3.0, 4.0]), 3);
        assert_eq!(reads, [1.0, 2.0, 3.0]);
    }

    #[test]
    fn length_mismatch_is_an_error_and_leaves_self_alone() {
        let mut v = vec![1.0, 2.0, 3.0];
        let e = v.set_from_slice(&[9.0, 9.0]).unwrap_err();
        assert_eq!(e, GdError::DimensionMismatch { what: e_what(&e), expected: 3, got: 2 });
        let msg = e.to_string();
        assert!(msg.contains("expected length 3") && msg.contains("got 2"), "{msg}");
        assert!(msg.contains("set_from_slice"), "{msg}");
        assert_eq!(v, vec![1.0, 2.0, 3.0]);
    }

    fn e_what(e: &GdError) -> &'static str {
        match e {
            GdError::DimensionMismatch { what, .. } => what,
            _ => unreachable!(),
        }
    }

    #[test]
    #[should_panic(expected = "Params::axpy: Vec lengths differ: self has 2 elements, x has 3")]
    fn axpy_vec_shape_mismatch_panics() {
        vec![1.0, 2.0].axpy(1.0, &vec![1.0, 2.0, 3.0]);
    }

    #[test]
    #[should_panic(expected = "Params::dot: matrix shapes differ: self is 2x3, x is 3x2")]
    fn dot_matrix_shape_mismatch_panics() {
        Params::dot(&DMatrix::<f64>::zeros(2, 3), &DMatrix::zeros(3, 2));
    }

    #[test]
    #[should_panic(expected = "Params::read_from: a Vec needs 3 values, the slice has 2")]
    fn read_from_short_slice_panics() {
        vec![1.0, 2.0, 3.0].read_from(&[0.0, 0.0]);
    }
}
