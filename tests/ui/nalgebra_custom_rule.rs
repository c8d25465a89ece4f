// Custom rules take float and slice parameters only.
use gd::differentiable;
use gd::nalgebra::DVector;

fn rule(x: &DVector<f64>) -> (f64, DVector<f64>) {
    (x.norm_squared(), x * 2.0)
}

#[differentiable(value_and_grad = rule)]
fn f(x: &DVector<f64>) -> f64 {
    x.norm_squared()
}

fn main() {
    let _ = f(&DVector::from_vec(vec![1.0]));
}
