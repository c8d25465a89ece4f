// A differentiated value passed to a parameter that the callee does not
// differentiate: the callee would drop its derivative, so it is an error
// that says which way to fix it.
use gd::differentiable;

#[differentiable(wrt(x))]
fn scaled(x: f64, k: f64) -> f64 {
    x * k
}

#[differentiable]
fn caller(a: f64, b: f64) -> f64 {
    scaled(a, b)
}

fn main() {}
