use gd::differentiable;

#[differentiable]
fn f<T: Into<f64>>(x: f64, k: T) -> f64 {
    x * k.into()
}

fn main() {
    let _ = f(1.0, 2.0f32);
}
