// A method generic over its float type: the two precisions' copies and the
// generic API are free items, which an `impl` cannot hold.
use gd::{differentiable, Float};

struct Spring;

impl Spring {
    #[differentiable]
    fn energy<F: Float>(x: F, k: F) -> F {
        k * x * x
    }
}

fn main() {}
