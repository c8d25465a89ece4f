// A matrix method without a rule.
use gd::differentiable;
use gd::nalgebra::DMatrix;

#[differentiable]
fn f(m: &DMatrix<f64>) -> f64 {
    m.determinant()
}

fn main() {
    let _ = f(&DMatrix::identity(2, 2));
}
