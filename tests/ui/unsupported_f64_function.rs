use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    f64::to_radians(x)
}

fn main() {
    let _ = f(1.0);
}
