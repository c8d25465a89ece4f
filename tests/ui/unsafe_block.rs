use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let y = unsafe { std::ptr::read(&x) };
    y * y
}

fn main() {
    let _ = f(1.0);
}
