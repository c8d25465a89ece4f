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

mod dual;
pub use dual::{lift, pair, primal, split, tangent, unpair_add, Pair, Primal, Tan};

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, Matrix, OMatrix, OVector, RawStorage, Scalar, U1};

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
        Some(d) => (0..d.count()).map(|k| d.at(k)).collect(),
        None => vec![T::F::zero(); like.count()],
    }
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
        let mut z = self.clone();
        let mut d = self.clone();
        for (zi, di) in z.iter_mut().zip(d.iter_mut()) {
            let (v, dv) = f(*zi);
            *zi = v;
            *di = dv;
        }
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

// ---------------------------------------------------------------- linear rules on one type

/// A float or matrix read as a float (a scalar field of a parameter struct).
#[diagnostic::on_unimplemented(
    message = "#[differentiable]: a float is expected here, but `{Self}` is a matrix",
    label = "float methods (sin, exp, tanh, ..) and float arithmetic apply to floats",
    note = "for a matrix, apply a float function to each element with `.map(|x| x.exp())`; read one element with `m[(i, j)]`"
)]
pub trait AsScalar: Tensor {
    fn get(&self) -> Self::F;
}
impl AsScalar for f32 {
    fn get(&self) -> f32 {
        *self
    }
}
impl AsScalar for f64 {
    fn get(&self) -> f64 {
        *self
    }
}
#[inline(always)]
pub fn scalar<A: AsScalar>(a: &A) -> A::F {
    a.get()
}
#[inline(always)]
pub fn scalar_rev<A: AsScalar>(_: &A, _: &A::F, zb: &A::F, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        ab.add_at(0, *zb);
    }
}
#[inline(always)]
pub fn scalar_tan<A: AsScalar>(_: &A, _: &A::F, da: Option<&A>) -> Option<A::F> {
    da.map(|d| d.get())
}

/// The identity (`x.clone()`, or a parameter's field read into a temporary).
#[inline(always)]
pub fn id<A: Tensor>(a: &A) -> A {
    a.clone()
}
#[inline(always)]
pub fn id_rev<A: Tensor>(_: &A, _: &A, zb: &A, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        zb.add_to(ab);
    }
}
#[inline(always)]
pub fn id_tan<A: Tensor>(_: &A, _: &A, da: Option<&A>) -> Option<A> {
    da.cloned()
}

#[inline(always)]
pub fn add<A: Tensor>(a: &A, b: &A) -> A {
    a.plus(b)
}
#[inline(always)]
pub fn add_rev<A: Tensor>(_: &A, _: &A, _: &A, zb: &A, ab: Option<&mut A>, bb: Option<&mut A>) {
    if let Some(ab) = ab {
        zb.add_to(ab);
    }
    if let Some(bb) = bb {
        zb.add_to(bb);
    }
}
pub fn add_tan<A: Tensor>(_: &A, _: &A, _: &A, da: Option<&A>, db: Option<&A>) -> Option<A> {
    match (da, db) {
        (Some(x), Some(y)) => Some(x.plus(y)),
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (None, None) => None,
    }
}

#[inline(always)]
pub fn sub<A: Tensor>(a: &A, b: &A) -> A {
    a.minus(b)
}
#[inline(always)]
pub fn sub_rev<A: Tensor>(_: &A, _: &A, _: &A, zb: &A, ab: Option<&mut A>, bb: Option<&mut A>) {
    if let Some(ab) = ab {
        zb.add_to(ab);
    }
    if let Some(bb) = bb {
        zb.axpy_to(-one::<A::F>(), bb);
    }
}
pub fn sub_tan<A: Tensor>(_: &A, _: &A, _: &A, da: Option<&A>, db: Option<&A>) -> Option<A> {
    match (da, db) {
        (Some(x), Some(y)) => Some(x.minus(y)),
        (Some(x), None) => Some(x.clone()),
        (None, Some(y)) => Some(y.scaled(-one::<A::F>())),
        (None, None) => None,
    }
}

#[inline(always)]
pub fn neg<A: Tensor>(a: &A) -> A {
    a.scaled(-one::<A::F>())
}
#[inline(always)]
pub fn neg_rev<A: Tensor>(_: &A, _: &A, zb: &A, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        zb.axpy_to(-one::<A::F>(), ab);
    }
}
pub fn neg_tan<A: Tensor>(_: &A, _: &A, da: Option<&A>) -> Option<A> {
    da.map(|d| d.scaled(-one::<A::F>()))
}

/// Elementwise product.
pub fn component_mul<A: Tensor>(a: &A, b: &A) -> A {
    a.cmul(b)
}
pub fn component_mul_rev<A: Tensor>(a: &A, b: &A, _: &A, zb: &A, ab: Option<&mut A>, bb: Option<&mut A>) {
    if let Some(ab) = ab {
        zb.cmul_to(b, ab);
    }
    if let Some(bb) = bb {
        zb.cmul_to(a, bb);
    }
}
pub fn component_mul_tan<A: Tensor>(a: &A, b: &A, _: &A, da: Option<&A>, db: Option<&A>) -> Option<A> {
    let x = da.map(|d| d.cmul(b));
    let y = db.map(|d| a.cmul(d));
    sum_opt(x, y)
}

/// Elementwise quotient.
pub fn component_div<A: Tensor>(a: &A, b: &A) -> A {
    a.cdiv(b)
}
pub fn component_div_rev<A: Tensor>(_: &A, b: &A, z: &A, zb: &A, ab: Option<&mut A>, bb: Option<&mut A>) {
    let zb_b = zb.cdiv(b);
    if let Some(bb) = bb {
        // ∂(a/b)/∂b = -z/b
        zb_b.cmul(z).axpy_to(-one::<A::F>(), bb);
    }
    if let Some(ab) = ab {
        zb_b.add_to(ab);
    }
}
pub fn component_div_tan<A: Tensor>(_: &A, b: &A, z: &A, da: Option<&A>, db: Option<&A>) -> Option<A> {
    let x = da.map(|d| d.cdiv(b));
    let y = db.map(|d| d.cmul(z).cdiv(b).scaled(-one::<A::F>()));
    sum_opt(x, y)
}

fn sum_opt<A: Tensor>(x: Option<A>, y: Option<A>) -> Option<A> {
    match (x, y) {
        (Some(mut x), Some(y)) => {
            y.add_to(&mut x);
            Some(x)
        }
        (x, None) => x,
        (None, y) => y,
    }
}

/// `a.add_scalar(s)`.
pub fn add_scalar<A: Tensor>(a: &A, s: &A::F) -> A {
    let mut z = a.clone();
    z.add_all(*s);
    z
}
pub fn add_scalar_rev<A: Tensor>(_: &A, _: &A::F, _: &A, zb: &A, ab: Option<&mut A>, sb: Option<&mut A::F>) {
    if let Some(ab) = ab {
        zb.add_to(ab);
    }
    if let Some(sb) = sb {
        *sb += zb.elem_sum();
    }
}
pub fn add_scalar_tan<A: Tensor>(_: &A, _: &A::F, z: &A, da: Option<&A>, ds: Option<&A::F>) -> Option<A> {
    if da.is_none() && ds.is_none() {
        return None;
    }
    // The output's shape when only the scalar moves.
    let mut t = da.cloned().unwrap_or_else(|| z.zeros_like());
    if let Some(s) = ds {
        t.add_all(*s);
    }
    Some(t)
}

/// `a.dot(&b)`.
pub fn dot<A: Tensor>(a: &A, b: &A) -> A::F {
    a.inner(b)
}
pub fn dot_rev<A: Tensor>(a: &A, b: &A, _: &A::F, zb: &A::F, ab: Option<&mut A>, bb: Option<&mut A>) {
    if let Some(ab) = ab {
        b.axpy_to(*zb, ab);
    }
    if let Some(bb) = bb {
        a.axpy_to(*zb, bb);
    }
}
pub fn dot_tan<A: Tensor>(a: &A, b: &A, _: &A::F, da: Option<&A>, db: Option<&A>) -> Option<A::F> {
    if da.is_none() && db.is_none() {
        return None;
    }
    Some(da.map_or(zero::<A::F>(), |d| d.inner(b)) + db.map_or(zero::<A::F>(), |d| a.inner(d)))
}

/// `a.norm_squared()`.
pub fn norm_squared<A: Tensor>(a: &A) -> A::F {
    a.norm_sq()
}
pub fn norm_squared_rev<A: Tensor>(a: &A, _: &A::F, zb: &A::F, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        a.axpy_to(*zb + *zb, ab);
    }
}
pub fn norm_squared_tan<A: Tensor>(a: &A, _: &A::F, da: Option<&A>) -> Option<A::F> {
    da.map(|d| (one::<A::F>() + one::<A::F>()) * a.inner(d))
}

/// `a.norm()`: the derivative at zero is taken as zero (the subgradient
/// nearest the origin, as `abs` at 0).
pub fn norm<A: Tensor>(a: &A) -> A::F {
    a.norm_sq().sqrt_()
}
pub fn norm_rev<A: Tensor>(a: &A, z: &A::F, zb: &A::F, ab: Option<&mut A>) {
    if let (Some(ab), false) = (ab, *z == zero::<A::F>()) {
        a.axpy_to(*zb / *z, ab);
    }
}
pub fn norm_tan<A: Tensor>(a: &A, z: &A::F, da: Option<&A>) -> Option<A::F> {
    da.map(|d| if *z == zero::<A::F>() { zero::<A::F>() } else { a.inner(d) / *z })
}

/// `a.sum()`.
pub fn sum<A: Tensor>(a: &A) -> A::F {
    a.elem_sum()
}
pub fn sum_rev<A: Tensor>(_: &A, _: &A::F, zb: &A::F, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        ab.add_all(*zb);
    }
}
pub fn sum_tan<A: Tensor>(_: &A, _: &A::F, da: Option<&A>) -> Option<A::F> {
    da.map(|d| d.elem_sum())
}

/// `a.mean()`.
pub fn mean<A: Tensor>(a: &A) -> A::F {
    a.elem_sum() / count_f::<A::F>(a.count())
}
pub fn mean_rev<A: Tensor>(a: &A, _: &A::F, zb: &A::F, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        ab.add_all(*zb / count_f::<A::F>(a.count()));
    }
}
pub fn mean_tan<A: Tensor>(a: &A, _: &A::F, da: Option<&A>) -> Option<A::F> {
    da.map(|d| d.elem_sum() / count_f::<A::F>(a.count()))
}

/// `a.max()` / `a.min()`: the whole adjoint goes to the first extreme element
/// (as `f64::max` on a tie gives it to one side).
pub fn max<A: Tensor>(a: &A) -> A::F {
    a.at(a.arg_extreme(true))
}
pub fn max_rev<A: Tensor>(a: &A, _: &A::F, zb: &A::F, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        ab.add_at(a.arg_extreme(true), *zb);
    }
}
pub fn max_tan<A: Tensor>(a: &A, _: &A::F, da: Option<&A>) -> Option<A::F> {
    da.map(|d| d.at(a.arg_extreme(true)))
}
pub fn min<A: Tensor>(a: &A) -> A::F {
    a.at(a.arg_extreme(false))
}
pub fn min_rev<A: Tensor>(a: &A, _: &A::F, zb: &A::F, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        ab.add_at(a.arg_extreme(false), *zb);
    }
}
pub fn min_tan<A: Tensor>(a: &A, _: &A::F, da: Option<&A>) -> Option<A::F> {
    da.map(|d| d.at(a.arg_extreme(false)))
}

/// `a.map(|x| ..)`: `f` gives each element's value and derivative; the
/// derivatives are kept (`d`) for the reverse sweep.
pub fn map_jvp<A: Tensor>(a: &A, f: impl Fn(A::F) -> (A::F, A::F)) -> (A, A) {
    a.map_pair(f)
}
pub fn map_rev<A: Tensor>(d: &A, zb: &A, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        zb.cmul_to(d, ab);
    }
}
/// `map`'s adjoint into a matrix temporary's slot, reusing the output's
/// adjoint (owned here) when the slot is empty: no new matrix.
pub fn map_rev_owned<A: Tensor>(d: &A, zb: A, slot: &mut Option<A>) {
    match slot {
        Some(s) => zb.cmul_to(d, s),
        None => {
            let mut zb = zb;
            zb.cmul_assign(d);
            *slot = Some(zb);
        }
    }
}
pub fn map_tan<A: Tensor>(d: &A, da: Option<&A>) -> Option<A> {
    da.map(|x| x.cmul(d))
}

// ---------------------------------------------------------------- element access

/// `m[k]` (linear, column-major) and `m[(i, j)]` on a matrix temporary.
pub fn index<A: Tensor>(a: &A, k: usize) -> A::F {
    a.at(k)
}
pub fn index_rev<A: Tensor>(_: &A, k: usize, _: &A::F, zb: &A::F, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        ab.add_at(k, *zb);
    }
}
pub fn index_tan<A: Tensor>(_: &A, k: usize, _: &A::F, da: Option<&A>) -> Option<A::F> {
    da.map(|d| d.at(k))
}

/// The shape-aware rules: matrix products, transposes, rows and columns.
pub trait Shaped: Tensor {
    fn nrows_(&self) -> usize;
}

pub fn index2<A: Shaped>(a: &A, i: usize, j: usize) -> A::F {
    a.at(lin(a, i, j))
}
pub fn index2_rev<A: Shaped>(a: &A, i: usize, j: usize, _: &A::F, zb: &A::F, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        ab.add_at(lin(a, i, j), *zb);
    }
}
pub fn index2_tan<A: Shaped>(a: &A, i: usize, j: usize, _: &A::F, da: Option<&A>) -> Option<A::F> {
    da.map(|d| d.at(lin(a, i, j)))
}
fn lin<A: Shaped>(a: &A, i: usize, j: usize) -> usize {
    let r = a.nrows_();
    assert!(i < r && (j + 1) * r <= a.count(), "Matrix index out of bounds.");
    i + j * r
}

impl<F: nalgebra::RealField + Real, R: Dim, C: Dim> Shaped for OMatrix<F, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    fn nrows_(&self) -> usize {
        self.nrows()
    }
}

/// `a * b`: floats, a float and a matrix, or two matrices.
pub trait MulRule<B> {
    type Out: Tensor;
    fn fwd(&self, b: &B) -> Self::Out;
    fn rev(&self, b: &B, zb: &Self::Out, ab: Option<&mut Self>, bb: Option<&mut B>);
    fn tan(&self, b: &B, da: Option<&Self>, db: Option<&B>) -> Option<Self::Out>;
    /// `a`'s adjoint contribution as a new value (for an empty adjoint: no
    /// zero matrix to add into).
    fn adj_a(&self, b: &B, zb: &Self::Out) -> Self
    where
        Self: Tensor,
    {
        let mut z = self.zeros_like();
        self.rev(b, zb, Some(&mut z), None);
        z
    }
    /// `b`'s, likewise.
    fn adj_b(&self, b: &B, zb: &Self::Out) -> B
    where
        B: Tensor,
    {
        let mut z = b.zeros_like();
        self.rev(b, zb, None, Some(&mut z));
        z
    }
}

/// `*slot += a's contribution`, made in place when the slot is empty.
#[inline(always)]
pub fn mul_rev_a<A: MulRule<B> + Tensor, B>(a: &A, b: &B, zb: &A::Out, slot: &mut Option<A>) {
    match slot {
        Some(s) => a.rev(b, zb, Some(s), None),
        None => *slot = Some(a.adj_a(b, zb)),
    }
}
#[inline(always)]
pub fn mul_rev_b<A: MulRule<B>, B: Tensor>(a: &A, b: &B, zb: &A::Out, slot: &mut Option<B>) {
    match slot {
        Some(s) => a.rev(b, zb, None, Some(s)),
        None => *slot = Some(a.adj_b(b, zb)),
    }
}
#[inline(always)]
pub fn mul<A: MulRule<B>, B>(a: &A, b: &B) -> A::Out {
    a.fwd(b)
}
#[inline(always)]
pub fn mul_rev<A: MulRule<B>, B>(a: &A, b: &B, _: &A::Out, zb: &A::Out, ab: Option<&mut A>, bb: Option<&mut B>) {
    a.rev(b, zb, ab, bb)
}
#[inline(always)]
pub fn mul_tan<A: MulRule<B>, B>(a: &A, b: &B, _: &A::Out, da: Option<&A>, db: Option<&B>) -> Option<A::Out> {
    a.tan(b, da, db)
}

/// `a / b` with a float `b`.
pub trait DivRule<B> {
    type Out: Tensor;
    fn fwd(&self, b: &B) -> Self::Out;
    fn rev(&self, b: &B, z: &Self::Out, zb: &Self::Out, ab: Option<&mut Self>, bb: Option<&mut B>);
    fn tan(&self, b: &B, z: &Self::Out, da: Option<&Self>, db: Option<&B>) -> Option<Self::Out>;
}
pub fn div<A: DivRule<B>, B>(a: &A, b: &B) -> A::Out {
    a.fwd(b)
}
pub fn div_rev<A: DivRule<B>, B>(a: &A, b: &B, z: &A::Out, zb: &A::Out, ab: Option<&mut A>, bb: Option<&mut B>) {
    a.rev(b, z, zb, ab, bb)
}
pub fn div_tan<A: DivRule<B>, B>(a: &A, b: &B, z: &A::Out, da: Option<&A>, db: Option<&B>) -> Option<A::Out> {
    a.tan(b, z, da, db)
}

/// `m` transposed, as a view of the same memory.
fn tview<F: Scalar, R: Dim, C: Dim>(m: &OMatrix<F, R, C>) -> nalgebra::MatrixView<'_, F, C, R, nalgebra::Dyn, nalgebra::Dyn>
where
    DefaultAllocator: Allocator<R, C>,
{
    let (r, c) = m.shape_generic();
    let rows = m.nrows();
    nalgebra::MatrixView::from_slice_with_strides_generic(m.as_slice(), c, r, nalgebra::Dyn(rows), nalgebra::Dyn(1))
}

macro_rules! scalar_rules {
    ($($f:ty),*) => {$(
        impl MulRule<$f> for $f {
            type Out = $f;
            #[inline(always)] fn fwd(&self, b: &$f) -> $f { self * b }
            #[inline(always)]
            fn rev(&self, b: &$f, zb: &$f, ab: Option<&mut $f>, bb: Option<&mut $f>) {
                if let Some(ab) = ab { *ab += zb * b; }
                if let Some(bb) = bb { *bb += zb * self; }
            }
            fn tan(&self, b: &$f, da: Option<&$f>, db: Option<&$f>) -> Option<$f> {
                if da.is_none() && db.is_none() { return None; }
                Some(da.map_or(0.0, |d| d * b) + db.map_or(0.0, |d| self * d))
            }
        }
        impl DivRule<$f> for $f {
            type Out = $f;
            fn fwd(&self, b: &$f) -> $f { self / b }
            fn rev(&self, b: &$f, z: &$f, zb: &$f, ab: Option<&mut $f>, bb: Option<&mut $f>) {
                if let Some(ab) = ab { *ab += zb / b; }
                if let Some(bb) = bb { *bb -= zb * z / b; }
            }
            fn tan(&self, b: &$f, z: &$f, da: Option<&$f>, db: Option<&$f>) -> Option<$f> {
                if da.is_none() && db.is_none() { return None; }
                Some(da.map_or(0.0, |d| d / b) - db.map_or(0.0, |d| z * d / b))
            }
        }
        /// A float times a matrix.
        impl<R: Dim, C: Dim> MulRule<OMatrix<$f, R, C>> for $f
        where DefaultAllocator: Allocator<R, C>
        {
            type Out = OMatrix<$f, R, C>;
            fn fwd(&self, b: &OMatrix<$f, R, C>) -> Self::Out { b * *self }
            fn rev(&self, b: &OMatrix<$f, R, C>, zb: &Self::Out, ab: Option<&mut $f>, bb: Option<&mut OMatrix<$f, R, C>>) {
                if let Some(ab) = ab { *ab += zb.dot(b); }
                if let Some(bb) = bb { bb.zip_apply(zb, |y, x| *y += *self * x); }
            }
            fn tan(&self, b: &OMatrix<$f, R, C>, da: Option<&$f>, db: Option<&OMatrix<$f, R, C>>) -> Option<Self::Out> {
                let x = da.map(|d| b * *d);
                let y = db.map(|d| d * *self);
                sum_opt(x, y)
            }
        }
        /// A matrix times a float.
        impl<R: Dim, C: Dim> MulRule<$f> for OMatrix<$f, R, C>
        where DefaultAllocator: Allocator<R, C>
        {
            type Out = OMatrix<$f, R, C>;
            fn fwd(&self, b: &$f) -> Self::Out { self * *b }
            fn rev(&self, b: &$f, zb: &Self::Out, ab: Option<&mut Self>, bb: Option<&mut $f>) {
                if let Some(ab) = ab { ab.zip_apply(zb, |y, x| *y += *b * x); }
                if let Some(bb) = bb { *bb += zb.dot(self); }
            }
            fn tan(&self, b: &$f, da: Option<&Self>, db: Option<&$f>) -> Option<Self::Out> {
                let x = da.map(|d| d * *b);
                let y = db.map(|d| self * *d);
                sum_opt(x, y)
            }
        }
        /// A matrix divided by a float.
        impl<R: Dim, C: Dim> DivRule<$f> for OMatrix<$f, R, C>
        where DefaultAllocator: Allocator<R, C>
        {
            type Out = OMatrix<$f, R, C>;
            fn fwd(&self, b: &$f) -> Self::Out { self / *b }
            fn rev(&self, b: &$f, z: &Self::Out, zb: &Self::Out, ab: Option<&mut Self>, bb: Option<&mut $f>) {
                if let Some(ab) = ab { ab.zip_apply(zb, |y, x| *y += x / *b); }
                if let Some(bb) = bb { *bb -= zb.dot(z) / *b; }
            }
            fn tan(&self, b: &$f, z: &Self::Out, da: Option<&Self>, db: Option<&$f>) -> Option<Self::Out> {
                let x = da.map(|d| d / *b);
                let y = db.map(|d| z * (-*d / *b));
                sum_opt(x, y)
            }
        }
        /// A matrix product: `Ā += C̄·Bᵀ`, `B̄ += Aᵀ·C̄`.
        impl<R1: Dim, K: Dim, C2: Dim> MulRule<OMatrix<$f, K, C2>> for OMatrix<$f, R1, K>
        where
            DefaultAllocator: Allocator<R1, K> + Allocator<K, C2> + Allocator<R1, C2> + Allocator<C2, K>,
        {
            type Out = OMatrix<$f, R1, C2>;
            // nalgebra's operator: a shape mismatch panics with the primal's message.
            fn fwd(&self, b: &OMatrix<$f, K, C2>) -> Self::Out {
                self * b
            }
            fn rev(&self, b: &OMatrix<$f, K, C2>, zb: &Self::Out, ab: Option<&mut Self>, bb: Option<&mut OMatrix<$f, K, C2>>) {
                // Large dynamic operands: transposed views (strides swapped,
                // no copy), which nalgebra's `gemm` hands to matrixmultiply.
                // Small or static ones take nalgebra's own loops, which want
                // ordinary storage: a transposed copy.
                let big = |r: usize, c: usize, k: usize| {
                    (R1::try_to_usize().is_none() || K::try_to_usize().is_none() || C2::try_to_usize().is_none())
                        && r > 5 && c > 5 && k > 5
                };
                let (r1, k, c2) = (self.nrows(), self.ncols(), b.ncols());
                if let Some(ab) = ab {
                    if big(r1, k, c2) { ab.gemm(1.0, zb, &tview(b), 1.0) } else { ab.gemm(1.0, zb, &b.transpose(), 1.0) }
                }
                if let Some(bb) = bb {
                    if big(k, c2, r1) { bb.gemm(1.0, &tview(self), zb, 1.0) } else { bb.gemm_tr(1.0, self, zb, 1.0) }
                }
            }
            fn tan(&self, b: &OMatrix<$f, K, C2>, da: Option<&Self>, db: Option<&OMatrix<$f, K, C2>>) -> Option<Self::Out> {
                let x = da.map(|d| d * b);
                let y = db.map(|d| self * d);
                sum_opt(x, y)
            }
            // A new adjoint is a product (nalgebra allocates it without a
            // zero fill), through transposed views when matrixmultiply runs.
            fn adj_a(&self, b: &OMatrix<$f, K, C2>, zb: &Self::Out) -> Self {
                let (r1, k, c2) = (self.nrows(), self.ncols(), b.ncols());
                let big = (R1::try_to_usize().is_none() || K::try_to_usize().is_none() || C2::try_to_usize().is_none()) && r1 > 5 && k > 5 && c2 > 5;
                if big { zb * tview(b) } else { zb * b.transpose() }
            }
            fn adj_b(&self, b: &OMatrix<$f, K, C2>, zb: &Self::Out) -> OMatrix<$f, K, C2> {
                let (r1, k, c2) = (self.nrows(), self.ncols(), b.ncols());
                let big = (R1::try_to_usize().is_none() || K::try_to_usize().is_none() || C2::try_to_usize().is_none()) && r1 > 5 && k > 5 && c2 > 5;
                if big { tview(self) * zb } else { self.tr_mul(zb) }
            }
        }
    )*};
}
scalar_rules!(f32, f64);

/// `a.transpose()`.
pub trait TransposeRule: Tensor {
    type Out: Tensor;
    fn fwd(&self) -> Self::Out;
    fn back(zb: &Self::Out) -> Self;
}
impl<F: nalgebra::RealField + Real, R: Dim, C: Dim> TransposeRule for OMatrix<F, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<C, R>,
{
    type Out = OMatrix<F, C, R>;
    fn fwd(&self) -> Self::Out {
        self.transpose()
    }
    fn back(zb: &Self::Out) -> Self {
        zb.transpose()
    }
}
pub fn transpose<A: TransposeRule>(a: &A) -> A::Out {
    a.fwd()
}
pub fn transpose_rev<A: TransposeRule>(_: &A, _: &A::Out, zb: &A::Out, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        A::back(zb).add_to(ab);
    }
}
pub fn transpose_tan<A: TransposeRule>(_: &A, _: &A::Out, da: Option<&A>) -> Option<A::Out> {
    da.map(|d| d.fwd())
}

/// `a.column(j)` / `a.row(i)`, as owned vectors.
pub trait SliceRule: Tensor {
    type Col: Tensor;
    type Row: Tensor;
    fn col(&self, j: usize) -> Self::Col;
    fn col_add(&mut self, j: usize, v: &Self::Col);
    fn row_(&self, i: usize) -> Self::Row;
    fn row_add(&mut self, i: usize, v: &Self::Row);
}
impl<F: nalgebra::RealField + Real, R: Dim, C: Dim> SliceRule for OMatrix<F, R, C>
where
    DefaultAllocator: Allocator<R, C> + Allocator<R, U1> + Allocator<U1, C>,
{
    type Col = OVector<F, R>;
    type Row = OMatrix<F, U1, C>;
    fn col(&self, j: usize) -> Self::Col {
        self.column(j).into_owned()
    }
    fn col_add(&mut self, j: usize, v: &Self::Col) {
        let mut c = self.column_mut(j);
        c += v;
    }
    fn row_(&self, i: usize) -> Self::Row {
        self.row(i).into_owned()
    }
    fn row_add(&mut self, i: usize, v: &Self::Row) {
        let mut r = self.row_mut(i);
        r += v;
    }
}
pub fn column<A: SliceRule>(a: &A, j: usize) -> A::Col {
    a.col(j)
}
pub fn column_rev<A: SliceRule>(_: &A, j: usize, _: &A::Col, zb: &A::Col, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        ab.col_add(j, zb);
    }
}
pub fn column_tan<A: SliceRule>(_: &A, j: usize, _: &A::Col, da: Option<&A>) -> Option<A::Col> {
    da.map(|d| d.col(j))
}
pub fn row<A: SliceRule>(a: &A, i: usize) -> A::Row {
    a.row_(i)
}
pub fn row_rev<A: SliceRule>(_: &A, i: usize, _: &A::Row, zb: &A::Row, ab: Option<&mut A>) {
    if let Some(ab) = ab {
        ab.row_add(i, zb);
    }
}
pub fn row_tan<A: SliceRule>(_: &A, i: usize, _: &A::Row, da: Option<&A>) -> Option<A::Row> {
    da.map(|d| d.row_(i))
}
