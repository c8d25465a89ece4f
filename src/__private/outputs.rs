//! The outputs of a vector-valued `#[differentiable]` callee, flattened into
//! the caller's local array (`let (a, b) = polar(r, t);`,
//! `let v: Vec<f64> = f(..);`): the caller reads them as elements of that
//! array, whatever the callee's output type (a `Vec`, an array or a tuple).

/// A vector-valued function's output as a flat sequence of floats.
pub trait Outputs<F> {
    fn flat_into(self, out: &mut Vec<F>);
}

impl<F> Outputs<F> for Vec<F> {
    #[inline]
    fn flat_into(self, out: &mut Vec<F>) {
        out.extend(self);
    }
}

impl<F, const N: usize> Outputs<F> for [F; N] {
    #[inline]
    fn flat_into(self, out: &mut Vec<F>) {
        out.extend(self);
    }
}

macro_rules! tuples {
    ($($n:literal: $($x:ident)*;)*) => {$(
        impl<F> Outputs<F> for ($(tuples!(@f $x),)*) {
            #[inline]
            #[allow(non_snake_case)]
            fn flat_into(self, out: &mut Vec<F>) {
                let ($($x,)*) = self;
                $(out.push($x);)*
            }
        }
    )*};
    (@f $x:ident) => { F };
}
tuples! {
    1: a;
    2: a b;
    3: a b c;
    4: a b c d;
    5: a b c d e;
    6: a b c d e f;
    7: a b c d e f g;
    8: a b c d e f g h;
    9: a b c d e f g h i;
    10: a b c d e f g h i j;
    11: a b c d e f g h i j k;
    12: a b c d e f g h i j k l;
}

/// Appends a callee's output to the caller's local array.
#[inline]
pub fn flat_into<F, O: Outputs<F>>(o: O, out: &mut Vec<F>) {
    o.flat_into(out)
}
