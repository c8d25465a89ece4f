// A matrix passed to another #[differentiable] function.
use gd::differentiable;
use gd::nalgebra::DVector;

#[differentiable]
fn inner(x: &DVector<f64>) -> f64 {
    x.norm_squared()
}

#[differentiable]
fn outer(x: &DVector<f64>) -> f64 {
    inner(x) * 2.0
}

fn main() {
    let _ = outer(&DVector::from_vec(vec![1.0]));
}
