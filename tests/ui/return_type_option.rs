use gd::differentiable;

#[differentiable]
fn f(x: f64) -> Option<f64> {
    Some(x * x)
}

fn main() {}
