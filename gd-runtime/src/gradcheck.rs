//! Gradient checking against central finite differences.
//!
//! Step for coordinate i: `h = ∛ε · max(1, |xᵢ|)` (ε the machine epsilon of
//! the point's type), which balances truncation (O(h²)) and rounding
//! (O(ε/h)) error for central differences. A coordinate passes when
//! `|analytic − numeric| ≤ atol + rtol · |numeric|` with
//! torch.autograd.gradcheck's defaults `atol = 1e-5`, `rtol = 1e-3`.
//!
//! [`check_gradient`] and [`gradcheck_fn`] take `f64` or `f32` points and
//! functions; the differences are taken in the function's precision and
//! compared in `f64`. In `f32` the central difference itself is only good to
//! about `1e-5 · |f|` (ε/h with h ≈ 5e-3), so use
//! [`GradCheckOptions::for_f32`] (what [`GradCheckOptions::default_for`]
//! and [`crate::assert_gradient!`] pick for `f32`).

use crate::error::{check, CoordError, GdError};
use crate::objective::Objective;
use crate::params::ParamScalar;

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

impl GradCheckOptions {
    /// Tolerances for an `f32` function: `atol = 1e-3`, `rtol = 1e-2` (the
    /// `f32` central difference carries an error of about `1e-5 · |f|`
    /// from rounding and `4e-6 · |f‴|` from truncation).
    pub fn for_f32() -> Self {
        GradCheckOptions { atol: 1e-3, rtol: 1e-2, ..GradCheckOptions::default() }
    }

    /// The defaults for points of type `T`: [`GradCheckOptions::default`]
    /// for `f64`, [`GradCheckOptions::for_f32`] for `f32`.
    pub fn default_for<T: ParamScalar>(_x: &[T]) -> Self {
        if T::EPSILON.to_f64() > f64::EPSILON {
            GradCheckOptions::for_f32()
        } else {
            GradCheckOptions::default()
        }
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
    step_at(x)
}

/// [`default_step`] in the precision of `x`.
fn step_at<T: ParamScalar>(x: T) -> T {
    T::from_f64(T::EPSILON.to_f64().cbrt()) * x.abs().max(T::ONE)
}

/// Central-difference gradient of a value-only function at `x`
/// (2·len(x) evaluations, step [`default_step`] in `x`'s precision).
/// Non-finite values propagate into the result.
pub fn gradcheck_fn<T: ParamScalar>(mut f: impl FnMut(&[T]) -> T, x: &[T]) -> Vec<T> {
    numeric_grad(&mut f, x, None)
}

fn numeric_grad<T: ParamScalar>(f: &mut dyn FnMut(&[T]) -> T, x: &[T], step: Option<f64>) -> Vec<T> {
    let mut xp = x.to_vec();
    let mut out = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let xi = x[i];
        let h = step.map_or_else(|| step_at(xi), T::from_f64);
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
///
/// `x` and `f` may be `f32` (the report is widened to `f64`); pass
/// [`GradCheckOptions::for_f32`] then.
///
/// ```
/// use gd_runtime::gradcheck::{check_gradient, GradCheckOptions};
/// let f = |x: &[f32], g: &mut [f32]| { g[0] = 3.0 * x[0] * x[0]; x[0] * x[0] * x[0] };
/// let r = check_gradient(f, &[1.5f32], GradCheckOptions::for_f32())?;
/// assert!((r.numeric[0] - 6.75).abs() < 1e-3);
/// # Ok::<(), gd_runtime::GdError>(())
/// ```
pub fn check_gradient<T, F>(mut f: F, x: &[T], opts: GradCheckOptions) -> Result<GradCheckReport, GdError>
where
    T: ParamScalar,
    F: FnMut(&[T], &mut [T]) -> T,
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

fn check_dyn<T: ParamScalar>(
    f: &mut dyn FnMut(&[T], &mut [T]) -> T,
    x: &[T],
    opts: GradCheckOptions,
) -> Result<GradCheckReport, GdError> {
    check::non_negative("GradCheckOptions.atol", opts.atol)?;
    check::non_negative("GradCheckOptions.rtol", opts.rtol)?;
    if let Some(h) = opts.step {
        check::positive("GradCheckOptions.step", h)?;
    }
    let n = x.len();
    let mut g = vec![T::ZERO; n];
    let value = f(x, &mut g).to_f64();
    let analytic: Vec<f64> = g.iter().map(|v| v.to_f64()).collect();
    let numeric: Vec<f64> =
        numeric_grad(&mut |y: &[T]| f(y, &mut g), x, opts.step).into_iter().map(T::to_f64).collect();

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

/// Assert that a gradient function `FnMut(&[F], &mut [F]) -> F` (`F` =
/// `f64` or `f32`; value returned, gradient written) matches central
/// differences at a point `x` (anything that slices as `[F]`: array, `Vec`,
/// slice); panics with the table of the worst coordinates otherwise.
/// Returns the [`GradCheckReport`]. Optional third argument:
/// [`GradCheckOptions`]; the default is [`GradCheckOptions::default_for`]
/// the point's type.
///
/// ```
/// use gd_runtime::assert_gradient;
/// let f = |x: &[f64], g: &mut [f64]| { g[0] = 2.0 * x[0] * x[1]; g[1] = x[0] * x[0]; x[0] * x[0] * x[1] };
/// assert_gradient!(f, [1.5, -2.0]);
/// // With options:
/// assert_gradient!(f, vec![0.5, 3.0], gd_runtime::gradcheck::GradCheckOptions { atol: 1e-7, ..Default::default() });
/// // In f32 (looser default tolerances):
/// let f32_fn = |x: &[f32], g: &mut [f32]| { g[0] = x[0].cos(); x[0].sin() };
/// assert_gradient!(f32_fn, [0.7f32]);
/// ```
#[macro_export]
macro_rules! assert_gradient {
    ($f:expr, $x:expr $(,)?) => {
        $crate::assert_gradient!($f, $x, $crate::gradcheck::GradCheckOptions::default_for(&$x[..]))
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
