//! A call's argument that the macro holds as a matrix or struct value (`&T`)
//! given to a callee whose parameter type it cannot see. `sq(p.bias)` or
//! `sq(p.w[i] * x[i])` with `fn sq(v: f64)`: the field might as well be a
//! matrix, so the caller passes `&T`, and rustc picks the conversion from the
//! callee's parameter type: a reference stays one (`&&T` is read through),
//! a float is copied, and in the dual copy a float parameter gets a dual
//! number built from the value and its tangent, and lends a scratch dual as
//! its gradient slot, added back after the call (`DualSlot`).

use super::super::Dual;
use std::ops::AddAssign;

/// The callee's parameter `Self` from the caller's `&T`.
pub trait FromArg<'a, T: ?Sized> {
    fn from_arg(v: &'a T) -> Self;
}
impl<'a, T: ?Sized> FromArg<'a, T> for &'a T {
    #[inline(always)]
    fn from_arg(v: &'a T) -> Self {
        v
    }
}
impl<'a, 'b, T: ?Sized> FromArg<'a, &'b T> for &'b T {
    #[inline(always)]
    fn from_arg(v: &'a &'b T) -> Self {
        v
    }
}

/// In the dual copy: the callee's parameter from the caller's value and its
/// tangent `U` (a float the callee differentiates becomes a dual number; a
/// reference keeps its tangent in the callee's trailing slot).
pub trait FromDualArg<'a, T: ?Sized, U: ?Sized> {
    fn from_dual_arg(v: &'a T, tan: Option<&'a U>) -> Self;
}
impl<'a, T: ?Sized, U: ?Sized> FromDualArg<'a, T, U> for &'a T {
    #[inline(always)]
    fn from_dual_arg(v: &'a T, _: Option<&'a U>) -> Self {
        v
    }
}
impl<'a, 'b, T: ?Sized, U: ?Sized> FromDualArg<'a, &'b T, U> for &'b T {
    #[inline(always)]
    fn from_dual_arg(v: &'a &'b T, _: Option<&'a U>) -> Self {
        v
    }
}

/// A tangent read as a float: its own value, or zero for none (`()`).
pub trait FloatTangent<F> {
    fn get(&self) -> F;
}
impl<F: Copy> FloatTangent<F> for F {
    #[inline(always)]
    fn get(&self) -> F {
        *self
    }
}

macro_rules! float_args {
    ($($f:ident),*) => {$(
        impl<'a> FromArg<'a, $f> for $f {
            #[inline(always)]
            fn from_arg(v: &'a $f) -> Self {
                *v
            }
        }
        /// A float parameter the callee does not differentiate.
        impl<'a, U: ?Sized> FromDualArg<'a, $f, U> for $f {
            #[inline(always)]
            fn from_dual_arg(v: &'a $f, _: Option<&'a U>) -> Self {
                *v
            }
        }
        impl<'a, U: FloatTangent<$f> + ?Sized> FromDualArg<'a, $f, U> for Dual<$f> {
            #[inline(always)]
            fn from_dual_arg(v: &'a $f, tan: Option<&'a U>) -> Self {
                Dual { re: *v, eps: tan.map_or(0.0, |t| t.get()) }
            }
        }
        impl FloatTangent<$f> for () {
            #[inline(always)]
            fn get(&self) -> $f {
                0.0
            }
        }
    )*};
}
float_args!(f32, f64);

#[inline(always)]
pub fn arg<'a, T: ?Sized, P: FromArg<'a, T>>(v: &'a T) -> P {
    P::from_arg(v)
}

/// A forward-mode tangent slot: `Option<&T>` as the callee's `Option<P>`.
#[inline(always)]
pub fn tan_arg<'a, T: ?Sized, P: FromArg<'a, T>>(v: Option<&'a T>) -> Option<P> {
    v.map(P::from_arg)
}

#[inline(always)]
pub fn dual_arg<'a, T: ?Sized, U: ?Sized, P: FromDualArg<'a, T, U>>(v: &'a T, tan: Option<&'a U>) -> P {
    P::from_dual_arg(v, tan)
}

/// In the dual copy: a matrix or struct argument's gradient slot (its
/// adjoint and that adjoint's tangent), lent to the callee as it takes it.
/// `F` is the function's float type.
pub struct DualSlot<'a, T: ?Sized, F> {
    target: Option<(&'a mut T, &'a mut T)>,
    /// Moved here from `target` when it is a float lent as a dual number.
    float: Option<(&'a mut F, &'a mut F)>,
    scratch: Dual<F>,
}

impl<'a, T: ?Sized, F: Default + Copy + AddAssign> DualSlot<'a, T, F> {
    #[inline(always)]
    pub fn new(target: Option<(&'a mut T, &'a mut T)>) -> Self {
        DualSlot { target, float: None, scratch: Dual { re: F::default(), eps: F::default() } }
    }
    /// The slot as the callee's parameter type `S`.
    #[inline(always)]
    pub fn lend<'s, S: LendDual<'s, 'a, T, F>>(&'s mut self) -> S {
        S::lend(self)
    }
    /// After the call: a float's dual scratch added into its adjoint and
    /// that adjoint's tangent.
    #[inline(always)]
    pub fn settle(self) {
        if let Some((b, bt)) = self.float {
            *b += self.scratch.re;
            *bt += self.scratch.eps;
        }
    }
}

pub trait LendDual<'s, 'a: 's, T: ?Sized, F> {
    fn lend(slot: &'s mut DualSlot<'a, T, F>) -> Self;
}
/// A matrix or struct slot, as it is.
impl<'s, 'a: 's, T: ?Sized, F> LendDual<'s, 'a, T, F> for Option<(&'s mut T, &'s mut T)> {
    #[inline(always)]
    fn lend(slot: &'s mut DualSlot<'a, T, F>) -> Self {
        slot.target.as_mut().map(|(b, bt)| (&mut **b, &mut **bt))
    }
}
/// A float slot, as a dual number added back by `settle`.
impl<'s, 'a: 's, F> LendDual<'s, 'a, F, F> for Option<&'s mut Dual<F>> {
    #[inline(always)]
    fn lend(slot: &'s mut DualSlot<'a, F, F>) -> Self {
        slot.float = Some(slot.target.take()?);
        Some(&mut slot.scratch)
    }
}
