// `self.scale(x)` with a differentiated `x` goes to `Self::scale`'s
// derivative code: a method that is not #[differentiable] has none, and
// rustc names the missing `__gd_vjp_scale` beside it.
use gd::differentiable;

struct Model {
    k: f64,
}

impl Model {
    fn scale(&self, x: f64) -> f64 {
        self.k * x
    }

    #[differentiable]
    fn loss(&self, x: f64) -> f64 {
        self.scale(x) * x
    }
}

fn main() {
    let m = Model { k: 2.0 };
    let _ = m.loss(1.5);
}
