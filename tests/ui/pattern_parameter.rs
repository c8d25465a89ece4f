use gd::differentiable;

#[differentiable]
fn f((a, b): (f64, f64)) -> f64 {
    a * b
}

fn main() {
    let _ = f((1.0, 2.0));
}
