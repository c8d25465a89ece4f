// A plain `fn` written inside the differentiated function's body, given a
// differentiated value: the derivative code lives outside the body and
// cannot call it, which rustc would report as a missing module inside the
// expansion. The macro says so at the call. Passing it data is fine.
use gd::differentiable;

#[differentiable]
fn energy(x: f64, k: f64) -> f64 {
    fn square(v: f64) -> f64 {
        v * v
    }
    let n = square(3.0);
    0.5 * k * square(x) + n
}

fn main() {
    let _ = energy::grad(1.0, 2.0);
}
