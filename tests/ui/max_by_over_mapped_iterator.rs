// `max_by` is supported over a differentiated array parameter's
// `.iter()` / `.copied()` / `.cloned()`; over a mapped iterator the error
// says which forms work.
use gd::differentiable;

#[differentiable]
fn f(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).max_by(|a, b| a.total_cmp(b)).unwrap()
}

fn main() {
    let _ = f(&[1.0, 2.0]);
}
