//! The tour of gd: every example is a module with
//! `run(&Args) -> Result<Report, Error>`, shared by the tour
//! (`cargo run --release -p gd-examples`) and by
//! `cargo run --release -p gd-examples --example NAME`.
//!
//! Each example checks its loss's generated gradient against central
//! differences (`gd::runtime::check_gradient`) before it trains, and says so
//! in its report.

pub mod common;
/// Shared by the device examples (`--features cuda`).
#[cfg(feature = "cuda")]
pub mod cuda_batch;
pub mod contour;
pub mod data;
pub mod models;

pub mod batch_modes;
pub mod breast_cancer;
pub mod diabetes;
pub mod digits;
pub mod house_prices;
pub mod learning_rates;
pub mod local_minima;
pub mod rosenbrock_race;
pub mod vanishing;

pub use common::{Args, Error, Report};

/// One example: its `--example` name, and its `run`.
pub type Example = (&'static str, fn(&Args) -> Result<Report, Error>);

/// The examples in tour order.
pub const EXAMPLES: &[Example] = &[
    ("house_prices", house_prices::run),
    ("learning_rates", learning_rates::run),
    ("batch_modes", batch_modes::run),
    ("rosenbrock_race", rosenbrock_race::run),
    ("local_minima", local_minima::run),
    ("breast_cancer", breast_cancer::run),
    ("digits", digits::run),
    ("diabetes", diabetes::run),
    ("vanishing_gradients", vanishing::run),
    ("lr_finder", digits::run_lr_find),
];
