use gd::differentiable;

#[differentiable]
fn f(x: f64, p: (f64, f64)) -> f64 {
    x * p.0 + p.1
}

fn main() {}
