// An array pattern with `..`: every element must be named (or `_`).
use gd::differentiable;

#[differentiable]
fn head(x: &[f64]) -> f64 {
    let a = [x[0] * 2.0, x[1], x[0]];
    let [p, ..] = a;
    p * p
}

fn main() {
    let _ = head::grad(&[1.0, 2.0]);
}
