//! The bookkeeping of the epoch-level stopping rules (early stopping on a
//! validation loss, the loss-plateau rule), kept in one value so that a
//! checkpoint carries it and a resumed run stops where the uninterrupted one
//! would have.

use serde::{Deserialize, Serialize};

use super::LossPlateau;

/// Where the stopping rules stand after an epoch.
///
/// Losses are `Option`s rather than an infinite start: JSON, which
/// checkpoints are written in, has no infinity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoppingState {
    /// `(epoch, loss)` of the best validation loss so far.
    pub best_validation: Option<(usize, f64)>,
    /// Epochs since the best validation loss.
    pub validation_bad_epochs: usize,
    /// Best epoch loss under the plateau rule.
    pub plateau_best: Option<f64>,
    /// Epochs since [`StoppingState::plateau_best`].
    pub plateau_bad_epochs: usize,
}

impl StoppingState {
    /// Record epoch `epoch`'s validation loss `v`; `true` when it is a new
    /// best (a NaN never is).
    pub(crate) fn validated(&mut self, epoch: usize, v: f64) -> bool {
        let improved = match self.best_validation {
            None => !v.is_nan(),
            Some((_, b)) => v < b,
        };
        if improved {
            self.best_validation = Some((epoch, v));
            self.validation_bad_epochs = 0;
        } else {
            self.validation_bad_epochs += 1;
        }
        improved
    }

    /// Record an epoch loss under `rule`; `true` when its patience ran out.
    pub(crate) fn plateaued(&mut self, loss: f64, rule: LossPlateau) -> bool {
        let improved = match self.plateau_best {
            None => true,
            Some(b) => loss < b - rule.min_rel_delta * b.abs(),
        };
        if improved {
            self.plateau_best = Some(loss);
            self.plateau_bad_epochs = 0;
        } else {
            self.plateau_bad_epochs += 1;
        }
        !improved && self.plateau_bad_epochs >= rule.patience
    }
}
