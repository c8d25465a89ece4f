//! A `#[differentiable]` function in a file of its own, reached through a
//! glob import (see `ad_calls.rs`, `glob_import`).
use gd::differentiable;

#[differentiable]
pub fn twice(x: f64) -> f64 {
    2.0 * x * x
}
