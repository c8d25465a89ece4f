// `fill` / `copy_from_slice` write differentiated values into a local array
// named as a whole, not into a sub-slice of one.
use gd::differentiable;

#[differentiable]
fn tail(x: &[f64]) -> f64 {
    let mut c = [0.0; 3];
    c[1..].fill(x[0]);
    c[1] * c[2]
}

fn main() {
    let _ = tail::grad(&[1.0, 2.0]);
}
