//! A full-batch objective over data held across ranks, for the solvers that
//! take an [`Objective`] ([`crate::Lbfgs`], [`crate::NewtonCg`] through its
//! gradient, [`crate::Trainer::minimize`]): each evaluation sums the ranks'
//! blocks in one all-reduce, so every rank's solver sees the same value and
//! gradient and takes the same steps and line-search trials — the same
//! collective calls in the same order, as MPI requires.

use crate::error::GdError;
use crate::objective::Objective;

use super::reduce::Reducer;
use super::{same_on_all, Collective};

/// The mean of a per-sample loss over `n_samples` samples spread over the
/// ranks of `comm` by [`super::shard_range`]: `f(x, samples, g)` returns the
/// mean loss over `samples` (indices into this rank's block) and overwrites
/// `g` with its gradient, as a [`crate::Trainer::fit_distributed`] loss does.
/// A collective: every rank builds it and makes the same evaluations.
///
/// A rank's failure (a panic in `f`, a non-finite loss or gradient in its
/// block) makes every rank's evaluation return NaN, which the solvers stop
/// on; [`DistObjective::result`] then gives the [`GdError::RankFailed`]
/// that names the rank in place of the solver's own error.
///
/// Errors: [`GdError::EmptyDataset`] for 0 samples,
/// [`GdError::RankMismatch`] when the ranks disagree on `n_samples`.
///
/// ```
/// use gd_runtime::{dist, Lbfgs};
/// // One process (`dist::Single`); with `Mpi::init()?` each rank passes
/// // its block's samples the same way.
/// let ts: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
/// let mut obj = dist::objective(&dist::Single, ts.len(), |x: &[f64], s: &[usize], g: &mut [f64]| {
///     let (mut l, mut ga, mut gb) = (0.0, 0.0, 0.0);
///     for &i in s {
///         let r = x[0] * ts[i] + x[1] - (2.0 * ts[i] + 0.5);
///         l += 0.5 * r * r; ga += r * ts[i]; gb += r;
///     }
///     let m = s.len() as f64;
///     g[0] = ga / m; g[1] = gb / m;
///     l / m
/// })?;
/// let r = Lbfgs::new().minimize(&mut obj, &[0.0, 0.0]);
/// let r = obj.result(r)?;
/// assert!((r.x[0] - 2.0).abs() < 1e-4 && (r.x[1] - 0.5).abs() < 1e-4, "{:?}", r.x);
/// # Ok::<(), gd_runtime::GdError>(())
/// ```
pub fn objective<C, F>(comm: &C, n_samples: usize, f: F) -> Result<DistObjective<'_, C, F>, GdError>
where
    C: Collective + ?Sized,
    F: FnMut(&[f64], &[usize], &mut [f64]) -> f64,
{
    same_on_all(comm, &[("n_samples", n_samples as f64)])?;
    if n_samples == 0 {
        return Err(GdError::EmptyDataset);
    }
    Ok(DistObjective { reducer: Reducer::new(comm, n_samples), all: (0..n_samples).collect(), f, comm, dim: None, failure: None })
}

/// The objective made by [`objective`].
pub struct DistObjective<'c, C: ?Sized, F> {
    reducer: Reducer<'c, C>,
    comm: &'c C,
    all: Vec<usize>,
    f: F,
    dim: Option<usize>,
    failure: Option<GdError>,
}

impl<C: Collective + ?Sized, F> DistObjective<'_, C, F> {
    /// The failure that stopped the evaluations, if one did.
    pub fn failure(&self) -> Option<&GdError> {
        self.failure.as_ref()
    }

    /// A solver's result with the ranks' failure in place of the error the
    /// solver made of the NaNs it was given (the failure names the rank
    /// and the cause; the solver's error only that the objective was NaN).
    pub fn result<T>(&self, r: Result<T, GdError>) -> Result<T, GdError> {
        match &self.failure {
            Some(e) => Err(e.clone()),
            None => r,
        }
    }
}

impl<C, F> Objective for DistObjective<'_, C, F>
where
    C: Collective + ?Sized,
    F: FnMut(&[f64], &[usize], &mut [f64]) -> f64,
{
    fn value_and_grad(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
        // After a failure every rank knows it, so every rank stops making
        // collective calls at the same evaluation.
        if self.failure.is_none() && self.dim != Some(x.len()) {
            match same_on_all(self.comm, &[("parameter count", x.len() as f64)]) {
                Ok(()) => self.dim = Some(x.len()),
                Err(e) => self.failure = Some(e),
            }
        }
        if self.failure.is_some() {
            g.fill(f64::NAN);
            return f64::NAN;
        }
        match self.reducer.eval(&mut self.f, x, &self.all, g, None) {
            Ok(v) => v,
            Err(e) => {
                self.failure = Some(e);
                g.fill(f64::NAN);
                f64::NAN
            }
        }
    }
}

/// Hessian–vector products of the same full-batch mean, for
/// [`crate::NewtonCg`]: `f(x, v, samples, out)` writes the mean over
/// `samples` (indices into this rank's block) of `∇²f(x)·v` into `out`;
/// the ranks' blocks are summed weighted by length, as [`objective`] does.
/// A rank's failure makes every rank's product NaN (the solver stops) and
/// is kept for [`DistHvp::result`]. A collective: every rank makes the same
/// products, which the solver does, being given the same values.
///
/// Errors: [`GdError::EmptyDataset`], [`GdError::RankMismatch`] as
/// [`objective`].
pub fn hvp<C, F>(comm: &C, n_samples: usize, f: F) -> Result<DistHvp<'_, C, F>, GdError>
where
    C: Collective + ?Sized,
    F: FnMut(&[f64], &[f64], &[usize], &mut [f64]),
{
    same_on_all(comm, &[("n_samples", n_samples as f64)])?;
    if n_samples == 0 {
        return Err(GdError::EmptyDataset);
    }
    Ok(DistHvp { reducer: Reducer::new(comm, n_samples), all: (0..n_samples).collect(), f, failure: None })
}

/// The products made by [`hvp`].
pub struct DistHvp<'c, C: ?Sized, F> {
    reducer: Reducer<'c, C>,
    all: Vec<usize>,
    f: F,
    failure: Option<GdError>,
}

impl<C, F> DistHvp<'_, C, F>
where
    C: Collective + ?Sized,
    F: FnMut(&[f64], &[f64], &[usize], &mut [f64]),
{
    /// `out ← ∇²f(x)·v` over all ranks' samples. For
    /// [`crate::NewtonCg::minimize`] pass `|x, v, out| hvp.apply(x, v, out)`.
    pub fn apply(&mut self, x: &[f64], v: &[f64], out: &mut [f64]) {
        if self.failure.is_none() {
            let f = &mut self.f;
            // The product rides in the gradient's place of a step's buffer.
            let mut each = |x: &[f64], s: &[usize], out: &mut [f64]| {
                f(x, v, s, out);
                0.0
            };
            match self.reducer.eval(&mut each, x, &self.all, out, None) {
                Ok(_) => return,
                Err(e) => self.failure = Some(e),
            }
        }
        out.fill(f64::NAN);
    }

    /// A solver's result with the ranks' failure in its place, as
    /// [`DistObjective::result`].
    pub fn result<T>(&self, r: Result<T, GdError>) -> Result<T, GdError> {
        match &self.failure {
            Some(e) => Err(e.clone()),
            None => r,
        }
    }
}
