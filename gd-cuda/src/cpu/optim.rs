//! The fused updates on the CPU: one loop per parameter vector, the same
//! arithmetic, in the same order, as the kernels in
//! [`crate::kernels::optim`] (and, in f64, as gd-runtime's optimizers).

use super::real::Real;
use crate::optim::Update;

/// Apply one update. `s` are the three state vectors (those the rule does
/// not use may be empty). Lengths are the caller's to check.
pub fn apply<R: Real>(u: &Update, p: &mut [R], g: &[R], s: [&mut [R]; 3]) {
    let f = R::from_f64;
    let [s0, s1, s2] = s;
    match *u {
        Update::Sgd { lr, mu, dampening, nesterov, first } => {
            let (lr, mu_r, damp) = (f(lr), f(mu), f(dampening));
            if mu == 0.0 {
                for (p, &g) in p.iter_mut().zip(g) {
                    *p -= lr * g;
                }
            } else {
                for ((p, &g), b) in p.iter_mut().zip(g).zip(s0.iter_mut()) {
                    *b = if first { g } else { mu_r * *b + (R::ONE - damp) * g };
                    let d = if nesterov { g + mu_r * *b } else { *b };
                    *p -= lr * d;
                }
            }
        }
        Update::RmsProp { lr, alpha, eps, mu, centered } => {
            let (lr, a, e, m) = (f(lr), f(alpha), f(eps), f(mu));
            for i in 0..p.len() {
                let gi = g[i];
                let v = a * s0[i] + (R::ONE - a) * gi * gi;
                s0[i] = v;
                let d = if centered {
                    let av = a * s1[i] + (R::ONE - a) * gi;
                    s1[i] = av;
                    (v - av * av).max(R::ZERO).sqrt() + e
                } else {
                    v.sqrt() + e
                };
                if mu > 0.0 {
                    let b = m * s2[i] + gi / d;
                    s2[i] = b;
                    p[i] -= lr * b;
                } else {
                    p[i] -= lr * gi / d;
                }
            }
        }
        Update::Adam { step_size, inv_bc2_sqrt, beta1, beta2, eps, decay } => {
            let (ss, ib, b1, b2, e, dc) = (f(step_size), f(inv_bc2_sqrt), f(beta1), f(beta2), f(eps), f(decay));
            for i in 0..p.len() {
                let gi = g[i];
                let m = b1 * s0[i] + (R::ONE - b1) * gi;
                let v = b2 * s1[i] + (R::ONE - b2) * gi * gi;
                s0[i] = m;
                s1[i] = v;
                let pd = p[i] * dc;
                p[i] = pd - ss * m / (v.sqrt() * ib + e);
            }
        }
        Update::Lion { lr, beta1, beta2 } => {
            let (lr, b1, b2) = (f(lr), f(beta1), f(beta2));
            for i in 0..p.len() {
                let gi = g[i];
                let c = b1 * s0[i] + (R::ONE - b1) * gi;
                p[i] -= lr * c.sign();
                s0[i] = b2 * s0[i] + (R::ONE - b2) * gi;
            }
        }
    }
}
