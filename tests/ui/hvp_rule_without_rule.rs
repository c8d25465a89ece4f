// `hvp = ..` is the second-order part of a hand-written rule: alone, with
// the body differentiated, it would mean nothing.
use gd::differentiable;

fn square_hvp(x: f64, v: f64) -> (f64, f64, f64) {
    (x * x, 2.0 * x, 2.0 * v)
}

#[differentiable(hvp = square_hvp)]
fn square(x: f64) -> f64 {
    x * x
}

fn main() {
    let _ = square::grad(1.0);
}
