//! What an optimizer minimises: value and gradient in one call; [`sharded`]
//! computes one over data on several threads.

use crate::error::GdError;
use crate::shard::Shards;

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

/// A full-batch objective over data, computed on several threads: the mean
/// of a per-sample loss over `n_samples` samples, for [`crate::Lbfgs`],
/// [`crate::Newton`], [`crate::NewtonCg`] or [`crate::Trainer::minimize`]
/// (through [`Objective::as_fn`]).
///
/// `f(x, samples, g)` returns the **mean** loss over the sample indices it
/// is given and overwrites `g` with its gradient, as a
/// [`crate::Trainer::fit_sharded`] loss does; it is called on `threads`
/// threads at once, each with one contiguous shard of `0..n_samples` and its
/// own gradient buffer (made at the first call, kept), and the shards are
/// combined weighted by length in shard order, so the value and gradient
/// are bitwise repeatable for a given thread count. One thread, or fewer
/// than `2 · min_shard` samples, is one call `f(x, 0..n_samples, g)`. The
/// generated gradients' matrix products in `f` use no more than the
/// `threads` (shared among the shards): one thread is serial throughout.
///
/// Errors: [`GdError::EmptyDataset`] for 0 samples,
/// [`GdError::BadHyperparameter`] for 0 threads.
///
/// ```
/// use gd_runtime::{objective, Lbfgs};
/// // Least squares y ≈ a·t + b over 1000 points, on 2 threads.
/// let ts: Vec<f64> = (0..1000).map(|i| i as f64 / 1000.0).collect();
/// let mut obj = objective::sharded(ts.len(), 2, |x: &[f64], samples: &[usize], g: &mut [f64]| {
///     let (mut l, mut ga, mut gb) = (0.0, 0.0, 0.0);
///     for &i in samples {
///         let r = x[0] * ts[i] + x[1] - (2.0 * ts[i] + 0.5);
///         l += 0.5 * r * r; ga += r * ts[i]; gb += r;
///     }
///     let m = samples.len() as f64;
///     g[0] = ga / m; g[1] = gb / m;
///     l / m
/// })?;
/// let r = Lbfgs::new().minimize(&mut obj, &[0.0, 0.0])?;
/// assert!((r.x[0] - 2.0).abs() < 1e-4 && (r.x[1] - 0.5).abs() < 1e-4, "{:?}", r.x);
/// # Ok::<(), gd_runtime::GdError>(())
/// ```
pub fn sharded<F>(n_samples: usize, threads: usize, f: F) -> Result<Sharded<F>, GdError>
where
    F: Fn(&[f64], &[usize], &mut [f64]) -> f64 + Sync,
{
    if n_samples == 0 {
        return Err(GdError::EmptyDataset);
    }
    let shards = Shards::new(threads, crate::shard::DEFAULT_MIN_SHARD)?;
    Ok(Sharded { f, samples: (0..n_samples).collect(), shards, dim: None })
}

/// The objective made by [`sharded`].
pub struct Sharded<F> {
    f: F,
    samples: Vec<usize>,
    shards: Shards<Vec<f64>>,
    dim: Option<usize>,
}

impl<F> Sharded<F> {
    /// Cut the samples into shards of at least `n` (default
    /// [`crate::shard::DEFAULT_MIN_SHARD`]); 0 is a
    /// [`GdError::BadHyperparameter`].
    pub fn min_shard(mut self, n: usize) -> Result<Self, GdError> {
        self.shards = Shards::new(self.shards.threads(), n)?;
        Ok(self)
    }
}

impl<F> Objective for Sharded<F>
where
    F: Fn(&[f64], &[usize], &mut [f64]) -> f64 + Sync,
{
    fn value_and_grad(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        if self.dim != Some(x.len()) {
            // The buffers are made at the parameters' length.
            self.shards.clear();
            self.dim = Some(x.len());
        }
        self.shards.eval(&self.f, x, &self.samples, g)
    }
}
