//! The compact limited-memory BFGS matrix (Byrd, Nocedal & Schnabel 1994;
//! Byrd, Lu, Nocedal & Zhu 1995, §3):
//!
//! `B = θ I − W M Wᵀ`, `W = [Y  θS]` (n × 2k),
//! `M = [[−D, Lᵀ], [L, θ SᵀS]]⁻¹`,
//!
//! with `S`, `Y` the last k pairs (oldest first), `D = diag(sᵢᵀyᵢ)` and `L`
//! the strictly lower triangle of `SᵀY`. The Cauchy search and the subspace
//! step only need rows of `W`, `Wᵀv` and `M v`, all O(k) or O(k²) besides
//! the O(nk) products.

use crate::linesearch::dot;
use nalgebra::{Cholesky, DMatrix, DVector, Dyn};
use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub(super) struct Compact {
    m: usize,
    s: VecDeque<Vec<f64>>,
    y: VecDeque<Vec<f64>>,
    /// `sy[(i, j)] = sᵢᵀyⱼ`.
    sy: DMatrix<f64>,
    /// `ss[(i, j)] = sᵢᵀsⱼ`.
    ss: DMatrix<f64>,
    /// `yy[(i, j)] = yᵢᵀyⱼ` (for `WᵀW`).
    yy: DMatrix<f64>,
    /// `θ = yᵀy / sᵀy` of the newest pair (1 with no pairs).
    theta: f64,
    /// Cholesky factor of `T = θ SᵀS + L D⁻¹ Lᵀ`, through which `M v` is
    /// computed (M itself is indefinite).
    t_chol: Option<Cholesky<f64, Dyn>>,
}

impl Compact {
    pub(super) fn new(m: usize) -> Self {
        Compact {
            m,
            s: VecDeque::with_capacity(m),
            y: VecDeque::with_capacity(m),
            sy: DMatrix::zeros(0, 0),
            ss: DMatrix::zeros(0, 0),
            yy: DMatrix::zeros(0, 0),
            theta: 1.0,
            t_chol: None,
        }
    }

    /// Number of stored pairs k.
    pub(super) fn len(&self) -> usize {
        self.s.len()
    }

    pub(super) fn theta(&self) -> f64 {
        self.theta
    }

    /// Forget every pair: B becomes the identity.
    pub(super) fn clear(&mut self) {
        *self = Compact::new(self.m);
    }

    /// Add the pair `(s, y)` (the caller has checked `sᵀy > 0`), dropping the
    /// oldest when m are stored. Returns false when `T` is not numerically
    /// positive definite; the caller then clears the memory, as L-BFGS-B does.
    pub(super) fn push(&mut self, s: Vec<f64>, y: Vec<f64>) -> bool {
        let dropped = self.s.len() == self.m;
        if dropped {
            self.s.pop_front();
            self.y.pop_front();
        }
        self.theta = dot(&y, &y) / dot(&s, &y);
        self.s.push_back(s);
        self.y.push_back(y);
        let k = self.s.len();
        let off = usize::from(dropped);
        // Shift the kept inner products, then add the newest row and column.
        let kept = |old: &DMatrix<f64>| {
            DMatrix::from_fn(k, k, |i, j| if i + 1 < k && j + 1 < k { old[(i + off, j + off)] } else { 0.0 })
        };
        let (mut sy, mut ss, mut yy) = (kept(&self.sy), kept(&self.ss), kept(&self.yy));
        let new = k - 1;
        for j in 0..k {
            sy[(new, j)] = dot(&self.s[new], &self.y[j]);
            sy[(j, new)] = dot(&self.s[j], &self.y[new]);
            (ss[(new, j)], yy[(new, j)]) = (dot(&self.s[new], &self.s[j]), dot(&self.y[new], &self.y[j]));
            (ss[(j, new)], yy[(j, new)]) = (ss[(new, j)], yy[(new, j)]);
        }
        (self.sy, self.ss, self.yy) = (sy, ss, yy);
        // T = θ SᵀS + L D⁻¹ Lᵀ.
        let t = DMatrix::from_fn(k, k, |i, j| {
            let ldl: f64 = (0..i.min(j)).map(|l| self.sy[(i, l)] * self.sy[(j, l)] / self.sy[(l, l)]).sum();
            self.theta * self.ss[(i, j)] + ldl
        });
        self.t_chol = Cholesky::new(t);
        self.t_chol.is_some()
    }

    /// Row i of W: `(y₁[i], …, y_k[i], θ s₁[i], …, θ s_k[i])`.
    pub(super) fn w_row(&self, i: usize, out: &mut [f64]) {
        let k = self.len();
        for j in 0..k {
            out[j] = self.y[j][i];
            out[k + j] = self.theta * self.s[j][i];
        }
    }

    /// `M v` (2k), by block elimination: with `v = (v₁, v₂)`,
    /// `T b = v₂ + L D⁻¹ v₁`, `a = D⁻¹ (Lᵀ b − v₁)`, and `M v = (a, b)`.
    pub(super) fn mid_times(&self, v: &[f64], out: &mut [f64]) {
        let k = self.len();
        let Some(chol) = &self.t_chol else {
            out.fill(0.0);
            return;
        };
        let (v1, v2) = v.split_at(k);
        let rhs = DVector::from_fn(k, |i, _| v2[i] + (0..i).map(|j| self.sy[(i, j)] * v1[j] / self.sy[(j, j)]).sum::<f64>());
        let b = chol.solve(&rhs);
        for i in 0..k {
            let lt_b: f64 = (i + 1..k).map(|j| self.sy[(j, i)] * b[j]).sum();
            out[i] = (lt_b - v1[i]) / self.sy[(i, i)];
            out[k + i] = b[i];
        }
    }

    /// `WᵀW = [[YᵀY, θ YᵀS], [θ SᵀY, θ² SᵀS]]` (2k × 2k), from the stored
    /// inner products: the subspace step subtracts the rows of the variables
    /// that are not free, when those are the fewer.
    pub(super) fn wtw(&self) -> DMatrix<f64> {
        let (k, t) = (self.len(), self.theta);
        DMatrix::from_fn(2 * k, 2 * k, |i, j| match (i < k, j < k) {
            (true, true) => self.yy[(i, j)],
            (true, false) => t * self.sy[(j - k, i)],
            (false, true) => t * self.sy[(i - k, j)],
            (false, false) => t * t * self.ss[(i - k, j - k)],
        })
    }

    /// `M⁻¹ = [[−D, Lᵀ], [L, θ SᵀS]]` (2k × 2k), for the subspace step.
    pub(super) fn mid_inverse(&self) -> DMatrix<f64> {
        let k = self.len();
        DMatrix::from_fn(2 * k, 2 * k, |i, j| match (i < k, j < k) {
            (true, true) => if i == j { -self.sy[(i, i)] } else { 0.0 },
            (true, false) => if j - k > i { self.sy[(j - k, i)] } else { 0.0 },
            (false, true) => if i - k > j { self.sy[(i - k, j)] } else { 0.0 },
            (false, false) => self.theta * self.ss[(i - k, j - k)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs with sᵀy > 0 from a fixed SPD matrix plus a nonlinearity.
    fn pairs(n: usize, count: usize) -> Vec<(Vec<f64>, Vec<f64>)> {
        (0..count)
            .map(|k| {
                let s: Vec<f64> = (0..n).map(|i| ((i * 7 + k * 3) as f64 * 0.37).sin()).collect();
                let y: Vec<f64> = (0..n)
                    .map(|i| (2.0 + i as f64 * 0.1) * s[i] + 0.3 * s[(i + 1) % n] + 0.3 * s[(i + n - 1) % n] + 0.05 * s[i].powi(3))
                    .collect();
                (s, y)
            })
            .collect()
    }

    /// The BFGS matrix from B₀ = θI by the usual dense updates.
    fn dense_bfgs(n: usize, theta: f64, pairs: &[(Vec<f64>, Vec<f64>)]) -> DMatrix<f64> {
        let mut b = DMatrix::identity(n, n) * theta;
        for (s, y) in pairs {
            let (s, y) = (DVector::from_column_slice(s), DVector::from_column_slice(y));
            let bs = &b * &s;
            b = &b - &bs * bs.transpose() / s.dot(&bs) + &y * y.transpose() / y.dot(&s);
        }
        b
    }

    #[test]
    fn compact_form_equals_the_dense_bfgs_matrix() {
        let (n, m) = (7, 3);
        let all = pairs(n, 5);
        let mut mem = Compact::new(m);
        for (s, y) in &all {
            assert!(mem.push(s.clone(), y.clone()));
        }
        assert_eq!(mem.len(), m, "the two oldest pairs were dropped");
        let b = dense_bfgs(n, mem.theta(), &all[all.len() - m..]);
        let k2 = 2 * m;
        for probe in 0..n {
            let v: Vec<f64> = (0..n).map(|i| ((i + probe) as f64 * 1.1).cos()).collect();
            // B v = θ v − W M Wᵀ v.
            let mut wtv = vec![0.0; k2];
            let mut row = vec![0.0; k2];
            for (i, vi) in v.iter().enumerate() {
                mem.w_row(i, &mut row);
                wtv.iter_mut().zip(&row).for_each(|(a, w)| *a += w * vi);
            }
            let mut mwtv = vec![0.0; k2];
            mem.mid_times(&wtv, &mut mwtv);
            let want = &b * DVector::from_column_slice(&v);
            for i in 0..n {
                mem.w_row(i, &mut row);
                let bv = mem.theta() * v[i] - dot(&row, &mwtv);
                assert!((bv - want[i]).abs() <= 1e-10 * want.amax(), "(Bv)[{i}] = {bv}, dense {}", want[i]);
            }
            // WᵀW from the inner products agrees with the rows of W.
            let mut wtw = DMatrix::zeros(k2, k2);
            for i in 0..n {
                mem.w_row(i, &mut row);
                let w = DVector::from_column_slice(&row);
                wtw += &w * w.transpose();
            }
            assert!((wtw - mem.wtw()).amax() <= 1e-12 * mem.wtw().amax());
            // M v by block elimination agrees with solving M⁻¹ directly.
            let direct = mem.mid_inverse().lu().solve(&DVector::from_column_slice(&wtv)).unwrap();
            for j in 0..k2 {
                assert!((mwtv[j] - direct[j]).abs() <= 1e-10 * direct.amax(), "(Mv)[{j}]");
            }
        }
    }
}
