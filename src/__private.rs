//! Support for the code `#[differentiable]` generates. Not a public API.

/// Reads a float from a value or a reference to one (iterator items are `&f64`).
pub trait ToFloat<F> {
    fn to_float(self) -> F;
}

macro_rules! to_float {
    ($($f:ty),*) => {$(
        impl ToFloat<$f> for $f {
            #[inline(always)]
            fn to_float(self) -> $f { self }
        }
        impl ToFloat<$f> for &$f {
            #[inline(always)]
            fn to_float(self) -> $f { *self }
        }
        impl ToFloat<$f> for &&$f {
            #[inline(always)]
            fn to_float(self) -> $f { **self }
        }
    )*};
}
to_float!(f32, f64);

#[inline(always)]
pub fn to_float<F, T: ToFloat<F>>(x: T) -> F {
    x.to_float()
}

/// Reads an index from a value or a reference to one.
pub trait ToUsize {
    fn to_usize(self) -> usize;
}
impl ToUsize for usize {
    #[inline(always)]
    fn to_usize(self) -> usize {
        self
    }
}
impl ToUsize for &usize {
    #[inline(always)]
    fn to_usize(self) -> usize {
        *self
    }
}

#[inline(always)]
pub fn to_usize<T: ToUsize>(x: T) -> usize {
    x.to_usize()
}
