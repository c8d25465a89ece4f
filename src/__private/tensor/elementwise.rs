//! The rules on one value type: sums, scalings, elementwise products,
//! reductions (`dot`, `norm`, `sum`, ..) and `map`. Part of
//! `gd::__private::tensor` (see there for the calling conventions).

use super::{count_f, one, zero, Real, Tensor};

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

pub(super) fn sum_opt<A: Tensor>(x: Option<A>, y: Option<A>) -> Option<A> {
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
/// [`map_jvp`] for a closure that captures nothing, which may run on
/// several threads (`maps.rs`).
pub fn map_jvp_threaded<A: Tensor>(a: &A, f: impl Fn(A::F) -> (A::F, A::F) + Sync) -> (A, A) {
    a.map_pair_threaded(&f)
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

