//! Training a described MLP on a chosen device.

use rand::seq::SliceRandom;
use rand::SeedableRng;

use crate::error::{same, CudaError};
use crate::model::{Loss, MlpSpec};

/// Where to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The plain-Rust reference path.
    Cpu,
    /// The CUDA device with this ordinal.
    Gpu(usize),
}

/// Training data: `x` row-major `n × n_in` (f32), targets per row.
#[derive(Debug, Clone, Copy)]
pub struct Data<'a> {
    /// Features, `n · n_in` values.
    pub x: &'a [f32],
    /// Targets.
    pub targets: Targets<'a>,
}

/// The targets of a data set.
#[derive(Debug, Clone, Copy)]
pub enum Targets<'a> {
    /// A class index per row (softmax cross-entropy).
    Classes(&'a [u32]),
    /// `n_out` values per row (MSE).
    Values(&'a [f32]),
}

/// Epochs, mini-batch size and the seed of the shuffling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Rows per optimizer step (the last batch of an epoch may be smaller).
    pub batch: usize,
    /// Seed of the per-epoch shuffles (the same on every device).
    pub seed: u64,
}

/// What a training run gives back.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// Final parameters (the layout of [`MlpSpec::layout`]).
    pub params: Vec<f32>,
    /// Mean of the batch losses, per epoch.
    pub epoch_loss: Vec<f64>,
    /// Optimizer steps taken.
    pub steps: u64,
}

impl<'a> Data<'a> {
    /// Rows, after checking the data against the description.
    pub fn rows(&self, spec: &MlpSpec) -> Result<usize, CudaError> {
        let n = self.x.len() / spec.n_in();
        same("inputs (rows × n_in)", n * spec.n_in(), self.x.len())?;
        match (spec.loss, self.targets) {
            (Loss::SoftmaxCrossEntropy, Targets::Classes(l)) => {
                same("labels (one per row)", n, l.len())?;
                if let Some(&bad) = l.iter().find(|&&c| c as usize >= spec.n_out()) {
                    return Err(CudaError::Invalid(format!("label {bad} with {} classes", spec.n_out())));
                }
            }
            (Loss::Mse, Targets::Values(t)) => same("targets (rows × n_out)", n * spec.n_out(), t.len())?,
            _ => return Err(CudaError::Invalid("targets do not fit the loss (classes for cross-entropy, values for MSE)".into())),
        }
        if n == 0 {
            return Err(CudaError::Invalid("no rows to train on".into()));
        }
        Ok(n)
    }
}

/// The row order of every epoch, concatenated (`epochs · n` indices): one
/// shuffle per epoch from `seed`, so that both devices see the same batches.
pub fn epoch_orders(n: usize, epochs: usize, seed: u64) -> Vec<u32> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut all = Vec::with_capacity(n * epochs);
    let mut idx: Vec<u32> = (0..n as u32).collect();
    for _ in 0..epochs {
        idx.shuffle(&mut rng);
        all.extend_from_slice(&idx);
    }
    all
}

/// Train `spec` from `params` on `data`, on `device`.
pub fn train(
    spec: &MlpSpec,
    params: &[f32],
    data: Data<'_>,
    cfg: TrainConfig,
    device: Device,
) -> Result<Trained, CudaError> {
    spec.validate()?;
    same("parameters", spec.n_params(), params.len())?;
    let n = data.rows(spec)?;
    if cfg.batch == 0 {
        return Err(CudaError::Invalid("batch size 0".into()));
    }
    let order = epoch_orders(n, cfg.epochs, cfg.seed);
    let run = match device {
        Device::Cpu => crate::cpu::train::run(spec, params, data, n, cfg, &order),
        Device::Gpu(ordinal) => {
            let gpu = crate::gpu::Gpu::new(ordinal)?;
            crate::gpu::train::run(&gpu, spec, params, data, n, cfg, &order)
        }
    }?;
    if let Some(epoch) = run.epoch_loss.iter().position(|l| !l.is_finite()) {
        return Err(CudaError::Diverged { epoch });
    }
    Ok(run)
}

impl MlpSpec {
    /// Train this description: see [`train`].
    pub fn train(&self, params: &[f32], data: Data<'_>, cfg: TrainConfig, device: Device) -> Result<Trained, CudaError> {
        train(self, params, data, cfg, device)
    }
}
