//! The losses of the tour, written as ordinary Rust and differentiated by
//! `#[differentiable]`.
//!
//! The linear and logistic models, the sigmoid chain and the small test
//! functions take their parameters as one flat `&[f64]` (what the runtime's
//! optimizers take); their data are row-major `&[f64]` tables and the batch
//! is a `&[usize]` of row indices, so the training loop's batches are passed
//! without copying.
//!
//! The MLPs ([`xent()`] for the digits classifier, [`mse()`] for the diabetes
//! regression) are written with nalgebra over a parameter struct
//! ([`Mlp`], a `Vec` of [`Layer`]s, `#[derive(gd::Params)]`); samples are
//! the columns of a matrix. Both call the network's forward pass,
//! [`outputs()`], a matrix-valued differentiable function. [`FlatMlp`] connects them to the runtime's flat
//! parameter vectors.

// The slice kernels index with loops on purpose: that is the form the macro
// differentiates over slices (sub-slices and copy_from_slice of active
// arrays are not in its supported language).
#![allow(clippy::needless_range_loop, clippy::manual_memcpy)]

use gd::differentiable;
use gd::nalgebra::{DMatrix, DVector, RowDVector};
use gd::runtime::{init, GdError, Params};

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

/// One dense layer: `z = W h + b`.
#[derive(Clone, Debug, PartialEq, gd::Params)]
pub struct Layer {
    /// Weights, `outputs × inputs`.
    pub w: DMatrix<f64>,
    /// Biases, one per output.
    pub b: DVector<f64>,
}

/// A multilayer perceptron: tanh after every layer but the last, whose
/// outputs are the logits (or the regression outputs). Samples are the
/// columns of the input matrix.
///
/// The runtime's optimizers and `Trainer` work on one flat `&mut [f64]`;
/// [`FlatMlp`] is the bridge (the flat order is `#[derive(gd::Params)]`'s:
/// layer by layer, `w` column by column, then `b`).
#[derive(Clone, Debug, PartialEq, gd::Params)]
pub struct Mlp {
    /// The layers, input first.
    pub layers: Vec<Layer>,
}

/// The network's outputs (logits, or regression outputs) for the columns of
/// `x`, one column each: tanh after every layer but the last. The bias is
/// added to every column as a product with a row of ones.
#[differentiable(wrt(p))]
pub fn outputs(p: &Mlp, x: &DMatrix<f64>) -> DMatrix<f64> {
    let ones = DVector::from_element(x.ncols(), 1.0);
    let mut h = x.clone();
    for (l, layer) in p.layers.iter().enumerate() {
        let z = &layer.w * &h + &layer.b * ones.transpose();
        h = if l + 1 < p.layers.len() { z.map(|v| v.tanh()) } else { z };
    }
    h
}

/// `Σ ‖W‖²` over the layers (biases not penalised).
#[differentiable(wrt(p))]
pub fn weight_norm2(p: &Mlp) -> f64 {
    let mut r = 0.0;
    for layer in p.layers.iter() {
        r += layer.w.norm_squared();
    }
    r
}

/// Mean softmax cross-entropy of the network over the columns of `x`
/// (sample `j` has class `labels[j]`), plus `l2/2 · Σ ‖W‖²` (biases not
/// penalised). The softmax is taken at matrix level: the per-column shift by
/// the largest logit is data (`gd::stop_gradient`; it cancels in the
/// gradient) and the sums of exponentials are one product with a vector of
/// ones.
#[differentiable(wrt(p))]
pub fn xent(p: &Mlp, x: &DMatrix<f64>, labels: &[usize], l2: f64) -> f64 {
    let n = x.ncols();
    let h: DMatrix<f64> = outputs(p, x);
    let k = h.nrows();
    let m = gd::stop_gradient(RowDVector::from_iterator(n, h.column_iter().map(|c| c.max())));
    let ones_k = DVector::from_element(k, 1.0);
    let e = (&h - &ones_k * &m).map(|v| v.exp());
    let lse = (ones_k.transpose() * e).map(|v| v.ln()).sum() + m.sum();
    let mut picked = 0.0;
    for j in 0..n {
        picked += h[(labels[j], j)];
    }
    (lse - picked) / n as f64 + 0.5 * l2 * weight_norm2(p)
}

/// [`xent()`] over the columns `batch` of `x` (labels `labels[i]` for column
/// `i`), its gradient written (not added) into `g`: the batch's columns are
/// gathered into a matrix of their own, so that several threads can each
/// take a shard of a batch.
pub fn xent_columns(p: &Mlp, x: &DMatrix<f64>, labels: &[usize], batch: &[usize], l2: f64, g: &mut Mlp) -> f64 {
    let xb = DMatrix::from_fn(x.nrows(), batch.len(), |i, j| x[(i, batch[j])]);
    let yb: Vec<usize> = batch.iter().map(|&i| labels[i]).collect();
    xent::value_and_grad_set(p, &xb, &yb, l2, g)
}

/// Mean squared error of a network with one output over the columns of `x`
/// (targets `y`, a `1 × n` matrix: one per column), plus `l2/2 · Σ ‖W‖²`.
#[differentiable(wrt(p))]
pub fn mse(p: &Mlp, x: &DMatrix<f64>, y: &DMatrix<f64>, l2: f64) -> f64 {
    let h: DMatrix<f64> = outputs(p, x);
    let res = h - y;
    res.norm_squared() / x.ncols() as f64 + 0.5 * l2 * weight_norm2(p)
}

impl Mlp {
    /// A network with layer widths `sizes` (`[inputs, hidden.., outputs]`):
    /// Xavier-uniform weights (gain 5/3 for the tanh layers, 1 for the
    /// output layer), zero biases, drawn from `seed` layer by layer, each
    /// weight matrix row by row.
    pub fn new(sizes: &[usize], seed: u64) -> Result<Mlp, GdError> {
        if sizes.len() < 2 {
            return Err(GdError::BadHyperparameter {
                name: "Mlp::new: number of layer sizes",
                value: sizes.len() as f64,
                allowed: ">= 2 (inputs and outputs)",
            });
        }
        let mut rng = init::seeded(seed);
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for (l, s) in sizes.windows(2).enumerate() {
            let (n_in, n_out) = (s[0], s[1]);
            let gain = if l + 2 < sizes.len() { 5.0 / 3.0 } else { 1.0 };
            let mut w = vec![0.0; n_out * n_in];
            init::xavier_uniform(&mut w, n_in, n_out, gain, &mut rng)?;
            layers.push(Layer { w: DMatrix::from_row_slice(n_out, n_in, &w), b: DVector::zeros(n_out) });
        }
        Ok(Mlp { layers })
    }
    /// Layer widths, `[inputs, hidden.., outputs]`.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s: Vec<usize> = self.layers.first().map(|l| l.w.ncols()).into_iter().collect();
        s.extend(self.layers.iter().map(|l| l.w.nrows()));
        s
    }
    /// The network's outputs (logits) for the columns of `x`, one column each
    /// (the plain [`outputs()`], no derivative).
    pub fn forward(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        outputs(self, x)
    }
    /// The most likely class of each column of `x`.
    pub fn predict_classes(&self, x: &DMatrix<f64>) -> Vec<usize> {
        self.forward(x).column_iter().map(|c| c.argmax().0).collect()
    }
    /// Fraction of the columns of `x` whose predicted class is the label.
    pub fn accuracy(&self, x: &DMatrix<f64>, labels: &[usize]) -> f64 {
        let hits = self.predict_classes(x).iter().zip(labels).filter(|(p, l)| p == l).count();
        hits as f64 / labels.len().max(1) as f64
    }
}

/// An [`Mlp`] as the runtime sees it: the `Trainer`, `lr_find`,
/// `check_gradient` and the optimizers take a flat parameter vector and a
/// loss `(params, batch, grad) -> value`. `FlatMlp` keeps a scratch network
/// and gradient of the model's shape: each call reads the flat parameters
/// into the network, gathers the batch's columns, runs the generated
/// gradient ([`xent::value_and_grad_set`], [`mse::value_and_grad_set`])
/// and flattens it into `grad`.
#[derive(Clone, Debug)]
pub struct FlatMlp {
    model: Mlp,
    grad: Mlp,
    flat: Vec<f64>,
    xb: DMatrix<f64>,
}

impl FlatMlp {
    /// Scratch space for networks shaped like `shape`.
    pub fn new(shape: &Mlp) -> Self {
        FlatMlp {
            model: shape.clone(),
            grad: shape.zeros_like(),
            flat: Vec::with_capacity(shape.num_params()),
            xb: DMatrix::zeros(0, 0),
        }
    }
    /// The network with the flat parameters `params`.
    ///
    /// # Panics
    ///
    /// If `params` is not as long as the network's parameters.
    pub fn load(&mut self, params: &[f64]) -> &Mlp {
        if let Err(e) = self.model.set_from_slice(params) {
            panic!("FlatMlp: {e}");
        }
        &self.model
    }
    /// The network as last loaded (or computed on), by value.
    pub fn into_model(self) -> Mlp {
        self.model
    }
    /// Cross-entropy ([`xent()`]) over the columns `batch` of `x`; its
    /// gradient is written (not added) into `grad`.
    pub fn xent_grad(&mut self, params: &[f64], x: &DMatrix<f64>, labels: &[usize], batch: &[usize], l2: f64, grad: &mut [f64]) -> f64 {
        let yb: Vec<usize> = batch.iter().map(|&i| labels[i]).collect();
        self.eval(params, x, batch, grad, |p, xb, g| xent::value_and_grad_set(p, xb, &yb, l2, g))
    }
    /// Squared error ([`mse()`]) over the columns `batch` of `x`; its gradient
    /// is written (not added) into `grad`.
    pub fn mse_grad(&mut self, params: &[f64], x: &DMatrix<f64>, y: &[f64], batch: &[usize], l2: f64, grad: &mut [f64]) -> f64 {
        let yb = DMatrix::from_iterator(1, batch.len(), batch.iter().map(|&i| y[i]));
        self.eval(params, x, batch, grad, |p, xb, g| mse::value_and_grad_set(p, xb, &yb, l2, g))
    }
    /// The one place where flat meets struct: parameters in, batch gathered,
    /// `f` overwrites the struct gradient, gradient out.
    fn eval(
        &mut self,
        params: &[f64],
        x: &DMatrix<f64>,
        batch: &[usize],
        grad: &mut [f64],
        f: impl FnOnce(&Mlp, &DMatrix<f64>, &mut Mlp) -> f64,
    ) -> f64 {
        self.load(params);
        if self.xb.shape() != (x.nrows(), batch.len()) {
            self.xb = DMatrix::zeros(x.nrows(), batch.len());
        }
        for (j, &i) in batch.iter().enumerate() {
            self.xb.column_mut(j).copy_from(&x.column(i));
        }
        let v = f(&self.model, &self.xb, &mut self.grad);
        self.flat.clear();
        self.grad.flatten_into(&mut self.flat);
        grad.copy_from_slice(&self.flat);
        v
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
