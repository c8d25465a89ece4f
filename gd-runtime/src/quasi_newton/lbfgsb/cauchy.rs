//! The generalized Cauchy point (Byrd, Lu, Nocedal & Zhu 1995, §4,
//! Algorithm CP): the first local minimiser of the quadratic model
//! `m(x) = gᵀ(x − x_k) + ½ (x − x_k)ᵀ B (x − x_k)` along the projected
//! steepest-descent path `P(x_k − t g)`, found by walking the path's
//! breakpoints in order and updating the model's first and second
//! derivatives along each segment in O(k²) per breakpoint.

use super::bounds::Bounds;
use super::compact::Compact;
use crate::linesearch::dot;

/// Where a variable stands at the Cauchy point; the subspace step moves the
/// free ones ([`Status::is_free`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    /// No finite bound.
    Unbounded,
    /// Bounded, strictly inside the box or leaving a bound.
    Free,
    /// Bounded, gradient exactly 0: not on the path, still free.
    Stalled,
    /// At its lower bound.
    AtLower,
    /// At its upper bound.
    AtUpper,
    /// `l = u`.
    Fixed,
}

impl Status {
    pub(super) fn is_free(self) -> bool {
        matches!(self, Status::Unbounded | Status::Free | Status::Stalled)
    }
}

/// Status of variable i at `x` before the path is walked: at a bound when
/// the steepest-descent direction points out of the box there.
fn classify(bounds: &Bounds, i: usize, x: f64, neg_g: f64) -> Status {
    let (l, u) = (bounds.lower(i), bounds.upper(i));
    if bounds.fixed(i) {
        Status::Fixed
    } else if l.is_infinite() && u.is_infinite() {
        Status::Unbounded
    } else if x - l <= 0.0 {
        if neg_g <= 0.0 { Status::AtLower } else { Status::Free }
    } else if u - x <= 0.0 {
        if neg_g >= 0.0 { Status::AtUpper } else { Status::Free }
    } else if neg_g == 0.0 {
        Status::Stalled
    } else {
        Status::Free
    }
}

/// Writes the Cauchy point into `xcp`, each variable's status into
/// `status`, and `c = Wᵀ(xcp − x)` (2k) into `c`, which the subspace step
/// needs.
pub(super) fn cauchy_point(
    x: &[f64],
    g: &[f64],
    bounds: &Bounds,
    mem: &Compact,
    status: &mut [Status],
    xcp: &mut [f64],
    c: &mut [f64],
) {
    let n = x.len();
    let k2 = 2 * mem.len();
    let theta = mem.theta();
    let mut d = vec![0.0; n];
    let mut p = vec![0.0; k2];
    let mut row = vec![0.0; k2];
    let mut v = vec![0.0; k2];
    // (breakpoint t, variable) for variables that reach a bound on the path.
    let mut breaks: Vec<(f64, usize)> = Vec::new();
    // Moving variables that never reach a bound; `bounded` stays true when
    // none of them actually moves (then the path ends at the last breakpoint).
    let mut n_unbounded = 0;
    let mut bounded = true;
    // f1 = m'(0) = gᵀd, f2 = m''(0) = dᵀBd along the current segment.
    let mut f1 = 0.0;
    for i in 0..n {
        let neg = -g[i];
        status[i] = classify(bounds, i, x[i], neg);
        if !matches!(status[i], Status::Free | Status::Unbounded) {
            continue;
        }
        d[i] = neg;
        f1 -= neg * neg;
        if k2 > 0 {
            mem.w_row(i, &mut row);
            p.iter_mut().zip(&row).for_each(|(pj, wj)| *pj += neg * wj);
        }
        let (l, u) = (bounds.lower(i), bounds.upper(i));
        if neg < 0.0 && l.is_finite() {
            breaks.push(((x[i] - l) / -neg, i));
        } else if neg > 0.0 && u.is_finite() {
            breaks.push(((u - x[i]) / neg, i));
        } else {
            n_unbounded += 1;
            bounded &= neg == 0.0;
        }
    }
    xcp.copy_from_slice(x);
    c.fill(0.0);
    if breaks.is_empty() && n_unbounded == 0 {
        return;
    }
    let mut f2 = -theta * f1;
    let f2_org = f2;
    if k2 > 0 {
        mem.mid_times(&p, &mut v);
        f2 -= dot(&v, &p);
    }
    let mut dt_min = -f1 / f2;
    let mut t_sum = 0.0;
    breaks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut t_prev = 0.0;
    for (used, &(t, b)) in breaks.iter().enumerate() {
        let dt = t - t_prev;
        t_prev = t;
        if dt_min < dt {
            break;
        }
        // The path reaches variable b's bound within this segment: fix it
        // and update the derivatives for the next segment.
        t_sum += dt;
        let db = d[b];
        d[b] = 0.0;
        (status[b], xcp[b]) = if db > 0.0 {
            (Status::AtUpper, bounds.upper(b))
        } else {
            (Status::AtLower, bounds.lower(b))
        };
        let zb = xcp[b] - x[b];
        let last = used + 1 == breaks.len();
        if last && breaks.len() == n {
            // Every variable is at a bound: the path ends here.
            if k2 > 0 {
                c.iter_mut().zip(&p).for_each(|(cj, pj)| *cj += dt * pj);
            }
            return;
        }
        f1 += dt * f2 + db * db - theta * db * zb;
        f2 -= theta * db * db;
        if k2 > 0 {
            c.iter_mut().zip(&p).for_each(|(cj, pj)| *cj += dt * pj);
            mem.w_row(b, &mut row);
            mem.mid_times(&row, &mut v);
            let (wmc, wmp, wmw) = (dot(&v, c), dot(&v, &p), dot(&v, &row));
            p.iter_mut().zip(&row).for_each(|(pj, wj)| *pj -= db * wj);
            f1 += db * wmc;
            f2 += 2.0 * db * wmp - db * db * wmw;
        }
        // Keep the curvature positive against cancellation (L-BFGS-B 3.0).
        f2 = f2.max(f64::EPSILON * f2_org);
        dt_min = if last && bounded { 0.0 } else { -f1 / f2 };
    }
    let dt_min = dt_min.max(0.0);
    t_sum += dt_min;
    for i in 0..n {
        if d[i] != 0.0 {
            xcp[i] = x[i] + t_sum * d[i];
        }
    }
    if k2 > 0 {
        c.iter_mut().zip(&p).for_each(|(cj, pj)| *cj += dt_min * pj);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_b_the_identity_the_cauchy_point_is_the_projected_gradient_step() {
        // m(x) = gᵀ(x − x_k) + ½‖x − x_k‖² is separable, so its minimiser
        // on the path is P(x_k − g) (reached at t = 1).
        let inf = f64::INFINITY;
        let lower = [-inf, 0.0, -1.0, 0.5, 0.0, -2.0];
        let upper = [inf, inf, 0.0, 0.5, 1.0, 2.0];
        let bounds = Bounds::new(&lower, &upper).unwrap();
        let x = [1.0, 0.2, -0.5, 0.5, 1.0, 0.0];
        let g = [0.3, 1.0, -2.0, 4.0, -1.0, 0.0];
        let mem = Compact::new(5);
        let (mut status, mut xcp) = ([Status::Free; 6], [0.0; 6]);
        cauchy_point(&x, &g, &bounds, &mem, &mut status, &mut xcp, &mut []);
        let mut want = [0.0; 6];
        for i in 0..6 {
            want[i] = (x[i] - g[i]).clamp(lower[i], upper[i]);
        }
        for i in 0..6 {
            assert!((xcp[i] - want[i]).abs() < 1e-15, "xcp[{i}] = {}, P(x − g) = {}", xcp[i], want[i]);
        }
        use Status::*;
        assert_eq!(status, [Unbounded, AtLower, AtUpper, Fixed, AtUpper, Stalled]);
    }
}
