// An associated function that names `Self` is inside an `impl`, where the
// generated API (a type named like the function) cannot go: the error says
// to write a free function.
use gd::differentiable;

struct Spring {
    k: f64,
}

impl Spring {
    const REST: f64 = 1.0;

    #[differentiable]
    fn energy(x: f64, k: f64) -> f64 {
        0.5 * k * (x - Self::REST).powi(2)
    }
}

fn main() {
    let s = Spring { k: 2.0 };
    let _ = Spring::energy(1.5, s.k);
}
