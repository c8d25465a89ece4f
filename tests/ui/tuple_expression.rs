use gd::differentiable;

#[differentiable]
fn f(x: f64) -> f64 {
    let t = (x, 2.0);
    t.0 * t.1
}

fn main() {
    let _ = f(1.0);
}
