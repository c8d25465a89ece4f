// A matrix-valued function (supported) with an early `return` (not yet).
use gd::differentiable;
use gd::nalgebra::DVector;

#[differentiable]
fn f(x: &DVector<f64>) -> DVector<f64> {
    if x[0] > 0.0 {
        return x * 2.0;
    }
    x * 3.0
}

fn main() {
    let _ = f(&DVector::from_vec(vec![1.0]));
}
