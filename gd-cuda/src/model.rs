//! The model description: an MLP's layer sizes, activations, loss and
//! optimizer, written once and trained on the CPU or the GPU.

use gd_runtime::init;

use crate::error::{same, CudaError};
use crate::optim::OptimSpec;

/// A layer's activation (applied after its affine map).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `y = z` (the usual last layer).
    Identity,
    /// `y = max(z, 0)`; derivative 0 at 0.
    Relu,
    /// `y = tanh z`.
    Tanh,
    /// `y = 1 / (1 + e⁻ᶻ)`.
    Sigmoid,
}

impl Activation {
    /// The code the kernels switch on (see `kernels::layers`).
    pub fn code(self) -> i32 {
        match self {
            Activation::Identity => 0,
            Activation::Relu => 1,
            Activation::Tanh => 2,
            Activation::Sigmoid => 3,
        }
    }
    /// Xavier gain for the layer feeding this activation.
    fn gain(self) -> f64 {
        match self {
            Activation::Identity | Activation::Sigmoid => 1.0,
            Activation::Relu => std::f64::consts::SQRT_2,
            Activation::Tanh => 5.0 / 3.0,
        }
    }
}

/// The loss on the last layer's outputs, averaged over the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Softmax cross-entropy against class labels (`mean_r lse(z_r) − z_r[label]`).
    SoftmaxCrossEntropy,
    /// Mean squared error over all outputs (torch's `MSELoss`, mean reduction).
    Mse,
}

/// Where one layer's weights and bias sit in the flat parameter vector.
/// `W` is `n_out × n_in` row-major (as in gd-examples' `Mlp`), then `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerLayout {
    /// Inputs.
    pub n_in: usize,
    /// Outputs.
    pub n_out: usize,
    /// Offset of `W`.
    pub w: usize,
    /// Offset of `b`.
    pub b: usize,
    /// The activation after the layer.
    pub act: Activation,
}

/// An MLP: `sizes = [n_in, h1, …, n_out]`, one activation per layer.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpSpec {
    /// Widths, input first.
    pub sizes: Vec<usize>,
    /// One per layer (`sizes.len() − 1`), usually `Identity` last.
    pub activations: Vec<Activation>,
    /// The loss.
    pub loss: Loss,
    /// The optimizer.
    pub optimizer: OptimSpec,
}

impl MlpSpec {
    /// Check the description.
    pub fn validate(&self) -> Result<(), CudaError> {
        if self.sizes.len() < 2 || self.sizes.contains(&0) {
            return Err(CudaError::Invalid(format!("layer sizes {:?}: need at least two, none zero", self.sizes)));
        }
        same("activations (one per layer)", self.sizes.len() - 1, self.activations.len())?;
        if self.loss == Loss::SoftmaxCrossEntropy && self.activations.last() != Some(&Activation::Identity) {
            return Err(CudaError::Invalid("softmax cross-entropy takes logits: the last activation must be Identity".into()));
        }
        self.optimizer.validate()
    }

    /// Each layer's place in the flat parameter vector.
    pub fn layout(&self) -> Vec<LayerLayout> {
        let mut off = 0;
        self.sizes
            .windows(2)
            .zip(&self.activations)
            .map(|(w, &act)| {
                let l = LayerLayout { n_in: w[0], n_out: w[1], w: off, b: off + w[0] * w[1], act };
                off = l.b + l.n_out;
                l
            })
            .collect()
    }

    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        self.layout().last().map_or(0, |l| l.b + l.n_out)
    }

    /// Inputs per sample.
    pub fn n_in(&self) -> usize {
        self.sizes[0]
    }

    /// Outputs per sample.
    pub fn n_out(&self) -> usize {
        *self.sizes.last().unwrap_or(&0)
    }

    /// Xavier-uniform weights (gain by activation), zero biases, from `seed`
    /// (gd-runtime's `init`).
    pub fn init(&self, seed: u64) -> Result<Vec<f32>, CudaError> {
        self.validate()?;
        let mut p = vec![0.0f64; self.n_params()];
        let mut rng = init::seeded(seed);
        for l in self.layout() {
            init::xavier_uniform(&mut p[l.w..l.b], l.n_in, l.n_out, l.act.gain(), &mut rng)?;
        }
        Ok(p.into_iter().map(|v| v as f32).collect())
    }

    /// Outputs of every row of `x` (row-major, `n_in` columns), on the CPU.
    pub fn predict(&self, p: &[f32], x: &[f32]) -> Result<Vec<f32>, CudaError> {
        same("parameters", self.n_params(), p.len())?;
        let rows = x.len() / self.n_in();
        same("inputs (rows × n_in)", rows * self.n_in(), x.len())?;
        let mut ws = crate::cpu::mlp::Workspace::new(self, rows);
        crate::cpu::mlp::forward(self, p, x, rows, &mut ws);
        Ok(ws.acts.pop().unwrap_or_default())
    }

    /// Fraction of rows whose largest output is the label, on the CPU.
    pub fn accuracy(&self, p: &[f32], x: &[f32], labels: &[u32]) -> Result<f64, CudaError> {
        let out = self.predict(p, x)?;
        let k = self.n_out();
        same("labels (one per row)", out.len() / k, labels.len())?;
        let hits = out
            .chunks(k)
            .zip(labels)
            .filter(|(o, &l)| (0..k).max_by(|&a, &b| o[a].total_cmp(&o[b])) == Some(l as usize))
            .count();
        Ok(hits as f64 / labels.len().max(1) as f64)
    }
}
