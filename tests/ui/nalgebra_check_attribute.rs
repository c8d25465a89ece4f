// `check(..)` takes literal values: a matrix parameter cannot be given one.
use gd::differentiable;
use gd::nalgebra::DVector;

#[differentiable(check(x = DVector::from_vec(vec![1.0, 2.0])))]
fn f(x: &DVector<f64>) -> f64 {
    x.norm_squared()
}

fn main() {
    let _ = f(&DVector::from_vec(vec![1.0]));
}
