//! Box constraints `l ≤ x ≤ u`: checked once, then used for the projection
//! onto the box, the projected gradient and the largest feasible step.

use crate::error::{check, GdError};

/// A checked box: every bound is a number, `lower ≤ upper`, no lower bound is
/// +∞ and no upper bound is −∞ (each would leave no finite point). ±∞ on the
/// other side means that side is free.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Bounds {
    lower: Vec<f64>,
    upper: Vec<f64>,
}

impl Bounds {
    pub(crate) fn new(lower: &[f64], upper: &[f64]) -> Result<Self, GdError> {
        check::same_len("bounds: upper vs lower", lower.len(), upper.len())?;
        for (index, (&l, &u)) in lower.iter().zip(upper).enumerate() {
            let why = if l.is_nan() || u.is_nan() {
                "a bound is NaN"
            } else if l > u {
                "lower > upper"
            } else if l == f64::INFINITY {
                "the lower bound is +inf"
            } else if u == f64::NEG_INFINITY {
                "the upper bound is -inf"
            } else {
                continue;
            };
            return Err(GdError::BadBounds { index, lower: l, upper: u, why });
        }
        Ok(Bounds { lower: lower.to_vec(), upper: upper.to_vec() })
    }

    pub(crate) fn len(&self) -> usize {
        self.lower.len()
    }

    pub(crate) fn lower(&self, i: usize) -> f64 {
        self.lower[i]
    }

    pub(crate) fn upper(&self, i: usize) -> f64 {
        self.upper[i]
    }

    /// No finite bound at all: the problem is unconstrained.
    pub(crate) fn all_infinite(&self) -> bool {
        self.lower.iter().chain(&self.upper).all(|b| b.is_infinite())
    }

    /// Every variable bounded on both sides (L-BFGS-B's "boxed": its first
    /// trial step is then the Cauchy point itself, not a step of length 1).
    pub(crate) fn boxed(&self) -> bool {
        self.lower.iter().chain(&self.upper).all(|b| b.is_finite())
    }

    /// `l = u`: the variable never moves.
    pub(crate) fn fixed(&self, i: usize) -> bool {
        self.lower[i] == self.upper[i]
    }

    /// Clamp `x` into the box (checked bounds: `clamp` cannot panic).
    pub(crate) fn project(&self, x: &mut [f64]) {
        for ((xi, &l), &u) in x.iter_mut().zip(&self.lower).zip(&self.upper) {
            *xi = xi.clamp(l, u);
        }
    }

    /// `‖P(x − g) − x‖∞`, scipy's projected-gradient norm (its `pgtol` test).
    pub(crate) fn projected_grad_norm(&self, x: &[f64], g: &[f64]) -> f64 {
        let mut norm = 0.0f64;
        for i in 0..x.len() {
            let gi = if g[i] < 0.0 {
                g[i].max(x[i] - self.upper[i])
            } else {
                g[i].min(x[i] - self.lower[i])
            };
            norm = norm.max(gi.abs());
        }
        norm
    }

    /// The largest `α ≤ cap` with `x + α d` in the box.
    pub(crate) fn max_step(&self, x: &[f64], d: &[f64], cap: f64) -> f64 {
        let mut step = cap;
        for i in 0..x.len() {
            let room = if d[i] < 0.0 {
                self.lower[i] - x[i]
            } else if d[i] > 0.0 {
                self.upper[i] - x[i]
            } else {
                continue;
            };
            // room has d's sign when x is strictly inside on that side.
            let allowed = if room * d[i] <= 0.0 { 0.0 } else { room / d[i] };
            step = step.min(allowed);
        }
        step
    }
}
