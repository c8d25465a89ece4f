//! Newton direction from a possibly indefinite Hessian: Cholesky of
//! `H + τ I` with `τ` increased until the factorisation succeeds
//! (Nocedal & Wright, Algorithm 3.3, "Cholesky with added multiple of the
//! identity").

use nalgebra::{DMatrix, DVector};

/// Most shifts tried before giving up on the Hessian.
const MAX_SHIFTS: usize = 80;

/// How the direction was obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Solved {
    /// `H` itself was positive definite (`τ = 0`).
    Exact,
    /// `H + τ I` with this `τ > 0`.
    Shifted(f64),
    /// No usable factorisation (non-finite entries, or no shift worked):
    /// the caller should use steepest descent.
    Failed,
}

/// Solve `(H + τ I) d = −g` for the smallest `τ` of the sequence
/// `0, β, 10β, 100β, …` (or starting at `−min Hᵢᵢ + β` when a diagonal entry
/// is not positive) whose Cholesky factorisation succeeds; `β = 1e-3 ·
/// max(1, max |Hᵢᵢ|)`. The lower triangle of `h` is read; `h` is consumed.
pub(crate) fn solve(h: DMatrix<f64>, g: &[f64], d: &mut [f64]) -> Solved {
    let n = g.len();
    if h.iter().any(|v| !v.is_finite()) {
        return Solved::Failed;
    }
    let min_diag = (0..n).map(|i| h[(i, i)]).fold(f64::INFINITY, f64::min);
    let max_diag = (0..n).map(|i| h[(i, i)].abs()).fold(0.0f64, f64::max);
    let beta = 1e-3 * max_diag.max(1.0);
    let rhs = DVector::from_iterator(n, g.iter().map(|v| -v));
    let mut tau = if min_diag > 0.0 { 0.0 } else { -min_diag + beta };
    for _ in 0..MAX_SHIFTS {
        let mut a = h.clone();
        if tau > 0.0 {
            for i in 0..n {
                a[(i, i)] += tau;
            }
        }
        if let Some(chol) = a.cholesky() {
            let sol = chol.solve(&rhs);
            if sol.iter().all(|v| v.is_finite()) {
                d.copy_from_slice(sol.as_slice());
                return if tau == 0.0 { Solved::Exact } else { Solved::Shifted(tau) };
            }
        }
        tau = if tau == 0.0 { beta } else { 10.0 * tau };
        if !tau.is_finite() {
            break;
        }
    }
    Solved::Failed
}
