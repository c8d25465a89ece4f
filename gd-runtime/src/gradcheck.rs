//! Gradient checking against central finite differences.
//!
//! Step for coordinate i: `h = ∛ε · max(1, |xᵢ|)` (ε = `f64::EPSILON`), which
//! balances truncation (O(h²)) and rounding (O(ε/h)) error for central
//! differences. A coordinate passes when
//! `|analytic − numeric| ≤ atol + rtol · |numeric|` with
//! torch.autograd.gradcheck's defaults `atol = 1e-5`, `rtol = 1e-3`.

use crate::error::{check, CoordError, GdError};
use crate::objective::Objective;

/// Options of [`check_gradient`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradCheckOptions {
    /// Absolute tolerance. Default `1e-5` (torch).
    pub atol: f64,
    /// Relative tolerance. Default `1e-3` (torch).
    pub rtol: f64,
    /// Fixed step; `None` (default) uses `∛ε · max(1, |xᵢ|)`.
    pub step: Option<f64>,
    /// How many of the worst coordinates the report and the error keep. Default `5`.
    pub worst: usize,
}

impl Default for GradCheckOptions {
    fn default() -> Self {
        GradCheckOptions { atol: 1e-5, rtol: 1e-3, step: None, worst: 5 }
    }
}

/// Result of a passing [`check_gradient`].
#[derive(Debug, Clone, PartialEq)]
pub struct GradCheckReport {
    /// Objective value at the point.
    pub value: f64,
    /// The analytic gradient.
    pub analytic: Vec<f64>,
    /// The central-difference gradient.
    pub numeric: Vec<f64>,
    /// Largest `|analytic − numeric|`.
    pub max_abs_err: f64,
    /// Largest relative error `|analytic − numeric| / |numeric|`.
    pub max_rel_err: f64,
    /// Worst coordinates (by error over tolerance), worst first.
    pub worst: Vec<CoordError>,
}

/// The default central-difference step at `x`: `∛ε · max(1, |x|)`.
pub fn default_step(x: f64) -> f64 {
    f64::EPSILON.cbrt() * x.abs().max(1.0)
}

/// Central-difference gradient of a value-only function at `x`
/// (2·len(x) evaluations, step [`default_step`]). Non-finite values
/// propagate into the result.
pub fn gradcheck_fn(mut f: impl FnMut(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    numeric_grad(&mut f, x, None)
}

fn numeric_grad(f: &mut dyn FnMut(&[f64]) -> f64, x: &[f64], step: Option<f64>) -> Vec<f64> {
    let mut xp = x.to_vec();
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let xi = x[i];
        let h = step.unwrap_or_else(|| default_step(xi));
        xp[i] = xi + h;
        let fp = f(&xp);
        xp[i] = xi - h;
        let fm = f(&xp);
        xp[i] = xi;
        // Divide by the step actually taken (x ± h rounds).
        out.push((fp - fm) / ((xi + h) - (xi - h)));
    }
    out
}

/// Compare the gradient that `f` computes at `x` with central differences of
/// its value. Returns the report when every coordinate is within
/// `atol + rtol·|numeric|`, else [`GdError::GradientCheck`] listing the worst
/// coordinates; [`GdError::BadHyperparameter`] for negative tolerances or a
/// non-positive step. For an [`Objective`] type, see [`check_objective`].
pub fn check_gradient<F>(mut f: F, x: &[f64], opts: GradCheckOptions) -> Result<GradCheckReport, GdError>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    check_dyn(&mut f, x, opts)
}

/// [`check_gradient`] for an [`Objective`]; also returns
/// [`GdError::DimensionMismatch`] when `obj.dim()` disagrees with `x.len()`.
pub fn check_objective<O: Objective + ?Sized>(
    obj: &mut O,
    x: &[f64],
    opts: GradCheckOptions,
) -> Result<GradCheckReport, GdError> {
    if let Some(d) = obj.dim() {
        check::same_len("check_objective: point x (expected the objective's dim)", d, x.len())?;
    }
    check_dyn(&mut |y: &[f64], g: &mut [f64]| obj.value_and_grad(y, g), x, opts)
}

fn check_dyn(
    f: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    x: &[f64],
    opts: GradCheckOptions,
) -> Result<GradCheckReport, GdError> {
    check::non_negative("GradCheckOptions.atol", opts.atol)?;
    check::non_negative("GradCheckOptions.rtol", opts.rtol)?;
    if let Some(h) = opts.step {
        check::positive("GradCheckOptions.step", h)?;
    }
    let n = x.len();
    let mut analytic = vec![0.0; n];
    let value = f(x, &mut analytic);
    let mut scratch = vec![0.0; n];
    let numeric = numeric_grad(&mut |y: &[f64]| f(y, &mut scratch), x, opts.step);

    let mut coords: Vec<(f64, CoordError)> = Vec::with_capacity(n);
    let mut n_failed = 0;
    let (mut max_abs, mut max_rel) = (0.0f64, 0.0f64);
    for i in 0..n {
        let (a, num) = (analytic[i], numeric[i]);
        let abs_err = (a - num).abs();
        let rel_err = abs_err / num.abs().max(f64::MIN_POSITIVE);
        let tol = opts.atol + opts.rtol * num.abs();
        // Written so that NaN fails.
        let ok = abs_err <= tol;
        if !ok {
            n_failed += 1;
        }
        let badness = if abs_err.is_nan() { f64::INFINITY } else { abs_err / tol.max(f64::MIN_POSITIVE) };
        max_abs = if abs_err.is_nan() { f64::NAN } else { max_abs.max(abs_err) };
        max_rel = if rel_err.is_nan() { f64::NAN } else { max_rel.max(rel_err) };
        coords.push((badness, CoordError { index: i, analytic: a, numeric: num, abs_err, rel_err }));
    }
    coords.sort_by(|a, b| b.0.total_cmp(&a.0));
    let worst: Vec<CoordError> = coords.into_iter().take(opts.worst).map(|(_, c)| c).collect();
    if n_failed > 0 {
        return Err(GdError::GradientCheck { n_failed, dim: n, atol: opts.atol, rtol: opts.rtol, worst });
    }
    Ok(GradCheckReport { value, analytic, numeric, max_abs_err: max_abs, max_rel_err: max_rel, worst })
}

/// Assert that a gradient function `FnMut(&[f64], &mut [f64]) -> f64`
/// (value returned, gradient written) matches central differences at a
/// point `x` (anything that slices as `[f64]`: array, `Vec`, slice); panics
/// with the table of the worst coordinates otherwise. Returns the
/// [`GradCheckReport`]. Optional third argument: [`GradCheckOptions`].
///
/// ```
/// use gd_runtime::assert_gradient;
/// let f = |x: &[f64], g: &mut [f64]| { g[0] = 2.0 * x[0] * x[1]; g[1] = x[0] * x[0]; x[0] * x[0] * x[1] };
/// assert_gradient!(f, [1.5, -2.0]);
/// // With options:
/// assert_gradient!(f, vec![0.5, 3.0], gd_runtime::gradcheck::GradCheckOptions { atol: 1e-7, ..Default::default() });
/// ```
#[macro_export]
macro_rules! assert_gradient {
    ($f:expr, $x:expr $(,)?) => {
        $crate::assert_gradient!($f, $x, $crate::gradcheck::GradCheckOptions::default())
    };
    ($f:expr, $x:expr, $opts:expr $(,)?) => {
        match $crate::gradcheck::check_gradient($f, &$x[..], $opts) {
            ::core::result::Result::Ok(report) => report,
            ::core::result::Result::Err(err) => ::core::panic!(
                "assert_gradient!({}, {}) failed: {}",
                ::core::stringify!($f),
                ::core::stringify!($x),
                err
            ),
        }
    };
}
