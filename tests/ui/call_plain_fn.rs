// A plain `fn` of the same file (no #[differentiable]) given a
// differentiated value: it has no derivative code, and rustc would report a
// missing module inside the expansion. The macro says so at the call, for a
// scalar call and for a tuple-valued one bound by `let (a, b) = ..`.
// Passing it data, or a value wrapped in `gd::stop_gradient`, is fine.
use gd::differentiable;

fn square(v: f64) -> f64 {
    v * v
}

fn pair(v: f64) -> (f64, f64) {
    (v, 2.0 * v)
}

#[differentiable]
fn energy(x: f64, k: f64) -> f64 {
    let n = square(3.0) + square(gd::stop_gradient(k));
    0.5 * k * square(x) + n
}

#[differentiable]
fn split(x: f64) -> f64 {
    let (a, b) = pair(x);
    a * b
}

fn main() {
    let _ = energy::grad(1.0, 2.0);
    let _ = split::grad(1.0);
}
