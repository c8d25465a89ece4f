use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let y;
    y = x * 2.0;
    y
}

fn main() {
    let _ = f(1.0);
}
