// An associated function with neither `self` nor `Self` in it looks like a
// free function to the attribute, which cannot see the `impl` around it:
// rustc then refuses the type the free-function API is (the README says to
// write `#[differentiable(in_impl)]`, as `fixed` does, or to put
// `#[differentiable]` on the impl too).
use gd::differentiable;

struct Spring;

impl Spring {
    #[differentiable]
    fn energy(x: f64, k: f64) -> f64 {
        0.5 * k * x * x
    }

    #[differentiable(in_impl)]
    fn fixed(x: f64, k: f64) -> f64 {
        0.5 * k * x * x
    }
}

fn main() {
    let _ = Spring::energy(1.5, 2.0);
    let _ = Spring::fixed_grad(1.5, 2.0);
}
