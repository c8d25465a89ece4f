//! What a data-parallel run saves every K epochs (rank 0 writes it) and
//! resumes from: the parameters, the optimizer's state and where the run
//! was, as JSON through serde. The shuffling generator is not saved: it is
//! seeded, so a resumed run replays the shuffles of the epochs done.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::GdError;
use crate::schedule::ReduceLrOnPlateau;
use crate::train::{History, StoppingState};

/// A training checkpoint. `O` is the optimizer (every optimizer of
/// [`crate::optim`] is `Serialize + Deserialize`).
///
/// A resumed run goes on as the uninterrupted one: the history, the
/// early-stopping and plateau bookkeeping and a
/// [`crate::schedule::ReduceLrOnPlateau`] rule's state are in it too
/// (checkpoints written before they were read as fresh ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint<O> {
    /// Epochs completed.
    pub epochs: usize,
    /// Optimizer steps taken.
    pub steps: usize,
    /// The shuffling seed of the run.
    pub seed: u64,
    /// The ranks that wrote it (a run on another count resumes to the same
    /// parameters up to the order of the sums).
    pub ranks: usize,
    /// The blow-up threshold fixed at the first step (`None`: not yet, or no
    /// blow-up rule).
    pub threshold: Option<f64>,
    /// The last finite step loss.
    pub last_finite_loss: Option<f64>,
    /// The parameters, flat.
    pub params: Vec<f64>,
    /// The optimizer, its state included.
    pub optimizer: O,
    /// The stopping rules' bookkeeping.
    #[serde(default)]
    pub stopping: StoppingState,
    /// The parameters of the best validation loss so far, flat (runs with
    /// early stopping restore them at the end).
    #[serde(default)]
    pub best_params: Option<Vec<f64>>,
    /// The run's records up to this epoch.
    #[serde(default)]
    pub history: History,
    /// The reduce-on-plateau rule's state, when the run has one.
    #[serde(default)]
    pub lr_rule: Option<ReduceLrOnPlateau>,
}

impl<O: Serialize> Checkpoint<O> {
    /// Write to `path`: to `path.tmp` first, then renamed over `path`, so a
    /// process killed while writing leaves the previous checkpoint whole.
    pub fn write(&self, path: &Path) -> Result<(), GdError> {
        let io = |e: &dyn std::fmt::Display| GdError::Io { path: path.display().to_string(), message: e.to_string() };
        let json = serde_json::to_vec(self).map_err(|e| io(&e))?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        std::fs::write(&tmp, json).map_err(|e| io(&e))?;
        std::fs::rename(&tmp, path).map_err(|e| io(&e))
    }
}

impl<O: DeserializeOwned> Checkpoint<O> {
    /// Read from `path`.
    pub fn read(path: &Path) -> Result<Self, GdError> {
        let bytes = std::fs::read(path)
            .map_err(|e| GdError::Checkpoint { path: path.display().to_string(), message: e.to_string() })?;
        Self::from_bytes(path, &bytes)
    }

    /// Parse the bytes of the file at `path` (named in the error).
    pub(crate) fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Self, GdError> {
        serde_json::from_slice(bytes).map_err(|e| GdError::Checkpoint { path: path.display().to_string(), message: e.to_string() })
    }
}
