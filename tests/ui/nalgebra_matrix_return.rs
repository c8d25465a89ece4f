// A matrix-valued return type.
use gd::differentiable;
use gd::nalgebra::DVector;

#[differentiable]
fn f(x: &DVector<f64>) -> DVector<f64> {
    x * 2.0
}

fn main() {
    let _ = f(&DVector::from_vec(vec![1.0]));
}
