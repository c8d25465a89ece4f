// A float method on a matrix: nalgebra's `exp` is the matrix exponential,
// not elementwise; the error says to map over the elements.
use gd::differentiable;
use gd::nalgebra::DVector;

#[differentiable]
fn f(x: &DVector<f64>) -> f64 {
    x.exp()
}

fn main() {}
