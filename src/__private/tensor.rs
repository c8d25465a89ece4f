//! Rules for values that are not single floats: nalgebra matrices and vectors
//! (and a float read from a field of a parameter struct), used by the code
//! `#[differentiable]` generates. The macro cannot see types, so it emits one
//! call per operation (`mul`, `mul_rev`, `mul_tan`, ...) and rustc picks the
//! implementation: the same `a * b` differentiates as a product of floats, a
//! scaling, or a matrix product. Each rule is written at matrix level (for
//! `C = A·B`: `Ā += C̄·Bᵀ`, `B̄ += Aᵀ·C̄`), never as loops over elements.
//!
//! Conventions: `x_rev(args.., z, zb, slots..)` adds the contribution of the
//! output adjoint `zb` into each `Some` slot; `x_tan(args.., z, tangents..)`
//! returns the output tangent, `None` when every tangent is `None` (zero).

mod call;
mod dual;
mod elementwise;
mod gemm;
mod maps;
mod shaped;
pub use call::{arg, dual_arg, tan_arg, DualSlot, FromArg, FromDualArg, LendDual};
pub use dual::{lift, pair, primal, split, tangent, unpair_add, Pair, Primal, Tan};
pub use elementwise::*;
pub use shaped::*;

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, Matrix, OMatrix, RawStorage, Scalar};

// ---------------------------------------------------------------- access

/// Reads through references to the value a rule works on (`&&DMatrix` → `&DMatrix`).
pub trait Val {
    type T;
    fn val(&self) -> &Self::T;
}
impl<X: Val + ?Sized> Val for &X {
    type T = X::T;
    #[inline(always)]
    fn val(&self) -> &X::T {
        (**self).val()
    }
}
impl<X: Val + ?Sized> Val for &mut X {
    type T = X::T;
    #[inline(always)]
    fn val(&self) -> &X::T {
        (**self).val()
    }
}

#[inline(always)]
pub fn val<V: Val + ?Sized>(v: &V) -> &V::T {
    v.val()
}

/// An owned copy of a passive value (a matrix view becomes a matrix).
pub trait Own {
    type O;
    fn own(&self) -> Self::O;
}
impl<X: Own + ?Sized> Own for &X {
    type O = X::O;
    fn own(&self) -> X::O {
        (**self).own()
    }
}
#[inline(always)]
pub fn own<V: Own + ?Sized>(v: &V) -> V::O {
    v.own()
}

/// Ties an adjoint's (or tangent's) type to its primal's, for inference.
#[inline(always)]
pub fn same_type<T>(_: &Option<T>, _: &Option<T>) {}

/// The adjoint slot of a matrix temporary, created as zeros on first use.
#[inline(always)]
pub fn slot<'a, T: Tensor>(s: &'a mut Option<T>, like: &T) -> &'a mut T {
    s.get_or_insert_with(|| like.zeros_like())
}

/// `acc += x`, where `None` is zero.
#[inline(always)]
pub fn acc<T: Tensor>(acc: &mut Option<T>, x: T) {
    match acc {
        Some(a) => x.add_to(a),
        None => *acc = Some(x),
    }
}

/// `acc -= x`, where `None` is zero.
#[inline(always)]
pub fn acc_neg<T: Tensor>(acc: &mut Option<T>, x: T) {
    match acc {
        Some(a) => x.axpy_to(-one::<T::F>(), a),
        None => *acc = Some(x.scaled(-one::<T::F>())),
    }
}

/// A float tangent, `None` being zero.
#[inline(always)]
pub fn or_zero<F: Real>(o: Option<F>) -> F {
    o.unwrap_or_else(F::zero)
}

/// A matrix output's tangent as its entries in column-major order (`None`
/// is zero).
pub fn flat_tangent<T: Tensor>(d: &Option<T>, like: &T) -> Vec<T::F> {
    match d {
        Some(d) => entries(d),
        None => vec![T::F::zero(); like.count()],
    }
}

/// A value's entries in column-major order (a matrix-valued call's output
/// adjoint as the callee's flat cotangent).
pub fn entries<T: Tensor>(b: &T) -> Vec<T::F> {
    (0..b.count()).map(|k| b.at(k)).collect()
}

/// Entries in column-major order as a value shaped like `like` (a flat
/// cotangent given to a matrix-valued `__gd_vjp`, a matrix-valued callee's
/// flat tangent).
pub fn unflat<T: Tensor>(like: &T, flat: &[T::F]) -> T {
    let mut o = like.zeros_like();
    for (k, x) in flat.iter().enumerate() {
        o.set_at(k, *x);
    }
    o
}

/// The scratch that stands in for a slot lent twice in one rule.
#[inline(always)]
pub fn scratch<T: Tensor>(like: &T) -> T {
    like.zeros_like()
}

// ---------------------------------------------------------------- the value types

/// What every differentiated non-float value supports: the linear algebra
/// that adjoints and tangents need. Implemented for f32, f64 and owned
/// nalgebra matrices of them.
pub trait Tensor: Clone {
    type F: Real;
    fn zeros_like(&self) -> Self;
    /// `acc += a · self`
    fn axpy_to(&self, a: Self::F, acc: &mut Self);
    #[inline(always)]
    fn add_to(&self, acc: &mut Self) {
        self.axpy_to(one(), acc)
    }
    fn scaled(&self, a: Self::F) -> Self;
    /// Σᵢ selfᵢ·otherᵢ
    fn inner(&self, other: &Self) -> Self::F;
    /// `acc += self ∘ other`
    fn cmul_to(&self, other: &Self, acc: &mut Self);
    fn elem_sum(&self) -> Self::F;
    /// Σᵢ selfᵢ², summed as nalgebra's `norm_squared` does (the same bits).
    fn norm_sq(&self) -> Self::F;
    fn add_all(&mut self, s: Self::F);
    fn plus(&self, other: &Self) -> Self;
    fn minus(&self, other: &Self) -> Self;
    fn cmul(&self, other: &Self) -> Self;
    /// `self ∘= other`
    fn cmul_assign(&mut self, other: &Self);
    fn cdiv(&self, other: &Self) -> Self;
    fn count(&self) -> usize;
    /// Each element through `f`, which gives value and derivative.
    fn map_pair(&self, f: impl Fn(Self::F) -> (Self::F, Self::F)) -> (Self, Self);
    /// [`Tensor::map_pair`] with a closure that may run on several threads
    /// (`maps.rs`).
    #[inline(always)]
    fn map_pair_threaded(&self, f: &(impl Fn(Self::F) -> (Self::F, Self::F) + Sync)) -> (Self, Self) {
        self.map_pair(f)
    }
    /// Index of the largest (`max`) or smallest element; the first on ties.
    fn arg_extreme(&self, max: bool) -> usize;
    fn at(&self, k: usize) -> Self::F;
    /// `self[k] += x`
    fn add_at(&mut self, k: usize, x: Self::F);
    fn set_at(&mut self, k: usize, x: Self::F);
}

/// The scalars of the rules: f32, f64, and their duals (the copy of the
/// reverse sweep that second derivatives run through).
pub trait Real:
    Copy
    + PartialOrd
    + std::fmt::Debug
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
    + std::ops::AddAssign
    + std::ops::SubAssign
    + Send
    + Sync
    + 'static
{
    fn zero() -> Self;
    fn one() -> Self;
    fn from_count(n: usize) -> Self;
    fn sqrt_(self) -> Self;
}

macro_rules! real {
    ($($f:ident),*) => {$(
        impl Real for $f {
            #[inline(always)] fn zero() -> $f { 0.0 }
            #[inline(always)] fn one() -> $f { 1.0 }
            #[inline(always)] fn from_count(n: usize) -> $f { n as $f }
            #[inline(always)] fn sqrt_(self) -> $f { self.sqrt() }
        }
        impl Real for super::Dual<$f> {
            #[inline(always)] fn zero() -> Self { super::Dual::<$f>::ZERO }
            #[inline(always)] fn one() -> Self { super::Dual::<$f>::cst(1.0) }
            #[inline(always)] fn from_count(n: usize) -> Self { super::Dual::<$f>::cst(n as $f) }
            #[inline(always)] fn sqrt_(self) -> Self { self.sqrt() }
        }
    )*};
}
real!(f32, f64);

fn one<F: Real>() -> F {
    F::one()
}
fn zero<F: Real>() -> F {
    F::zero()
}
fn count_f<F: Real>(n: usize) -> F {
    F::from_count(n)
}

macro_rules! float_tensor {
    ($($f:ty),*) => {$(
        impl Val for $f {
            type T = $f;
            #[inline(always)]
            fn val(&self) -> &$f { self }
        }
        impl Own for $f {
            type O = $f;
            #[inline(always)]
            fn own(&self) -> $f { *self }
        }
        impl Tensor for $f {
            type F = $f;
            #[inline(always)] fn zeros_like(&self) -> $f { 0.0 }
            #[inline(always)] fn axpy_to(&self, a: $f, acc: &mut $f) { *acc += a * self }
            #[inline(always)] fn scaled(&self, a: $f) -> $f { a * self }
            #[inline(always)] fn inner(&self, o: &$f) -> $f { self * o }
            #[inline(always)] fn cmul_to(&self, o: &$f, acc: &mut $f) { *acc += self * o }
            #[inline(always)] fn elem_sum(&self) -> $f { *self }
            #[inline(always)] fn norm_sq(&self) -> $f { self * self }
            #[inline(always)] fn add_all(&mut self, s: $f) { *self += s }
            #[inline(always)] fn plus(&self, o: &$f) -> $f { self + o }
            #[inline(always)] fn minus(&self, o: &$f) -> $f { self - o }
            #[inline(always)] fn cmul(&self, o: &$f) -> $f { self * o }
            #[inline(always)] fn cmul_assign(&mut self, o: &$f) { *self *= o }
            #[inline(always)] fn cdiv(&self, o: &$f) -> $f { self / o }
            #[inline(always)] fn count(&self) -> usize { 1 }
            #[inline(always)] fn map_pair(&self, f: impl Fn($f) -> ($f, $f)) -> ($f, $f) { f(*self) }
            #[inline(always)] fn arg_extreme(&self, _: bool) -> usize { 0 }
            #[inline(always)] fn at(&self, _: usize) -> $f { *self }
            #[inline(always)] fn add_at(&mut self, _: usize, x: $f) { *self += x }
            #[inline(always)] fn set_at(&mut self, _: usize, x: $f) { *self = x }
        }
    )*};
}
float_tensor!(f32, f64);

impl<T: Scalar, R: Dim, C: Dim, S: RawStorage<T, R, C>> Val for Matrix<T, R, C, S> {
    type T = Self;
    #[inline(always)]
    fn val(&self) -> &Self {
        self
    }
}

impl<T: Scalar, R: Dim, C: Dim, S: nalgebra::Storage<T, R, C>> Own for Matrix<T, R, C, S>
where
    DefaultAllocator: Allocator<R, C>,
{
    type O = OMatrix<T, R, C>;
    fn own(&self) -> OMatrix<T, R, C> {
        self.clone_owned()
    }
}

impl<F: nalgebra::RealField + Real, R: Dim, C: Dim> Tensor for OMatrix<F, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type F = F;
    fn zeros_like(&self) -> Self {
        let (r, c) = self.shape_generic();
        OMatrix::zeros_generic(r, c)
    }
    fn axpy_to(&self, a: F, acc: &mut Self) {
        acc.zip_apply(self, |y, x| *y += a * x);
    }
    fn scaled(&self, a: F) -> Self {
        self * a
    }
    fn inner(&self, o: &Self) -> F {
        self.dot(o)
    }
    fn cmul_to(&self, o: &Self, acc: &mut Self) {
        acc.zip_zip_apply(self, o, |y, x, w| *y += x * w);
    }
    fn elem_sum(&self) -> F {
        self.sum()
    }
    fn norm_sq(&self) -> F {
        self.norm_squared()
    }
    fn add_all(&mut self, s: F) {
        self.add_scalar_mut(s);
    }
    fn plus(&self, o: &Self) -> Self {
        self + o
    }
    fn minus(&self, o: &Self) -> Self {
        self - o
    }
    fn cmul(&self, o: &Self) -> Self {
        self.component_mul(o)
    }
    fn cmul_assign(&mut self, o: &Self) {
        self.component_mul_assign(o);
    }
    fn cdiv(&self, o: &Self) -> Self {
        self.component_div(o)
    }
    fn count(&self) -> usize {
        self.len()
    }
    fn map_pair(&self, f: impl Fn(F) -> (F, F)) -> (Self, Self) {
        // Two copies filled through slices (an owned matrix is contiguous,
        // in storage order). nalgebra's `map` and iterators step by rows
        // and columns: writing into uninitialised storage with `map` saved
        // a copy but cost 16–26 instructions per element more.
        let (mut z, mut d) = (self.clone(), self.clone());
        maps::map_slices(z.as_mut_slice(), d.as_mut_slice(), self.as_slice(), &f);
        (z, d)
    }
    fn map_pair_threaded(&self, f: &(impl Fn(F) -> (F, F) + Sync)) -> (Self, Self) {
        let (mut z, mut d) = (self.clone(), self.clone());
        maps::map_slices_threaded(z.as_mut_slice(), d.as_mut_slice(), self.as_slice(), f);
        (z, d)
    }
    fn arg_extreme(&self, max: bool) -> usize {
        let mut best = 0;
        for (k, x) in self.iter().enumerate() {
            if (max && *x > self[best]) || (!max && *x < self[best]) {
                best = k;
            }
        }
        best
    }
    fn at(&self, k: usize) -> F {
        self[k]
    }
    fn add_at(&mut self, k: usize, x: F) {
        self[k] += x;
    }
    fn set_at(&mut self, k: usize, x: F) {
        self[k] = x;
    }
}

