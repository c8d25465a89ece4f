// A `map` closure on a matrix may differentiate its element only, not a
// differentiated value from outside (`s`).
use gd::differentiable;
use gd::nalgebra::DVector;

#[differentiable]
fn f(x: &DVector<f64>, s: f64) -> f64 {
    x.map(|v| v * s).sum()
}

fn main() {
    let _ = f(&DVector::from_vec(vec![1.0]), 2.0);
}
