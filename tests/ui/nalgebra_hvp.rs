// No second derivatives for functions of matrices: `hvp` (and `hessian`)
// are not generated.
use gd::differentiable;
use gd::nalgebra::DVector;

#[differentiable]
fn f(x: &DVector<f64>) -> f64 {
    x.norm_squared()
}

fn main() {
    let x = DVector::from_vec(vec![1.0]);
    let _ = f::hvp(&x, &x);
}
