//! The one error type of the runtime: every fallible function returns
//! `Result<_, GdError>`, and every message says what was wrong and where.

use std::fmt;

/// Errors reported by optimizers, schedules, the training loop, the gradient
/// checker and the plot writers. Nothing in `gd-runtime` panics on bad input;
/// it returns one of these.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GdError {
    /// A hyperparameter outside its allowed range (negative or NaN learning
    /// rate, β outside [0, 1), ε ≤ 0, …). `name` says which one, e.g.
    /// `"Adam.beta1"`.
    #[error("bad hyperparameter `{name}` = {value}: must be {allowed}")]
    BadHyperparameter {
        /// Which hyperparameter, qualified by its owner (`"Adam.beta1"`).
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The allowed range in words (`"in [0, 1)"`).
        allowed: &'static str,
    },
    /// Two lengths that must agree do not (parameters vs gradient, parameters
    /// vs optimizer state, …).
    #[error("dimension mismatch in {what}: expected length {expected}, got {got}")]
    DimensionMismatch {
        /// Where the mismatch was found.
        what: &'static str,
        /// The length that was expected.
        expected: usize,
        /// The length that was given.
        got: usize,
    },
    /// A parameter leaf has the length the optimizer's state expects but not
    /// its precision (`f32` parameters stepped with a state made for `f64`
    /// ones, or the reverse). Call `reset` to step other parameters.
    #[error("precision mismatch at parameter leaf {leaf}: the optimizer state is {expected}, the parameters are {got}")]
    PrecisionMismatch {
        /// Index of the leaf in the flat order.
        leaf: usize,
        /// The state's precision (`"f64"` or `"f32"`).
        expected: &'static str,
        /// The parameters' precision.
        got: &'static str,
    },
    /// The training loop was given `n_samples == 0`.
    #[error("empty dataset: n_samples is 0, there is nothing to train on")]
    EmptyDataset,
    /// A batch size (or accumulation count) of zero.
    #[error("zero batch size: {what} must be at least 1")]
    ZeroBatchSize {
        /// Which setting was zero (`"batch size"`, `"gradient accumulation steps"`).
        what: &'static str,
    },
    /// The run diverged: NaN/Inf in the loss or the gradient, or a loss
    /// blow-up. Reported instead of returning non-finite parameters.
    #[error(
        "diverged at step {step} (learning rate {lr:e}): {cause}; last finite loss: {}",
        fmt_opt(*last_finite_loss)
    )]
    Divergence {
        /// Number of optimizer steps taken when the divergence was observed
        /// (the bad loss/gradient was evaluated after this many updates).
        step: usize,
        /// The learning rate in use at that point.
        lr: f64,
        /// The last finite loss seen before the divergence, if any.
        last_finite_loss: Option<f64>,
        /// What was observed.
        cause: DivergenceCause,
    },
    /// The analytic gradient disagrees with central finite differences.
    #[error(
        "gradient check failed: {n_failed} of {dim} coordinates violate |analytic - numeric| <= atol + rtol*|numeric| (atol {atol:e}, rtol {rtol:e}); worst:\n{}",
        fmt_coords(worst)
    )]
    GradientCheck {
        /// How many coordinates failed.
        n_failed: usize,
        /// Number of coordinates checked.
        dim: usize,
        /// Absolute tolerance used.
        atol: f64,
        /// Relative tolerance used.
        rtol: f64,
        /// The worst coordinates, worst first.
        worst: Vec<CoordError>,
    },
    /// Writing a file (CSV, SVG) failed.
    #[error("could not write {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error, as text.
        message: String,
    },
    /// The plotting backend failed.
    #[error("plot error: {0}")]
    Plot(String),
    /// A line search found no acceptable step (see
    /// [`crate::linesearch::LineSearchFailure`] for the causes).
    #[error("line search failed after {evaluations} evaluations (last step {step:e}): {cause}")]
    LineSearch {
        /// Why no step was accepted.
        cause: crate::linesearch::LineSearchFailure,
        /// Objective evaluations the search made.
        evaluations: usize,
        /// The last step tried.
        step: f64,
    },
    /// A box constraint that no point satisfies or that cannot be read: a NaN
    /// bound, `lower > upper`, a lower bound of +∞ or an upper bound of −∞
    /// (see [`crate::quasi_newton::Lbfgs::with_bounds`]).
    #[error("bad bounds for variable {index}: lower {lower}, upper {upper} ({why})")]
    BadBounds {
        /// The variable whose bounds are rejected.
        index: usize,
        /// Its lower bound.
        lower: f64,
        /// Its upper bound.
        upper: f64,
        /// What is wrong, in words (`"lower > upper"`).
        why: &'static str,
    },
    /// The objective (or its gradient) is NaN or ±Inf at the starting point
    /// of a solver, so there is nothing to descend from.
    #[error("objective is not finite at the starting point: {cause}")]
    NonFiniteStart {
        /// What was observed.
        cause: DivergenceCause,
    },
    /// A rank of a data-parallel run failed ([`crate::dist`]): every rank
    /// returns this same error, naming the lowest failed rank and why, at
    /// the collective step where the ranks found out (so none waits on the
    /// failed one).
    #[error("rank {rank} of {size} failed{}: {cause}", fmt_step(*step))]
    RankFailed {
        /// The failed rank (the lowest one when several failed at once).
        rank: usize,
        /// The number of ranks.
        size: usize,
        /// The optimizer steps taken when it failed, if it failed in training.
        step: Option<usize>,
        /// What happened on that rank.
        cause: RankFailure,
    },
    /// The ranks of a data-parallel run were given settings that must agree
    /// but do not (sample counts, parameter counts, seeds, batch sizes).
    #[error("ranks disagree on {what}: rank 0 has {expected}, rank {rank} has {got}")]
    RankMismatch {
        /// The setting.
        what: &'static str,
        /// The first rank that differs from rank 0.
        rank: usize,
        /// Rank 0's value.
        expected: f64,
        /// That rank's value.
        got: f64,
    },
    /// The communication engine (MPI, NCCL) reported an error.
    #[error("communication failed: {0}")]
    Communication(String),
    /// A training checkpoint could not be read or does not fit this run.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

/// What a failed rank of a data-parallel run reported
/// ([`GdError::RankFailed`]).
#[derive(Debug, Clone, PartialEq)]
pub enum RankFailure {
    /// Its loss panicked; the panic's message.
    Panic(String),
    /// Its shard's mean loss was NaN or ±Inf.
    NonFiniteLoss(f64),
    /// Its shard's gradient had a NaN or ±Inf coordinate.
    NonFiniteGradient {
        /// First non-finite coordinate (flat order).
        index: usize,
        /// Its value.
        value: f64,
    },
    /// An error on that rank alone (a data file it could not read, a
    /// checkpoint it could not write), as text.
    Error(String),
    /// Its parameters differ from rank 0's after an epoch (the replicas
    /// drifted apart: a loss that is not the same function on every rank).
    Drifted {
        /// The epoch after which it was found.
        epoch: usize,
    },
}

impl fmt::Display for RankFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RankFailure::Panic(m) => write!(f, "its loss panicked: {m}"),
            RankFailure::NonFiniteLoss(v) => write!(f, "its shard's loss is {v}"),
            RankFailure::NonFiniteGradient { index, value } => write!(f, "its shard's gradient[{index}] is {value}"),
            RankFailure::Error(m) => write!(f, "{m}"),
            RankFailure::Drifted { epoch } => {
                write!(f, "its parameters differ from rank 0's after epoch {epoch}")
            }
        }
    }
}

fn fmt_step(step: Option<usize>) -> String {
    match step {
        Some(s) => format!(" at step {s}"),
        None => String::new(),
    }
}

/// Why a run was declared divergent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DivergenceCause {
    /// The loss was NaN or ±Inf.
    NonFiniteLoss(f64),
    /// A gradient coordinate was NaN or ±Inf.
    NonFiniteGradient {
        /// First non-finite coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The loss exceeded `threshold` (blow-up factor × reference loss).
    BlowUp {
        /// The loss observed.
        loss: f64,
        /// The threshold it exceeded.
        threshold: f64,
    },
}

impl fmt::Display for DivergenceCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DivergenceCause::NonFiniteLoss(v) => write!(f, "loss is {v}"),
            DivergenceCause::NonFiniteGradient { index, value } => {
                write!(f, "gradient[{index}] is {value}")
            }
            DivergenceCause::BlowUp { loss, threshold } => {
                write!(f, "loss blew up to {loss:e} (> threshold {threshold:e})")
            }
        }
    }
}

/// One coordinate of a gradient check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoordError {
    /// Coordinate index.
    pub index: usize,
    /// Gradient given by the objective.
    pub analytic: f64,
    /// Central-difference estimate.
    pub numeric: f64,
    /// `|analytic - numeric|`.
    pub abs_err: f64,
    /// `abs_err / max(|numeric|, tiny)`.
    pub rel_err: f64,
}

fn fmt_opt(v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{v:e}"),
        None => "none".to_string(),
    }
}

pub(crate) fn fmt_coords(worst: &[CoordError]) -> String {
    let mut s = String::from("  index      analytic       numeric       abs err       rel err");
    for c in worst {
        s.push_str(&format!(
            "\n  {:>5} {:>13.6e} {:>13.6e} {:>13.6e} {:>13.6e}",
            c.index, c.analytic, c.numeric, c.abs_err, c.rel_err
        ));
    }
    s
}

/// Shorthand for `Result<T, GdError>`.
pub type Result<T, E = GdError> = std::result::Result<T, E>;

/// Validation helpers shared by the builders.
pub(crate) mod check {
    use super::GdError;

    /// `v` finite and `>= 0`.
    pub fn non_negative(name: &'static str, v: f64) -> Result<f64, GdError> {
        if v.is_finite() && v >= 0.0 {
            Ok(v)
        } else {
            Err(GdError::BadHyperparameter { name, value: v, allowed: "finite and >= 0" })
        }
    }

    /// `v` finite and `> 0`.
    pub fn positive(name: &'static str, v: f64) -> Result<f64, GdError> {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(GdError::BadHyperparameter { name, value: v, allowed: "finite and > 0" })
        }
    }

    /// `v` in `[0, 1)`.
    pub fn unit_open(name: &'static str, v: f64) -> Result<f64, GdError> {
        if (0.0..1.0).contains(&v) {
            Ok(v)
        } else {
            Err(GdError::BadHyperparameter { name, value: v, allowed: "in [0, 1)" })
        }
    }

    /// `v` in `[0, 1]`.
    pub fn unit_closed(name: &'static str, v: f64) -> Result<f64, GdError> {
        if (0.0..=1.0).contains(&v) {
            Ok(v)
        } else {
            Err(GdError::BadHyperparameter { name, value: v, allowed: "in [0, 1]" })
        }
    }

    /// An ordered pair `0 < lo <= hi < 1` (line-search constants); the error
    /// names the first value that breaks it.
    pub fn ordered_unit_pair(name: &'static str, lo: f64, hi: f64, allowed: &'static str) -> Result<(f64, f64), GdError> {
        if lo > 0.0 && lo <= hi && hi < 1.0 {
            Ok((lo, hi))
        } else {
            let value = if lo > 0.0 && lo < 1.0 { hi } else { lo };
            Err(GdError::BadHyperparameter { name, value, allowed })
        }
    }

    /// Integer `>= 1`.
    pub fn at_least_one(name: &'static str, v: usize) -> Result<usize, GdError> {
        if v >= 1 {
            Ok(v)
        } else {
            Err(GdError::BadHyperparameter { name, value: v as f64, allowed: ">= 1" })
        }
    }

    /// Lengths must agree.
    pub fn same_len(what: &'static str, expected: usize, got: usize) -> Result<(), GdError> {
        if expected == got {
            Ok(())
        } else {
            Err(GdError::DimensionMismatch { what, expected, got })
        }
    }
}
