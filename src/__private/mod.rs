//! Support for the code `#[differentiable]` generates. Not a public API.

mod arg_extreme;
mod checkpoint;
pub use checkpoint::{Act, Revolve};
#[macro_use]
mod dual_rules;
mod dual;
mod dual_lanes;
mod outputs;
mod select;
/// Masks for loops run in chunks (`plan::chunk`): plain bits that vectorize.
pub mod lanes;
/// The crate's own kernels for float methods (`tanh` in f32).
pub mod math;
pub use math::Tanh;
mod room;
pub use room::Room;
mod zeros;
pub use zeros::{zeros, ZeroBits};
mod stack;
pub use stack::{give_stack, take_stack, Inline, Pooled, Stack};
pub use select::{cmp_eq, cmp_ge, cmp_gt, cmp_le, cmp_lt, cmp_ne, select, BitSelect, Cond, Mask};
mod masked_rules;
pub use masked_rules::{abs_adj, max_adj0, max_adj1, min_adj0, min_adj1};
mod dual_arg;
pub use dual_arg::DualArg;
pub use outputs::{flat_into, Outputs};
pub use arg_extreme::{arg_max_by, arg_min_by, primal_values};
pub use dual::{one_lane, Dual};
pub use dual_lanes::{DualN, Lanes, LANES};
pub mod tensor;
pub use nalgebra;

/// The slot type of a parameter that a function does not differentiate:
/// only `None` fits. A caller that passes a differentiated value there (its
/// adjoint slot `Some(&mut ..)`) gets this trait's message, not a type
/// mismatch.
#[diagnostic::on_unimplemented(
    message = "a differentiated value is passed to a parameter that the called `#[differentiable]` function does not differentiate",
    label = "the callee's parameter is not in its `wrt(..)`",
    note = "add that parameter to the callee's `#[differentiable(wrt(..))]`, or pass `gd::stop_gradient(..)` of the value if it is meant as a constant"
)]
pub trait NotDifferentiated {}
impl NotDifferentiated for Option<()> {}

/// Values a caller keeps alive for its whole `__gd_vjp`: a matrix it computed
/// and passes to a callee that runs once (`__gd_split`) is copied here, so
/// that the callee's reverse sweep, kept as a closure until the caller's
/// reverse sweep, borrows the copy and not the caller's variable (which the
/// caller may change first, e.g. `h` reassigned each trip). Append-only:
/// each value is boxed and never moved or dropped before the `Keep`, so the
/// references `keep` hands out stay valid for its lifetime.
#[derive(Default)]
pub struct Keep {
    items: std::cell::UnsafeCell<Vec<Box<dyn std::any::Any>>>,
}

impl Keep {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn keep<T: 'static>(&self, x: T) -> &T {
        let b = Box::new(x);
        let r: *const T = &*b;
        // SAFETY: the box's contents do not move when the vector grows, and
        // nothing is removed before `self` is dropped; no reference into the
        // vector itself is handed out, and `Keep` is not `Sync`.
        unsafe {
            (*self.items.get()).push(b);
            &*r
        }
    }
}

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

/// Runs `f` out of line, marked cold: the rare branch of a loop (a
/// selection fold's save, `emit::select`). Inline, its pushes (which may
/// call the allocator) make the compiler keep the loop's floats on the
/// stack on every trip; a cold call moves those saves into the branch.
#[cold]
#[inline(never)]
pub fn cold<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Zeroes `g[..lo]` and `g[hi..]`: the elements a `value_and_grad_set`
/// loop did not assign. Cold and out of line: usually both are empty, and
/// a memset call in the sweep would make it save registers on every call.
#[cold]
#[inline(never)]
pub fn zero_ends<T: Copy + Default>(g: &mut [T], lo: usize, hi: usize) {
    g[..lo].fill(T::default());
    if hi < g.len() {
        g[hi..].fill(T::default());
    }
}

/// `w[j]` on a window or chunk of `len` elements: `j`, after the bounds
/// check that indexing the slice does (the generated load reads the whole
/// array, where an index past the window would not panic).
#[inline(always)]
pub fn view_index<T: ToUsize>(j: T, len: usize) -> usize {
    let j = j.to_usize();
    if j >= len {
        panic!("index out of bounds: the len is {len} but the index is {j}");
    }
    j
}

/// The slice a window or chunk binds (`for w in x.windows(2)`: `w`), for
/// what user code does with it (`w.len()`); its elements are read through
/// the view. `get`, which cannot panic (the run is in bounds by
/// construction; a binding nothing reads costs nothing). A call of gd's own
/// so that the planner knows it for pure and leaves `xs` unchanged
/// (`plan::user_code::pure`): the chunk pass then views `xs` in the loop.
#[inline(always)]
pub fn slice_view<T>(xs: &[T], start: usize, len: usize) -> &[T] {
    xs.get(start..).and_then(|s| s.get(..len)).unwrap_or(&[])
}

/// How many windows `xs.windows(size)` yields over `len` elements. Inlined
/// (it is not generic, so it would not be across crates) so that the loop
/// over the windows sees its trip count as `len + 1 - size` and drops the
/// bounds checks of the windows' reads (`x[k + 1]`) and of the gradient's writes.
#[inline(always)]
pub fn windows_count(len: usize, size: usize) -> usize {
    assert!(size != 0, "window size must be non-zero");
    (len + 1).saturating_sub(size)
}

/// How many chunks `xs.chunks(size)` (`exact`: `chunks_exact`) yields.
/// Inlined, as `windows_count`.
#[inline(always)]
pub fn chunks_count(len: usize, size: usize, exact: bool) -> usize {
    assert!(size != 0, "chunk size must be non-zero");
    if exact {
        len / size
    } else {
        len.div_ceil(size)
    }
}

/// Values given in `check(xs = ..)` for an array parameter, flattened.
pub trait FlatValues {
    fn flat_values(&self) -> Vec<f64>;
}
impl<const N: usize> FlatValues for [f64; N] {
    fn flat_values(&self) -> Vec<f64> {
        self.to_vec()
    }
}
impl FlatValues for [f64] {
    fn flat_values(&self) -> Vec<f64> {
        self.to_vec()
    }
}
impl FlatValues for Vec<f64> {
    fn flat_values(&self) -> Vec<f64> {
        self.clone()
    }
}
impl<T: FlatValues + ?Sized> FlatValues for &T {
    fn flat_values(&self) -> Vec<f64> {
        (**self).flat_values()
    }
}

pub fn flat_values<T: FlatValues + ?Sized>(x: &T) -> Vec<f64> {
    x.flat_values()
}

pub fn flat_len<T: FlatValues + ?Sized>(x: &T) -> usize {
    x.flat_values().len()
}

/// Splits a gradient buffer into consecutive parts of the given sizes.
pub fn split_parts<'a>(mut g: &'a mut [f64], sizes: &[usize]) -> Vec<&'a mut [f64]> {
    let mut out = Vec::with_capacity(sizes.len());
    for &n in sizes {
        let (head, tail) = std::mem::take(&mut g).split_at_mut(n);
        out.push(head);
        g = tail;
    }
    out
}

/// The primal part of a scalar: itself for `f32`/`f64`, `.re` for a dual.
pub trait Re<F> {
    fn re(self) -> F;
}
macro_rules! re_impl {
    ($($f:ty),*) => {$(
        impl Re<$f> for $f {
            #[inline(always)]
            fn re(self) -> $f { self }
        }
        impl Re<$f> for Dual<$f> {
            #[inline(always)]
            fn re(self) -> $f { self.re }
        }
    )*};
}
re_impl!(f32, f64);

#[inline(always)]
pub fn re<F, T: Re<F>>(x: T) -> F {
    x.re()
}
