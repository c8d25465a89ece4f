// A matrix-valued function that calls itself: its split (the reverse sweep
// kept as a closure) would contain itself.
use gd::differentiable;
use gd::nalgebra::DVector;

#[differentiable]
#[allow(unconditional_recursion)]
fn rec(x: &DVector<f64>, n: usize) -> DVector<f64> {
    let y: DVector<f64> = rec(x, n - 1);
    y.map(|v| v * v)
}

fn main() {}
