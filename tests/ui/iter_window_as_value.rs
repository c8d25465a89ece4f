// A window of a differentiated array is read through its elements; passed
// on as a slice it is refused (the callee would get the whole array).
use gd::differentiable;

#[differentiable]
fn spread(w: &[f64]) -> f64 {
    w[1] - w[0]
}

#[differentiable]
fn f(xs: &[f64]) -> f64 {
    xs.windows(2).map(|w| spread(w)).sum::<f64>()
}

fn main() {
    let _ = f(&[1.0, 2.0]);
}
