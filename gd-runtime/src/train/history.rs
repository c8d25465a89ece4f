//! What happened during a run, per step and per epoch, with CSV and SVG
//! writers.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::GdError;
use crate::plot::{self, Curve};

/// One optimizer step.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Step index (from 0).
    pub step: usize,
    /// Epoch of the step.
    pub epoch: usize,
    /// Loss at the parameters before the step (mean over the batch group).
    pub loss: f64,
    /// Norm of the gradient applied.
    pub grad_norm: f64,
    /// Learning rate of the step.
    pub lr: f64,
}

/// One epoch.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch index (from 0).
    pub epoch: usize,
    /// Mean of the step losses, weighted by batch size.
    pub loss: f64,
    /// Norm of the mean gradient over the epoch.
    pub grad_norm: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Validation loss, when a validation closure is set.
    pub val_loss: Option<f64>,
}

/// Per-step and per-epoch records of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// One record per optimizer step (when `record_steps`).
    pub steps: Vec<StepRecord>,
    /// One record per completed epoch.
    pub epochs: Vec<EpochRecord>,
}

impl History {
    /// Loss per step as a named curve (x = step).
    pub fn step_loss_curve(&self, name: &str) -> Curve {
        Curve::new(name, self.steps.iter().map(|r| (r.step as f64, r.loss)).collect())
    }
    /// Loss per epoch as a named curve (x = epoch).
    pub fn epoch_loss_curve(&self, name: &str) -> Curve {
        Curve::new(name, self.epochs.iter().map(|r| (r.epoch as f64, r.loss)).collect())
    }

    /// CSV text of the step records: `step,epoch,loss,grad_norm,lr`.
    pub fn steps_csv(&self) -> String {
        let mut s = String::from("step,epoch,loss,grad_norm,lr\n");
        for r in &self.steps {
            s.push_str(&format!("{},{},{:e},{:e},{:e}\n", r.step, r.epoch, r.loss, r.grad_norm, r.lr));
        }
        s
    }

    /// CSV text of the epoch records: `epoch,loss,grad_norm,lr,val_loss`
    /// (empty `val_loss` when there is none).
    pub fn epochs_csv(&self) -> String {
        let mut s = String::from("epoch,loss,grad_norm,lr,val_loss\n");
        for r in &self.epochs {
            let v = r.val_loss.map(|v| format!("{v:e}")).unwrap_or_default();
            s.push_str(&format!("{},{:e},{:e},{:e},{}\n", r.epoch, r.loss, r.grad_norm, r.lr, v));
        }
        s
    }

    /// Write [`History::steps_csv`] to `path`.
    pub fn write_steps_csv(&self, path: impl AsRef<Path>) -> Result<(), GdError> {
        plot::write_text(path.as_ref(), &self.steps_csv())
    }

    /// Write [`History::epochs_csv`] to `path`.
    pub fn write_epochs_csv(&self, path: impl AsRef<Path>) -> Result<(), GdError> {
        plot::write_text(path.as_ref(), &self.epochs_csv())
    }

    /// Plot the loss per step (per epoch when no step records) to an SVG
    /// file, log-scale y when every loss is positive.
    pub fn plot_loss_svg(&self, path: impl AsRef<Path>, title: &str) -> Result<(), GdError> {
        let (curve, x_label) = if self.steps.is_empty() {
            (self.epoch_loss_curve("loss"), "epoch")
        } else {
            (self.step_loss_curve("loss"), "step")
        };
        plot::plot_curves_svg(path, title, x_label, "loss", &[curve], true)
    }
}
