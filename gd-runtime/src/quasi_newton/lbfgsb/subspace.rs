//! Subspace minimisation (Byrd, Lu, Nocedal & Zhu 1995, §5.1, the direct
//! primal method) with the correction of Morales & Nocedal (2011): from the
//! Cauchy point, minimise the quadratic model over the variables that are
//! free there, ignoring their bounds, then bring the result back into the
//! box.

use super::bounds::Bounds;
use super::cauchy::Status;
use super::compact::Compact;
use crate::linesearch::dot;
use nalgebra::{DMatrix, DVector};

/// The reduced system was singular; the caller clears the memory.
pub(super) struct Singular;

/// Move the free variables of `z` (the Cauchy point on entry) to the
/// subspace minimiser, kept in the box. `x`, `g`: the current iterate and
/// its gradient; `c = Wᵀ(z − x)` from the Cauchy search.
pub(super) fn subspace_step(
    x: &[f64],
    g: &[f64],
    bounds: &Bounds,
    status: &[Status],
    mem: &Compact,
    c: &[f64],
    z: &mut [f64],
) -> Result<(), Singular> {
    let free: Vec<usize> = (0..x.len()).filter(|&i| status[i].is_free()).collect();
    let k2 = 2 * mem.len();
    if free.is_empty() || k2 == 0 {
        return Ok(());
    }
    let theta = mem.theta();
    // Reduced gradient of the model at z, negated:
    // r = −Zᵀ(g + θ(z − x) − W M c).
    let mut mc = vec![0.0; k2];
    mem.mid_times(c, &mut mc);
    let mut row = vec![0.0; k2];
    let mut r = vec![0.0; free.len()];
    let mut wz_r = DVector::zeros(k2);
    for (a, &i) in free.iter().enumerate() {
        mem.w_row(i, &mut row);
        r[a] = -g[i] - theta * (z[i] - x[i]) + dot(&row, &mc);
        wz_r.iter_mut().zip(&row).for_each(|(e, w)| *e += w * r[a]);
    }
    // The reduced matrix is θI − ZᵀW M WᵀZ; by Sherman–Morrison–Woodbury its
    // inverse applied to r is r/θ + ZᵀW (M⁻¹ − WᵀZZᵀW/θ)⁻¹ WᵀZ r / θ².
    // WᵀZZᵀW sums the rows of the free variables, or WᵀW less the rest,
    // whichever are fewer: O(min(free, bound) k²).
    let (mut wzzw, sign, rest): (DMatrix<f64>, f64, Vec<usize>) = if 2 * free.len() <= x.len() {
        (DMatrix::zeros(k2, k2), 1.0, free.clone())
    } else {
        (mem.wtw(), -1.0, (0..x.len()).filter(|&i| !status[i].is_free()).collect())
    };
    for &i in &rest {
        mem.w_row(i, &mut row);
        for p in 0..k2 {
            for q in 0..k2 {
                wzzw[(p, q)] += sign * row[p] * row[q];
            }
        }
    }
    let system = mem.mid_inverse() - wzzw / theta;
    let v = system.lu().solve(&wz_r).ok_or(Singular)?;
    if !v.iter().all(|e| e.is_finite()) {
        return Err(Singular);
    }
    let du: Vec<f64> = free
        .iter()
        .zip(&r)
        .map(|(&i, ra)| {
            mem.w_row(i, &mut row);
            ra / theta + dot(&row, v.as_slice()) / (theta * theta)
        })
        .collect();
    bring_into_box(x, g, bounds, &free, &du, z);
    Ok(())
}

/// Morales & Nocedal (2011): project `z + du` onto the box. If that hits a
/// bound and the projected point is no longer a descent step from `x`, fall
/// back to the original L-BFGS-B rule: the longest step along `du` from the
/// Cauchy point that stays in the box.
fn bring_into_box(x: &[f64], g: &[f64], bounds: &Bounds, free: &[usize], du: &[f64], z: &mut [f64]) {
    let cauchy: Vec<f64> = z.to_vec();
    let mut hit = false;
    for (&i, &di) in free.iter().zip(du) {
        let (l, u) = (bounds.lower(i), bounds.upper(i));
        z[i] = (cauchy[i] + di).clamp(l, u);
        hit |= z[i] == l || z[i] == u;
    }
    if !hit {
        return;
    }
    let slope: f64 = (0..x.len()).map(|i| (z[i] - x[i]) * g[i]).sum();
    if slope <= 0.0 {
        return;
    }
    z.copy_from_slice(&cauchy);
    let mut alpha = 1.0;
    let mut limiting = None;
    for (a, (&i, &di)) in free.iter().zip(du).enumerate() {
        if di == 0.0 {
            continue;
        }
        let room = if di < 0.0 { bounds.lower(i) - z[i] } else { bounds.upper(i) - z[i] };
        // room has di's sign while there is room (±∞ for a free side).
        let step = if room * di <= 0.0 { 0.0 } else { room / di };
        if step < alpha {
            alpha = step;
            limiting = Some(a);
        }
    }
    for (a, (&i, &di)) in free.iter().zip(du).enumerate() {
        if Some(a) == limiting {
            z[i] = if di > 0.0 { bounds.upper(i) } else { bounds.lower(i) };
        } else {
            z[i] += alpha * di;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From x = 0 in [0, 1]², Cauchy point (0.5, 0.5), subspace step (1, 0.2):
    /// the projection is (1, 0.7); the backtracked step stops at α = 0.5,
    /// (1, 0.6).
    fn into_box(g: [f64; 2]) -> Vec<f64> {
        let bounds = Bounds::new(&[0.0, 0.0], &[1.0, 1.0]).unwrap();
        let mut z = vec![0.5, 0.5];
        bring_into_box(&[0.0, 0.0], &g, &bounds, &[0, 1], &[1.0, 0.2], &mut z);
        z
    }

    #[test]
    fn the_projection_is_kept_while_it_descends() {
        assert_eq!(into_box([-1.0, -1.0]), vec![1.0, 0.7]);
    }

    #[test]
    fn otherwise_the_step_is_cut_at_the_first_bound() {
        // (1, 0.7) − 0 against g = (−1, 5) gives slope 2.5 > 0.
        assert_eq!(into_box([-1.0, 5.0]), vec![1.0, 0.6]);
    }
}
