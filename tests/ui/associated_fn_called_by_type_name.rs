// A free function cannot pass a differentiated value to `Spring::energy`,
// even a #[differentiable] one: `Spring::energy` reads like a constructor
// or a library function. The error says to call it as `Self::energy` from
// the same `impl`, or to make it free.
use gd::differentiable;

struct Spring;

impl Spring {
    #[differentiable(in_impl)]
    fn energy(x: f64) -> f64 {
        0.5 * x * x
    }
}

#[differentiable]
fn total(x: f64) -> f64 {
    Spring::energy(x) + x
}

fn main() {
    let _ = total(1.0);
}
