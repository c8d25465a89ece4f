// `reduce` over items by reference (`xs.iter()`): the closure returns one
// of its borrowed arguments, which the lowering cannot collect; the message
// says to take items by value or to write the fold.
use gd::differentiable;

#[differentiable]
fn largest(xs: &[f64]) -> f64 {
    *xs.iter().reduce(|a, b| if a > b { a } else { b }).unwrap()
}

fn main() {
    let _ = largest::grad(&[1.0, 2.0]);
}
