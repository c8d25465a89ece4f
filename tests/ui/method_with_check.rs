// `check(..)` emits a `#[test]`, which cannot be an associated function: in
// an `impl` the error says to check the gradient in a test instead.
use gd::differentiable;

struct Spring {
    k: f64,
}

impl Spring {
    #[differentiable(check(x = 1.5))]
    fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }
}

fn main() {
    let s = Spring { k: 2.0 };
    let _ = s.energy(1.5);
}
