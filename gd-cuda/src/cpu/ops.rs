//! The layer and loss operations on the CPU, one function per GPU kernel
//! (same inputs, same arithmetic), row-major `rows × cols` matrices.

use super::real::Real;
use crate::model::Activation;

/// The activation of `z`.
#[inline]
pub fn act<R: Real>(a: Activation, z: R) -> R {
    match a {
        Activation::Identity => z,
        Activation::Relu => z.max(R::ZERO),
        Activation::Tanh => z.tanh(),
        Activation::Sigmoid => R::ONE / (R::ONE + (-z).exp()),
    }
}

/// The activation's derivative, from its output `y`.
#[inline]
pub fn act_grad<R: Real>(a: Activation, y: R) -> R {
    match a {
        Activation::Identity => R::ONE,
        Activation::Relu => {
            if y > R::ZERO {
                R::ONE
            } else {
                R::ZERO
            }
        }
        Activation::Tanh => R::ONE - y * y,
        Activation::Sigmoid => y * (R::ONE - y),
    }
}

/// `z[r, c] = act(z[r, c] + b[c])` in place (kernel `bias_act_forward`).
pub fn bias_act_forward<R: Real>(z: &mut [R], b: &[R], a: Activation) {
    let cols = b.len();
    for row in z.chunks_mut(cols) {
        for (v, &bc) in row.iter_mut().zip(b) {
            *v = act(a, *v + bc);
        }
    }
}

/// `dz *= act'(y)` elementwise (kernel `act_backward`).
pub fn act_backward<R: Real>(dz: &mut [R], y: &[R], a: Activation) {
    for (d, &yv) in dz.iter_mut().zip(y) {
        *d *= act_grad(a, yv);
    }
}

/// `z = x Wᵀ` with `x: rows × n_in`, `W: n_out × n_in` (cuBLAS GEMM on the GPU).
pub fn linear_forward<R: Real>(x: &[R], w: &[R], n_in: usize, n_out: usize, z: &mut [R]) {
    for (xr, zr) in x.chunks(n_in).zip(z.chunks_mut(n_out)) {
        for (o, zv) in zr.iter_mut().enumerate() {
            let wr = &w[o * n_in..(o + 1) * n_in];
            let mut s = R::ZERO;
            for k in 0..n_in {
                s += wr[k] * xr[k];
            }
            *zv = s;
        }
    }
}

/// `dW = dzᵀ x`, `db = Σ_rows dz` (overwritten); `dx = dz W` if asked.
#[allow(clippy::too_many_arguments)]
pub fn linear_backward<R: Real>(
    x: &[R],
    w: &[R],
    dz: &[R],
    n_in: usize,
    n_out: usize,
    dw: &mut [R],
    db: &mut [R],
    dx: Option<&mut [R]>,
) {
    dw.fill(R::ZERO);
    db.fill(R::ZERO);
    for (xr, dr) in x.chunks(n_in).zip(dz.chunks(n_out)) {
        for o in 0..n_out {
            let d = dr[o];
            db[o] += d;
            let dwr = &mut dw[o * n_in..(o + 1) * n_in];
            for k in 0..n_in {
                dwr[k] += d * xr[k];
            }
        }
    }
    if let Some(dx) = dx {
        for (dxr, dr) in dx.chunks_mut(n_in).zip(dz.chunks(n_out)) {
            dxr.fill(R::ZERO);
            for o in 0..n_out {
                let d = dr[o];
                let wr = &w[o * n_in..(o + 1) * n_in];
                for k in 0..n_in {
                    dxr[k] += d * wr[k];
                }
            }
        }
    }
}

/// Softmax cross-entropy of each row of `logits` against `labels`:
/// writes `dlogits = scale · (softmax − onehot)` and returns
/// `scale · Σ_rows (lse − z[label])` (kernel `softmax_xent`).
pub fn softmax_xent<R: Real>(logits: &[R], labels: &[u32], cols: usize, scale: R, dlogits: &mut [R]) -> R {
    let mut total = R::ZERO;
    for ((z, d), &l) in logits.chunks(cols).zip(dlogits.chunks_mut(cols)).zip(labels) {
        let mut m = z[0];
        for &v in &z[1..] {
            m = m.max(v);
        }
        let mut se = R::ZERO;
        for &v in z {
            se += (v - m).exp();
        }
        let lse = m + se.ln();
        total += (lse - z[l as usize]) * scale;
        for c in 0..cols {
            let sm = (z[c] - m).exp() / se;
            let oh = if c == l as usize { R::ONE } else { R::ZERO };
            d[c] = (sm - oh) * scale;
        }
    }
    total
}

/// Squared error: `dy = 2 scale (y − t)`, returns `scale · Σ (y − t)²`
/// (kernel `mse`).
pub fn mse<R: Real>(y: &[R], t: &[R], scale: R, dy: &mut [R]) -> R {
    let two = R::from_f64(2.0);
    let mut total = R::ZERO;
    for ((&yv, &tv), d) in y.iter().zip(t).zip(dy.iter_mut()) {
        let r = yv - tv;
        *d = two * r * scale;
        total += r * r * scale;
    }
    total
}

/// `out[r, :] = x[idx[r], :]` (kernel `gather_rows`).
pub fn gather_rows<R: Real>(x: &[R], idx: &[u32], cols: usize, out: &mut [R]) {
    for (o, &i) in out.chunks_mut(cols).zip(idx) {
        o.copy_from_slice(&x[i as usize * cols..(i as usize + 1) * cols]);
    }
}
