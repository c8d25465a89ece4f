use gd::differentiable;
use nalgebra::DVector;

#[differentiable(cuda, wrt(params))]
fn loss(params: &[f32], x: &[f32]) -> f32 {
    let v = DVector::from_column_slice(x);
    params[0] * v[0]
}

fn main() {
    let _ = loss(&[1.0], &[2.0]);
}
