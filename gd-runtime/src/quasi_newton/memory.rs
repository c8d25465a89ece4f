//! The L-BFGS memory: the last `m` pairs `(s, y)` and the two-loop recursion
//! (Nocedal & Wright, Algorithm 7.4).

use crate::linesearch::dot;

/// Ring buffer of curvature pairs, stored flat (`m × n`).
#[derive(Debug, Clone)]
pub(crate) struct Memory {
    n: usize,
    m: usize,
    s: Vec<f64>,
    y: Vec<f64>,
    rho: Vec<f64>,
    alpha: Vec<f64>,
    /// Index of the oldest pair.
    start: usize,
    len: usize,
    /// γ = sᵀy / yᵀy of the newest pair.
    gamma: f64,
}

impl Memory {
    pub(crate) fn new(n: usize, m: usize) -> Self {
        Memory {
            n,
            m,
            s: vec![0.0; n * m],
            y: vec![0.0; n * m],
            rho: vec![0.0; m],
            alpha: vec![0.0; m],
            start: 0,
            len: 0,
            gamma: 1.0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
        self.start = 0;
        self.gamma = 1.0;
    }

    /// Add the pair if `sᵀy > eps · yᵀy`; returns whether it was added.
    /// `s` and `y` are computed in place from the old and new iterates.
    pub(crate) fn push(&mut self, x_old: &[f64], x_new: &[f64], g_old: &[f64], g_new: &[f64], eps: f64) -> bool {
        let slot = (self.start + self.len) % self.m;
        let n = self.n;
        let (s, y) = (&mut self.s[slot * n..(slot + 1) * n], &mut self.y[slot * n..(slot + 1) * n]);
        let (mut sy, mut yy) = (0.0, 0.0);
        for i in 0..n {
            let si = x_new[i] - x_old[i];
            let yi = g_new[i] - g_old[i];
            s[i] = si;
            y[i] = yi;
            sy += si * yi;
            yy += yi * yi;
        }
        if !(sy > eps * yy && sy.is_finite() && yy > 0.0) {
            return false;
        }
        self.rho[slot] = 1.0 / sy;
        self.gamma = sy / yy;
        if self.len < self.m {
            self.len += 1;
        } else {
            self.start = (self.start + 1) % self.m;
        }
        true
    }

    /// `d = −H g` by the two-loop recursion, with `H0 = γ I`.
    pub(crate) fn direction(&mut self, g: &[f64], d: &mut [f64]) {
        let n = self.n;
        for (di, gi) in d.iter_mut().zip(g) {
            *di = -gi;
        }
        for k in (0..self.len).rev() {
            let j = (self.start + k) % self.m;
            let s = &self.s[j * n..(j + 1) * n];
            let y = &self.y[j * n..(j + 1) * n];
            let a = self.rho[j] * dot(s, d);
            self.alpha[j] = a;
            for (di, yi) in d.iter_mut().zip(y) {
                *di -= a * yi;
            }
        }
        let gamma = self.gamma;
        for di in d.iter_mut() {
            *di *= gamma;
        }
        for k in 0..self.len {
            let j = (self.start + k) % self.m;
            let s = &self.s[j * n..(j + 1) * n];
            let y = &self.y[j * n..(j + 1) * n];
            let b = self.rho[j] * dot(y, d);
            let c = self.alpha[j] - b;
            for (di, si) in d.iter_mut().zip(s) {
                *di += c * si;
            }
        }
    }
}
