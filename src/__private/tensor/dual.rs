//! The rules over dual values, for second derivatives of functions of
//! matrices: the macro emits a second copy of the reverse sweep in which
//! floats are `Dual<F>` and matrices are `Tan<M>` (a value and its tangent).
//! Running it with the inputs' tangents set to `v` gives `H·v` in the
//! adjoints' tangent parts (forward over reverse), exactly as for floats.
//!
//! Every rule is bilinear or built from `Tensor` operations, so the dual
//! version of a rule is written once here in terms of the plain one.

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, OMatrix};

use super::{DivRule, MulRule, Own, Real, SliceRule, Tensor, TransposeRule, Val};
use crate::__private::Dual;

/// A matrix and its tangent.
#[derive(Clone, Debug)]
pub struct Tan<T> {
    pub v: T,
    pub d: T,
}

/// Plain scalars and their duals.
pub trait HasDual: Real {
    type D: Real;
    fn mk(re: Self, eps: Self) -> Self::D;
    fn re(d: Self::D) -> Self;
    fn eps(d: Self::D) -> Self;
}
macro_rules! has_dual {
    ($($f:ident),*) => {$(
        impl HasDual for $f {
            type D = Dual<$f>;
            #[inline(always)] fn mk(re: $f, eps: $f) -> Dual<$f> { Dual::<$f>::new(re, eps) }
            #[inline(always)] fn re(d: Dual<$f>) -> $f { d.re }
            #[inline(always)] fn eps(d: Dual<$f>) -> $f { d.eps }
        }
    )*};
}
has_dual!(f32, f64);

type D<T> = <<T as Tensor>::F as HasDual>::D;

fn re<T: Tensor>(x: D<T>) -> T::F
where
    T::F: HasDual,
{
    <T::F as HasDual>::re(x)
}
fn eps<T: Tensor>(x: D<T>) -> T::F
where
    T::F: HasDual,
{
    <T::F as HasDual>::eps(x)
}
fn mk<T: Tensor>(a: T::F, b: T::F) -> D<T>
where
    T::F: HasDual,
{
    <T::F as HasDual>::mk(a, b)
}

impl<T: Tensor> Tensor for Tan<T>
where
    T::F: HasDual,
{
    type F = D<T>;
    fn zeros_like(&self) -> Self {
        Tan { v: self.v.zeros_like(), d: self.d.zeros_like() }
    }
    fn axpy_to(&self, a: D<T>, acc: &mut Self) {
        self.v.axpy_to(re::<T>(a), &mut acc.v);
        self.d.axpy_to(re::<T>(a), &mut acc.d);
        self.v.axpy_to(eps::<T>(a), &mut acc.d);
    }
    fn scaled(&self, a: D<T>) -> Self {
        let mut d = self.d.scaled(re::<T>(a));
        self.v.axpy_to(eps::<T>(a), &mut d);
        Tan { v: self.v.scaled(re::<T>(a)), d }
    }
    fn inner(&self, o: &Self) -> D<T> {
        mk::<T>(self.v.inner(&o.v), self.v.inner(&o.d) + self.d.inner(&o.v))
    }
    fn cmul_to(&self, o: &Self, acc: &mut Self) {
        self.v.cmul_to(&o.v, &mut acc.v);
        self.v.cmul_to(&o.d, &mut acc.d);
        self.d.cmul_to(&o.v, &mut acc.d);
    }
    fn elem_sum(&self) -> D<T> {
        mk::<T>(self.v.elem_sum(), self.d.elem_sum())
    }
    fn norm_sq(&self) -> D<T> {
        let two = T::F::one() + T::F::one();
        mk::<T>(self.v.norm_sq(), two * self.v.inner(&self.d))
    }
    fn add_all(&mut self, s: D<T>) {
        self.v.add_all(re::<T>(s));
        self.d.add_all(eps::<T>(s));
    }
    fn plus(&self, o: &Self) -> Self {
        Tan { v: self.v.plus(&o.v), d: self.d.plus(&o.d) }
    }
    fn minus(&self, o: &Self) -> Self {
        Tan { v: self.v.minus(&o.v), d: self.d.minus(&o.d) }
    }
    fn cmul(&self, o: &Self) -> Self {
        let mut d = self.v.cmul(&o.d);
        self.d.cmul_to(&o.v, &mut d);
        Tan { v: self.v.cmul(&o.v), d }
    }
    fn cmul_assign(&mut self, o: &Self) {
        // (a∘b)' = a'∘b + a∘b', with the old a.
        let ad = self.v.cmul(&o.d);
        self.d.cmul_assign(&o.v);
        ad.add_to(&mut self.d);
        self.v.cmul_assign(&o.v);
    }
    fn cdiv(&self, o: &Self) -> Self {
        // (a/b)' = (a' - (a/b)·b') / b
        let v = self.v.cdiv(&o.v);
        let d = self.d.minus(&v.cmul(&o.d)).cdiv(&o.v);
        Tan { v, d }
    }
    fn count(&self) -> usize {
        self.v.count()
    }
    fn map_pair(&self, f: impl Fn(D<T>) -> (D<T>, D<T>)) -> (Self, Self) {
        let (mut z, mut dz) = (self.clone(), self.clone());
        for k in 0..self.v.count() {
            let (y, dy) = f(mk::<T>(self.v.at(k), self.d.at(k)));
            z.v.set_at(k, re::<T>(y));
            z.d.set_at(k, eps::<T>(y));
            dz.v.set_at(k, re::<T>(dy));
            dz.d.set_at(k, eps::<T>(dy));
        }
        (z, dz)
    }
    fn arg_extreme(&self, max: bool) -> usize {
        self.v.arg_extreme(max)
    }
    fn at(&self, k: usize) -> D<T> {
        mk::<T>(self.v.at(k), self.d.at(k))
    }
    fn add_at(&mut self, k: usize, x: D<T>) {
        self.v.add_at(k, re::<T>(x));
        self.d.add_at(k, eps::<T>(x));
    }
    fn set_at(&mut self, k: usize, x: D<T>) {
        self.v.set_at(k, re::<T>(x));
        self.d.set_at(k, eps::<T>(x));
    }
}

impl<T> Val for Tan<T> {
    type T = Tan<T>;
    fn val(&self) -> &Tan<T> {
        self
    }
}
impl<T: Clone> Own for Tan<T> {
    type O = Tan<T>;
    fn own(&self) -> Tan<T> {
        self.clone()
    }
}

/// A float or a matrix of the plain sweep, and its dual counterpart.
pub trait Pair: Tensor {
    type P: Tensor;
    /// The value with its tangent.
    fn pair(v: &Self, d: &Self) -> Self::P;
    /// A constant (zero tangent).
    fn lift(v: &Self) -> Self::P;
    /// `v += p.value; d += p.tangent`.
    fn unpair_add(p: &Self::P, v: &mut Self, d: &mut Self);
    /// The plain value of a dual one (what user code sees).
    fn primal(p: &Self::P) -> &Self;
}

macro_rules! pair_float {
    ($($f:ident),*) => {$(
        impl Pair for $f {
            type P = Dual<$f>;
            fn pair(v: &$f, d: &$f) -> Dual<$f> { Dual::<$f>::new(*v, *d) }
            fn lift(v: &$f) -> Dual<$f> { Dual::<$f>::cst(*v) }
            fn unpair_add(p: &Dual<$f>, v: &mut $f, d: &mut $f) { *v += p.re; *d += p.eps; }
            fn primal(p: &Dual<$f>) -> &$f { &p.re }
        }
    )*};
}
pair_float!(f32, f64);

impl<F: nalgebra::RealField + HasDual, R: Dim, C: Dim> Pair for OMatrix<F, R, C>
where
    DefaultAllocator: Allocator<R, C>,
{
    type P = Tan<OMatrix<F, R, C>>;
    fn pair(v: &Self, d: &Self) -> Self::P {
        Tan { v: v.clone(), d: d.clone() }
    }
    fn lift(v: &Self) -> Self::P {
        Tan { v: v.clone(), d: v.zeros_like() }
    }
    fn unpair_add(p: &Self::P, v: &mut Self, d: &mut Self) {
        Tensor::add_to(&p.v, v);
        Tensor::add_to(&p.d, d);
    }
    fn primal(p: &Self::P) -> &Self {
        &p.v
    }
}

/// A parameter's place and its tangent, read as one dual value.
pub fn pair<A: Val + ?Sized, B: Val<T = A::T> + ?Sized>(v: &A, d: &B) -> <A::T as Pair>::P
where
    A::T: Pair,
{
    <A::T as Pair>::pair(v.val(), d.val())
}

/// Data in the dual sweep: a constant.
pub fn lift<A: Val + ?Sized>(v: &A) -> <A::T as Pair>::P
where
    A::T: Pair,
{
    <A::T as Pair>::lift(v.val())
}

pub fn unpair_add<T: Pair>(p: &T::P, v: &mut T, d: &mut T) {
    T::unpair_add(p, v, d)
}

/// A dual value's two parts: what user code sees (its value), and what a
/// called function's dual copy takes (value, tangent, and their adjoints).
pub trait Primal {
    type P;
    fn primal(&self) -> &Self::P;
    fn tangent(&self) -> &Self::P;
    fn split(&mut self) -> (&mut Self::P, &mut Self::P);
}
impl<T> Primal for Tan<T> {
    type P = T;
    fn primal(&self) -> &T {
        &self.v
    }
    fn tangent(&self) -> &T {
        &self.d
    }
    fn split(&mut self) -> (&mut T, &mut T) {
        (&mut self.v, &mut self.d)
    }
}
impl<F> Primal for Dual<F> {
    type P = F;
    fn primal(&self) -> &F {
        &self.re
    }
    fn tangent(&self) -> &F {
        &self.eps
    }
    fn split(&mut self) -> (&mut F, &mut F) {
        (&mut self.re, &mut self.eps)
    }
}
pub fn primal<P: Primal>(p: &P) -> &P::P {
    p.primal()
}
pub fn tangent<P: Primal>(p: &P) -> &P::P {
    p.tangent()
}
pub fn split<P: Primal>(p: &mut P) -> (&mut P::P, &mut P::P) {
    p.split()
}

// ---------------------------------------------------------------- floats as dual tensors

/// The plain product (`MulRule::fwd`; other rule traits have an `fwd` too).
fn mf<A: MulRule<B>, B>(a: &A, b: &B) -> A::Out {
    a.fwd(b)
}
/// The plain product's adjoint.
fn mr<A: MulRule<B>, B>(a: &A, b: &B, zb: &A::Out, ab: Option<&mut A>, bb: Option<&mut B>) {
    a.rev(b, zb, ab, bb)
}

macro_rules! dual_scalar {
    ($($f:ident),*) => {$(
        impl Tensor for Dual<$f> {
            type F = Dual<$f>;
            fn zeros_like(&self) -> Self { Dual::<$f>::ZERO }
            fn axpy_to(&self, a: Self, acc: &mut Self) { *acc += a * *self }
            fn scaled(&self, a: Self) -> Self { a * *self }
            fn inner(&self, o: &Self) -> Self { *self * *o }
            fn cmul_to(&self, o: &Self, acc: &mut Self) { *acc += *self * *o }
            fn elem_sum(&self) -> Self { *self }
            fn norm_sq(&self) -> Self { *self * *self }
            fn add_all(&mut self, s: Self) { *self += s }
            fn plus(&self, o: &Self) -> Self { *self + *o }
            fn minus(&self, o: &Self) -> Self { *self - *o }
            fn cmul(&self, o: &Self) -> Self { *self * *o }
            fn cmul_assign(&mut self, o: &Self) { *self *= *o }
            fn cdiv(&self, o: &Self) -> Self { *self / *o }
            fn count(&self) -> usize { 1 }
            fn map_pair(&self, f: impl Fn(Self) -> (Self, Self)) -> (Self, Self) { f(*self) }
            fn arg_extreme(&self, _: bool) -> usize { 0 }
            fn at(&self, _: usize) -> Self { *self }
            fn add_at(&mut self, _: usize, x: Self) { *self += x }
            fn set_at(&mut self, _: usize, x: Self) { *self = x }
        }
        impl Val for Dual<$f> {
            type T = Dual<$f>;
            fn val(&self) -> &Self { self }
        }
        impl Own for Dual<$f> {
            type O = Dual<$f>;
            fn own(&self) -> Self { *self }
        }
        impl super::AsScalar for Dual<$f> {
            fn get(&self) -> Self { *self }
        }
        impl MulRule<Dual<$f>> for Dual<$f> {
            type Out = Dual<$f>;
            fn fwd(&self, b: &Self) -> Self { *self * *b }
            fn rev(&self, b: &Self, zb: &Self, ab: Option<&mut Self>, bb: Option<&mut Self>) {
                if let Some(ab) = ab { *ab += *zb * *b; }
                if let Some(bb) = bb { *bb += *zb * *self; }
            }
            fn tan(&self, _: &Self, _: Option<&Self>, _: Option<&Self>) -> Option<Self> { unreachable!("no forward mode over duals") }
        }
        impl DivRule<Dual<$f>> for Dual<$f> {
            type Out = Dual<$f>;
            fn fwd(&self, b: &Self) -> Self { *self / *b }
            fn rev(&self, b: &Self, z: &Self, zb: &Self, ab: Option<&mut Self>, bb: Option<&mut Self>) {
                if let Some(ab) = ab { *ab += *zb / *b; }
                if let Some(bb) = bb { *bb -= *zb * *z / *b; }
            }
            fn tan(&self, _: &Self, _: &Self, _: Option<&Self>, _: Option<&Self>) -> Option<Self> { unreachable!("no forward mode over duals") }
        }
        /// A dual float times a dual matrix: bilinear in the plain rule.
        impl<B: Tensor<F = $f>> MulRule<Tan<B>> for Dual<$f>
        where $f: MulRule<B, Out = B>
        {
            type Out = Tan<B>;
            fn fwd(&self, b: &Tan<B>) -> Tan<B> {
                let mut d = mf(&self.re, &b.d);
                mf(&self.eps, &b.v).add_to(&mut d);
                Tan { v: mf(&self.re, &b.v), d }
            }
            fn rev(&self, b: &Tan<B>, zb: &Tan<B>, ab: Option<&mut Self>, bb: Option<&mut Tan<B>>) {
                if let Some(ab) = ab {
                    mr(&self.re, &b.v, &zb.v, Some(&mut ab.re), None);
                    mr(&self.re, &b.v, &zb.d, Some(&mut ab.eps), None);
                    mr(&self.re, &b.d, &zb.v, Some(&mut ab.eps), None);
                }
                if let Some(bb) = bb {
                    mr(&self.re, &b.v, &zb.v, None, Some(&mut bb.v));
                    mr(&self.re, &b.v, &zb.d, None, Some(&mut bb.d));
                    mr(&self.eps, &b.v, &zb.v, None, Some(&mut bb.d));
                }
            }
            fn tan(&self, _: &Tan<B>, _: Option<&Self>, _: Option<&Tan<B>>) -> Option<Tan<B>> { unreachable!("no forward mode over duals") }
        }
        /// A dual matrix times a dual float.
        impl<A: Tensor<F = $f>> MulRule<Dual<$f>> for Tan<A>
        where A: MulRule<$f, Out = A>
        {
            type Out = Tan<A>;
            fn fwd(&self, b: &Dual<$f>) -> Tan<A> {
                let mut d = mf(&self.d, &b.re);
                mf(&self.v, &b.eps).add_to(&mut d);
                Tan { v: mf(&self.v, &b.re), d }
            }
            fn rev(&self, b: &Dual<$f>, zb: &Tan<A>, ab: Option<&mut Tan<A>>, bb: Option<&mut Dual<$f>>) {
                if let Some(ab) = ab {
                    mr(&self.v, &b.re, &zb.v, Some(&mut ab.v), None);
                    mr(&self.v, &b.re, &zb.d, Some(&mut ab.d), None);
                    mr(&self.v, &b.eps, &zb.v, Some(&mut ab.d), None);
                }
                if let Some(bb) = bb {
                    mr(&self.v, &b.re, &zb.v, None, Some(&mut bb.re));
                    mr(&self.v, &b.re, &zb.d, None, Some(&mut bb.eps));
                    mr(&self.d, &b.re, &zb.v, None, Some(&mut bb.eps));
                }
            }
            fn tan(&self, _: &Dual<$f>, _: Option<&Tan<A>>, _: Option<&Dual<$f>>) -> Option<Tan<A>> { unreachable!("no forward mode over duals") }
        }
        /// A dual matrix divided by a dual float.
        impl<A: Tensor<F = $f> + DivRule<$f, Out = A>> DivRule<Dual<$f>> for Tan<A>
        where Tan<A>: Tensor<F = Dual<$f>>
        {
            type Out = Tan<A>;
            // The value divides as the plain rule does (the same bits as the
            // plain function); the tangent is (a' - (a/b)·b') / b.
            fn fwd(&self, b: &Dual<$f>) -> Tan<A> {
                let v = DivRule::fwd(&self.v, &b.re);
                let mut d = self.d.clone();
                v.axpy_to(-b.eps, &mut d);
                Tan { d: DivRule::fwd(&d, &b.re), v }
            }
            fn rev(&self, b: &Dual<$f>, z: &Tan<A>, zb: &Tan<A>, ab: Option<&mut Tan<A>>, bb: Option<&mut Dual<$f>>) {
                if let Some(ab) = ab { zb.axpy_to(Dual::<$f>::cst(1.0) / *b, ab); }
                if let Some(bb) = bb { *bb -= zb.inner(z) / *b; }
            }
            fn tan(&self, _: &Dual<$f>, _: &Tan<A>, _: Option<&Tan<A>>, _: Option<&Dual<$f>>) -> Option<Tan<A>> { unreachable!("no forward mode over duals") }
        }
    )*};
}
dual_scalar!(f32, f64);

/// Two dual matrices (a matrix product, an outer product): bilinear in the
/// plain rule.
impl<A: Tensor, B: Tensor> MulRule<Tan<B>> for Tan<A>
where
    A: MulRule<B>,
    A::F: HasDual,
    <A::Out as Tensor>::F: HasDual,
{
    type Out = Tan<A::Out>;
    fn fwd(&self, b: &Tan<B>) -> Tan<A::Out> {
        let mut d = mf(&self.d, &b.v);
        mf(&self.v, &b.d).add_to(&mut d);
        Tan { v: mf(&self.v, &b.v), d }
    }
    fn rev(&self, b: &Tan<B>, zb: &Tan<A::Out>, ab: Option<&mut Self>, bb: Option<&mut Tan<B>>) {
        if let Some(ab) = ab {
            mr(&self.v, &b.v, &zb.v, Some(&mut ab.v), None);
            mr(&self.v, &b.v, &zb.d, Some(&mut ab.d), None);
            mr(&self.v, &b.d, &zb.v, Some(&mut ab.d), None);
        }
        if let Some(bb) = bb {
            mr(&self.v, &b.v, &zb.v, None, Some(&mut bb.v));
            mr(&self.v, &b.v, &zb.d, None, Some(&mut bb.d));
            mr(&self.d, &b.v, &zb.v, None, Some(&mut bb.d));
        }
    }
    fn tan(&self, _: &Tan<B>, _: Option<&Self>, _: Option<&Tan<B>>) -> Option<Tan<A::Out>> {
        unreachable!("no forward mode over duals")
    }
}

impl<A: TransposeRule> TransposeRule for Tan<A>
where
    A::F: HasDual,
    <A::Out as Tensor>::F: HasDual<D = D<A>>,
{
    type Out = Tan<A::Out>;
    fn fwd(&self) -> Self::Out {
        Tan { v: self.v.fwd(), d: self.d.fwd() }
    }
    fn back(zb: &Self::Out) -> Self {
        Tan { v: A::back(&zb.v), d: A::back(&zb.d) }
    }
}

impl<A: SliceRule> SliceRule for Tan<A>
where
    A::F: HasDual,
    <A::Col as Tensor>::F: HasDual<D = D<A>>,
    <A::Row as Tensor>::F: HasDual<D = D<A>>,
{
    type Col = Tan<A::Col>;
    type Row = Tan<A::Row>;
    fn col(&self, j: usize) -> Self::Col {
        Tan { v: self.v.col(j), d: self.d.col(j) }
    }
    fn col_add(&mut self, j: usize, x: &Self::Col) {
        self.v.col_add(j, &x.v);
        self.d.col_add(j, &x.d);
    }
    fn row_(&self, i: usize) -> Self::Row {
        Tan { v: self.v.row_(i), d: self.d.row_(i) }
    }
    fn row_add(&mut self, i: usize, x: &Self::Row) {
        self.v.row_add(i, &x.v);
        self.d.row_add(i, &x.d);
    }
}

impl<A: super::Shaped> super::Shaped for Tan<A>
where
    A::F: HasDual,
{
    fn nrows_(&self) -> usize {
        self.v.nrows_()
    }
}
