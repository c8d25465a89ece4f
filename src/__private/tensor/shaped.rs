//! The rules that change shape or mix types: element access, matrix
//! products (`MulRule`, `DivRule`), transposes, rows and columns. Part of
//! `gd::__private::tensor` (see there for the calling conventions).

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim, OMatrix, OVector, Scalar, U1};

use super::elementwise::sum_opt;
use super::gemm;
use super::{Real, Tensor};


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

/// Whether a product of an r1×k and a k×c2 matrix (or its adjoints) may take
/// transposed views: nalgebra hands large dynamic operands to matrixmultiply,
/// which takes any strides (its rule: a dynamic dimension, all sizes > 5);
/// small or static ones take nalgebra's own loops, which want ordinary
/// storage (a transposed copy).
fn strided<R1: Dim, K: Dim, C2: Dim>(r1: usize, k: usize, c2: usize) -> bool {
    (R1::try_to_usize().is_none() || K::try_to_usize().is_none() || C2::try_to_usize().is_none()) && r1 > 5 && k > 5 && c2 > 5
}

/// Whether the product `a·b` goes to faer (see `gemm`): operands that
/// agree, a dynamic dimension (static ones are small matrices that nalgebra
/// unrolls), and every dimension large enough.
fn faer_product<F: Scalar, R1: Dim, K: Dim, K2: Dim, C2: Dim>(a: &OMatrix<F, R1, K>, b: &OMatrix<F, K2, C2>) -> bool
where
    DefaultAllocator: Allocator<R1, K> + Allocator<K2, C2>,
{
    let dynamic = R1::try_to_usize().is_none() || K::try_to_usize().is_none() || C2::try_to_usize().is_none();
    a.ncols() == b.nrows() && dynamic && gemm::faer_worth(a.nrows(), a.ncols(), b.ncols())
}

/// An owned matrix as a product operand, transposed or not.
fn op<F: Scalar, R: Dim, C: Dim>(m: &OMatrix<F, R, C>, transposed: bool) -> gemm::Operand<'_, F>
where
    DefaultAllocator: Allocator<R, C>,
{
    gemm::Operand { data: m.as_slice(), rows: m.nrows(), cols: m.ncols(), transposed }
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
        /// A matrix product: `Ā += C̄·Bᵀ`, `B̄ += Aᵀ·C̄`. Dynamic products
        /// of at least 8 in every dimension run through faer (see `gemm`),
        /// the rest through nalgebra.
        impl<R1: Dim, K: Dim, C2: Dim> MulRule<OMatrix<$f, K, C2>> for OMatrix<$f, R1, K>
        where
            DefaultAllocator: Allocator<R1, K> + Allocator<K, C2> + Allocator<R1, C2> + Allocator<C2, K>,
        {
            type Out = OMatrix<$f, R1, C2>;
            // nalgebra's operator: a shape mismatch panics with the primal's message.
            fn fwd(&self, b: &OMatrix<$f, K, C2>) -> Self::Out {
                if !faer_product(self, b) {
                    return self * b;
                }
                let mut c = OMatrix::zeros_generic(self.shape_generic().0, b.shape_generic().1);
                gemm::product(c.as_mut_slice(), self.nrows(), b.ncols(), false, op(self, false), op(b, false));
                c
            }
            fn rev(&self, b: &OMatrix<$f, K, C2>, zb: &Self::Out, ab: Option<&mut Self>, bb: Option<&mut OMatrix<$f, K, C2>>) {
                if faer_product(self, b) {
                    let (r1, k, c2) = (self.nrows(), self.ncols(), b.ncols());
                    if let Some(ab) = ab {
                        gemm::product(ab.as_mut_slice(), r1, k, true, op(zb, false), op(b, true));
                    }
                    if let Some(bb) = bb {
                        gemm::product(bb.as_mut_slice(), k, c2, true, op(self, true), op(zb, false));
                    }
                    return;
                }
                let big = strided::<R1, K, C2>(self.nrows(), self.ncols(), b.ncols());
                if let Some(ab) = ab {
                    if big { ab.gemm(1.0, zb, &tview(b), 1.0) } else { ab.gemm(1.0, zb, &b.transpose(), 1.0) }
                }
                if let Some(bb) = bb {
                    if big { bb.gemm(1.0, &tview(self), zb, 1.0) } else { bb.gemm_tr(1.0, self, zb, 1.0) }
                }
            }
            fn tan(&self, b: &OMatrix<$f, K, C2>, da: Option<&Self>, db: Option<&OMatrix<$f, K, C2>>) -> Option<Self::Out> {
                if faer_product(self, b) && (da.is_some() || db.is_some()) {
                    let (r1, c2) = (self.nrows(), b.ncols());
                    let mut c = OMatrix::zeros_generic(self.shape_generic().0, b.shape_generic().1);
                    if let Some(da) = da {
                        gemm::product(c.as_mut_slice(), r1, c2, false, op(da, false), op(b, false));
                    }
                    if let Some(db) = db {
                        gemm::product(c.as_mut_slice(), r1, c2, da.is_some(), op(self, false), op(db, false));
                    }
                    return Some(c);
                }
                let x = da.map(|d| d * b);
                let y = db.map(|d| self * d);
                sum_opt(x, y)
            }
            // A new adjoint is a product (nalgebra allocates it without a
            // zero fill), through transposed views when matrixmultiply runs.
            fn adj_a(&self, b: &OMatrix<$f, K, C2>, zb: &Self::Out) -> Self {
                if faer_product(self, b) {
                    let mut a = OMatrix::zeros_generic(self.shape_generic().0, self.shape_generic().1);
                    gemm::product(a.as_mut_slice(), self.nrows(), self.ncols(), false, op(zb, false), op(b, true));
                    return a;
                }
                if strided::<R1, K, C2>(self.nrows(), self.ncols(), b.ncols()) { zb * tview(b) } else { zb * b.transpose() }
            }
            fn adj_b(&self, b: &OMatrix<$f, K, C2>, zb: &Self::Out) -> OMatrix<$f, K, C2> {
                if faer_product(self, b) {
                    let mut g = OMatrix::zeros_generic(b.shape_generic().0, b.shape_generic().1);
                    gemm::product(g.as_mut_slice(), b.nrows(), b.ncols(), false, op(self, true), op(zb, false));
                    return g;
                }
                if strided::<R1, K, C2>(self.nrows(), self.ncols(), b.ncols()) { tview(self) * zb } else { self.tr_mul(zb) }
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

