// A `filter` closure whose parameter is a plain name: the condition is kept
// as written, and would see a `&&f64` where the lowering binds the element
// as a value; the message asks for a reference pattern instead.
use gd::differentiable;

#[differentiable]
fn kept(xs: &[f64]) -> f64 {
    xs.iter().filter(|v| **v > 0.0).map(|&v| v * v).sum::<f64>()
}

fn main() {
    let _ = kept::grad(&[1.0, -2.0]);
}
