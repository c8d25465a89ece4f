//! What an optimizer minimises: value and gradient in one call.

/// An objective gives its value and its gradient in one call.
///
/// `g` is **overwritten** with the gradient at `x` (an implementation that
/// accumulates must zero it first); the return value is the objective at `x`.
/// Optimizers and the training loop never make two calls for what one gives.
///
/// Any closure `FnMut(&[f64], &mut [f64]) -> f64` is an objective:
///
/// ```
/// use gd_runtime::Objective;
/// let mut f = |x: &[f64], g: &mut [f64]| { g[0] = 2.0 * x[0]; x[0] * x[0] };
/// let mut g = [0.0];
/// assert_eq!(f.value_and_grad(&[3.0], &mut g), 9.0);
/// assert_eq!(g, [6.0]);
/// ```
pub trait Objective {
    /// Number of parameters, if the objective knows it (used to check
    /// lengths). Default: `None`.
    fn dim(&self) -> Option<usize> {
        None
    }

    /// Value at `x`; writes the gradient at `x` into `g` (same length as `x`).
    fn value_and_grad(&mut self, x: &[f64], g: &mut [f64]) -> f64;

    /// Borrow as a closure, for the functions that take one
    /// ([`crate::minimize`], [`crate::check_gradient`], …): they take
    /// `FnMut(&[f64], &mut [f64]) -> f64` so that closures need no type
    /// annotations.
    fn as_fn(&mut self) -> impl FnMut(&[f64], &mut [f64]) -> f64 + '_
    where
        Self: Sized,
    {
        move |x: &[f64], g: &mut [f64]| self.value_and_grad(x, g)
    }
}

impl<F> Objective for F
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    fn value_and_grad(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        self(x, g)
    }
}

/// An objective from a function that **adds** its gradient into `g`, as the
/// generated `f::value_and_grad_into` does: `g` is zeroed before each call,
/// so the optimizers see the gradient itself. (A generated
/// `f::value_and_grad_set` overwrites `g` and needs no wrapper.)
///
/// ```
/// use gd_runtime::{from_adding, Objective};
/// // Adds 2x into g, like a generated `value_and_grad_into`.
/// let mut f = from_adding(|x: &[f64], g: &mut [f64]| { g[0] += 2.0 * x[0]; x[0] * x[0] });
/// let mut g = [100.0];
/// assert_eq!(f.value_and_grad(&[3.0], &mut g), 9.0);
/// assert_eq!(g, [6.0]);
/// ```
pub fn from_adding<F>(mut f: F) -> impl FnMut(&[f64], &mut [f64]) -> f64
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    move |x: &[f64], g: &mut [f64]| {
        g.fill(0.0);
        f(x, g)
    }
}
