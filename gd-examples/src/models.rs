//! The losses of the tour, written as ordinary Rust over slices and
//! differentiated by `#[differentiable]`.
//!
//! Parameters are one flat `&[f64]` (what the runtime's optimizers take);
//! data are row-major `&[f64]` tables and the batch is a `&[usize]` of row
//! indices, so the training loop's batches are passed without copying.
//!
//! The issue asks for the MLP written over nalgebra matrices and a
//! parameter struct. The macro does not differentiate nalgebra types or
//! struct parameters yet, so the layers are loops over slices with local
//! arrays, and [`Mlp`] keeps the layout (where W1, b1, W2, b2 live in the
//! flat vector) in one place: switching to a struct later changes the
//! kernel functions and `Mlp`'s methods, not the examples that call them.

// The kernels index with loops on purpose: that is the form the macro
// differentiates (sub-slices and copy_from_slice of active arrays are not
// in its supported language).
#![allow(clippy::needless_range_loop, clippy::manual_memcpy)]

use gd::differentiable;
use gd::runtime::init;

/// Mean squared error of a linear model `ŷ = w·x + b` over the rows in
/// `batch`; `w = [w_1 .. w_d, b]`, `x` row-major with `d = w.len() − 1`.
#[differentiable(wrt(w))]
pub fn linear_mse(w: &[f64], x: &[f64], y: &[f64], batch: &[usize]) -> f64 {
    let d = w.len() - 1;
    let mut s = 0.0;
    for &i in batch.iter() {
        let mut z = w[d];
        for j in 0..d {
            z += w[j] * x[i * d + j];
        }
        let r = z - y[i];
        s += r * r;
    }
    s / batch.len() as f64
}

/// Mean logistic loss (labels 0/1) of `p(y=1) = σ(w·x + b)` over `batch`,
/// plus `l2/2 · ‖w‖²` (the bias not penalised). `log(1 + eᶻ)` is computed
/// without overflow.
#[differentiable(wrt(w))]
pub fn logistic_loss(w: &[f64], x: &[f64], y: &[f64], batch: &[usize], l2: f64) -> f64 {
    let d = w.len() - 1;
    let mut s = 0.0;
    for &i in batch.iter() {
        let mut z = w[d];
        for j in 0..d {
            z += w[j] * x[i * d + j];
        }
        let softplus = if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() };
        s += softplus - y[i] * z;
    }
    let mut r = 0.0;
    for j in 0..d {
        r += w[j] * w[j];
    }
    s / batch.len() as f64 + 0.5 * l2 * r
}

/// One-hidden-layer tanh network, softmax cross-entropy, mean over `batch`,
/// plus `l2/2 · ‖W‖²` on the weight matrices. Layout of `p`:
/// `W1 (n_hid × n_in), b1 (n_hid), W2 (n_out × n_hid), b2 (n_out)`.
#[differentiable(wrt(p))]
#[allow(clippy::too_many_arguments)]
pub fn mlp_xent(
    p: &[f64],
    x: &[f64],
    labels: &[usize],
    batch: &[usize],
    n_in: usize,
    n_hid: usize,
    n_out: usize,
    l2: f64,
) -> f64 {
    let o_b1 = n_hid * n_in;
    let o_w2 = o_b1 + n_hid;
    let o_b2 = o_w2 + n_out * n_hid;
    let mut total = 0.0;
    for &i in batch.iter() {
        let mut h = vec![0.0; n_hid];
        for j in 0..n_hid {
            let mut z = p[o_b1 + j];
            for k in 0..n_in {
                z += p[j * n_in + k] * x[i * n_in + k];
            }
            h[j] = z.tanh();
        }
        let mut logits = vec![0.0; n_out];
        for c in 0..n_out {
            let mut z = p[o_b2 + c];
            for j in 0..n_hid {
                z += p[o_w2 + c * n_hid + j] * h[j];
            }
            logits[c] = z;
        }
        let mut m = logits[0];
        for c in 1..n_out {
            m = m.max(logits[c]);
        }
        let mut se = 0.0;
        for c in 0..n_out {
            se += (logits[c] - m).exp();
        }
        total += m + se.ln() - logits[labels[i]];
    }
    let mut r = 0.0;
    for k in 0..o_b1 {
        r += p[k] * p[k];
    }
    for k in o_w2..o_b2 {
        r += p[k] * p[k];
    }
    total / batch.len() as f64 + 0.5 * l2 * r
}

/// One-hidden-layer tanh network with one linear output, mean squared
/// error over `batch` plus `l2/2 · ‖W‖²`. Layout as [`mlp_xent`] with
/// `n_out = 1`.
#[differentiable(wrt(p))]
pub fn mlp_mse(p: &[f64], x: &[f64], y: &[f64], batch: &[usize], n_in: usize, n_hid: usize, l2: f64) -> f64 {
    let o_b1 = n_hid * n_in;
    let o_w2 = o_b1 + n_hid;
    let o_b2 = o_w2 + n_hid;
    let mut total = 0.0;
    for &i in batch.iter() {
        let mut out = p[o_b2];
        for j in 0..n_hid {
            let mut z = p[o_b1 + j];
            for k in 0..n_in {
                z += p[j * n_in + k] * x[i * n_in + k];
            }
            out += p[o_w2 + j] * z.tanh();
        }
        let r = out - y[i];
        total += r * r;
    }
    let mut reg = 0.0;
    for k in 0..o_b1 {
        reg += p[k] * p[k];
    }
    for k in o_w2..o_b2 {
        reg += p[k] * p[k];
    }
    total / batch.len() as f64 + 0.5 * l2 * reg
}

/// The shape and parameter layout of a one-hidden-layer network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mlp {
    /// Inputs.
    pub n_in: usize,
    /// Hidden tanh units.
    pub n_hid: usize,
    /// Outputs (classes, or 1 for regression).
    pub n_out: usize,
}

impl Mlp {
    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        self.n_hid * self.n_in + self.n_hid + self.n_out * self.n_hid + self.n_out
    }
    /// Xavier-uniform weights (tanh gain 5/3), zero biases, from `seed`.
    pub fn init(&self, seed: u64) -> Result<Vec<f64>, gd::runtime::GdError> {
        let mut p = vec![0.0; self.n_params()];
        let mut rng = init::seeded(seed);
        let o_b1 = self.n_hid * self.n_in;
        let o_w2 = o_b1 + self.n_hid;
        let o_b2 = o_w2 + self.n_out * self.n_hid;
        init::xavier_uniform(&mut p[..o_b1], self.n_in, self.n_hid, 5.0 / 3.0, &mut rng)?;
        init::xavier_uniform(&mut p[o_w2..o_b2], self.n_hid, self.n_out, 1.0, &mut rng)?;
        Ok(p)
    }
    /// The network's outputs for one input row (plain Rust, no derivative).
    pub fn forward(&self, p: &[f64], row: &[f64], out: &mut [f64]) {
        let (ni, nh) = (self.n_in, self.n_hid);
        let o_b1 = nh * ni;
        let o_w2 = o_b1 + nh;
        let o_b2 = o_w2 + self.n_out * nh;
        let h: Vec<f64> = (0..nh)
            .map(|j| (p[o_b1 + j] + (0..ni).map(|k| p[j * ni + k] * row[k]).sum::<f64>()).tanh())
            .collect();
        for (c, o) in out.iter_mut().enumerate().take(self.n_out) {
            *o = p[o_b2 + c] + (0..nh).map(|j| p[o_w2 + c * nh + j] * h[j]).sum::<f64>();
        }
    }
    /// The most likely class of one row.
    pub fn predict_class(&self, p: &[f64], row: &[f64]) -> usize {
        let mut out = vec![0.0; self.n_out];
        self.forward(p, row, &mut out);
        (0..self.n_out).max_by(|&a, &b| out[a].total_cmp(&out[b])).unwrap_or(0)
    }
    /// Fraction of rows of `x` (row-major) whose predicted class is the label.
    pub fn accuracy(&self, p: &[f64], x: &[f64], labels: &[usize]) -> f64 {
        let n = labels.len();
        let hits = (0..n).filter(|&i| self.predict_class(p, &x[i * self.n_in..(i + 1) * self.n_in]) == labels[i]).count();
        hits as f64 / n.max(1) as f64
    }
    /// Cross-entropy loss (+ L2) over `batch`; writes its gradient into `g`.
    #[allow(clippy::too_many_arguments)]
    pub fn xent_grad(&self, p: &[f64], x: &[f64], labels: &[usize], batch: &[usize], l2: f64, g: &mut [f64]) -> f64 {
        g.fill(0.0);
        mlp_xent::value_and_grad_into(p, x, labels, batch, self.n_in, self.n_hid, self.n_out, l2, g)
    }
    /// Cross-entropy loss (+ L2) over `batch`.
    pub fn xent(&self, p: &[f64], x: &[f64], labels: &[usize], batch: &[usize], l2: f64) -> f64 {
        mlp_xent(p, x, labels, batch, self.n_in, self.n_hid, self.n_out, l2)
    }
}

/// A chain of `depth` sigmoid layers of `width` units (`W_l` then `b_l` per
/// layer, `W_l` row-major), read out as the mean of the last layer, with
/// loss `½ (out − target)²`.
#[differentiable(wrt(p))]
pub fn sigmoid_chain(p: &[f64], x: &[f64], target: f64, width: usize, depth: usize) -> f64 {
    let per = width * width + width;
    let mut a = vec![0.0; width];
    for k in 0..width {
        a[k] = x[k];
    }
    for l in 0..depth {
        let mut z = vec![0.0; width];
        for j in 0..width {
            let mut s = p[l * per + width * width + j];
            for k in 0..width {
                s += p[l * per + j * width + k] * a[k];
            }
            z[j] = 1.0 / (1.0 + (-s).exp());
        }
        for j in 0..width {
            a[j] = z[j];
        }
    }
    let mut out = 0.0;
    for k in 0..width {
        out += a[k];
    }
    let r = out / width as f64 - target;
    0.5 * r * r
}

/// Rosenbrock's banana `(1 − x)² + 100 (y − x²)²`, minimum 0 at (1, 1).
#[differentiable]
pub fn rosenbrock(p: &[f64]) -> f64 {
    let a = 1.0 - p[0];
    let b = p[1] - p[0] * p[0];
    a * a + 100.0 * b * b
}

/// The double well of the local-minima example:
/// `f(x) = x⁴/4 − 2x² + x/2`, global minimum near −2.06, local near 1.93,
/// a maximum near 0.13.
#[differentiable]
pub fn double_well(x: f64) -> f64 {
    0.25 * x.powi(4) - 2.0 * x * x + 0.5 * x
}

/// A saddle: `x² − y²`, stationary at the origin.
#[differentiable]
pub fn saddle(p: &[f64]) -> f64 {
    p[0] * p[0] - p[1] * p[1]
}

/// The seeds' elliptical bowl `L(w, b) = w² + 4b²`.
#[differentiable]
pub fn bowl(p: &[f64]) -> f64 {
    p[0] * p[0] + 4.0 * p[1] * p[1]
}
