// A trait impl may hold the trait's items only: the derivative functions
// cannot go there. The error says to write an inherent method instead.
use gd::differentiable;

trait Energy {
    fn energy(&self, x: f64) -> f64;
}

struct Spring {
    k: f64,
}

#[differentiable]
impl Energy for Spring {
    fn energy(&self, x: f64) -> f64 {
        0.5 * self.k * x * x
    }
}

fn main() {
    let _ = Spring { k: 1.0 }.energy(2.0);
}
